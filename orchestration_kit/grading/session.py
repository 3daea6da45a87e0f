"""One notebook's kernel session: the learner's run, then the grader's scoring, under wall-clock limits.

    >>> session = NotebookSession(workdir(folder, path), notebook, env, deadline, Limits(cell=60))
    >>> runs = await session.learner_run(errors)
    >>> verdicts = await session.score(lesson, copy, out, runs, errors, flags)
    >>> await session.close()

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
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .answers import Lesson
from .kernel import CellRun, Kernel
from .scoring import GraderCopy, read_verdicts, scoring_cell

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


def workdir(folder: Path, path: Path) -> Path:
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


class NotebookSession:
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

    async def score(self, lesson: Lesson, copy: GraderCopy, out: Path, runs: list[CellRun], errors: list[str],
                    flags: list[str]) -> dict[str, Any]:
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
            flags += [note for note in tampered if note not in flags]
            if ran.outcome == "error":
                errors.append(f"the grader's cell raised {ran.error} (did the notebook break the import system?)")
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
