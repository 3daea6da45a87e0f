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
"""

from __future__ import annotations

import asyncio
import selectors
from typing import Any

from .errors import RealTimeRequired

_NETWORK_FIX = (
    "Real network calls cannot run on the virtual clock (their timing would be meaningless). "
    "Run this flow with clock='wall', e.g. run(flow, x, clock='wall') or await arun(flow, x)."
)


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
    if nothing happened, advance virtual time by exactly that timeout.
    """

    def __init__(self, loop: _VirtualTimeLoop) -> None:
        super().__init__()
        self._loop = loop

    def select(self, timeout: float | None = None) -> list[Any]:
        if timeout is None:  # nothing scheduled: wait for real events (e.g. a thread)
            return super().select(None)
        events = super().select(0)
        if not events and timeout > 0:
            self._loop._now += timeout
        return events


class _VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop whose ``time()`` is virtual and refuses real network I/O."""

    def __init__(self) -> None:
        self._now = 0.0
        super().__init__(selector=_JumpingSelector(self))

    def time(self) -> float:
        return self._now

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
