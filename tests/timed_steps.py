"""Tiny steps with known durations, in virtual time: what the timing tests build flows from.

    >>> from timed_steps import failing, sleeper
    >>> Parallel(tasks={"fast": sleeper(0.3), "slow": sleeper(2.0), "broken": failing(0.1, BackendError("down"))})
"""

from __future__ import annotations

import asyncio


def sleeper(seconds: float, value: object = None, name: str | None = None):
    """A step that takes ``seconds`` of (virtual) time and returns ``value`` (or its input)."""

    async def step(x: object) -> object:
        await asyncio.sleep(seconds)
        return x if value is None else value

    step.__name__ = name or f"sleep_{seconds:g}s"
    return step


def failing(seconds: float, error: Exception, name: str = "broken"):
    """A step that takes ``seconds`` and then raises ``error``."""

    async def step(x: object) -> object:
        await asyncio.sleep(seconds)
        raise error

    step.__name__ = name
    return step
