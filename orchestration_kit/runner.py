"""Running a flow: ``run()`` from ordinary code or Jupyter, ``arun()`` with ``await``.

    >>> result = run(flow, "Where is my refund?")            # virtual clock: instant
    >>> result.output, result.trace.latency
    >>> result = run(flow, "Where is my refund?", clock="wall")   # real time, real backends
    >>> result = await arun(flow, "Where is my refund?")        # top-level await in Jupyter

Jupyter already runs an event loop, where ``asyncio.run()`` fails with "event
loop is already running". ``run()`` sidesteps that by driving its own loop on
a private thread and handing back the result.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Any

from .clock import Clock, get_clock
from .context import Context, _current_context
from .steps import as_step
from .trace import Trace


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

    def drive() -> RunResult:
        loop = chosen.new_loop()
        try:
            return loop.run_until_complete(_run_in_loop(step, input, chosen, seed))
        finally:
            try:
                _cancel_all_tasks(loop)  # a run stopped from outside (an interrupt) leaves no task half-run
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return drive()  # no loop running here: drive ours on this thread
    return _run_on_private_thread(drive)


async def arun(flow: Any, input: Any, *, clock: str | Clock = "wall", seed: int = 0) -> RunResult:
    """Like ``run()``, but awaitable; defaults to the wall clock (real backends).

    On the wall clock the flow runs on the caller's own event loop; on the
    virtual clock it runs on a private loop in a worker thread.
    """
    chosen = get_clock(clock)
    if chosen.is_virtual:
        return await asyncio.to_thread(run, flow, input, clock=chosen, seed=seed)
    return await _run_in_loop(as_step(flow, "the flow"), input, chosen, seed)


async def _run_in_loop(step: Any, input: Any, clock: Clock, seed: int) -> RunResult:
    ctx = Context(clock, seed)
    token = _current_context.set(ctx)
    before = asyncio.all_tasks()
    try:
        output = await step(input, ctx)
    except BaseException as error:
        _attach_trace(error, ctx.trace)
        raise
    finally:
        _current_context.reset(token)
        await _cancel_leftover_tasks(before)
    return RunResult(output=output, trace=ctx.trace, clock=clock.name, seed=seed)


async def _cancel_leftover_tasks(before: set[asyncio.Task[Any]]) -> None:
    """Structured concurrency: no task started during a run outlives it."""
    current = asyncio.current_task()
    leftovers = [t for t in asyncio.all_tasks() if t not in before and t is not current and not t.done()]
    for task in leftovers:
        task.cancel()
    if leftovers:
        await asyncio.gather(*leftovers, return_exceptions=True)


def _cancel_all_tasks(loop: asyncio.AbstractEventLoop) -> None:
    """What asyncio.run() does on its way out: cancel what is still running and let it finish."""
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


def _attach_trace(error: BaseException, trace: Trace) -> None:
    try:
        error.trace = trace  # type: ignore[attr-defined]
    except AttributeError:  # a few built-in exception types refuse new attributes
        pass


def _run_on_private_thread(drive: Any) -> RunResult:
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["result"] = drive()
        except BaseException as error:  # handed back to the caller's thread below
            outcome["error"] = error

    thread = threading.Thread(target=target, name="orchestration-kit-run", daemon=True)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]
