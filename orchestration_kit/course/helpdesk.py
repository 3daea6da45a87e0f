"""Lesson 7's help desk: a cheap primary model, a dearer backup, and a bad day on demand.

A design is a function ``build_helpdesk(primary, backup) -> flow``: the flow takes
a customer's question and returns the answer's text. Because the design is
*given* its models, the same design runs on a normal day, on a bad day (429s
with Retry-After, answers that take 30 s, malformed replies, a server that is
down), and with a real HTTP backend as the primary, replayed from a cassette:

    >>> primary, backup = help_desk("slow")
    >>> primary
    FaultyModel('generalist-small', 'slow')
    >>> run(Ask(primary), "Where is my parcel?").trace.latency     # 30 s of waiting, then the answer

Every request the primary receives is noted in ``primary.requests`` (when it
started and ended, what came of it), so a check can read how a design treated
the server: did it wait as asked after a 429, how often did it ask?
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from ..context import current_context
from ..errors import BackendError, RateLimited
from ..models.base import as_messages, model_span
from ..models.simulated import Failures, SimulatedModel
from ..paths import DATA_DIR

PRIMARY, BACKUP = "generalist-small", "generalist-large"
RECORDED = DATA_DIR / "cassettes" / "07_real_backends.jsonl"  # the lesson's calls, recorded from the kit's server


@dataclass(frozen=True)
class Day:
    """What the primary's server does today to each question's first ``times`` requests."""

    name: str
    description: str
    fault: str = ""  # "", "rate_limited", "slow", "malformed" or "down"
    times: float = float("inf")  # requests per question that meet the fault; later ones are answered
    retry_after: float = 0.0  # what a 429 asks the caller to wait, in seconds
    delay: float = 0.0  # seconds before the fault shows (a slow answer: before the answer starts)

    def __repr__(self) -> str:
        return f"Day({self.name!r})"


DAYS = {day.name: day for day in [
    Day("normal", "nothing goes wrong"),
    Day("rate limited", "the first two requests for each question are refused with HTTP 429, Retry-After 1 s",
        "rate_limited", times=2, retry_after=1.0, delay=0.05),
    Day("a long wait", "every request is refused with HTTP 429 asking to wait 120 s", "rate_limited",
        retry_after=120.0, delay=0.05),
    Day("slow", "every answer takes 30 s to start", "slow", delay=30.0),
    Day("malformed", "every reply is an HTML error page with status 200, not the JSON the API promises",
        "malformed", delay=0.3),
    Day("down", "nothing listens at the primary's address: every connection is refused at once", "down",
        delay=0.001),
]}


@dataclass(frozen=True)
class Request:
    """One request the primary received: when (seconds on the run's clock), and what came of it."""

    prompt: str
    start: float
    end: float
    outcome: str  # "answered", "rate_limited", "malformed", "refused" or "cancelled" (the caller stopped waiting)
    retry_after: float | None = None


class FaultyModel:
    """A model behind a server having a bad ``day``: faults first, then (if any) the model's own answer."""

    def __init__(self, model: Any, day: Day | str) -> None:
        self.inner, self.day = model, DAYS[day] if isinstance(day, str) else day
        self.name = model.name
        self.requests: list[Request] = []

    async def complete(self, messages: Any, **options: Any) -> Any:
        """Like the model's ``complete()``, unless today's fault gets in the way (each request is noted)."""
        prompt = as_messages(messages)[-1]["content"]
        seen = sum(request.prompt == prompt for request in self.requests)
        fault = self.day.fault if seen < self.day.times else ""
        start, outcome = _now(), "cancelled"
        try:
            if fault in ("", "slow"):
                completion = await self._slow_answer(messages, options) if fault else await self.inner.complete(
                    messages, **options)
                outcome = "answered"
                return completion
            async with model_span(self.name) as span:
                await asyncio.sleep(self.day.delay)
                outcome = "refused" if fault == "down" else fault
                if span is not None:
                    span.detail = self.day.description
                raise self._error(fault)
        finally:
            retry_after = self.day.retry_after if outcome == "rate_limited" else None
            self.requests.append(Request(prompt, start, _now(), outcome, retry_after))

    async def _slow_answer(self, messages: Any, options: dict[str, Any]) -> Any:
        ctx = current_context()
        if ctx is None:
            await asyncio.sleep(self.day.delay)
        else:
            async with ctx.span(f"{self.name}: waiting for the server") as span:
                span.detail = self.day.description
                await asyncio.sleep(self.day.delay)
        return await self.inner.complete(messages, **options)

    def _error(self, fault: str) -> BackendError:
        """The error the kit's real backend raises for the same reply (see models/http.py)."""
        url = "http://127.0.0.1:8000/v1/chat/completions"
        if fault == "rate_limited":
            return RateLimited(f"{self.name}: HTTP 429 from {url}: too many requests (the server asks to wait "
                               f"{self.day.retry_after:g} s)", model=self.name, retry_after=self.day.retry_after)
        if fault == "malformed":
            return BackendError(f"{self.name}: unexpected answer (not JSON) from {url}: got '<html><body>Bad "
                                "gateway</body></html>'. Fix: does base_url point to this kind of API?",
                                model=self.name, status=200)
        from ..models.http import ConnectionFailed  # imported here: it needs httpx

        return ConnectionFailed(f"{self.name}: cannot connect to {url} (connection refused). Fix: is the server "
                                "running, and is base_url right?", model=self.name)

    def __repr__(self) -> str:
        return f"FaultyModel({self.name!r}, {self.day.name!r})"


def help_desk(day: Day | str = "normal") -> tuple[FaultyModel, SimulatedModel]:
    """The primary (the small model, behind a server having ``day``) and the backup (the large model).

    Both are simulated without the catalog's rare random failures, so only the day's faults happen.
    """
    if isinstance(day, str) and day not in DAYS:
        raise KeyError(f"no day called {day!r}; choose one of: {', '.join(DAYS)}")
    return (FaultyModel(SimulatedModel(PRIMARY, failures=Failures()), day),
            SimulatedModel(BACKUP, failures=Failures()))


def recorded_calls() -> list[dict[str, Any]]:
    """The lesson's recorded questions to the kit's server (a real HTTP backend, 429s and retries inside)."""
    from ..replay.cassette import Cassette

    return [call for call in Cassette(RECORDED).calls
            if call["model"] == PRIMARY and not call["stream"] and not call["options"] and call["outcome"] == "ok"
            and call["messages"][-1]["content"].endswith("Please answer briefly.")]


def recorded_primary() -> Any:
    """The primary as a real HTTP backend (OpenAI's wire format), its answers replayed from the lesson's cassette."""
    from ..models import config
    from ..replay.cassette import Cassette

    return Cassette(RECORDED, mode="replay").wrap(config.load(environ={}).model("practice"))


def _now() -> float:
    ctx = current_context()
    return ctx.now() if ctx is not None else asyncio.get_running_loop().time()
