"""A limit in virtual time for a learner's flow: on the virtual clock, a flow that never ends costs no real time.

    >>> run_answer(Sequential(stages=[draft, polish]), "My parcel arrived damaged").trace.latency
    >>> run_answer(endless, "hi")           # while True: await asyncio.sleep(1)
    Traceback (most recent call last):
    DidNotFinish: your flow did not finish within 600 s of virtual time: look for a loop that never ends, ...

An endless ``while True: await asyncio.sleep(1)`` would spin at full speed on the
virtual clock, so the wall-clock limit of ``sandbox.py`` would be its only stop.
``run_answer()`` cancels the flow after ``VIRTUAL_TIME_LIMIT`` seconds of virtual
time instead, and the check's verdict says so.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..context import Context
from ..errors import GradingError
from ..runner import RunResult, run
from ..steps import Step, as_step

VIRTUAL_TIME_LIMIT = 600.0  # virtual seconds a learner's flow may take in run_answer()


class DidNotFinish(GradingError):
    """A learner's flow was still running when its virtual-time limit ran out."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(f"your flow did not finish within {seconds:g} s of virtual time: look for a loop that "
                         "never ends, a step that waits for something that never comes, or a far too long sleep")


class _WithinLimit(Step):
    """The learner's flow, cancelled when it runs past ``seconds`` of virtual time.

    It opens no span of its own, so the trace is the same as the flow's alone.
    """

    def __init__(self, flow: Step, seconds: float) -> None:
        self.flow, self.seconds, self.name = flow, seconds, flow.name

    async def __call__(self, input: Any, ctx: Context) -> Any:
        running = asyncio.ensure_future(self.flow(input, ctx))
        done, _ = await asyncio.wait({running}, timeout=self.seconds)
        if not done:
            running.cancel()  # run() then waits for it to end, as for any task left over
            raise DidNotFinish(self.seconds)
        return running.result()


def run_answer(flow: Any, input: Any, *, seed: int = 0, limit: float = VIRTUAL_TIME_LIMIT) -> RunResult:
    """``run(flow, input, seed=seed)`` for a learner's flow: raises DidNotFinish after ``limit`` virtual seconds.

        >>> run_answer(Sequential(stages=[draft, polish]), "My parcel arrived damaged").trace.latency
    """
    return run(_WithinLimit(as_step(flow, "your flow"), limit), input, seed=seed)
