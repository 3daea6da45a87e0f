"""Checks for lesson 2's open design (``02.design``): a document screen that survives its models.

The learner designs the flow from a spec (accuracy, p95 latency, cost, faults to
survive) and any design meeting it passes. The check builds the learner's flow
from models with faults injected, runs it on held-out documents under several
seeds, and measures each property from the runs, never from the flow's shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator

from ..models import SimulatedModel
from ..models.skills.parse import parse_json
from ..patterns import Gathered
from ..steps import Step
from . import Case, describe, exercise, solved
from .lesson02_runs import HEALTHY, attempt

# The spec the learner designs for. Several designs pass (a fallback per branch, retries
# and timeouts set on the Parallel, a different sentiment model...); each property below
# is measured on held-out documents with faults injected, never read from the flow's shape.
DESIGN_MODELS = ("generalist-small", "generalist-large", "sentiment-specialist", "compliance-specialist")
DESIGN_FAULTS = {  # scenario -> failures injected into hidden copies of the models
    "every model works": {},
    "the compliance model fails once per document": {"compliance-specialist": {"fail_first": 1}},
    "the compliance model is down": {"compliance-specialist": {"error_rate": 1.0}},
    "the sentiment model hangs": {"sentiment-specialist": {"timeout_rate": 1.0}},
}
BROKEN = {"the compliance model is down": "risk", "the sentiment model hangs": "sentiment"}  # what each outage threatens
P95_LIMIT_S, COST_LIMIT_PER_1K = 3.0, 0.40
ACCURACY_FLOORS = {"risk": 5 / 6, "sentiment": 2 / 3}  # share of runs right in the worst scenario: one wrong risk in 6, sentiment in 3
DESIGN_SEEDS = (0, 1, 2, 3, 4)  # each document runs with five seeds (160 runs per scenario), so luck neither passes nor fails a floor
DESIGN_TRY_IDS = ("d001", "d002", "d003", "d004", "d005", "d006", "d007", "d008")  # the learner tries these; the check uses the rest


def design_models(**failures: dict[str, Any]) -> dict[str, SimulatedModel]:
    """The models a design may use, by catalog name, with failures injected, e.g. {"compliance-specialist": {...}}."""
    return {name: SimulatedModel(name).with_failures(**{**HEALTHY, **failures.get(name, {})}) for name in DESIGN_MODELS}


def read_screen(output: Any) -> tuple[Any, Any]:
    """(sentiment label, compliance risk) from a design's output: a dict with those keys, or a Gathered of
    branches named "sentiment" and "risk" (the models' JSON answers). None for what is not there."""
    if isinstance(output, Gathered):
        values = output.values
        sentiment = parse_json(values["sentiment"]).get("label") if values.get("sentiment") else None
        risk = parse_json(values["risk"]).get("risk") if values.get("risk") else None
        return sentiment, risk
    if isinstance(output, dict):
        return output.get("sentiment"), output.get("risk")
    return None, None


@dataclass(frozen=True)
class _Run:
    """One hidden run of a design: what it answered and what it cost (error: the run raised)."""

    scenario: str
    document: str  # the document's id and the run's seed, e.g. "d012/1"
    sentiment: Any = None
    risk: Any = None
    right: tuple[bool, bool] = (False, False)  # sentiment right, risk right
    latency: float = 0.0
    cost: float = 0.0
    error: str = ""


def _hidden_documents() -> Any:
    from ..course import datasets

    documents = datasets.business_documents()
    return documents[~documents["id"].isin(DESIGN_TRY_IDS)]


def _runs(screen: Callable[[dict[str, SimulatedModel]], Any]) -> list[_Run]:
    runs = []
    for scenario, failures in DESIGN_FAULTS.items():
        flow = solved(screen(design_models(**failures)))
        for document, seed in ((d, seed) for d in _hidden_documents().itertuples() for seed in DESIGN_SEEDS):
            result, error = attempt(flow, document.text, seed)
            if result is None:
                runs.append(_Run(scenario, f"{document.id}/{seed}", error=error))
                continue
            sentiment, risk = read_screen(result.output)
            right = (sentiment == document.sentiment, risk == document.compliance_risk)
            runs.append(_Run(scenario, f"{document.id}/{seed}", sentiment, risk, right, result.trace.latency, result.trace.cost))
    return runs


def _share(runs: list[_Run], which: int) -> dict[str, float]:
    """The share of documents answered right, per scenario (0 = sentiment, 1 = risk)."""
    return {s: sum(r.right[which] for r in runs if r.scenario == s) / sum(r.scenario == s for r in runs) for s in DESIGN_FAULTS}


def _survivors_lost(runs: list[_Run], scenario: str, kept: str) -> int:
    """In how many runs of ``scenario`` the design lost its ``kept`` analysis, which it gave when every model worked."""
    def given(run: _Run) -> bool:
        return not run.error and getattr(run, kept) is not None

    healthy = {r.document for r in runs if r.scenario == "every model works" and given(r)}
    return sum(not given(r) for r in runs if r.scenario == scenario and r.document in healthy)


def p95(values: list[float]) -> float:
    """The 95th percentile, nearest rank (a latency that 95 % of the runs stay within)."""
    ordered = sorted(values)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)] if ordered else float("nan")


_ACCURACY_HINTS = {  # the worst scenario -> a question that points the way, not the answer
    "every model works": "even with every model working it is wrong too often: is each analysis asked with the right skill= "
                         "and of a model that is good at it (data/models.csv, the acc_ columns)?",
    "the compliance model fails once per document": "the compliance model answers if asked a second time; does your flow ask again?",
    "the compliance model is down": "when the compliance specialist is down for good, where does the risk come from? "
                                    "Which other model in the catalog can judge compliance, and how well (acc_compliance)?",
    "the sentiment model hangs": "a call that hangs never answers: how long does your flow wait, and what does it do then?",
}


@exercise("02.design", "Design: a document screen that survives its models (open design)", points=2.0,
          start="write the body of screen(models): build and return a flow from the models given")
def _design(screen: Any) -> Iterator[Case]:
    builder = callable(screen) and not isinstance(screen, Step)
    yield Case("screen is a function that builds a flow", builder,
               f"got a {describe(screen)}; define it with def screen(models): ... and return the flow from there, "
               "so the check can hand it models with faults" if not builder else "")
    if not builder:
        return
    runs = _runs(screen)
    total, failed = len(runs), [r for r in runs if r.error]
    yield Case(f"it runs on all {total} hidden cases without an error reaching the caller", not failed,
               f"{len(failed)} of {total} runs raised, e.g. in '{failed[0].scenario}': {failed[0].error}; "
               "one failing analysis should not sink the whole screen" if failed else "")
    answered = [r for r in runs if not r.error]
    shaped = sum(r.sentiment is not None or r.risk is not None for r in answered)
    yield Case("its output gives the sentiment and the risk", shaped > 0,
               "no run gave either; return a dict {'sentiment': ..., 'risk': ...} (a synthesizer can build it), "
               "or the Gathered of two branches named 'sentiment' and 'risk'")
    if not shaped:
        return
    lost = {scenario: _survivors_lost(runs, scenario, kept="sentiment" if broken == "risk" else "risk")
            for scenario, broken in BROKEN.items()}
    yield Case("survivors kept: when one model fails for good, the other analysis still comes back", not any(lost.values()),
               "; ".join(f"'{s}': the {'risk' if BROKEN[s] == 'sentiment' else 'sentiment'} was lost too in {n} runs"
                         for s, n in lost.items() if n) + "; a failure in one branch must not cost the others their results")
    for which, name in ((1, "risk"), (0, "sentiment")):
        shares = _share(runs, which)
        worst = min(shares, key=shares.get)
        floor = ACCURACY_FLOORS[name]
        yield Case(f"the {name} is right in at least {floor:.0%} of the runs of every scenario "
                   f"(worst: {shares[worst]:.0%})", shares[worst] >= floor,
                   f"{shares[worst]:.0%} right when {worst}; " + _ACCURACY_HINTS[worst])
    slowest = max(DESIGN_FAULTS, key=lambda s: p95([r.latency for r in answered if r.scenario == s] or [0.0]))
    latency = p95([r.latency for r in answered])
    yield Case(f"p95 latency within {P95_LIMIT_S:g} s on the virtual clock (measured: {latency:.2f} s)", latency <= P95_LIMIT_S,
               f"the slowest runs are when {slowest}; how long can one call keep the whole screen waiting?")
    cost = sum(r.cost for r in answered) / max(len(answered), 1) * 1000
    yield Case(f"at most ${COST_LIMIT_PER_1K:.2f} per 1,000 documents (measured: ${cost:.3f})", cost <= COST_LIMIT_PER_1K,
               "which calls run on every document though they are needed only when something fails? "
               "A large model asked every time costs more than one asked only as a last resort")
