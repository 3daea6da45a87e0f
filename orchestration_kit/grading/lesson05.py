"""Checks for lesson 5, "Trade-offs, measured" (exercises/05_tradeoffs.ipynb).

The expected answers are computed here from fresh runs on the virtual clock,
so the checks and the kit can never disagree about a latency or a cost.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any, Iterator

from ..models import SimulatedModel
from ..patterns import Hierarchical, Parallel, Router, Sequential, Stage
from ..resilience import Resilient, RetryPolicy
from ..runner import run
from ..steps import Ask
from . import Case, describe, exercise, one_line, solved


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _close(a: Any, b: float) -> bool:
    return _is_number(a) and abs(a - b) < 1e-9


# -- exercise 1: p95 from a table of spans ----------------------------------------------
def _span_table(results: list[Any], offsets: list[float] | None = None) -> Any:
    """The spans of many runs in one DataFrame, with a ``run`` column; times shifted by ``offsets``."""
    import pandas as pd

    frames = []
    for i, result in enumerate(results):
        frame = result.trace.to_dataframe().assign(run=i)
        shift = offsets[i] if offsets else 0.0
        frame["start"], frame["end"] = frame["start"] + shift, frame["end"] + shift
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _p95(results: list[Any]) -> float:
    import pandas as pd

    return float(pd.Series([r.trace.latency for r in results]).quantile(0.95))


def _panel_runs(n: int) -> list[Any]:
    small, large = SimulatedModel("generalist-small"), SimulatedModel("generalist-large")
    flow = Parallel(tasks={"quick": Ask(small, "Quick take: {input}"), "careful": Ask(large, "Analyse: {input}")},
                    synthesizer=Ask(small, "Combine: {input}", name="synthesizer"))
    return [run(flow, f"request {k}", seed=k) for k in range(n)]


@exercise("05.p95", "The 95th-percentile latency from a table of spans",
          start="write the body of latency_p95(spans): one latency per run, then their 95th percentile")
def _latency_p95(latency_p95: Any) -> Iterator[Case]:
    yield Case("latency_p95 is a function", callable(latency_p95),
               f"got a {describe(latency_p95)}; define it with def latency_p95(spans): ...")
    if not callable(latency_p95):
        return
    runs = _panel_runs(30)
    first = solved(latency_p95(_span_table(runs[:1])))
    yield Case("it returns a number of seconds", _is_number(first),
               f"it returned a {describe(first)}; return a float such as 1.25")
    if not _is_number(first):
        return
    yield Case("one run: its p95 is its latency", _close(first, runs[0].trace.latency),
               f"you returned {first:g} s, the run's latency is {runs[0].trace.latency:g} s: the last end minus the first start")
    answer = latency_p95(_span_table(runs))
    yield Case("30 runs on the virtual clock", _close(answer, _p95(runs)),
               f"you returned {answer!r:.20}, expected {_p95(runs):g} s\n"
               "take one latency per run (group by 'run'), then .quantile(0.95) of those latencies")
    offsets = [1000.0 + 7.5 * i for i in range(len(runs))]  # as a wall-clock log records them
    answer = latency_p95(_span_table(runs, offsets))
    yield Case("30 runs that started at different times (a wall-clock log)", _close(answer, _p95(runs)),
               f"you returned {answer!r:.20}, expected {_p95(runs):g} s\n"
               "a run's latency is its last span's end minus its first span's start, not its largest end")


# -- exercise 2: walk a flow's objects ------------------------------------------------------
def _hidden_flows() -> list[tuple[str, Any, list[str]]]:
    small, large = SimulatedModel("generalist-small"), SimulatedModel("generalist-large")
    billing, clinic = SimulatedModel("billing-specialist"), SimulatedModel("clinical-specialist")
    ask = {name: Ask(model, f"{name}: {{input}}", name=name) for name, model in
           (("small", small), ("large", large), ("billing", billing), ("clinic", clinic))}

    def shout(text: str) -> str:
        return text.upper()

    router = Router(analyzer=ask["small"], routes={"billing": ask["billing"], "other": ask["large"]}, fallback=ask["large"])
    pipeline = Sequential(stages=[shout, Parallel(tasks={"a": ask["billing"], "b": ask["clinic"]}),
                                  Stage(ask["small"], validate=bool, alternative=ask["large"])])
    tiers = Hierarchical(top=shout, sub={"simple": Resilient(ask["billing"], fallback=ask["small"]), "hard": pipeline},
                         escalate=Sequential(stages=[shout, ask["clinic"]]))
    return [
        ("one model in a role", ask["small"], ["generalist-small"]),
        ("a plain function: no model", Sequential(stages=[shout, shout]), []),
        ("a router whose route and fallback share a model", router,
         ["billing-specialist", "generalist-large", "generalist-small"]),
        ("a pipeline with a parallel stage and an alternative", pipeline,
         ["billing-specialist", "clinical-specialist", "generalist-large", "generalist-small"]),
        ("a hierarchy with a fallback inside and an escalation", tiers,
         ["billing-specialist", "clinical-specialist", "generalist-large", "generalist-small"]),
    ]


@exercise("05.models", "Every model a flow can call, found by walking its objects",
          start="write the body of models_in(flow): recurse with children(step); an Ask has .model.name")
def _models_in(models_in: Any) -> Iterator[Case]:
    yield Case("models_in is a function", callable(models_in),
               f"got a {describe(models_in)}; define it with def models_in(flow): ...")
    if not callable(models_in):
        return
    cases = _hidden_flows()
    first = solved(models_in(cases[0][1]))
    yield Case("it returns a list", isinstance(first, list), f"it returned a {describe(first)}; return sorted(names)")
    if not isinstance(first, list):
        return
    for label, flow, expected in cases:
        try:
            answer = models_in(flow)
        except Exception as error:
            yield Case(label, False, f"models_in raised {one_line(error)}")
            continue
        hint = (f"you found {answer}, the flow can call {expected}\n"
                "visit every step: children(step) lists the steps inside a pattern, a Stage or a Resilient; "
                "collect step.model.name for each Ask, once each, sorted")
        yield Case(label, answer == expected, hint)


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
        wrong = [key for key in _KEYS if not isinstance(answer, dict) or not _close(answer.get(key), expected[key])]
        hint = "" if not wrong else (
            f"{wrong[0]}: you gave {answer.get(wrong[0]) if isinstance(answer, dict) else answer!r}, "
            f"expected {expected[wrong[0]]:g}\n{_KEY_HINTS[wrong[0]]}")
        yield Case(f"{label}: {expected['failed']} of {expected['runs']} runs fail", not wrong, hint)
