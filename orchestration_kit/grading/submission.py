"""Grade one learner's notebook: run it as the learner would, then score the answers with the grader's own cell.

    >>> graded = await grade_submission(Path("class/ada/01_router.ipynb"), lesson, GraderCopy.take(), Limits())
    >>> graded.exercises[0]
    ExerciseGrade('01.keywords', passed, 6/6 cases)

Two phases, one kernel at a time, always shut down at the end:

1. **The learner's run.** Every cell runs in order, each for at most
   ``Limits.cell`` seconds (then interrupted, and killed if it ignores that),
   the whole notebook for at most ``Limits.notebook`` seconds. A kernel that
   dies stops the run. What the notebook printed (its own ✓/✗) is kept for
   the learner's feedback; it counts for nothing.
2. **The grader's scoring**, within another ``Limits.notebook`` seconds. The grader's cell (``_scorer.py``) grades the
   answer variables. If the learner's kernel was lost, a fresh kernel replays
   the learner's cells first, leaving out the ones that hung or killed the
   kernel and the check cells. If an answer kills the kernel while it is
   graded, that exercise fails and the others are graded in another fresh kernel.
"""

from __future__ import annotations

import ast
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import RESULTS_ENV, STRICT_ENV, TIME_LIMIT_ENV
from .answers import Lesson, inspect
from .kernel import CellRun, Kernel
from .scoring import GraderCopy, read_own_results, read_verdicts, scoring_cell

COURSE = Path(__file__).resolve().parents[2]  # the course folder: data/, solutions/, ...
_PROBLEMS = {
    "stopped": "was stopped after its {cell:g} s time limit (an endless loop?)",
    "killed": "ignored the interrupt at its {cell:g} s time limit, so its kernel was killed",
    "died": "ended the kernel (os._exit, a crash, or out of memory)",
}


@dataclass(frozen=True)
class Limits:
    """Wall-clock limits: seconds per cell, per notebook (each phase), per case of a check (None: 30 s)."""

    cell: float = 120.0
    notebook: float = 600.0
    case: float | None = None


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
        session = _Session(_workdir(Path(folder), path), graded.notebook, env, deadline, limits)
        try:
            runs = await session.learner_run(graded.errors)
            session.deadline = time.monotonic() + limits.notebook  # scoring: a budget of its own
            verdicts = await session.score(lesson, copy, verdict_file, runs, graded)
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


def _workdir(folder: Path, path: Path) -> Path:
    """A fresh folder for the kernel to run in: the files beside the notebook, and the course's data/ one level up.

    The released notebooks read ``../data/...``, as they do from exercises/; a
    learner's own files are there too (linked); whatever the notebook writes
    stays in this folder and is deleted with it, so learners cannot meet.
    """
    work = folder / "course" / "work"
    work.mkdir(parents=True)
    if (COURSE / "data").is_dir():
        (work.parent / "data").symlink_to(COURSE / "data", target_is_directory=True)
    for neighbour in path.resolve().parent.iterdir():
        if neighbour.name != "data" and not neighbour.name.startswith("."):
            (work / neighbour.name).symlink_to(neighbour, target_is_directory=neighbour.is_dir())
    return work


class _Session:
    """The kernel currently in use for one notebook, and the limits it runs under."""

    def __init__(self, cwd: Path, notebook: Any, env: dict[str, str], deadline: float, limits: Limits) -> None:
        self.cwd, self.notebook, self.env, self.deadline, self.limits = cwd, notebook, env, deadline, limits
        self.kernel: Kernel | None = None

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    async def fresh_kernel(self) -> Kernel:
        await self.close()
        self.kernel = await Kernel.start(self.notebook, cwd=self.cwd, env=self.env)
        return self.kernel

    async def close(self) -> None:
        if self.kernel is not None:
            await self.kernel.shutdown()
            self.kernel = None

    async def learner_run(self, errors: list[str]) -> list[CellRun]:
        """Phase 1: every cell in order, in one kernel, as the learner ran it."""
        kernel, runs = await self.fresh_kernel(), []
        for index, cell in enumerate(self.notebook.cells):
            if cell.cell_type != "code" or not cell.source.strip():
                continue
            if self.remaining() <= 1:
                errors.append(f"the notebook's {self.limits.notebook:g} s time limit ran out: cell [{index}] on did not run")
                break
            ran = await kernel.run_cell(cell, index, min(self.limits.cell, self.remaining()))
            runs.append(ran)
            if ran.outcome != "ok":
                problem = _PROBLEMS.get(ran.outcome, "raised {error}").format(cell=ran.limit, error=ran.error)
                errors.append(f"cell [{index}] ({_first_line(cell)}) {problem}")
            if ran.kernel_lost:
                break
        return runs

    async def score(self, lesson: Lesson, copy: GraderCopy, out: Path, runs: list[CellRun], graded: Graded) -> dict[str, Any]:
        """Phase 2: the grader's cell, once per kernel, until every exercise has a verdict or time runs out."""
        bad_cells = {run.index for run in runs if run.outcome in ("stopped", "killed", "died")}
        needs_replay = any(run.kernel_lost for run in runs) or self.kernel is None
        verdicts: dict[str, Any] = {}
        for _ in range(len(lesson.answers) + 1):  # each round either ends or gives one exercise its verdict
            if needs_replay:
                await self._replay(bad_cells)
            if self.kernel is None or self.remaining() <= 1:
                break
            plan = copy.plan(lesson, out=out, time_limit=_case_limit(self.limits), skip=tuple(verdicts))
            import nbformat

            cell = nbformat.v4.new_code_cell(scoring_cell(plan, copy))
            ran = await self.kernel.run_cell(cell, -1, self.remaining())
            found, started, tampered = read_verdicts(out, plan["nonce"])
            verdicts.update(found)
            graded.flags += [note for note in tampered if note not in graded.flags]
            if ran.outcome == "error":
                graded.errors.append(f"the grader's cell raised {ran.error} (did the notebook break the import system?)")
            if not ran.kernel_lost or not started or started[-1] in verdicts:
                break
            verdicts[started[-1]] = {"status": "failed", "passed": 0, "total": 1,
                                     "report": f"{started[-1]}: grading your answer {_PROBLEMS[ran.outcome].format(cell=ran.limit)}"}
            needs_replay = True
        return verdicts

    async def _replay(self, bad_cells: set[int]) -> None:
        """A fresh kernel with the learner's definitions: their cells again, minus the bad ones and the check cells."""
        import copy as copying

        kernel = await self.fresh_kernel()
        for index, cell in enumerate(self.notebook.cells):
            if cell.cell_type != "code" or index in bad_cells or _only_checks(cell.source) or self.remaining() <= 1:
                continue
            ran = await kernel.run_cell(copying.deepcopy(cell), index, min(self.limits.cell, self.remaining()))
            if ran.kernel_lost:
                bad_cells.add(index)
                kernel = await self.fresh_kernel()  # and go on without it: later answers may still be gradable


def _case_limit(limits: Limits) -> float:
    from .sandbox import time_limit_from_env

    return limits.case if limits.case is not None else time_limit_from_env()


def _only_checks(source: str) -> bool:
    """Is this cell nothing but check(...) calls? (Replaying it would only grade again, on the learner's side.)"""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False
    return bool(body) and all(isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
                              and getattr(node.value.func, "id", "") == "check" for node in body)


def _first_line(cell: Any) -> str:
    return (cell.source.strip().splitlines() or [""])[0][:40]
