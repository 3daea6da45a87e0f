"""Clocks: virtual time for simulated runs, wall time for real backends.

A simulated model "takes" 1.2 s by ``await asyncio.sleep(1.2)``. On the
``VirtualClock`` that sleep costs no real time: the event loop notices that
every task is waiting and jumps straight to the next timer. Timeouts, retry
back-off and concurrency limits are all built on the same timers, so they
compose correctly in virtual time for free, and every run gives the same
timings, bit for bit::

    >>> from orchestration_kit import run
    >>> async def slow(x):
    ...     await asyncio.sleep(2.0)
    ...     return x
    >>> run(slow, "hi").trace.latency      # instant, and exactly 2.0
    2.0

The ``WallClock`` runs the same code on an ordinary event loop, in real time,
which is what real HTTP models need.

How time is counted: the virtual clock counts whole nanoseconds (an ``int``),
so durations add up exactly: 0.058 s + 0.015 s is 0.073 s, never
0.07300000000000001. Spans keep readable float seconds made from those
nanoseconds, and give the exact integers too (``Span.duration_ns``); compare
and add times in nanoseconds when exactness matters.

What the virtual clock cannot do (its limits, written down):

- Only ``await``-ed time is virtual. Code that blocks without awaiting (a plain
  ``def`` step, ``time.sleep``, a CPU-heavy loop) takes no virtual time at
  all, however long it takes in real time.
- A thread takes no virtual time either. While a thread started with
  ``asyncio.to_thread`` (or ``loop.run_in_executor``) is at work, the clock
  stands still and waits for it, so the thread's result arrives at the
  virtual moment it was asked for: a 0.3 s ``to_thread`` call next to
  ``sleep(100)`` returns at t = 0 and the run ends at exactly t = 100.0.
  A thread you start yourself and that wakes the loop with
  ``call_soon_threadsafe`` is invisible to the clock: time may jump past it.
- No real network I/O: a real model's timing would be meaningless, so it is
  refused (``RealTimeRequired``) with the fix: ``clock="wall"``.
- A run that can never finish stops with ``Deadlock`` rather than hang: when
  every task waits and nothing can wake one (no finite timer, no thread at
  work), e.g. ``asyncio.sleep(math.inf)``, a model with ``latency_s=inf``, or
  an ``Event`` nobody sets. The message names the spans still open.
- Times are exact for runs shorter than about 26 virtual days (floats keep
  whole nanoseconds up to 2**51 ns).
"""

from __future__ import annotations

import asyncio
import math
import selectors
from typing import Any

from .errors import OrchestrationError, RealTimeRequired

_NETWORK_FIX = (
    "Real network calls cannot run on the virtual clock (their timing would be meaningless). "
    "Run this flow with clock='wall', e.g. run(flow, x, clock='wall') or await arun(flow, x, clock='wall')."
)
NS = 1_000_000_000  # nanoseconds per second


class Deadlock(OrchestrationError, RuntimeError):
    """A run on the virtual clock can never finish: every task waits and nothing can wake one."""


class Clock:
    """What a run needs from a clock: a fresh event loop to run on."""

    name = "clock"
    is_virtual = False

    def new_loop(self) -> asyncio.AbstractEventLoop:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class WallClock(Clock):
    """Real time: an ordinary asyncio event loop."""

    name = "wall"

    def new_loop(self) -> asyncio.AbstractEventLoop:
        return asyncio.new_event_loop()


class VirtualClock(Clock):
    """Virtual time: deterministic and instant; every run starts at t = 0."""

    name = "virtual"
    is_virtual = True

    def new_loop(self) -> asyncio.AbstractEventLoop:
        return _VirtualTimeLoop()


class _JumpingSelector(selectors.DefaultSelector):
    """A selector that never blocks while a timer is pending: it moves time on instead.

    The loop asks ``select(timeout)`` with ``timeout`` = time until the next timer.
    We poll real I/O without waiting (so thread-safe wake-ups still arrive) and,
    if nothing happened, advance virtual time by exactly that timeout, in whole
    nanoseconds. While a thread is at work, time stands still: we wait for it.
    """

    def __init__(self, loop: _VirtualTimeLoop) -> None:
        super().__init__()
        self._loop = loop
        self.watched = 0  # how many files are registered (the loop's own wake-up pipe is one)

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        key = super().register(fileobj, events, data)
        self.watched += 1
        return key

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        key = super().unregister(fileobj)
        self.watched -= 1
        return key

    def select(self, timeout: float | None = None) -> list[Any]:
        if self._loop.threads_at_work:  # a thread takes no virtual time: wait for it in real time
            return super().select(timeout if timeout == 0 else None)
        # Only the loop's own wake-up pipe is registered (the usual case): nothing to poll, since
        # a call from another thread is already queued in the loop when the pipe is written to.
        events = super().select(0) if self.watched > 1 else []
        if timeout == 0:
            return events
        if not events:
            if timeout is None:  # no timer at all, and nothing else can wake a task
                self._loop.stuck()
                return super().select(0)  # the stuck runs were cancelled: let them end
            self._loop.now_ns += max(1, round(timeout * NS))
        return events


class _VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop whose ``time()`` is virtual and refuses real network I/O."""

    def __init__(self) -> None:
        self.now_ns = 0  # virtual time, in whole nanoseconds
        self.threads_at_work = 0
        self.runs: set[Any] = set()  # the runs on this loop, told by stuck() when none can finish
        super().__init__(selector=_JumpingSelector(self))

    def time(self) -> float:
        return self.now_ns / NS

    def time_ns(self) -> int:
        return self.now_ns

    def start_at_zero(self) -> None:
        """Turn time back to 0 for the next run, unless a run is still going on this loop."""
        if not self.runs:
            self.now_ns = 0

    def call_at(self, when: float, callback: Any, *args: Any, context: Any = None) -> asyncio.TimerHandle:
        if when == math.inf:  # a timer that never fires (sleep(inf)) is no timer: it must not make time pass
            return asyncio.TimerHandle(when, callback, args, self, context)
        return super().call_at(when, callback, *args, context=context)

    def run_in_executor(self, executor: Any, func: Any, *args: Any) -> asyncio.Future[Any]:
        future = super().run_in_executor(executor, func, *args)
        self.threads_at_work += 1
        future.add_done_callback(self._thread_done)
        return future

    def _thread_done(self, future: asyncio.Future[Any]) -> None:
        self.threads_at_work -= 1

    def stuck(self) -> None:
        """Every task waits for ever: tell each run on this loop (it stops with ``Deadlock``)."""
        stopped = [run.stop_stuck() for run in list(self.runs)]  # each run stops once; asked again, it is hopeless
        if not stopped or not all(stopped):
            raise Deadlock("every task on the virtual clock waits for ever and nothing can wake one "
                           "(no timer, no thread at work): look for asyncio.sleep(math.inf), latency_s=inf, "
                           "or an Event or Queue that nobody sets")

    async def getaddrinfo(self, *args: Any, **kwargs: Any) -> Any:
        raise RealTimeRequired(_NETWORK_FIX)

    async def create_connection(self, *args: Any, **kwargs: Any) -> Any:
        raise RealTimeRequired(_NETWORK_FIX)

    async def sock_connect(self, *args: Any, **kwargs: Any) -> Any:
        raise RealTimeRequired(_NETWORK_FIX)


def get_clock(clock: str | Clock) -> Clock:
    """Turn ``"virtual"``/``"wall"`` (or a Clock) into a Clock, with a clear error otherwise."""
    if isinstance(clock, Clock):
        return clock
    if clock == "virtual":
        return VirtualClock()
    if clock == "wall":
        return WallClock()
    raise ValueError(f"clock must be 'virtual' (simulated models) or 'wall' (real backends), not {clock!r}")


def require_wall_clock() -> None:
    """Raise ``RealTimeRequired`` if the running loop is on virtual time (real backends call this)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    if isinstance(loop, _VirtualTimeLoop):
        raise RealTimeRequired(_NETWORK_FIX)
