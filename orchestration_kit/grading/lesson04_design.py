"""Checks for lesson 4's open design exercise, ``04.design``: a help desk built from a spec.

The learner writes ``design(models)``: given the models by role (``"large"``,
``"small"``, ``"compliance"``), return a flow. The check runs it on the 54
held-out requests (``split == "test"``) three times, with every model up, with
the compliance model down, and with the small model down, and scores the spec's
properties, never the shape: many designs pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from ..models import SimulatedModel
from ..patterns import Escalation, Review
from ..course import datasets
from . import Case, describe, exercise, one_line, solved, try_run

COST_PER_REVIEW = 4.00  # US$ per request a person reviews
BUDGET = 2000.0  # US$ per 1,000 requests, models and people together
PEOPLE_CAP = 50.0  # % of requests that may go to a person (all models up, and with the small model down)
FAULTS = ("none", "compliance model down", "small model down")


@dataclass(frozen=True)
class Outcome:
    """One held-out request run through the learner's flow."""

    label: str
    error: str
    to_a_person: bool
    automated: bool
    incomplete: bool  # a review packet that left without a person, with a check missing
    cost: float


def _models(fault: str) -> dict[str, SimulatedModel]:
    models = {"large": SimulatedModel("generalist-large"), "small": SimulatedModel("generalist-small"),
              "compliance": SimulatedModel("compliance-specialist")}
    down = {"compliance model down": "compliance", "small model down": "small"}.get(fault)
    if down:
        models[down] = models[down].with_failures(error_rate=1.0)
    return models


def _outcome(label: str, output: Any, trace: Any, error: str) -> Outcome:
    tops = [span for span in trace or [] if span.pattern == "hierarchical"]
    escalated = isinstance(output, (Escalation, Review)) or any(span.status == "escalated" for span in tops)
    automated = bool(tops) and tops[0].route == "automated" and not escalated
    missing = isinstance(output, dict) and bool(output.get("missing checks"))
    cost = (trace.cost if trace is not None else 0.0) + (COST_PER_REVIEW if escalated else 0.0)
    return Outcome(label, error, escalated, automated, missing and not escalated, cost)


def _run_all(design: Any, fault: str) -> list[Outcome] | str:
    try:
        flow = design(_models(fault))
    except Exception as error:
        return f"design(models) raised {one_line(error)}"
    held_out = datasets.enterprise_requests().query("split == 'test'")
    return [_outcome(label, *try_run(flow, text)) for text, label in zip(held_out["text"], held_out["label"])]


def _scores(outcomes: list[Outcome]) -> dict[str, float]:
    n = len(outcomes)
    return {
        "errors": sum(bool(o.error) for o in outcomes),
        "risky missed": sum(o.label == "escalation" and not o.to_a_person for o in outcomes),
        "wrongly automated": sum(o.automated and o.label != "automated" for o in outcomes),
        "to a person (%)": round(100 * sum(o.to_a_person for o in outcomes) / n, 1),
        "cost per 1k (US$)": round(1000 * sum(o.cost for o in outcomes) / n, 1),
        "incomplete packets": sum(o.incomplete for o in outcomes),
    }


@exercise("04.design", "Design a help desk from a spec: people's time in the budget, nothing risky automated, a team down",
          start="write the body of design(models): build the teams and the top level from models, return the flow")
def _design(design: Any) -> Iterator[Case]:
    yield Case("design is a function", callable(design), f"got a {describe(design)}; define it with def design(models): ...")
    if not callable(design):
        return
    solved(design(_models("none")))
    runs = {fault: _run_all(design, fault) for fault in FAULTS}
    for fault, outcomes in runs.items():
        if isinstance(outcomes, str):
            yield Case(f"design(models) builds a flow ({fault})", False, outcomes)
            return
    scores = {fault: _scores(outcomes) for fault, outcomes in runs.items()}  # type: ignore[arg-type]
    first_error = next((o.error for outcomes in runs.values() for o in outcomes if o.error), "")  # type: ignore[union-attr]
    yield Case("no request raises, with every model up or one down",
               all(s["errors"] == 0 for s in scores.values()),
               f"{ {f: s['errors'] for f, s in scores.items()} } requests raised, e.g. {first_error}; a failing team or "
               "manager must end in an escalation, never an exception")
    yield Case("every escalation request reaches a person, with every model up or one down",
               all(s["risky missed"] == 0 for s in scores.values()),
               f"missed: { {f: s['risky missed'] for f, s in scores.items()} }; which feedback tells your top level that "
               "a person must decide? And how sure is your manager when it is wrong?")
    yield Case("nothing that needed a person or a review is handled by the automated team",
               all(s["wrongly automated"] == 0 for s in scores.values()),
               f"wrongly automated: { {f: s['wrongly automated'] for f, s in scores.items()} }; when may the top level "
               "trust its own route to automation?")
    yield Case("with the compliance model down, no review packet with a missing check leaves without a person",
               scores["compliance model down"]["incomplete packets"] == 0,
               f"{scores['compliance model down']['incomplete packets']} packets left incomplete; what does the review "
               "team's status say when a check is skipped?")
    normal, degraded = scores["none"], scores["small model down"]
    yield Case(f"at most {PEOPLE_CAP:.0f}% of requests go to a person (all models up: {normal['to a person (%)']}%)",
               normal["to a person (%)"] <= PEOPLE_CAP,
               "people are the scarce resource: which requests does your design send to a person that a team could "
               "handle? How much of the manager's doubt must a person really see?")
    yield Case(f"within US${BUDGET:,.0f} per 1,000 requests, people's time included (measured: "
               f"US${normal['cost per 1k (US$)']:,.1f})", normal["cost per 1k (US$)"] <= BUDGET,
               f"each review costs US${COST_PER_REVIEW:.2f}: the people's share dominates the bill, not the models'")
    yield Case(f"with the small model down, still at most {PEOPLE_CAP:.0f}% to a person "
               f"(measured: {degraded['to a person (%)']}%)", degraded["to a person (%)"] <= PEOPLE_CAP,
               "a worker model down should not send every request to a person: what can take over its steps?")
