"""Checks for lesson 5's third exercise (``05.failures``): measure a flow whose runs sometimes fail.

The expected summary is computed here from fresh runs on the virtual clock: a
failed run still took time and may have paid for calls, so it counts in the
latencies and the cost.
"""

from __future__ import annotations

import asyncio
from typing import Any, Iterator

from ..models import SimulatedModel
from ..patterns import Sequential
from ..resilience import Resilient, RetryPolicy
from ..runner import run
from ..steps import Ask
from . import Case, describe, exercise, one_line, solved
from .lesson05_numbers import close


# -- exercise 3 (an error case): runs that fail still count ------------------------------------
def _expected_summary(flow: Any, inputs: list[str], seeds: list[int]) -> dict[str, Any]:
    import pandas as pd

    latencies, costs, failed = [], [], 0
    for seed in seeds:
        for text in inputs:
            try:
                trace = run(flow, text, seed=seed).trace
            except Exception as error:
                trace, failed = error.trace, failed + 1  # type: ignore[attr-defined]
            latencies.append(trace.latency)
            costs.append(trace.cost)
    series = pd.Series(latencies)
    return {"runs": len(latencies), "failed": failed, "latency_p50_s": float(series.quantile(0.5)),
            "latency_p95_s": float(series.quantile(0.95)), "cost_per_run_usd": sum(costs) / len(costs)}


def _hidden_measurements() -> list[tuple[str, Any, list[str], list[int]]]:
    small = SimulatedModel("generalist-small")
    flaky = small.with_failures(error_rate=0.35)

    async def broken(text: str) -> str:
        await asyncio.sleep(0.2)
        raise RuntimeError("the formatter crashed")

    steps = [Ask(flaky, f"Step {i}: {{input}}", name=f"step {i}") for i in range(3)]
    return [
        ("a reliable pipeline", Sequential(stages=[Ask(small, "Draft: {input}"), Ask(small, "Polish: {input}")]),
         ["refund please", "app crashes", "new plan?"], [0, 1]),
        ("a pipeline whose last step always fails (after a paid call)",
         Sequential(stages=[Ask(small, "Draft: {input}"), broken]), ["refund please", "app crashes"], [0, 1, 2]),
        ("a flaky pipeline without retries (some runs fail)", Sequential(stages=steps),
         [f"request {k}" for k in range(8)], [0, 1]),
        ("the same pipeline with retries", Sequential(stages=[Resilient(s, retry=RetryPolicy(attempts=3)) for s in steps]),
         [f"request {k}" for k in range(8)], [0, 1]),
    ]


_KEYS = ("runs", "failed", "latency_p50_s", "latency_p95_s", "cost_per_run_usd")
_KEY_HINTS = {
    "runs": "one run per input and seed",
    "failed": "count the runs that raised; catch the exception instead of stopping",
    "latency_p50_s": "a failed run still took time: use error.trace.latency for it",
    "latency_p95_s": "take .quantile(0.95) over every run's latency, failed runs included",
    "cost_per_run_usd": "a failed run may have paid for calls before it failed: add error.trace.cost, then divide by runs",
}


@exercise("05.failures", "Measure a flow whose runs sometimes fail",
          start="write the body of summarise_runs(flow, inputs, seeds): run, catch failures, summarise")
def _failures(summarise_runs: Any) -> Iterator[Case]:
    yield Case("summarise_runs is a function", callable(summarise_runs),
               f"got a {describe(summarise_runs)}; define it with def summarise_runs(flow, inputs, seeds): ...")
    if not callable(summarise_runs):
        return
    cases = _hidden_measurements()
    label, flow, inputs, seeds = cases[0]
    first = solved(summarise_runs(flow, inputs, seeds))
    is_dict = isinstance(first, dict) and all(key in first for key in _KEYS)
    yield Case("it returns a dict with runs, failed, latency_p50_s, latency_p95_s, cost_per_run_usd", is_dict,
               f"it returned a {describe(first)}; return a dict with the keys {', '.join(_KEYS)}")
    if not is_dict:
        return
    for label, flow, inputs, seeds in cases:
        expected = _expected_summary(flow, inputs, seeds)
        try:
            answer = summarise_runs(flow, inputs, seeds)
        except Exception as error:
            yield Case(label, False, f"summarise_runs raised {one_line(error)}\n{_KEY_HINTS['failed']}")
            continue
        wrong = [key for key in _KEYS if not isinstance(answer, dict) or not close(answer.get(key), expected[key])]
        hint = "" if not wrong else (
            f"{wrong[0]}: you gave {answer.get(wrong[0]) if isinstance(answer, dict) else answer!r}, "
            f"expected {expected[wrong[0]]:g}\n{_KEY_HINTS[wrong[0]]}")
        yield Case(f"{label}: {expected['failed']} of {expected['runs']} runs fail", not wrong, hint)

