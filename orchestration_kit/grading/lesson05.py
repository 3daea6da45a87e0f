"""Checks for lesson 5, "Trade-offs, measured" (exercises/05_tradeoffs.ipynb).

The expected answers are computed here from fresh runs on the virtual clock,
so the checks and the kit can never disagree about a latency or a cost.
Exercise 5 (``05.design``, in ``support_design.py``) is open: any design that meets its spec passes.
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
    said = f"you returned {answer:g} s" if _is_number(answer) else f"you returned a {describe(answer)}"
    if _is_number(answer) and abs(answer - max(latencies)) < 1e-9 and high < answer:
        why = "that is the slowest run, the 100th percentile"
    elif _is_number(answer) and min(latencies) <= answer <= max(latencies):
        why = "a latency of these runs, but not their 95th percentile under any standard definition"
    else:
        why = "outside the runs' latencies: compute one latency per run first (group by 'run')"
    return (f"{said}: {why}\nexpected a value from {low:g} s to {high:g} s: {accepted['linear']:g} s by "
            f"{PERCENTILE_METHODS['linear']}, {accepted['inverted_cdf']:g} s by {PERCENTILE_METHODS['inverted_cdf']} "
            "(any standard definition passes)")


def _is_p95_of(answer: Any, latencies: list[float]) -> bool:
    return _is_number(answer) and any(_close(answer, value) for value in _p95_by_method(latencies).values())


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


# -- exercise 4: when does the router stop winning? ---------------------------------------------
DEPARTMENTS = ("billing", "technical", "product", "account")
RESOLVE = "Resolve this customer message: {input}"
_SENSITIVITY_KEYS = ("router_accuracy", "generalist_accuracy", "router_cost_per_1k_correct_usd",
                     "generalist_cost_per_1k_correct_usd")


def support_router(specialist_models: dict[str, Any]) -> Router:
    """Lesson 5's router with the given specialist models (the same analyzer, threshold and fallback)."""
    from ..models.skills import parse_label

    small, large = SimulatedModel("generalist-small"), SimulatedModel("generalist-large")
    generalist = Ask(large, RESOLVE, skill="support", name="generalist")
    desks = {d: Ask(specialist_models[d], RESOLVE, skill=d, name=f"{d} desk") for d in DEPARTMENTS}
    analyzer = Ask(small, "Route this customer message: {input}", skill="classify", parse=parse_label, name="analyzer")
    return Router(analyzer=analyzer, routes={**desks, "general": generalist}, fallback=generalist, threshold=0.7,
                  name="router")


def _specialists(accuracy: float, price_factor: float) -> dict[str, Any]:
    models = {}
    for department in DEPARTMENTS:
        model = SimulatedModel(f"{department}-specialist")
        price = model.profile.pricing
        models[department] = model.with_profile(accuracy={department: accuracy},
                                                price_in_per_1k=price.input_per_1k * price_factor,
                                                price_out_per_1k=price.output_per_1k * price_factor)
    return models


def _accuracy_and_cost(flow: Any, messages: Any) -> tuple[float, float]:
    """Share answered right and US$ per 1,000 correct answers; a failed run is wrong and still paid for."""
    from ..measure.evaluate import default_prediction

    correct, cost = 0, 0.0
    for text, intent in zip(messages["text"], messages["intent"]):
        try:
            result = run(flow, text)
        except Exception as error:
            cost += error.trace.cost  # type: ignore[attr-defined]
            continue
        correct += default_prediction(result) == intent
        cost += result.trace.cost
    return correct / len(messages), (cost / correct * 1000 if correct else math.inf)


def _reference(messages: Any, accuracy: float, price_factor: float) -> dict[str, float]:
    router = _accuracy_and_cost(support_router(_specialists(accuracy, price_factor)), messages)
    generalist = _accuracy_and_cost(Ask(SimulatedModel("generalist-large"), RESOLVE, skill="support",
                                        name="generalist"), messages)
    return dict(zip(_SENSITIVITY_KEYS, (router[0], generalist[0], router[1], generalist[1])))


def _break_even(messages: Any, accuracy: float) -> float:
    """The price factor at which the router's cost per correct answer reaches the generalist's.

    The router's cost per correct answer is a straight line in the price factor (only the
    specialists' share of the bill grows), so two points give it exactly.
    """
    one, two = _reference(messages, accuracy, 1.0), _reference(messages, accuracy, 2.0)
    slope = two["router_cost_per_1k_correct_usd"] - one["router_cost_per_1k_correct_usd"]
    base = one["router_cost_per_1k_correct_usd"] - slope
    return (one["generalist_cost_per_1k_correct_usd"] - base) / slope


SENSITIVITY_SETTINGS = ((0.97, 1.0, "the catalog's specialists"), (0.8, 1.0, "specialists only 0.8 accurate"),
                        (0.97, 6.0, "specialists six times dearer"))


@exercise("05.sensitivity", "The router against the large generalist, with other specialists",
          start="write the body of router_vs_generalist(messages, accuracy, price_factor) with with_profile()")
def _sensitivity(router_vs_generalist: Any) -> Iterator[Case]:
    yield Case("router_vs_generalist is a function", callable(router_vs_generalist),
               f"got a {describe(router_vs_generalist)}; define it with def router_vs_generalist(messages, accuracy, "
               "price_factor): ...")
    if not callable(router_vs_generalist):
        return
    from ..course.datasets import customer_queries

    messages = customer_queries("train")[["text", "intent"]].reset_index(drop=True)  # held out from the lesson's runs
    first = solved(router_vs_generalist(messages, 0.97, 1.0))
    is_dict = isinstance(first, dict) and all(key in first for key in _SENSITIVITY_KEYS)
    yield Case(f"it returns a dict with {', '.join(_SENSITIVITY_KEYS)}", is_dict,
               f"it returned a {describe(first)}; return a dict with those four keys")
    if not is_dict:
        return
    for accuracy, factor, label in SENSITIVITY_SETTINGS:
        expected = _reference(messages, accuracy, factor)
        answer = first if (accuracy, factor) == (0.97, 1.0) else router_vs_generalist(messages, accuracy, factor)
        wrong = [key for key in _SENSITIVITY_KEYS
                 if not isinstance(answer, dict) or not _is_number(answer.get(key))
                 or abs(answer[key] - expected[key]) > 1e-9 * max(1.0, abs(expected[key]))]
        hint = ""
        if wrong:
            key = wrong[0]
            given = answer.get(key) if isinstance(answer, dict) else answer
            hint = (f"{key}: you gave {given!r}, expected {expected[key]:.6g}\n" +
                    ("change each specialist with with_profile(accuracy={department: accuracy}) on its own "
                     "department's skill, and multiply both of its prices by price_factor"
                     if key.startswith("router") else "the generalist is the catalog's generalist-large, unchanged") +
                    "; a run that raises counts as wrong, and what it spent (error.trace.cost) still counts")
        yield Case(f"{label} ({accuracy:g} accurate, prices x{factor:g}), on 269 held-out messages", not wrong, hint)


@exercise("05.break_even", "The price at which the router stops winning",
          start="set break_even = {0.97: factor, 0.8: factor}: the price factors where the costs per correct answer meet")
def _break_even_answer(break_even: Any) -> Iterator[Case]:
    from ..course.datasets import customer_queries

    is_dict = isinstance(break_even, dict) and all(_is_number(break_even.get(a)) for a in (0.97, 0.8))
    yield Case("break_even is a dict {0.97: factor, 0.8: factor}", is_dict,
               f"got a {describe(break_even)}; e.g. break_even = {{0.97: 5.0, 0.8: 3.0}}")
    if not is_dict:
        return
    messages = customer_queries("test")
    for accuracy in (0.97, 0.8):
        expected = _break_even(messages, accuracy)
        answer = break_even[accuracy]
        yield Case(f"specialists {accuracy:g} accurate: within 0.25 of the break-even price factor",
                   abs(answer - expected) <= 0.25,
                   f"you gave x{answer:g}; at that factor the router is still "
                   f"{'cheaper' if answer < expected else 'dearer'} per correct answer than the generalist\n"
                   "the router's cost per correct answer grows in a straight line with the price factor: measure it "
                   "at two factors and find where the line crosses the generalist's")


from . import support_design  # noqa: E402,F401 (registers 05.design, the open design exercise, after the four above)
