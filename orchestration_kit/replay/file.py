"""The cassette file: JSON Lines, read back with every line checked, times in whole microseconds.

A cassette is a header line, then one recorded call per line (see
``data/cassettes/README.md`` for every field). Files are edited by hand,
merged, copied between systems, so each line is checked when it is read, and
a damaged one gets a ``file:line`` message saying what is wrong and what is
allowed, rather than a failure later in the middle of a replay::

    >>> calls = read_calls(Path("data/cassettes/07_real_backends.jsonl"))
    >>> calls[0]["duration_us"]      # the call took 0.802 s when it was recorded
    802000

**Time** is written as whole microseconds since the call started
(``duration_us``, chunk moments, span ``start_us``/``end_us``): a replay
sleeps exactly those amounts, and sums of them are exact, where sums of
seconds in floating point are not (0.058 + 0.015 != 0.073). Version 1 files,
in seconds, are still read: their times are converted when they are read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..models.replies import MalformedReply, describe, field

FORMAT, VERSION = "orchestration-kit-cassette", 2
READABLE = (1, 2)  # version 1 wrote times as seconds
OUTCOMES = ("ok", "error", "cancelled")
HEADER = {"format": FORMAT, "version": VERSION,
          "about": "one model call per line, times in microseconds since it started: orchestration_kit/replay/cassette.py"}


class CassetteError(UsageError):
    """A cassette file that cannot be used: missing, not a cassette, a damaged line, or an unknown format."""


def microseconds(seconds: float) -> int:
    """Seconds as whole microseconds, the unit cassettes record time in."""
    return round(seconds * 1_000_000)


def read_calls(path: Path) -> list[dict[str, Any]]:
    """The calls of a cassette file, checked, times in microseconds, in the order they started."""
    if not path.exists():
        raise CassetteError(f"no cassette at {path}; record one first: Cassette(path, mode='record')")
    lines = path.read_text(encoding="utf-8-sig").splitlines()  # -sig: a byte-order mark some editors add is fine
    version = _version(path, lines[0] if lines else "")
    calls = []
    for number, line in enumerate(lines[1:], 2):
        if not line.strip():
            continue
        try:
            call = json.loads(line)
        except ValueError as error:
            raise CassetteError(f"{path}:{number}: not valid JSON ({error}); fix the line or re-record") from None
        try:
            calls.append(check_call(call if version == VERSION else upgrade(call)))
        except MalformedReply as wrong:
            raise CassetteError(f"{path}:{number}: {wrong}. Fix the line or re-record the cassette "
                                "(make cassettes, or mode='record').") from None
    return sorted(calls, key=lambda call: call["call"])


def write_calls(path: Path, calls: list[dict[str, Any]]) -> None:
    """Write a whole cassette: the header, then one call per line (used to record and to upgrade old files)."""
    lines = [json.dumps(HEADER)] + [json.dumps(call, ensure_ascii=False) for call in calls]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def file_version(path: Path) -> int:
    """The version a cassette file's header states (checked)."""
    with path.open(encoding="utf-8-sig") as handle:
        return _version(path, handle.readline())


def _version(path: Path, first_line: str) -> int:
    try:
        header = json.loads(first_line)
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise CassetteError(f"{path}:1: not a cassette: its first line must be the header "
                            f'{{"format": "{FORMAT}", "version": {VERSION}}}')
    version = header.get("version")
    if type(version) is not int:
        raise CassetteError(f"{path}:1: the header's version must be a whole number such as {VERSION}, "
                            f"got {describe(version)} ({version!r})")
    if version not in READABLE:
        raise CassetteError(f"{path}:1: a version {version} cassette; this kit reads versions "
                            f"{', '.join(map(str, READABLE))}. Re-record it: make cassettes (or open it with "
                            "mode='record').")
    return version


def upgrade(call: Any) -> Any:
    """A version 1 call (times in seconds) as version 2 (whole microseconds); anything odd is left for the check."""
    if not isinstance(call, dict):
        return call
    call = _in_microseconds(call, "duration")
    if isinstance(call.get("chunks"), list):
        call["chunks"] = [[microseconds(c[0]), c[1]] if isinstance(c, list) and len(c) == 2 and _is_number(c[0])
                          else c for c in call["chunks"]]
    if isinstance(call.get("spans"), list):
        call["spans"] = [_in_microseconds(span, "start", "end") if isinstance(span, dict) else span
                         for span in call["spans"]]
    return call


def _in_microseconds(fields: dict[str, Any], *names: str) -> dict[str, Any]:
    """``fields`` with each of ``names`` (seconds) renamed ``<name>_us`` (microseconds), in the same place."""
    return {f"{key}_us" if key in names and _is_number(value) else key:
            microseconds(value) if key in names and _is_number(value) else value for key, value in fields.items()}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# -- what a call line must hold ------------------------------------------------------------


def check_call(call: Any) -> dict[str, Any]:
    """``call`` if it has every field a replay needs, of the right kind; else MalformedReply saying which."""
    if not isinstance(call, dict):
        raise MalformedReply(f"a call must be a JSON object, got {describe(call)}")
    for name, kind in (("call", int), ("backend", str), ("model", str), ("stream", bool), ("messages", list),
                       ("options", dict), ("outcome", str), ("duration_us", int)):
        field(call, name, kind=kind)
    if call["outcome"] not in OUTCOMES:
        raise MalformedReply(f"outcome must be one of {', '.join(OUTCOMES)}, got {call['outcome']!r}")
    for index in range(len(call["messages"])):
        field(call, "messages", index, "role", kind=str)
        field(call, "messages", index, "content", kind=str)
    if call["outcome"] == "ok" and not call["stream"]:
        for name, kind in (("text", str), ("model", str), ("input_tokens", int), ("output_tokens", int),
                           ("cost", float), ("latency", float), ("finish_reason", str)):
            field(call, "completion", name, kind=kind)
    if call["outcome"] == "error":
        field(call, "error", "type", kind=str)
        field(call, "error", "message", kind=str)
        field(call, "error", "status", kind=int, optional=True)
        field(call, "error", "retry_after", kind=float, optional=True)
    for index in range(len(field(call, "chunks", kind=list, optional=True) or [])):
        field(call, "chunks", index, 0, kind=int)
        field(call, "chunks", index, 1, kind=str)
    for index, span in enumerate(field(call, "spans", kind=list, optional=True) or []):
        for name, kind in (("name", str), ("kind", str), ("start_us", int), ("end_us", int)):
            field(call, "spans", index, name, kind=kind)
        parent = field(call, "spans", index, "parent", kind=int, optional=True)
        if parent is not None and not 0 <= parent < index:
            raise MalformedReply(f"spans[{index}].parent is {parent}, expected the position of an earlier span")
        if span["end_us"] < span["start_us"]:
            raise MalformedReply(f"spans[{index}] ends ({span['end_us']} us) before it starts ({span['start_us']} us)")
    return call
