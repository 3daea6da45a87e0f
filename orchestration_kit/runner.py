"""Running a flow: ``run()`` from ordinary code or Jupyter, ``arun()`` with ``await``.

    >>> result = run(flow, "Where is my refund?")                    # virtual clock: instant
    >>> result.output, result.trace.latency
    >>> result = run(flow, "Where is my refund?", clock="wall")       # real time, real backends
    >>> result = await arun(flow, "Where is my refund?")              # top-level await in Jupyter
    >>> result = await arun(flow, "Where is my refund?", clock="wall")

One rule for both: the clock is virtual unless you say ``clock="wall"``. A
real model on the virtual clock is refused with ``RealTimeRequired``, whose
message says to pass ``clock="wall"``, so a wrong clock never goes unnoticed.

Where the flow runs: ``run()`` drives a fresh event loop of its own on the
calling thread, also when a loop is already running there, as in Jupyter
(see driver.py). ``arun()`` on the wall clock runs the flow on the caller's
own loop, so it can talk to servers running there; on the virtual clock it
drives a private virtual loop on a reused worker thread and awaits it.

Each run owns the tasks it starts (tasks.py): when it ends, they are
cancelled and awaited, and nobody else's, so concurrent ``arun()`` calls on
one loop never cancel each other. Ctrl-C stops a run; ``cancel_runs(thread)``
stops the runs another thread started. On the wall clock a run that waits for
something that never comes hangs, as any asyncio program does; on the virtual
clock it ends with ``Deadlock`` (see clock.py).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from .clock import Clock, Deadlock, get_clock
from .context import Context, _current_context, _current_span
from .driver import LiveRun, cancel_runs, drive, on_a_fresh_loop
from .workers import on_a_worker
from .steps import as_step
from .tasks import RunTasks
from .trace import Trace

__all__ = ["RunResult", "arun", "cancel_runs", "run"]


@dataclass(frozen=True)
class RunResult:
    """The output of a run and the trace of how it was produced."""

    output: Any
    trace: Trace
    clock: str = "virtual"
    seed: int = 0

    def __repr__(self) -> str:
        out = repr(self.output)
        out = out if len(out) <= 80 else out[:77] + "..."
        return (
            f"RunResult(output={out}, latency={self.trace.latency:.3f} s, "
            f"cost=${self.trace.cost:.6f}, calls={self.trace.calls}, clock={self.clock})"
        )


def run(flow: Any, input: Any, *, clock: str | Clock = "virtual", seed: int = 0) -> RunResult:
    """Run ``flow`` on ``input`` and return a RunResult (works inside Jupyter too).

    On error the exception is raised with the trace so far attached as ``error.trace``.
    """
    chosen = get_clock(clock)
    step = as_step(flow, "the flow")
    return drive(chosen, lambda: run_in_loop(step, input, chosen, seed))


async def arun(flow: Any, input: Any, *, clock: str | Clock = "virtual", seed: int = 0) -> RunResult:
    """Like ``run()``, but awaitable; pass ``clock="wall"`` for real backends.

    On the wall clock the flow runs on the caller's own event loop; on the
    virtual clock it runs on a private loop in a worker thread. Cancelling the
    ``await`` cancels the run.
    """
    chosen = get_clock(clock)
    step = as_step(flow, "the flow")
    if not chosen.is_virtual:
        return await run_in_loop(step, input, chosen, seed)
    job = LiveRun()
    main = lambda: run_in_loop(step, input, chosen, seed)  # noqa: E731
    future = on_a_worker(lambda: on_a_fresh_loop(chosen, main, job), job.origin)
    try:
        return await asyncio.wrap_future(future)
    except asyncio.CancelledError:
        job.cancel()
        raise


async def run_in_loop(step: Any, input: Any, clock: Clock, seed: int) -> RunResult:
    """One run on the running loop: its own context, trace and tasks; errors carry the trace."""
    live = LiveRun()
    span_token = _current_span.set(None)  # a run's spans form a tree of their own, even in a nested run
    start_at_zero = getattr(asyncio.get_running_loop(), "start_at_zero", None)
    if start_at_zero is not None:
        start_at_zero()  # the virtual clock: every run starts at t = 0, also on a reused loop
    ctx = Context(clock, seed)
    live.started(ctx)
    token = _current_context.set(ctx)
    try:
        async with RunTasks():
            output = await step(input, ctx)
    except asyncio.CancelledError as error:
        if not live.stuck_message:
            _attach_trace(error, ctx.trace)
            raise
        stuck = Deadlock(live.stuck_message)
        _attach_trace(stuck, ctx.trace)
        if live.task is not None and hasattr(live.task, "uncancel"):
            live.task.uncancel()  # the cancel was ours, to stop the stuck run: the caller's task goes on
        raise stuck from None
    except BaseException as error:
        _attach_trace(error, ctx.trace)
        raise
    finally:
        _current_context.reset(token)
        _current_span.reset(span_token)
        live.ended()
    return RunResult(output=output, trace=ctx.trace, clock=clock.name, seed=seed)


def _attach_trace(error: BaseException, trace: Trace) -> None:
    try:
        error.trace = trace  # type: ignore[attr-defined]
    except AttributeError:  # a few built-in exception types refuse new attributes
        pass

