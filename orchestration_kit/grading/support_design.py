"""Lesson 5's open design exercise, 05.design: a customer-support desk built to a spec.

The learner writes ``support_desk(models)``: any flow (a pattern, a mix, plain
code) built from the models it is given, by catalog name. The check runs it on
269 held-out customer messages, twice each (seeds 0 and 1), with every model up
and then with each specialist down in turn (every call fails), and scores what
the spec asks, never the flow's shape:

    >>> card = scorecard(support_desk, customer_queries("test"))
    >>> card.met
    True

The models have no chance failures here (``error_rate=0``), so each run tests the
one fault injected; latency spikes stay, as in the catalog.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator

import numpy as np

from ..models import SimulatedModel
from ..steps import Step
from . import Case, DidNotFinish, describe, exercise, one_line, run_answer, solved

MIN_ACCURACY = 0.78  # share of all hidden runs answered with the right intent
MAX_P95_S = 3.0  # seconds on the virtual clock, over all hidden runs
MAX_COST_PER_1K_USD = 0.35  # US$ per 1,000 messages, over all hidden runs
DESIGN_MODELS = ("generalist-small", "generalist-large", "billing-specialist", "technical-specialist",
                 "product-specialist", "account-specialist")
SCENARIOS = {"every model is up": None, **{f"the {d} specialist is down": f"{d}-specialist"
                                        for d in ("billing", "technical", "product", "account")}}
SEEDS = (0, 1)


def desk_models(down: str | None = None) -> dict[str, SimulatedModel]:
    """The models a design is built from, by catalog name; the one named ``down`` fails every call.

    >>> desk_models("billing-specialist")["billing-specialist"].profile.failures.error_rate
    1.0
    """
    return {name: SimulatedModel(name).with_failures(error_rate=1.0 if name == down else 0.0, fail_first=0)
            for name in DESIGN_MODELS}


@dataclass(frozen=True)
class DeskRun:
    """One run of a design on one message: right or not, its latency and cost, the error if it raised."""

    scenario: str
    right: bool
    latency: float
    cost: float
    error: str = ""
    used_down_model: bool = False  # a call to the model that is down succeeded: the design built its own copy


def _one_run(flow: Any, scenario: str, text: str, intent: str, seed: int) -> DeskRun:
    from ..measure.evaluate import default_prediction

    down = SCENARIOS[scenario]
    try:
        result = run_answer(flow, text, seed=seed)
    except DidNotFinish:
        raise  # the check's own verdict: the flow never ends
    except Exception as error:
        trace = getattr(error, "trace", None)
        return DeskRun(scenario, False, trace.latency if trace else 0.0, trace.cost if trace else 0.0, one_line(error))
    bypass = any(span.model == down and span.status == "ok" for span in result.trace.model_calls)
    return DeskRun(scenario, default_prediction(result) == intent, result.trace.latency, result.trace.cost,
                   used_down_model=bypass)


def desk_runs(support_desk: Callable[[dict[str, SimulatedModel]], Any], messages: Any,
              seeds: tuple[int, ...] = SEEDS) -> list[DeskRun]:
    """Run the design on every message with every seed, in every scenario (columns ``text`` and ``intent``)."""
    runs = []
    for scenario, down in SCENARIOS.items():
        flow = solved(support_desk(desk_models(down)))
        runs += [_one_run(flow, scenario, text, intent, seed)
                 for seed in seeds for text, intent in zip(messages["text"], messages["intent"])]
    return runs


@dataclass(frozen=True)
class Scorecard:
    """What the spec asks, measured over every run: ``survived`` counts the runs that raised nothing."""

    runs: int
    survived: int
    accuracy: float
    p95_s: float
    cost_per_1k_usd: float

    @property
    def met(self) -> bool:
        return (self.survived == self.runs and self.accuracy >= MIN_ACCURACY and self.p95_s <= MAX_P95_S
                and self.cost_per_1k_usd <= MAX_COST_PER_1K_USD)

    def to_frame(self) -> Any:
        """One row per target: what the spec asks, what was measured, met or not."""
        import pandas as pd

        rows = [("every message answered, any one specialist down", f"{self.runs} of {self.runs}",
                 f"{self.survived} of {self.runs}", self.survived == self.runs),
                ("accuracy", f">= {MIN_ACCURACY:.2f}", f"{self.accuracy:.3f}", self.accuracy >= MIN_ACCURACY),
                ("p95 latency (s)", f"<= {MAX_P95_S:.2f}", f"{self.p95_s:.3f}", self.p95_s <= MAX_P95_S),
                ("cost per 1,000 messages (US$)", f"<= {MAX_COST_PER_1K_USD:.2f}", f"{self.cost_per_1k_usd:.4f}",
                 self.cost_per_1k_usd <= MAX_COST_PER_1K_USD)]
        return pd.DataFrame(rows, columns=["target", "spec", "measured", "met"]).set_index("target")


def summarise(runs: list[DeskRun]) -> Scorecard:
    """The scorecard of a list of runs: a run that raised is wrong, and what it spent still counts."""
    return Scorecard(len(runs), sum(not r.error for r in runs), sum(r.right for r in runs) / len(runs),
                     float(np.percentile([r.latency for r in runs], 95)),
                     sum(r.cost for r in runs) / len(runs) * 1000)


def scorecard(support_desk: Callable[[dict[str, SimulatedModel]], Any], messages: Any,
              seeds: tuple[int, ...] = SEEDS) -> Any:
    """Try a design on ``messages`` as the check does on its hidden ones: the scorecard as a table."""
    return summarise(desk_runs(support_desk, messages, seeds)).to_frame()


def _by_scenario(runs: list[DeskRun]) -> dict[str, Scorecard]:
    return {s: summarise([r for r in runs if r.scenario == s]) for s in SCENARIOS}


@exercise("05.design", "Design: a support desk to a spec (open design)", points=2.0,
          start="write the body of support_desk(models): build and return a flow from the models given")
def _design(support_desk: Any) -> Iterator[Case]:
    builder = callable(support_desk) and not isinstance(support_desk, Step)
    yield Case("support_desk is a function that builds a flow", builder,
               "" if builder else f"got a {describe(support_desk)}; define it with def support_desk(models): ... and "
               "return the flow from there, so that the check can hand it models with faults")
    if not builder:
        return
    from ..course.datasets import customer_queries

    runs = desk_runs(support_desk, customer_queries("train"))  # 269 messages the lesson never ran
    card, scenarios = summarise(runs), _by_scenario(runs)
    bypass = [r.scenario for r in runs if r.used_down_model]
    yield Case("it calls the models it is given (the check injects the faults into them)", not bypass,
               f"when {bypass[0]}, a call to that specialist still succeeded: build every Ask from models[...], "
               "not from a SimulatedModel of your own" if bypass else "")
    raised = {s: c.runs - c.survived for s, c in scenarios.items() if c.survived < c.runs}
    first = next((r.error for r in runs if r.error), "")
    yield Case(f"every message answered, with every model up and with each specialist down in turn "
               f"({card.survived} of {card.runs} runs)", not raised,
               "runs that raised, by scenario: " + ", ".join(f"{s}: {n}" for s, n in raised.items()) +
               f" (first error: {first})\nwhen a specialist fails every call, its department's messages still need "
               "an answer: where does your flow send a message whose handler failed?" if raised else "")
    worst = min(scenarios, key=lambda s: scenarios[s].accuracy)
    up = scenarios["every model is up"].accuracy
    accuracy_hint = (f"with every model up it is only {up:.1%} right: who decides which department a message belongs "
                     "to, and how sure must it be before a specialist answers? Compare the acc_ columns of "
                     "data/models.csv" if worst == "every model is up" or up < MIN_ACCURACY else
                     f"{up:.1%} right with every model up, but {scenarios[worst].accuracy:.1%} when {worst}: is what "
                     "takes over that department's messages good at them?")
    yield Case(f"at least {MIN_ACCURACY:.0%} of all runs answered right (measured: {card.accuracy:.1%})",
               card.accuracy >= MIN_ACCURACY, accuracy_hint + "\na run that raised counts as wrong")
    slowest = max(scenarios, key=lambda s: scenarios[s].p95_s)
    yield Case(f"p95 latency within {MAX_P95_S:g} s on the virtual clock (measured: {card.p95_s:.2f} s)",
               card.p95_s <= MAX_P95_S,
               f"the slowest runs are when {slowest} ({scenarios[slowest].p95_s:.2f} s): how many model calls does "
               "a slow run make one after another, and which of them is the large model?")
    dearest = max(scenarios, key=lambda s: scenarios[s].cost_per_1k_usd)
    yield Case(f"at most US${MAX_COST_PER_1K_USD:.2f} per 1,000 messages (measured: US${card.cost_per_1k_usd:.3f})",
               card.cost_per_1k_usd <= MAX_COST_PER_1K_USD,
               f"US${scenarios[dearest].cost_per_1k_usd:.3f} per 1,000 when {dearest}; which model answers most "
               "messages? The large generalist costs about eight times a specialist per token: which messages "
               "are worth it?")
