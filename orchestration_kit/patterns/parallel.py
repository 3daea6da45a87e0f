"""Parallel: run independent tasks at the same time, wait for all, synthesize.

The course's components, as constructor arguments:

- ``splitter``: optional; turns the input into the tasks' inputs: a dict
  ``{task name: piece}``, or, with a single task, a list of pieces (one branch each).
  Without it every task gets the whole input.
- ``tasks``: the concurrent tasks, a dict ``{name: step}`` (or one step to map).
- aggregation waits for *all* branches; each yields a ``BranchResult``
  (value or error, status, attempts) so one failure never loses the others.
- ``synthesizer``: optional; gets the ``Gathered`` results (``.values`` and
  ``.missing``) and writes the final answer.
- failures: ``retry`` and ``timeout`` apply per task; then ``on_error`` decides:
  ``"skip"`` the branch, use a ``"default"`` value, or ``"raise"`` ``TaskFailed``
  for the whole run (``"fail"`` is accepted as another name for ``"raise"``).
  ``quorum`` sets how many tasks must succeed. ``max_concurrency`` caps how many
  run at once.

A *failure* is what a task's work can hit: a model or back-end error, a
timeout, an error raised inside it (a nested flow's ``StageError``, a
``ValueError``), even a ``CancelledError`` raised inside it. A *mistake* is not
a failure and no ``on_error`` hides it: a ``TypeError``/``AttributeError``/
``NameError`` in a function, a ``ConfigurationError``, ``RealTimeRequired``, a
``CassetteMiss`` (``errors.is_usage_error``). It stops the other branches and
is raised, with a note naming the task.

On the wall clock, plain (blocking) functions among the tasks run on worker
threads (see ``steps.py``), as many at once as ``max_concurrency`` allows, so
eight ``time.sleep(0.05)`` branches take 0.05 s, not 0.4 s.

    >>> Parallel(tasks={"summary": Ask(m, "Summarise: {input}"), "sentiment": sentiment},
    ...          synthesizer=Ask(writer, "Write a report from: {input}"), timeout=5.0)
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from ..context import Context
from ..errors import ConfigurationError, TaskFailed, is_usage_error, note_where
from ..resilience import RetryPolicy, call_with_retry, check_on_error, check_timeout
from ..steps import Step, as_step

ON_ERROR = ("skip", "default", "raise")
_BRANCH_STATUS = {"skip": "skipped", "default": "default", "raise": "failed"}


@dataclass(frozen=True)
class BranchResult:
    """What one branch produced: ``status`` is ok, skipped, default or failed."""

    name: str
    status: str
    value: Any = None
    error: str = ""
    latency: float = 0.0


@dataclass(frozen=True)
class Gathered:
    """Every branch's result. ``values`` has the usable ones, ``missing`` says what failed and why."""

    branches: dict[str, BranchResult] = field(default_factory=dict)

    @property
    def values(self) -> dict[str, Any]:
        return {name: b.value for name, b in self.branches.items() if b.status in ("ok", "default")}

    @property
    def missing(self) -> dict[str, str]:
        return {name: b.error for name, b in self.branches.items() if b.status not in ("ok", "default")}

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def __str__(self) -> str:
        """A plain-text digest, suitable as a synthesizer model's prompt."""
        lines = [f"{name}: {value}" for name, value in self.values.items()]
        lines += [f"{name}: MISSING ({error})" for name, error in self.missing.items()]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Gathered(values={self.values!r}, missing={list(self.missing)})"


class Parallel(Step):
    """Split, run tasks concurrently, gather all results, synthesize (see module docs)."""

    pattern = "parallel"

    def __init__(
        self,
        tasks: dict[str, Any] | Any,
        *,
        splitter: Any = None,
        synthesizer: Any = None,
        on_error: str = "skip",
        default: Any = None,
        retry: RetryPolicy | None = None,
        timeout: float | None = None,
        max_concurrency: int | None = None,
        quorum: int | None = None,
        name: str = "parallel",
    ) -> None:
        where = f"Parallel {name!r}"
        if isinstance(tasks, dict):
            if not tasks:
                raise ConfigurationError(f"{where}: tasks is empty; give at least one {{name: step}}")
            self.tasks = {task: as_step(step, f"{where} task {task!r}") for task, step in tasks.items()}
        else:
            single = as_step(tasks, f"{where} task")
            self.tasks = {single.name: single}
        on_error = check_on_error(on_error, ON_ERROR, where)
        if max_concurrency is not None and max_concurrency < 1:
            raise ConfigurationError(f"{where}: max_concurrency must be at least 1 (or None for no limit)")
        if quorum is not None and not 1 <= quorum:
            raise ConfigurationError(f"{where}: quorum must be at least 1 (or None)")
        check_timeout(timeout, where)
        self.splitter = as_step(splitter, f"{where} splitter") if splitter is not None else None
        self.synthesizer = as_step(synthesizer, f"{where} synthesizer") if synthesizer is not None else None
        self.on_error, self.default, self.retry, self.timeout = on_error, default, retry, timeout
        self.max_concurrency, self.quorum, self.name = max_concurrency, quorum, name

    async def __call__(self, input: Any, ctx: Context) -> Any:
        async with ctx.span(self.name, kind="flow", pattern=self.pattern) as span:
            branches = await self._split(input, ctx)
            results = await self._run_branches(branches, ctx)
            gathered = Gathered({r.name: r for r in results})
            ok, missing = len(gathered.values), gathered.missing  # each made once: both are worked out when asked
            span.detail = f"{ok}/{len(results)} tasks ok" + (f"; missing: {', '.join(missing)}" if missing else "")
            if missing:
                span.status = "partial"
            failed = [r for r in results if r.status == "failed"]
            if failed or (self.quorum and ok < self.quorum):
                reasons = "; ".join(f"{r.name}: {r.error}" for r in results if r.status != "ok")
                raise TaskFailed(
                    f"Parallel {self.name!r}: {ok} of {len(results)} tasks succeeded ({reasons}). "
                    "The successful results are in error.gathered; use on_error='skip' or 'default' to continue without them.",
                    gathered=gathered,
                )
            if self.synthesizer is None:
                return gathered
            return await self.synthesizer(gathered, ctx)

    async def _run_branches(self, branches: list[tuple[str, Step, Any]], ctx: Context) -> list[BranchResult]:
        """Run each branch as a task of its own and wait for all; no branch outlives this call."""
        limit = asyncio.Semaphore(self.max_concurrency) if self.max_concurrency else None
        loop = asyncio.get_running_loop()
        tasks = [loop.create_task(self._branch(n, s, p, ctx, limit)) for n, s, p in branches]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)  # a branch raises only for a mistake
        finally:
            if not all(task.done() for task in tasks):  # a mistake, or we are cancelled: stop the rest
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
            for task in tasks:  # read every outcome, so none is reported "never retrieved" if we leave by an error
                if not task.cancelled():
                    task.exception()
        mistakes = [t.exception() for t in tasks if not t.cancelled() and t.exception() is not None]
        if mistakes:
            raise mistakes[0]  # type: ignore[misc]
        return [
            self._failure(name, "CancelledError: the task was cancelled from outside the flow", 0.0) if task.cancelled() else task.result()
            for (name, _, _), task in zip(branches, tasks)
        ]

    async def _split(self, input: Any, ctx: Context) -> list[tuple[str, Step, Any]]:
        """Pair every branch name with its step and its piece of the input."""
        if self.splitter is None:
            return [(name, step, input) for name, step in self.tasks.items()]
        pieces = await self.splitter(input, ctx)
        if isinstance(pieces, dict):
            absent = [name for name in self.tasks if name not in pieces]
            if absent:
                raise ConfigurationError(f"Parallel {self.name!r}: the splitter gave no input for task(s) {absent}")
            return [(name, step, pieces[name]) for name, step in self.tasks.items()]
        if len(self.tasks) != 1 or not isinstance(pieces, (list, tuple)):
            raise ConfigurationError(
                f"Parallel {self.name!r}: the splitter must return a dict {{task: input}}, "
                "or a list of pieces when there is exactly one task to map over them"
            )
        (task, step), = self.tasks.items()
        return [(f"{task}[{i}]", step, piece) for i, piece in enumerate(pieces)]

    async def _branch(self, name: str, step: Step, piece: Any, ctx: Context, limit: asyncio.Semaphore | None) -> BranchResult:
        """Run one branch (waiting for a place under ``max_concurrency`` first, if there is one)."""
        if limit is None:
            return await self._branch_body(name, step, piece, ctx)
        async with limit:
            return await self._branch_body(name, step, piece, ctx)

    async def _branch_body(self, name: str, step: Step, piece: Any, ctx: Context) -> BranchResult:
        """One branch's work; a failure becomes its result. Raise only for a mistake or a request to stop."""
        async with ctx.span(name, kind="task") as span:
            start = ctx.now()
            try:
                value = await call_with_retry(step, piece, ctx, name=name, timeout=self.timeout, retry=self.retry)
                return BranchResult(name, "ok", value, latency=round(ctx.now() - start, 9))
            except asyncio.CancelledError:
                if asyncio.current_task().cancelling():  # type: ignore[union-attr]  # asked to stop: the Parallel or the run is ending
                    raise
                problem = "CancelledError: raised inside the task's own work (nothing asked the flow to stop)"
            except Exception as error:
                if is_usage_error(error):
                    note_where(error, f"task {name!r} of Parallel {self.name!r}")
                    raise
                problem = f"{type(error).__name__}: {error}"
            result = self._failure(name, problem, round(ctx.now() - start, 9))
            span.status, span.error = result.status, problem
            return result

    def _failure(self, name: str, problem: str, latency: float) -> BranchResult:
        """A failed branch's result, as ``on_error`` says: skipped, default or failed."""
        status = _BRANCH_STATUS[self.on_error]
        return BranchResult(name, status, self.default if status == "default" else None, problem, latency)

    def children(self) -> list[Step]:
        """The steps directly inside this one, in order: the splitter, each task, the synthesizer."""
        return [part for part in [self.splitter, *self.tasks.values(), self.synthesizer] if part is not None]

    def draw(self, chart: Any) -> tuple[str, str]:
        with chart.group(self.name, "parallel") as group:
            entry = chart.node(self.splitter.name if self.splitter else "split", shape="round")
            join = chart.node("wait for all", shape="round")
            for task, step in self.tasks.items():
                start, end = step.draw(chart)
                chart.edge(entry, start, task)
                chart.edge(end, join)
            exit_ = join
            if self.synthesizer is not None:
                start, exit_ = self.synthesizer.draw(chart)
                chart.edge(join, start)
        return group, exit_  # arrows into a group stop at its frame, not across its title

    def __repr__(self) -> str:
        """``<Parallel 'parallel': sentiment | keywords → summary, on_error skip>``."""
        split = f"{self.splitter.name} → " if self.splitter else ""
        join = f" → {self.synthesizer.name}" if self.synthesizer else ""
        return f"<Parallel {self.name!r}: {split}{' | '.join(self.tasks)}{join}, on_error {self.on_error}>"
