"""Matching a request against the recorded calls of a cassette, and explaining a miss.

A replayed call must agree with its recording on every field of ``MATCHED``; when
none does, the miss names the most alike recording and the first field where they part::

    >>> first_difference({"backend": "openai", "model": "m", "stream": False, "messages": [], "options": {}},
    ...                  {"backend": "openai", "model": "m2", "stream": False, "messages": [], "options": {}})
    ('model', "recorded 'm', now 'm2'")
"""

from __future__ import annotations

import difflib
import json
import os
from typing import Any

MATCHED = ("backend", "model", "stream", "messages", "options")  # what a replayed call must agree on
_ABSENT = object()  # an option one call gave and the other did not


def call_key(call: dict[str, Any]) -> str:
    """The matched fields of a call as one string: equal keys, the same call."""
    return json.dumps([call.get(field) for field in MATCHED], sort_keys=True)


def first_difference(recorded: dict[str, Any], request: dict[str, Any]) -> tuple[str, str]:
    """The first matched field where a recorded call and a new request differ, and how."""
    for field in ("backend", "model", "stream"):
        if recorded.get(field) != request[field]:
            return field, f"recorded {recorded.get(field)!r}, now {request[field]!r}"
    old, new = recorded.get("messages") or [], request["messages"]
    for index, (was, now) in enumerate(zip(old, new)):
        for part in ("role", "content"):
            if was.get(part) != now.get(part):
                return f"messages[{index}].{part}", _text_difference(str(was.get(part)), str(now.get(part)))
    if len(old) != len(new):
        return "messages", f"recorded {len(old)} messages, now {len(new)}"
    before, after = recorded.get("options") or {}, request["options"]
    for name in sorted(set(before) | set(after)):
        if before.get(name, _ABSENT) != after.get(name, _ABSENT):
            shown = [repr(options[name]) if name in options else "not given" for options in (before, after)]
            return f"options.{name}", f"recorded {shown[0]}, now {shown[1]}"
    return "count", "the same call"


def _text_difference(was: str, now: str) -> str:
    """Where two texts part ways: whole if short, else from a little before the first different character."""
    common = len(os.path.commonprefix([was, now]))
    start = 0 if max(len(was), len(now)) <= 70 else max(0, common - 20)

    def excerpt(text: str) -> str:
        piece = text[start:start + 70]
        return ("..." if start else "") + piece + ("..." if start + 70 < len(text) else "")

    return f"recorded {excerpt(was)!r}, now {excerpt(now)!r}"


def likeness(call: dict[str, Any], request: dict[str, Any]) -> tuple[int, float]:
    """How alike a recorded call and a request are: matched fields in common, then similar message text."""
    same = sum(call.get(field) == request[field] for field in MATCHED)
    texts = ["\n".join(str(m.get("content")) for m in c.get("messages") or []) for c in (call, request)]
    return same, difflib.SequenceMatcher(None, *texts).ratio()
