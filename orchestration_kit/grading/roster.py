"""Who submitted what, and when: the roster, the submissions manifest, and the notebooks found in a class folder.

    >>> submissions = collect([Path("class")], lessons, roster=read_roster(Path("roster.csv")))
    >>> [(s.learner, s.path.name, s.flags) for s in submissions][:2]
    [('ada', '01_router.ipynb', ()), ('bo', '01_router.ipynb', ('not submitted',))]

A learner is the folder their notebooks are in (``class/ada/...`` is "ada"), or
the roster's id for that folder. With a roster, every learner gets a
``Submission`` for every lesson anyone submitted, so a missing notebook is
graded as "not submitted" rather than left out. Each submission's time comes
from the manifest if there is one, else from the file; ``lateness()`` compares it
with the deadline.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .answers import Lesson, identify


@dataclass(frozen=True)
class Submission:
    """One notebook to grade (``path`` may be missing: a learner who submitted nothing for a lesson)."""

    learner: str
    path: Path
    lesson: Lesson | None
    submitted: datetime | None = None
    flags: tuple[str, ...] = ()


def read_roster(path: Path) -> dict[str, dict[str, str]]:
    """A roster CSV with an ``id`` column (and optionally folder, name, sis_id, section): folder -> that row."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or "id" not in rows[0]:
        raise ValueError(f"{path}: a roster needs a header line with an 'id' column (and optionally folder, name, section)")
    return {(row.get("folder") or row["id"]).strip(): {k: (v or "").strip() for k, v in row.items() if k} for row in rows}


def read_manifest(path: Path) -> dict[tuple[str, str], datetime]:
    """A submissions manifest CSV (learner, notebook, submitted_at in ISO 8601): (learner, file name) -> time."""
    found = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for number, row in enumerate(csv.DictReader(handle), 2):
            try:
                found[(row["learner"].strip(), Path(row["notebook"].strip()).name)] = parse_time(row["submitted_at"])
            except (KeyError, ValueError, AttributeError) as error:
                raise ValueError(f"{path}:{number}: need learner, notebook and submitted_at (ISO 8601, e.g. "
                                 f"2026-05-01T23:59:00+00:00): {error}") from None
    return found


def parse_time(text: str) -> datetime:
    """An ISO 8601 time; one without a zone is taken as this machine's local time."""
    moment = datetime.fromisoformat(text.strip())
    return moment if moment.tzinfo else moment.astimezone()


def lateness(submitted: datetime | None, deadline: datetime | None) -> str:
    """"" when on time (or no deadline), else "late by 2.5 h"."""
    if deadline is None or submitted is None or submitted <= deadline:
        return ""
    hours = (submitted - deadline).total_seconds() / 3600
    return f"late by {hours:.1f} h" if hours < 48 else f"late by {hours / 24:.1f} days"


def collect(paths: list[Path], lessons: dict[str, Lesson], *, roster: dict[str, dict[str, str]] | None = None,
            manifest: dict[tuple[str, str], datetime] | None = None) -> list[Submission]:
    """The notebooks to grade: files as given, folders searched; with a roster, every learner x lesson submitted by anyone."""
    import nbformat

    files = [found for path in paths for found in (sorted(path.rglob("*.ipynb")) if path.is_dir() else [path])]
    files = [path for path in files if ".ipynb_checkpoints" not in path.parts]
    submissions = []
    for path in files:
        folder = path.parent.name
        learner = (roster or {}).get(folder, {}).get("id", folder)
        flags = [f"{folder}/ is not on the roster"] if roster is not None and folder not in roster else []
        lesson = None
        if path.is_file():
            try:
                lesson, renamed = identify(path, nbformat.read(path, as_version=4), lessons)
                flags += [renamed] if renamed else []
            except Exception as error:  # not JSON, not a notebook: reported as this notebook's error
                flags.append(f"unreadable notebook: {type(error).__name__}")
        else:
            number = path.name[:2]
            lesson = lessons.get(number)
        when = (manifest or {}).get((learner, path.name))
        if when is None and manifest is None and path.is_file():
            when = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
        submissions.append(Submission(learner, path, lesson, when, tuple(flags)))
    if roster is not None:
        submitted = {(s.learner, s.lesson.number) for s in submissions if s.lesson}
        numbers = sorted({s.lesson.number for s in submissions if s.lesson})
        for row in roster.values():
            for number in numbers:
                if (row["id"], number) not in submitted:
                    missing = Path(row.get("folder") or row["id"]) / lessons[number].filename
                    submissions.append(Submission(row["id"], missing, lessons[number], None, ("not submitted",)))
    return submissions
