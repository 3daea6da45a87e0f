"""Grade one learner's notebook: run it as the learner would, then score the answers with the grader's own cell.

    >>> graded = await grade_submission(Path("class/ada/01_router.ipynb"), lesson, GraderCopy.take(), Limits())
    >>> graded.exercises[0]
    ExerciseGrade('01.keywords', passed, 6/6 cases)

The kernel runs in a ``NotebookSession`` (``session.py``: the learner's run, then
the grader's scoring, each within ``Limits``). This module turns what the
scorer wrote into one ``ExerciseGrade`` per exercise, and flags a notebook whose
own checks claimed more than the grader found, or that changed the grading
package on disk while it ran.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import RESULTS_ENV, STRICT_ENV, TIME_LIMIT_ENV
from .answers import Lesson, inspect
from .scoring import GraderCopy, read_own_results
from .session import Limits, NotebookSession, workdir

@dataclass(frozen=True)
class ExerciseGrade:
    """The grader's verdict on one exercise: status is passed, failed, unsolved or not run."""

    exercise: str
    status: str
    passed: int = 0
    total: int = 0
    report: str = ""
    measures: dict[str, float] = field(default_factory=dict)  # a design exercise's measured numbers (see Case.measure)
    met: dict[str, bool] = field(default_factory=dict)  # for each of them, whether its target was met

    @property
    def fraction(self) -> float:
        """The share of cases passed: partial credit (0 when unsolved or not run)."""
        return self.passed / self.total if self.total and self.status in ("passed", "failed") else 0.0

    def __repr__(self) -> str:
        return f"ExerciseGrade({self.exercise!r}, {self.status}, {self.passed}/{self.total} cases)"


@dataclass
class Graded:
    """What grading one notebook produced: verdicts, cell problems, flags, and the executed notebook."""

    exercises: list[ExerciseGrade] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    notebook: Any = None  # the learner's run, with its outputs (for feedback)
    seconds: float = 0.0


async def grade_submission(path: Path, lesson: Lesson, copy: GraderCopy, limits: Limits) -> Graded:
    """Run and score one notebook; whatever it does, every exercise of ``lesson`` gets a verdict."""
    import nbformat

    started = time.monotonic()
    deadline = started + limits.notebook
    graded = Graded(notebook=nbformat.read(path, as_version=4))
    graded.flags += inspect(graded.notebook, lesson)
    changed_before = set(copy.changed_on_disk())
    with tempfile.TemporaryDirectory(prefix="grading-") as folder:
        own_results, verdict_file = Path(folder) / "own.jsonl", Path(folder) / f"{os.urandom(8).hex()}.jsonl"
        env = {**os.environ, "PYTHONHASHSEED": "0", RESULTS_ENV: str(own_results), STRICT_ENV: "0"}
        if limits.case is not None:
            env[TIME_LIMIT_ENV] = str(limits.case)
        session = NotebookSession(workdir(Path(folder), path), graded.notebook, env, deadline, limits)
        try:
            runs = await session.learner_run(graded.errors)
            session.deadline = time.monotonic() + limits.notebook  # scoring: a budget of its own
            verdicts = await session.score(lesson, copy, verdict_file, runs, graded.errors, graded.flags)
        finally:
            await session.close()
        own = read_own_results(own_results)
    for exercise in lesson.answers:
        verdict = verdicts.get(exercise) or {"status": "not run", "report": f"{exercise}: the grader did not reach it"}
        measures = verdict.get("measures") if isinstance(verdict.get("measures"), dict) else {}
        met = verdict.get("met") if isinstance(verdict.get("met"), dict) else {}
        grade = ExerciseGrade(exercise, str(verdict.get("status")), int(verdict.get("passed", 0)),
                              int(verdict.get("total", 0)), str(verdict.get("report", "")),
                              {str(k): float(v) for k, v in measures.items() if isinstance(v, (int, float))},
                              {str(k): bool(v) for k, v in met.items()})
        graded.exercises.append(grade)
        if own.get(exercise) == "passed" and grade.status != "passed":
            graded.flags.append(f"the notebook's own check() said {exercise} passed; the grader's re-run says {grade.status}")
    changed = [name for name in copy.changed_on_disk() if name not in changed_before]
    graded.flags += [f"orchestration_kit/grading/{name} was changed on disk while this notebook ran" for name in changed]
    graded.seconds = time.monotonic() - started
    return graded
