"""The grader's side of scoring: the cell it sends after the learner's code, and how it reads the verdicts back.

    >>> checks = GraderCopy.take()                 # before any learner code runs
    >>> plan = checks.plan(lesson, out=path, time_limit=30)
    >>> cell = scoring_cell(plan)                  # run it last, in the learner's kernel
    >>> verdicts, started, notes = read_verdicts(path, plan["nonce"])

``GraderCopy`` holds the grading package's files as the grader found them at
start-up. The scoring cell builds the grading modules from these sources, not
from disk, so a learner who edits ``lessonNN.py`` or ``sandbox.py`` on disk
changes nothing the grader relies on (not even for the next learner);
``changed_on_disk()`` tells the grader, which flags the notebook. The grader
never writes there.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .answers import Lesson

PACKAGE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class GraderCopy:
    """The grading package's source files, read once: name -> text."""

    files: dict[str, str]

    @classmethod
    def take(cls, folder: Path = PACKAGE) -> "GraderCopy":
        return cls({path.name: path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.py"))})

    def __repr__(self) -> str:
        return f"GraderCopy({len(self.files)} files)"

    def plan(self, lesson: Lesson, *, out: Path, time_limit: float, skip: tuple[str, ...] = ()) -> dict[str, Any]:
        """What the scoring cell needs; ``nonce`` marks this run's lines in ``out``."""
        files = ["sandbox.py", "fixtures.py", "__init__.py", f"lesson{lesson.number}.py"]  # the order they import
        others = {name: text for name, text in self.files.items() if name not in files and name != "_scorer.py"}
        return {
            "nonce": secrets.token_hex(16), "out": str(out), "answers": lesson.answers, "skip": list(skip),
            "modules": [(name, self.files[name]) for name in files], "time_limit": time_limit,
            "on_import": others,  # every other grading module, built from this copy when a check imports it
        }

    def changed_on_disk(self, folder: Path = PACKAGE) -> list[str]:
        """The files that now differ on disk from this copy (changed or deleted)."""
        changed = []
        for name, text in self.files.items():
            try:
                same = (folder / name).read_text(encoding="utf-8") == text
            except (OSError, UnicodeDecodeError):
                same = False
            if not same:
                changed.append(name)
        return changed


def scoring_cell(plan: dict[str, Any], copy: GraderCopy) -> str:
    """The source of the grader's cell: the scorer's text, run in a namespace of its own."""
    program = f"PLAN = {plan!r}\n" + copy.files["_scorer.py"]
    return f"exec(compile({program!r}, '<the grader>', 'exec'), {{'__name__': '__grader__'}})"


def read_verdicts(path: Path, nonce: str) -> tuple[dict[str, dict[str, Any]], list[str], list[str]]:
    """The scorer's lines in ``path``: (verdict per exercise, exercises started in order, tamper notes).

    A line that is not JSON, or not this run's, is skipped: it can only come from the learner's code.
    """
    verdicts: dict[str, dict[str, Any]] = {}
    started: list[str] = []
    tampered: list[str] = []
    for record in _records(path):
        if record.get("nonce") != nonce:
            continue
        kind, exercise = record.get("kind"), str(record.get("exercise", ""))
        if kind == "start":
            started.append(exercise)
        elif kind == "verdict":
            verdicts[exercise] = record
        elif kind == "tampered":
            tampered.append(str(record.get("what", "")))
    return verdicts, started, tampered


def read_own_results(path: Path) -> dict[str, str]:
    """What the notebook's own check() calls reported (exercise -> status), garbage lines skipped."""
    found = {}
    for record in _records(path):
        if isinstance(record.get("exercise"), str) and isinstance(record.get("status"), str):
            found[record["exercise"]] = record["status"]
    return found


def _records(path: Path) -> list[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    records = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records
