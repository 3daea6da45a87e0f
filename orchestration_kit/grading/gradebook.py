"""The gradebook: one row per learner and exercise, as CSV and JSON, with statistics and an LMS export.

    >>> book = Gradebook(grades, points={"01.keywords": 2.0})
    >>> book.write_csv(Path("grades.csv")); book.write_json(Path("grades.json"))
    >>> print(book.statistics())        # passed / failed / unsolved / not run, per exercise
    >>> book.write_lms(Path("lms.csv"))  # one row per learner, one column per notebook (Canvas/Moodle import)
    >>> book.write_results(Path("results.csv"))  # one row per design submitted: accuracy, p95, cost, targets met

Points: each exercise is worth its points (1 unless the lesson or ``--points``
says otherwise), earned in proportion to the cases passed (partial credit),
0 while unsolved or not run. A late notebook keeps its points minus the late
penalty, and says so in its row.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .submission import ExerciseGrade

STATUSES = ("passed", "failed", "unsolved", "not run")
COLUMNS = ("learner", "notebook", "exercise", "status", "cases_passed", "cases_total", "points", "max_points", "late", "flags")
_LABELS = {"passed": "passed", "failed": "failed", "unsolved": "not yet solved", "not run": "not run"}


@dataclass(frozen=True)
class NotebookGrade:
    """One learner's notebook, graded: a verdict per exercise, the cells that failed, and what looked wrong."""

    path: str
    exercises: tuple[ExerciseGrade, ...]
    errors: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    learner: str = ""
    lesson: str = ""  # the master's file name, e.g. "01_router.ipynb"
    late: str = ""  # "" if on time, else e.g. "late by 3.5 h"
    seconds: float = 0.0

    @property
    def rows(self) -> tuple[tuple[str, str, str], ...]:
        """(exercise, status, "cases passed/cases run" or "-") per exercise."""
        return tuple((e.exercise, e.status, f"{e.passed}/{e.total}" if e.status in ("passed", "failed") else "-")
                     for e in self.exercises)

    @property
    def passed(self) -> int:
        return sum(e.status == "passed" for e in self.exercises)

    @property
    def total(self) -> int:
        return len(self.exercises)

    def table(self) -> str:
        lines = [self.path + (f"  ({self.late})" if self.late else ""), f"  {'exercise':<20} {'result':<16} cases"]
        lines += [f"  {name:<20} {_LABELS.get(status, status):<16} {cases}" for name, status, cases in self.rows]
        lines += [f"  ! {error}" for error in self.errors]
        lines += [f"  ⚑ {flag}" for flag in self.flags]
        lines.append(f"  {self.passed} of {self.total} exercises passed")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"NotebookGrade({self.path!r}, {self.passed}/{self.total} passed, {len(self.flags)} flags)"


@dataclass
class Gradebook:
    """Every graded notebook of a class, and the points each exercise is worth."""

    grades: list[NotebookGrade]
    points: dict[str, float] = field(default_factory=dict)  # exercise -> points (default 1)
    late_penalty: float = 0.0  # the share of a late notebook's points taken off, 0..1

    def __repr__(self) -> str:
        return f"Gradebook({len(self.grades)} notebooks, {len(self.learners())} learners)"

    def worth(self, exercise: str) -> float:
        return float(self.points.get(exercise, 1.0))

    def earned(self, grade: NotebookGrade, exercise: ExerciseGrade) -> float:
        penalty = self.late_penalty if grade.late else 0.0
        return round(self.worth(exercise.exercise) * exercise.fraction * (1 - penalty), 2)

    def learners(self) -> list[str]:
        return sorted({grade.learner for grade in self.grades})

    def rows(self) -> list[dict[str, Any]]:
        """One dict per learner and exercise, with the COLUMNS as keys."""
        return [{
            "learner": grade.learner, "notebook": grade.path, "exercise": e.exercise, "status": e.status,
            "cases_passed": e.passed, "cases_total": e.total, "points": self.earned(grade, e),
            "max_points": self.worth(e.exercise), "late": grade.late, "flags": "; ".join(grade.flags),
        } for grade in self.grades for e in grade.exercises]

    def write_csv(self, path: Path) -> None:
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(self.rows())

    def write_json(self, path: Path) -> None:
        notebooks = [{"learner": g.learner, "notebook": g.path, "lesson": g.lesson, "late": g.late, "errors": list(g.errors),
                      "flags": list(g.flags), "seconds": round(g.seconds, 1)} for g in self.grades]
        path.write_text(json.dumps({"rows": self.rows(), "notebooks": notebooks}, indent=1) + "\n", encoding="utf-8")

    def statistics(self) -> str:
        """A table: per exercise, how many learners passed, failed, have not solved it, or never ran it."""
        counts: dict[str, Counter[str]] = {}
        earned: dict[str, float] = {}
        for grade in self.grades:
            for e in grade.exercises:
                counts.setdefault(e.exercise, Counter())[e.status] += 1
                earned[e.exercise] = earned.get(e.exercise, 0.0) + self.earned(grade, e)
        lines = [f"{'exercise':<20} {'passed':>6} {'failed':>6} {'unsolved':>8} {'not run':>7} {'mean points':>12}"]
        for exercise in sorted(counts):
            c, n = counts[exercise], sum(counts[exercise].values())
            mean = f"{earned[exercise] / n:.2f}/{self.worth(exercise):g}"
            lines.append(f"{exercise:<20} {c['passed']:>6} {c['failed']:>6} {c['unsolved']:>8} {c['not run']:>7} {mean:>12}")
        return "\n".join(lines)

    def totals(self) -> dict[str, dict[str, float]]:
        """learner -> {lesson file name: points, ..., "Total": points}."""
        table: dict[str, dict[str, float]] = {}
        for grade in self.grades:
            row = table.setdefault(grade.learner, {})
            points = sum(self.earned(grade, e) for e in grade.exercises)
            row[grade.lesson] = round(row.get(grade.lesson, 0.0) + points, 2)
            row["Total"] = round(row.get("Total", 0.0) + points, 2)
        return table

    def results(self) -> list[dict[str, Any]]:
        """One row per learner and design exercise (one that measures, e.g. 09.capstone): its numbers and targets met."""
        rows = []
        for grade in self.grades:
            for e in grade.exercises:
                if e.measures:
                    numbers = {name: round(value, 4) for name, value in e.measures.items()}
                    rows.append({"learner": grade.learner, "exercise": e.exercise, **numbers,
                                 "targets_met": f"{sum(e.met.values())}/{len(e.measures)}", "status": e.status})
        return sorted(rows, key=lambda row: (row["exercise"], row["learner"]))

    def write_results(self, path: Path) -> None:
        """The results table a class can compare, as CSV: one row per submitted design, sorted by exercise and learner."""
        rows = self.results()
        columns = list(dict.fromkeys(key for row in rows for key in row)) or ["learner", "exercise", "targets_met", "status"]
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)

    def write_lms(self, path: Path, roster: dict[str, dict[str, str]] | None = None) -> None:
        """A CSV that LMS gradebooks import: Canvas's columns (Student, ID, SIS User ID, Section), then one per notebook.

        Each assignment column is named "<notebook> (<points possible>)"; Moodle maps the ID column to its "ID number".
        """
        roster = roster or {}
        possible: dict[str, float] = {}
        for grade in self.grades:
            possible[grade.lesson] = sum(self.worth(e.exercise) for e in grade.exercises)
        lessons = sorted(possible)
        header = ["Student", "ID", "SIS User ID", "Section"] + [f"{name} ({possible[name]:g})" for name in lessons]
        header.append(f"Total ({sum(possible.values()):g})")
        totals = self.totals()
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for learner in sorted(totals):
                who = roster.get(learner, {})
                cells = [f"{totals[learner].get(name, 0.0):g}" for name in lessons] + [f"{totals[learner]['Total']:g}"]
                writer.writerow([who.get("name", learner), learner, who.get("sis_id", learner), who.get("section", "")] + cells)
