"""Checks for lesson 5, "Trade-offs, measured" (exercises/05_tradeoffs.ipynb).

The expected answers are computed here from fresh runs on the virtual clock,
so the checks and the kit can never disagree about a latency or a cost.
Exercises 1 and 2 are here; 3 (``05.failures``) is in ``lesson05_failures.py``, 4 and the break-even
(``05.sensitivity``, ``05.break_even``) in ``lesson05_sensitivity.py``. Exercise 5 (``05.design``, in
``support_design.py``) is open: any design that meets its spec passes.
"""

from __future__ import annotations

from typing import Any, Iterator

from ..models import SimulatedModel
from ..patterns import Hierarchical, Parallel, Router, Sequential, Stage
from ..resilience import Resilient
from ..runner import run
from ..steps import Ask
from . import Case, describe, exercise, one_line, solved
from .lesson05_numbers import close, is_number


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


# The standard definitions of a percentile all land between neighbouring sorted values and differ in how
# they pick or blend them: pandas (and numpy's default) interpolate linearly, the nearest-rank definition
# takes the ceil(0.95 n)-th value, statistics.quantiles() defaults to the "exclusive" (Weibull) rule.
# Any of numpy's named methods is a correct answer; a mean, a maximum or a per-span figure is not.
PERCENTILE_METHODS = {
    "linear": "linear interpolation, pandas' Series.quantile(0.95)",
    "inverted_cdf": "nearest rank: the ceil(0.95 n)-th smallest",
    "weibull": "statistics.quantiles(method='exclusive')",
    "lower": "the lower neighbour", "higher": "the higher neighbour", "nearest": "the nearer neighbour",
    "midpoint": "the midpoint of the neighbours", "hazen": "Hazen's rule", "median_unbiased": "median-unbiased",
    "normal_unbiased": "normal-unbiased", "averaged_inverted_cdf": "averaged nearest rank",
    "closest_observation": "closest observation", "interpolated_inverted_cdf": "interpolated nearest rank",
}


def _p95_by_method(latencies: list[float]) -> dict[str, float]:
    """The 95th percentile of ``latencies`` under each standard definition."""
    import numpy as np

    return {method: float(np.percentile(latencies, 95, method=method)) for method in PERCENTILE_METHODS}


def _p95_hint(answer: Any, latencies: list[float]) -> str:
    accepted = _p95_by_method(latencies)
    low, high = min(accepted.values()), max(accepted.values())
    said = f"you returned {answer:g} s" if is_number(answer) else f"you returned a {describe(answer)}"
    if is_number(answer) and abs(answer - max(latencies)) < 1e-9 and high < answer:
        why = "that is the slowest run, the 100th percentile"
    elif is_number(answer) and min(latencies) <= answer <= max(latencies):
        why = "a latency of these runs, but not their 95th percentile under any standard definition"
    else:
        why = "outside the runs' latencies: compute one latency per run first (group by 'run')"
    return (f"{said}: {why}\nexpected a value from {low:g} s to {high:g} s: {accepted['linear']:g} s by "
            f"{PERCENTILE_METHODS['linear']}, {accepted['inverted_cdf']:g} s by {PERCENTILE_METHODS['inverted_cdf']} "
            "(any standard definition passes)")


def _is_p95_of(answer: Any, latencies: list[float]) -> bool:
    return is_number(answer) and any(close(answer, value) for value in _p95_by_method(latencies).values())


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
    yield Case("it returns a number of seconds", is_number(first),
               f"it returned a {describe(first)}; return a float such as 1.25")
    if not is_number(first):
        return
    yield Case("one run: its p95 is its latency", close(first, runs[0].trace.latency),
               f"you returned {first:g} s, the run's latency is {runs[0].trace.latency:g} s: the last end minus the first start")
    latencies = [r.trace.latency for r in runs]
    answer = latency_p95(_span_table(runs))
    yield Case("30 runs on the virtual clock", _is_p95_of(answer, latencies), _p95_hint(answer, latencies))
    offsets = [1000.0 + 7.5 * i for i in range(len(runs))]  # as a wall-clock log records them
    answer = latency_p95(_span_table(runs, offsets))
    yield Case("30 runs that started at different times (a wall-clock log)", _is_p95_of(answer, latencies),
               _p95_hint(answer, latencies) + "\na run's latency is its last span's end minus its first span's start, "
               "not its largest end")


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


# The later exercises, registered after these two, in the notebook's order.
from . import lesson05_failures  # noqa: E402,F401 (05.failures)
from . import lesson05_sensitivity  # noqa: E402,F401 (05.sensitivity and 05.break_even)
from . import support_design  # noqa: E402,F401 (05.design, the open design exercise, last)
