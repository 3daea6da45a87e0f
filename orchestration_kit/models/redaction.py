"""Keeping API keys out of everything the kit shows or writes: one scrubber for all.

Error messages, trace rows, log lines and cassette files can all hold text a
server sent back, and servers do quote keys back ("Incorrect API key
provided: sk-..."). Two rules find what to hide:

- **the configured key**, wherever it appears, if it is long enough to be a
  real secret: local servers accept dummy keys such as ``"EMPTY"``,
  ``"ollama"`` or ``"lm-studio"``, and hiding those would corrupt ordinary
  words ("Is an EMPTY cart..." is a prompt, not a leak);
- **anything shaped like a key** (``sk-...``, ``sk-ant-...``, an AWS key id, a
  long bearer token), whoever it belongs to.

Hidden text becomes ``[redacted]``. ``scrub`` walks JSON-like data and
changes string values only, never the structure, so the result is the same
data with the secrets taken out::

    >>> redact("Incorrect API key provided: sk-live-4f1b7c9e2a", ["sk-live-4f1b7c9e2a"])
    'Incorrect API key provided: [redacted]'
    >>> redact("missing or wrong token", ["wrong"])   # too short to be a real key: left alone
    'missing or wrong token'
    >>> scrub({"text": "key sk-live-4f1b7c9e2a", "tokens": 3}, ["sk-live-4f1b7c9e2a"])
    {'text': 'key [redacted]', 'tokens': 3}
"""

from __future__ import annotations

import re
from typing import Any, Iterable

#: A key shorter than this is a placeholder, not a secret (the shortest real keys are far longer).
MIN_SECRET_LENGTH = 12
REDACTED = "[redacted]"
# Anything shaped like an API key or a bearer token (16+ characters, at least one digit), whoever's it is.
KEY_SHAPES = re.compile(r"\b(?:sk-ant-|sk-)[A-Za-z0-9_-]{16,}|\bAKIA[0-9A-Z]{16}\b"
                        r"|(?i:bearer)\s+(?=[A-Za-z._~+/=-]*[0-9])[A-Za-z0-9._~+/=-]{16,}")


class Secret:
    """An API key that never shows itself: its repr and str are ``***``.

    >>> Secret("sk-live-123")
    Secret('***')
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


def real_secrets(candidates: str | None | Iterable[str | None]) -> list[str]:
    """The candidates long enough to be real secrets, longest first (so no key hides inside another)."""
    if candidates is None or isinstance(candidates, str):
        candidates = [candidates]  # one key given alone
    found = {c for c in candidates if isinstance(c, str) and len(c) >= MIN_SECRET_LENGTH}
    return sorted(found, key=len, reverse=True)


def redact(text: str, secrets: str | None | Iterable[str | None] = ()) -> str:
    """``text`` with each real secret, and anything shaped like a key, replaced by ``[redacted]``."""
    for secret in real_secrets(secrets):
        text = text.replace(secret, REDACTED)
    return KEY_SHAPES.sub(REDACTED, text)


def scrub(value: Any, secrets: str | None | Iterable[str | None] = ()) -> Any:
    """JSON-like ``value`` with ``redact`` applied to every string value (keys and numbers stay as they are)."""
    secrets = real_secrets(secrets)
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {key: scrub(item, secrets) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(item, secrets) for item in value]
    return value


def excerpt(text: str, secrets: str | None | Iterable[str | None] = (), limit: int = 120) -> str:
    """A short, quoted piece of what a server sent, secrets removed first (so no key is cut in half and shown)."""
    text = redact(text, secrets)
    return repr(text[:limit] + ("..." if len(text) > limit else ""))
