"""``orchestration-kit check``: grade learners' notebooks from the shell, one notebook or a whole class.

    orchestration-kit check exercises/00_start_here.ipynb
    orchestration-kit check class/ --roster roster.csv --gradebook grades.csv --feedback feedback/ \\
        --deadline 2026-05-01T23:59 --lms lms.csv --jobs 2 --results results.csv

Each notebook runs headless in a fresh kernel, under hard limits (``--timeout``
seconds per cell, ``--notebook-timeout`` per notebook, ``--time-limit`` per case
of a check); then the grader's own cell grades the answer variables the
solutions masters name (see submission.py). The verdicts are the grader's:
what the notebook's own ``check()`` printed counts for nothing, and a
redefined check, a deleted check cell, a renamed file or an edited grading
module is flagged (⚑). Prints a table per notebook, the statistics per
exercise, and exits 0 if every exercise passed, 1 if not, 130/143 if stopped
by Ctrl-C/SIGTERM (after shutting every kernel down and writing what was graded).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import all_exercises
from .answers import load_lessons
from .classroom import collect, default_jobs, grade_class, parse_time, read_manifest, read_roster
from .feedback import write_notebook, write_reports
from .gradebook import Gradebook, NotebookGrade
from .scoring import GraderCopy
from .submission import Limits

SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions"  # the course's masters, next to the package
_EXIT_ON_SIGNAL = {"SIGINT": 130, "SIGTERM": 143}


def grade_notebook(path: Path, *, timeout: float = 120, time_limit: float | None = None,
                   notebook_timeout: float = 600, solutions: Path = SOLUTIONS) -> NotebookGrade:
    """Grade one notebook (as ``orchestration-kit check PATH`` does) and return its grade."""
    submissions = collect([path], load_lessons(solutions))
    grades, _ = grade_class(submissions, GraderCopy.take(), Limits(timeout, notebook_timeout, time_limit))
    return grades[0]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("notebooks", nargs="+", type=Path, metavar="NOTEBOOK",
                        help="notebooks to grade, or folders of learners' folders (class/ada/01_router.ipynb, ...)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds allowed per cell (default: 120)")
    parser.add_argument("--notebook-timeout", type=float, default=600,
                        help="seconds allowed per notebook for running it, and again for scoring it (default: 600)")
    parser.add_argument("--time-limit", type=float, default=None,
                        help="seconds allowed per case of a check (default: $ORCHESTRATION_KIT_TIME_LIMIT, else 30)")
    parser.add_argument("--jobs", type=int, default=None, help="notebooks graded at once (default: from cores and memory)")
    parser.add_argument("--solutions", type=Path, default=SOLUTIONS, help="the solutions masters (default: the course's)")
    parser.add_argument("--roster", type=Path, help="CSV with an id column (and folder, name, sis_id, section)")
    parser.add_argument("--points", type=Path, help='JSON of points per exercise, e.g. {"01.keywords": 2} (default: 1 each)')
    parser.add_argument("--deadline", help="ISO 8601 time, e.g. 2026-05-01T23:59; later notebooks are marked late")
    parser.add_argument("--submissions", type=Path, help="CSV of learner, notebook, submitted_at (default: file times)")
    parser.add_argument("--late-penalty", type=float, default=0.0, help="share of a late notebook's points taken off (0..1)")
    parser.add_argument("--gradebook", type=Path, help="write one row per learner x exercise here (.csv, or .json)")
    parser.add_argument("--results", type=Path,
                        help="write the class's results table here (CSV): one row per design submitted (09.capstone ...), "
                             "with its accuracy, p95, cost and targets met")
    parser.add_argument("--lms", type=Path, help="write one row per learner for an LMS gradebook import (Canvas/Moodle CSV)")
    parser.add_argument("--feedback", type=Path, help="save each learner's executed notebook and feedback.md under this folder")


def main(args: argparse.Namespace) -> int:
    options = vars(args)
    try:
        lessons = load_lessons(options.get("solutions") or SOLUTIONS)
        roster = read_roster(args.roster) if options.get("roster") else None
        manifest = read_manifest(args.submissions) if options.get("submissions") else None
        deadline = parse_time(args.deadline) if options.get("deadline") else None
        points = {name: found.points for name, found in all_exercises().items()}  # what each lesson says
        points.update(_read_points(args.points) if options.get("points") else {})
        penalty = float(options.get("late_penalty") or 0.0)
        if not 0 <= penalty <= 1:
            raise ValueError(f"--late-penalty is a share of the points, between 0 and 1, not {penalty}")
    except (OSError, ValueError) as error:  # json's errors are ValueErrors too
        print(f"error: {error}", file=sys.stderr)
        return 2
    submissions = collect(list(args.notebooks), lessons, roster=roster, manifest=manifest)
    limits = Limits(args.timeout, options.get("notebook_timeout") or 600, options.get("time_limit"))
    jobs = max(1, min(options.get("jobs") or default_jobs(), len(submissions)))
    feedback = options.get("feedback")
    print(f"grading {len(submissions)} notebook{'s' if len(submissions) != 1 else ''} with {jobs} worker"
          f"{'s' if jobs != 1 else ''}", file=sys.stderr, flush=True)

    def progress(done: int, total: int, grade: NotebookGrade) -> None:
        print(f"[{done}/{total}] {grade.path}: {grade.passed} of {grade.total} passed ({grade.seconds:.1f} s)",
              file=sys.stderr, flush=True)

    saved = (lambda grade, notebook: write_notebook(feedback, grade, notebook)) if feedback else None
    grades, stopped = grade_class(submissions, GraderCopy.take(), limits, jobs=jobs, deadline=deadline,
                                  progress=progress, on_graded=saved)
    book = Gradebook(grades, points, penalty)
    for grade in grades:
        print(grade.table() + "\n", flush=True)
    _write(book, options, roster)
    passed, total = sum(g.passed for g in grades), sum(g.total for g in grades)
    earned = sum(row["points"] for row in book.rows())
    possible = sum(row["max_points"] for row in book.rows())
    if len(grades) > 1:
        print(book.statistics() + "\n")
    print(f"total: {passed} of {total} exercises passed in {len(grades)} notebook{'s' if len(grades) != 1 else ''}"
          f" ({earned:g} of {possible:g} points)")
    if stopped:
        print(f"stopped by {stopped}: every kernel is shut down; the notebooks not graded are marked so", file=sys.stderr)
        return _EXIT_ON_SIGNAL.get(stopped, 1)
    return 0 if total and passed == total else 1


def _write(book: Gradebook, options: dict, roster: dict | None) -> None:
    if options.get("gradebook"):  # grades.csv and grades.json beside it; a .json path: only the JSON
        path = options["gradebook"]
        if path.suffix != ".json":
            book.write_csv(path)
        book.write_json(path.with_suffix(".json"))
    if options.get("results"):
        book.write_results(options["results"])
    if options.get("lms"):
        book.write_lms(options["lms"], {row["id"]: row for row in (roster or {}).values()})
    if options.get("feedback"):
        write_reports(options["feedback"], book)


def _read_points(path: Path) -> dict[str, float]:
    """A JSON object of exercise -> points, e.g. {"01.keywords": 2, "01.threshold": 3}."""
    points = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(points, dict) or not all(isinstance(v, (int, float)) and v >= 0 for v in points.values()):
        raise ValueError(f'{path}: give points as a JSON object of exercise -> a number >= 0, e.g. {{"01.keywords": 2}}')
    return {str(name): float(value) for name, value in points.items()}
