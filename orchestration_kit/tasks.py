"""Which tasks belong to which run: no task outlives the run that started it.

A run may start tasks (every Parallel branch is one; so is a stray
``asyncio.ensure_future`` in a learner's step). When the run ends, those tasks
are cancelled and awaited, and only those: two runs sharing one event loop
(``await asyncio.gather(arun(a, x), arun(b, y))``, or an evaluation's
concurrent items) never cancel each other's work. This is trio's nursery, or
asyncio's TaskGroup, applied to every task a run creates::

    async with RunTasks() as tasks:      # what _run_in_loop does around a run
        await flow(input, ctx)           # tasks created in here belong to ``tasks``
    # leaving the block cancelled and awaited every one of them still running

How a task is known to belong: the run is kept in a context variable, which
asyncio copies into every task created under it; a task factory on the loop
reads it as each task is created. Cost: one look-up per task, no scan of
``asyncio.all_tasks()``.
"""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

_current_tasks: contextvars.ContextVar[RunTasks | None] = contextvars.ContextVar("run_tasks", default=None)


class RunTasks:
    """The tasks one run started and that are still running; ``close()`` cancels them."""

    def __init__(self) -> None:
        self._running: set[asyncio.Task[Any]] = set()  # the run's tasks; some may have finished since (see adopt)
        self._sweep_at = 64
        self._token: contextvars.Token[RunTasks | None] | None = None

    def adopt(self, task: asyncio.Task[Any]) -> None:
        # No done-callback per task (the loop would run one more callback for each): the finished
        # tasks are dropped in one sweep whenever the set has doubled, so it stays small in a long run.
        self._running.add(task)
        if len(self._running) >= self._sweep_at:
            self._running = {task for task in self._running if not task.done()}
            self._sweep_at = max(64, 2 * len(self._running))

    async def __aenter__(self) -> RunTasks:
        _own_tasks_on(asyncio.get_running_loop())
        self._token = _current_tasks.set(self)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._token is not None:
            _current_tasks.reset(self._token)
        await self.close()

    async def close(self) -> None:
        """Cancel every task of this run still running, and wait until each has ended."""
        for _ in range(10):  # a cancelled task may start another: a few rounds, then give up waiting
            # Let the finished tasks go: each one's context refers back to this RunTasks, a cycle
            # that would otherwise keep them (and their results) alive until the garbage collector runs.
            self._running = {task for task in self._running if not task.done()}
            if not self._running:
                return
            left = list(self._running)
            for task in left:
                task.cancel()
            await asyncio.gather(*left, return_exceptions=True)

    def __len__(self) -> int:
        """How many of the run's tasks are still running."""
        return sum(1 for task in self._running if not task.done())

    def __repr__(self) -> str:
        return f"RunTasks({len(self)} running)"


def _own_tasks_on(loop: asyncio.AbstractEventLoop) -> None:
    """Install (once per loop) a task factory that gives each new task to the run it was created in.

    It wraps whatever factory the loop had, so a loop's own factory keeps working.
    """
    previous = loop.get_task_factory()
    if getattr(previous, "gives_tasks_to_runs", False):
        return

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **options: Any) -> asyncio.Task[Any]:
        task = previous(loop, coro, **options) if previous else asyncio.Task(coro, loop=loop, **options)
        context = options.get("context")
        owner = context.get(_current_tasks) if context is not None else _current_tasks.get()
        if owner is not None:
            owner.adopt(task)
        return task

    factory.gives_tasks_to_runs = True  # type: ignore[attr-defined]
    loop.set_task_factory(factory)
