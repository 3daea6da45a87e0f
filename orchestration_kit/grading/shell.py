"""``orchestration-kit check``: grade learners' notebooks from the shell, e.g. for a classroom.

    orchestration-kit check exercises/00_start_here.ipynb exercises/01_*.ipynb

Each notebook runs headless in a fresh kernel; a cell that fails is reported
and the rest still run. Every ``check()`` the notebook calls is collected (it
appends its result to the file named by ORCHESTRATION_KIT_RESULTS), and any of
the lesson's exercises that no check reached count as "not run". Prints a score
table per notebook and a total; exits 0 if every exercise passed, else 1.

A hung check stops after ``--time-limit`` seconds per case (see sandbox.py), so
the rest of the notebook still runs; a hung cell outside any check stops after
``--timeout`` seconds.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import RESULTS_ENV, STRICT_ENV, TIME_LIMIT_ENV, lesson_exercises, one_line
from .authoring import execute

_LABELS = {"passed": "passed", "failed": "failed", "unsolved": "not yet solved", "not run": "not run"}


@dataclass(frozen=True)
class NotebookGrade:
    """One notebook's grade: a row (exercise, status, cases passed) per exercise, and cell errors."""

    path: str
    rows: tuple[tuple[str, str, str], ...]
    errors: tuple[str, ...] = ()

    @property
    def passed(self) -> int:
        return sum(status == "passed" for _, status, _ in self.rows)

    @property
    def total(self) -> int:
        return len(self.rows)

    def table(self) -> str:
        lines = [self.path, f"  {'exercise':<20} {'result':<16} cases"]
        lines += [f"  {name:<20} {_LABELS.get(status, status):<16} {cases}" for name, status, cases in self.rows]
        lines += [f"  ! {error}" for error in self.errors]
        lines.append(f"  {self.passed} of {self.total} exercises passed")
        return "\n".join(lines)


def grade_notebook(path: Path, *, timeout: float = 120, time_limit: float | None = None) -> NotebookGrade:
    """Execute a learner's notebook headless and collect every check() verdict it printed.

    ``timeout``: seconds per cell; ``time_limit``: seconds per case of a check (default 30).
    """
    import nbformat

    lesson = re.match(r"(\d+)_", path.name)
    expected = lesson_exercises(lesson.group(1)) if lesson else []
    if not path.is_file():
        not_run = tuple((name, "not run", "-") for name in expected)
        return NotebookGrade(str(path), not_run, (f"no such notebook: {path}",))
    with tempfile.TemporaryDirectory() as folder:
        results_file = Path(folder) / "results.jsonl"
        results_file.touch()
        try:
            notebook = nbformat.read(path, as_version=4)
            # strict off: a learner's wrong answer is a verdict to report, not an error to raise
            env = {RESULTS_ENV: str(results_file), STRICT_ENV: "0"}
            if time_limit is not None:
                env[TIME_LIMIT_ENV] = str(time_limit)
            # Printed output stays in the pieces the kernel sent: merging them rescans a long line
            # once per character, and a learner's megabyte line would keep the grader busy for hours.
            execute(notebook, cwd=path.parent, env=env, timeout=timeout, allow_errors=True, coalesce_streams=False)
            errors = _cell_errors(notebook, timeout)
        except Exception as error:  # unreadable file, kernel died, ...: report it and grade what ran
            errors = [f"the notebook could not be run to the end: {one_line(error)}"]
        results = [json.loads(line) for line in results_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    latest = {result["exercise"]: result for result in results}  # a re-run check replaces the earlier one
    names = expected + [name for name in latest if name not in expected]
    rows = []
    for name in names:
        result = latest.get(name)
        if result is None:
            rows.append((name, "not run", "-"))
        else:
            cases = f"{result['passed']}/{result['total']}" if result["status"] != "unsolved" else "-"
            rows.append((name, result["status"], cases))
    return NotebookGrade(str(path), tuple(rows), tuple(errors))


def _cell_errors(notebook: object, timeout: float) -> list[str]:
    """One line per unexpected cell error: the cell's number, its first line, the error."""
    found = []
    for cell in notebook.cells:  # type: ignore[attr-defined]
        if "raises-exception" in cell.metadata.get("tags", []):
            continue
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                first_line = (cell.source.strip().splitlines() or [""])[0][:40]
                evalue = (output.evalue.splitlines() or [""])[0]
                if output.ename == "KeyboardInterrupt":  # how nbclient stops a cell that runs too long
                    problem = f"was stopped after the {timeout:g} s time limit (an endless loop?)"
                else:
                    problem = f"raised {output.ename}" + (f": {evalue}" if evalue else "")
                found.append(f"cell [{cell.execution_count}] ({first_line}) {problem}")
    return found


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("notebooks", nargs="+", type=Path, metavar="NOTEBOOK", help="exercise notebooks to grade")
    parser.add_argument("--timeout", type=float, default=120, help="seconds allowed per cell (default: 120)")
    parser.add_argument("--time-limit", type=float, default=None,
                        help="seconds allowed per case of a check (default: $ORCHESTRATION_KIT_TIME_LIMIT, else 30)")


def main(args: argparse.Namespace) -> int:
    grades = []
    for path in args.notebooks:
        time_limit = getattr(args, "time_limit", None)  # a Namespace built by hand may not have it
        grade = grade_notebook(path, timeout=args.timeout, time_limit=time_limit)
        grades.append(grade)
        print(grade.table() + "\n", flush=True)
    passed, total = sum(g.passed for g in grades), sum(g.total for g in grades)
    print(f"total: {passed} of {total} exercises passed in {len(grades)} notebook{'s' if len(grades) != 1 else ''}")
    return 0 if total and passed == total else 1
