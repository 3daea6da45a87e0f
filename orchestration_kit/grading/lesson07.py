"""Checks for lesson 7, "Real backends" (exercises/07_real_backends.ipynb).

Every check is deterministic although the lesson is about real models: the
hidden cases replay calls recorded from real servers (data/cassettes/) or use
small stand-in backends that refuse with HTTP 429 exactly as told, all on the
virtual clock. Expected values are computed from the recordings, never typed in.
Exercise 4, the design (``07.helpdesk_design``), is checked in ``lesson07_design.py``.
"""

from __future__ import annotations

import asyncio
import inspect
from pathlib import Path
from typing import Any, Iterator

from ..errors import BackendError, RateLimited
from ..models import SimulatedModel
from ..patterns import Parallel
from ..runner import run
from ..models import config as model_config
from ..replay.cassette import Cassette, Playback
from ..models.base import Completion, Usage, as_messages, estimate_tokens, model_span, record_completion
from ..paths import DATA_DIR
from ..trace import Trace
from . import Case, NotSolved, describe, exercise, one_line, solved

CASSETTES = DATA_DIR / "cassettes"
LESSON_CASSETTE = CASSETTES / "07_real_backends.jsonl"
CHECKS_CASSETTE = CASSETTES / "07_checks.jsonl"
# The prompts streamed from the kit's server into 07_checks.jsonl (data/cassettes/record.py records them).
HIDDEN_STREAMS = ["Describe the opening hours of a small bakery.", "Explain how to return a pair of shoes.",
                  "Summarise the delivery options for a parcel.", "List the payment cards a shop accepts."]
PRICED = ("writer", "practice", "cloud-small", "cloud-claude")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _replayed(calls: list[dict[str, Any]]) -> Trace:
    """The trace of recorded calls re-enacted together, as if one flow had made them all at once."""

    async def replay_all(_: Any) -> None:
        await asyncio.gather(*(Playback(call).run() for call in calls), return_exceptions=True)

    return run(replay_all, None).trace


# -- exercise 1 ------------------------------------------------------------------------------
@exercise("07.bill", "What would this run cost at another provider's prices?",
          start="write the body of bill(trace, alias): add up the cost of every model call at the alias's prices")
def _bill(bill: Any) -> Iterator[Case]:
    yield Case("bill is a function", callable(bill), f"got a {describe(bill)}; define it with def bill(trace, alias): ...")
    if not callable(bill):
        return
    recorded = Cassette(LESSON_CASSETTE).calls
    traces = {
        "the lesson's real-model calls": _replayed([c for c in recorded if c["outcome"] != "cancelled"][:6]),
        "two simulated models in parallel": run(Parallel(tasks={"a": SimulatedModel("generalist-small"),
                                                                "b": SimulatedModel("generalist-large")}), "a memo").trace,
    }
    first = solved(bill(traces["two simulated models in parallel"], "cloud-small"))
    yield Case("it returns a number of dollars", _is_number(first), f"bill(...) returned a {describe(first)}; return a float")
    if not _is_number(first):
        return
    for label, trace in traces.items():
        for alias in PRICED:
            price = model_config.load(environ={}).entry(alias).pricing
            expected = sum(price.cost(Usage(s.tokens_in, s.tokens_out)) for s in trace.model_calls)
            try:
                got = bill(trace, alias)
            except Exception as error:
                yield Case(f"{label} at {alias!r} prices", False, f"bill raised {one_line(error)}")
                continue
            correct = _is_number(got) and abs(got - expected) < 1e-9
            hint = (f"you computed {got!r}, the tokens of its {trace.calls} model calls cost ${expected:.8f}\n"
                    "for each span in trace.model_calls: tokens_in / 1000 * price in + tokens_out / 1000 * price out; "
                    "trace.cost is the bill at the prices the run was made with, not at this alias's")
            yield Case(f"{label} at {alias!r} prices", correct, hint)


# -- exercise 2 ------------------------------------------------------------------------------
@exercise("07.stream_timing", "Time to first token and total time of a streamed answer",
          start="write the body of stream_timing(model, prompt, ctx): read model.stream(prompt) and time it with ctx.now()")
def _stream_timing(stream_timing: Any) -> Iterator[Case]:
    usable = callable(stream_timing) and inspect.iscoroutinefunction(stream_timing)
    yield Case("stream_timing is an async function", usable,
               f"got a {describe(stream_timing)}; define it with async def stream_timing(model, prompt, ctx, **options)")
    if not usable:
        return
    cases = [(CHECKS_CASSETTE, c) for c in Cassette(CHECKS_CASSETTE).calls if c["stream"] and c["outcome"] == "ok"]
    cases += [(LESSON_CASSETTE, c) for c in Cassette(LESSON_CASSETTE).calls if c["stream"] and c["outcome"] == "ok"][:1]
    for number, (path, call) in enumerate(cases):
        model = Cassette(path).wrap(_stand_in(call))
        prompt, options = call["messages"][0]["content"], call["options"]
        delay = 1.5 * number  # later cases start the call later in the run: time it from the call, not the run

        async def timed(_: Any, ctx: Any, model: Any = model, prompt: str = prompt, options: Any = options,
                        delay: float = delay) -> Any:
            await asyncio.sleep(delay)
            return await stream_timing(model, prompt, ctx, **options)

        try:
            answer = solved(run(timed, None).output)
        except NotSolved:
            raise
        except Exception as error:
            yield Case(f"stream {number + 1}: runs", False, f"it raised {one_line(error)}")
            continue
        keys_ok = isinstance(answer, dict) and {"first", "total", "text"} <= set(answer)
        yield Case(f"stream {number + 1}: returns a dict with first, total and text", keys_ok,
                   f"it returned a {describe(answer)}; return {{'first': ..., 'total': ..., 'text': ...}}")
        if not keys_ok:
            continue
        text = "".join(piece for _, piece in call["chunks"])
        first, end = call["chunks"][0][0] / 1e6, call["duration_us"] / 1e6  # recorded in microseconds
        retried = " (after a 429 and a wait)" if any(s.get("status") == "rate_limited" for s in call["spans"]) else ""
        yield Case(f"stream {number + 1}: the whole text", answer["text"] == text,
                   f"got {str(answer['text'])[:50]!r}...; join every piece the stream yields")
        yield Case(f"stream {number + 1}: time to the first piece{retried}", _close(answer["first"], first),
                   f"you measured {answer['first']!r} s, the first piece arrived {first:.3f} s after the call started\n"
                   "take start = ctx.now() before reading, and ctx.now() - start when the first piece arrives")
        yield Case(f"stream {number + 1}: total time, until the stream ended", _close(answer["total"], end),
                   f"you measured {answer['total']!r} s, the stream ended {end:.3f} s after the call started\n"
                   "measure ctx.now() - start once the loop over the pieces has finished")


def _close(value: Any, expected: float) -> bool:
    return _is_number(value) and abs(value - expected) < 1e-6


def _stand_in(call: dict[str, Any]) -> Any:
    """The shipped configuration's backend for a recorded call (never contacted: the cassette answers)."""
    models = model_config.load(environ={})
    kind = {"OpenAICompatible": "openai", "AnthropicMessages": "anthropic"}.get(call["backend"], "simulated")
    alias = next(a for a, e in models.entries.items() if (e.id, e.provider.kind) == (call["model"], kind))
    return models.model(alias)


# -- exercise 3: an error case ------------------------------------------------------------------
class _Limited:
    """A hidden stand-in backend: refuses the first ``refusals`` calls per prompt (HTTP 429 or ``status``), then answers."""

    def __init__(self, name: str, refusals: float, retry_after: float, status: int = 429) -> None:
        self.name, self.refusals, self.retry_after, self.status = name, refusals, retry_after, status

    async def complete(self, messages: Any, **options: Any) -> Completion:
        from ..context import current_context

        prompt = as_messages(messages)[-1]["content"]
        ctx = current_context()
        served = ctx.count("refused", self.name, prompt) if ctx is not None else 0
        async with model_span(self.name) as span:
            await asyncio.sleep(0.05)
            if served < self.refusals and self.status == 429:
                raise RateLimited(f"{self.name}: HTTP 429 too many requests", model=self.name, retry_after=self.retry_after)
            if served < self.refusals:
                raise BackendError(f"{self.name}: HTTP {self.status}, the API key was refused", model=self.name,
                                   status=self.status)
            text = f"{self.name} answers: {prompt}"
            completion = Completion(text, self.name, Usage(estimate_tokens(prompt), estimate_tokens(text)), latency=0.05)
            record_completion(span, completion)
            return completion


_RATE_CASES = [  # (what the case shows, refusals, Retry-After in s, HTTP status, who should answer)
    ("one 429, then an answer", 1, 0.5, 429, "primary"),
    ("two 429s with Retry-After 1.5 s, then an answer", 2, 1.5, 429, "primary"),
    ("a 429 asking to wait 120 s: more than max_wait", 1, 120.0, 429, "backup"),
    ("429 on every attempt: the limit persists", float("inf"), 1.0, 429, "backup"),
    ("a refused key (HTTP 401): waiting will not help", float("inf"), 1.0, 401, "backup"),
]
_RATE_HINTS = {
    "primary": "\nthe primary model answers if you try again after waiting error.retry_after seconds",
    "backup": "\nwhen waiting is not worth it (too long, still refused after 3 attempts, not a 429), "
              "return the backup's answer",
}


@exercise("07.rate_limits", "Wait as the server asks after a 429, within limits, then fall back",
          start="write the body of patient(model, backup, max_wait=10.0): return an async step (question, ctx)")
def _rate_limits(patient: Any) -> Iterator[Case]:
    yield Case("patient is a function", callable(patient),
               f"got a {describe(patient)}; define it with def patient(model, backup, max_wait=10.0): ...")
    if not callable(patient):
        return
    solved(patient(_Limited("probe", 0, 0.1), _Limited("probe-backup", 0, 0.1)))
    for number, (label, refusals, wait, status, who) in enumerate(_RATE_CASES, 1):
        primary, backup = _Limited("primary", refusals, wait, status), _Limited("backup", 0, 0.1)
        question = f"Where is my order number {number}?"
        try:
            result = run(patient(primary, backup, max_wait=10.0), question)
        except Exception as error:
            yield Case(label, False, f"it raised {one_line(error)}\ncatch the error; when retrying is over, ask the backup")
            continue
        tries = [span for span in result.trace.model_calls if span.name == "primary"]
        yield Case(f"{label}: the {who} answers", result.output == f"{who} answers: {question}",
                   f"the output was {str(result.output)[:60]!r}" + _RATE_HINTS[who])
        if who == "primary":
            gaps = [round(later.start - earlier.end, 9) for earlier, later in zip(tries, tries[1:])]
            yield Case(f"{label}: it waits Retry-After ({wait:g} s) before each new attempt",
                       len(gaps) == refusals and all(gap >= wait for gap in gaps),
                       f"the gaps between attempts were {gaps} s; await asyncio.sleep(error.retry_after)")
        elif status != 429:
            yield Case(f"{label}: no second attempt", len(tries) == 1,
                       f"the trace shows {len(tries)} attempts; retry only a RateLimited error (a 429)")
        elif refusals == float("inf"):
            yield Case(f"{label}: at most 3 attempts, each one in the trace", 1 <= len(tries) <= 3,
                       f"the trace shows {len(tries)} attempts; stop after 3 and ask the backup")
        else:
            yield Case(f"{label}: it does not wait {wait:g} s", result.trace.latency < wait,
                       f"the run took {result.trace.latency:g} s; compare error.retry_after with max_wait first")


from . import lesson07_design  # noqa: E402,F401 (registers 07.helpdesk_design, the design exercise, after the three above)
