"""Who asked: learner tokens, each learner's usage and limits, on the classroom server.

A roster file gives each learner a token of their own (a CSV the instructor
keeps; tokens left empty are generated and written back, never printed)::

    learner,token
    ada,
    alan,3q2-xA...

The server keeps only digests of the tokens and checks a given one against
every digest in constant time, so neither a reply nor its timing tells a guess
apart from a near miss. Each learner gets their own usage counts, their own
rate limits (the simulated models' and the server's) and their own counters of
simulated calls, so learner A's calls never make learner B's fail.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import os
import re
import secrets
from collections import OrderedDict, deque
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..clock import WallClock
from ..context import Context, stable_hash

SHARED, INSTRUCTOR, ANONYMOUS = "class", "instructor", "anonymous"  # names the server gives; no learner's
LEARNER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
MIN_TOKEN_CHARS = 16
MAX_COUNTED_PROMPTS = 2048  # per learner: simulated calls are counted for the latest prompts only
MAX_USERS_KEPT = 20  # distinct OpenAI `user` values remembered per learner


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class Roster:
    """Tokens by who holds them (digests only); ``who(token)`` is the holder, or None.

    >>> Roster({"ada": "a-long-token-for-ada"}).who("a-long-token-for-ada")
    'ada'
    """

    def __init__(self, tokens: dict[str, str]) -> None:
        self._digests = [(name, digest(token)) for name, token in tokens.items()]

    def who(self, token: str) -> str | None:
        given, holder = digest(token), None
        for name, known in self._digests:  # every digest, every time: no early exit to time
            if hmac.compare_digest(given, known):
                holder = name
        return holder

    def __len__(self) -> int:
        return len(self._digests)

    def __repr__(self) -> str:
        return f"Roster({len(self)} tokens)"


def read_roster(path: str | Path) -> dict[str, str]:
    """Learner ids and their tokens from a CSV with columns ``learner,token``; empty tokens are generated.

    The generated ones are written back to the file (readable by its owner only):
    the instructor hands each learner their row.
    """
    path = Path(path)
    try:
        rows = list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))
    except OSError as error:
        raise ValueError(f"cannot read the roster {path}: {error.strerror}") from None
    if not rows or "learner" not in rows[0]:
        raise ValueError(f"{path}: a roster is a CSV with a header 'learner,token' and one learner a line")
    tokens: dict[str, str] = {}
    for line, row in enumerate(rows, start=2):
        learner, token = (row.get("learner") or "").strip(), (row.get("token") or "").strip()
        if not LEARNER_ID.fullmatch(learner) or learner in (SHARED, INSTRUCTOR, ANONYMOUS):
            raise ValueError(f"{path}:{line}: learner id {learner!r:.40} must be 1 to 64 letters, digits or _.@- "
                             f"(and not {SHARED!r}, {INSTRUCTOR!r} or {ANONYMOUS!r})")
        if learner in tokens:
            raise ValueError(f"{path}:{line}: learner {learner!r} appears twice; one row per learner")
        if token and len(token) < MIN_TOKEN_CHARS:
            raise ValueError(f"{path}:{line}: the token of {learner!r} is shorter than {MIN_TOKEN_CHARS} characters; "
                             "leave it empty to have one generated")
        tokens[learner] = token
    if not all(tokens.values()):
        tokens = {learner: token or secrets.token_urlsafe(24) for learner, token in tokens.items()}
        _write_roster(path, tokens)
    if len(set(tokens.values())) < len(tokens):
        raise ValueError(f"{path}: two learners share a token; give each their own (or leave it empty)")
    return tokens


def _write_roster(path: Path, tokens: dict[str, str]) -> None:
    fresh = path.with_name(path.name + ".new")
    with open(os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["learner", "token"])
        writer.writerows(tokens.items())
    fresh.replace(path)  # all or nothing: a crash leaves the old file


class ServerContext(Context):
    """A learner's context on the server: it counts simulated calls by a digest of their prompt, latest first.

    A run's context counts every prompt it sees; a server's lives for weeks and meets
    millions of prompts, so it keeps the counts of the latest ``MAX_COUNTED_PROMPTS``.
    """

    def __init__(self, seed: int = 0) -> None:
        super().__init__(WallClock(), seed)
        self._latest: OrderedDict[int, int] = OrderedDict()

    def count(self, *key: object) -> int:
        hashed = stable_hash(*key)
        n = self._latest.pop(hashed, 0)
        self._latest[hashed] = n + 1
        if len(self._latest) > MAX_COUNTED_PROMPTS:
            self._latest.popitem(last=False)  # the prompt counted longest ago
        return n


@dataclass
class Usage:
    """One learner's requests and what they cost (simulated prices)."""

    requests: int = 0
    answered: int = 0
    refused: int = 0  # 4xx but 429: their request was wrong
    rate_limited: int = 0
    failed: int = 0  # 5xx: a simulated model's failure, or the server's
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    users: list[str] = field(default_factory=list)  # the OpenAI `user` values they sent


class Learner:
    """One learner's usage, limits and simulated-call counters."""

    def __init__(self, name: str, seed: int = 0, requests_per_minute: int = 0) -> None:
        self.name, self.seed, self.requests_per_minute = name, seed, requests_per_minute
        self.usage = Usage()
        self._context: ServerContext | None = None
        self._recent: deque[float] = deque()  # when their latest requests came, for the server's own limit

    def context(self, seed: int | None = None) -> Context:
        """Their context; with a request's ``seed``, a fresh one (same answers for the same seed) sharing its limits."""
        if self._context is None:
            self._context = ServerContext(self.seed)
        if seed is None:
            return self._context
        seeded = ServerContext(seed)
        seeded.state = self._context.state  # the simulated models' rate-limit windows stay the learner's
        return seeded

    def wait_before_next(self, now: float) -> float:
        """0 if they may send a request now (and it is counted), else seconds until they may."""
        while self._recent and now - self._recent[0] >= 60.0:
            self._recent.popleft()
        if self.requests_per_minute and len(self._recent) >= self.requests_per_minute:
            return 60.0 - (now - self._recent[0])
        self._recent.append(now)
        return 0.0

    def record(self, status: int, *, prompt_tokens: int = 0, completion_tokens: int = 0, cost: float = 0.0,
               user: str | None = None) -> None:
        usage = self.usage
        usage.requests += 1
        if status < 300:
            usage.answered += 1
        elif status == 429:
            usage.rate_limited += 1
        elif status < 500:
            usage.refused += 1
        else:
            usage.failed += 1
        usage.prompt_tokens += prompt_tokens
        usage.completion_tokens += completion_tokens
        usage.cost_usd = round(usage.cost_usd + cost, 8)
        if user and user not in usage.users and len(usage.users) < MAX_USERS_KEPT:
            usage.users.append(user)

    def row(self) -> dict[str, Any]:
        return {"learner": self.name, **asdict(self.usage)}

    def __repr__(self) -> str:
        return f"Learner({self.name!r}, requests={self.usage.requests})"
