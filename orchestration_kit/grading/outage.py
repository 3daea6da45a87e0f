"""Lesson 8's open design exercise, 08.outage: a support desk that survives any one model going down.

The learner's ``make_desk(models)`` gets hidden simulated models by role name and
returns any flow. The check runs it on held-out customer messages (the test
split) with every model up, then with each model down in turn (every call fails
with HTTP 500), and scores what the spec asks: answers by the right specialist,
cost per 1,000 messages, and answers that survive any single outage.
"""

from __future__ import annotations

from typing import Any, Iterator

from ..course.datasets import customer_queries
from ..models import SimulatedModel
from . import Case, describe, exercise, solved, try_run

MODELS = {"small": "generalist-small", "large": "generalist-large", "billing": "billing-specialist",
          "technical": "technical-specialist", "product": "product-specialist", "account": "account-specialist"}
DEPARTMENTS = ("billing", "technical", "product", "account")
BUDGET = 0.25  # US$ per 1,000 messages, every model up
SPECIALIST_SHARE = 0.7  # of the department messages, answered by their own specialist
SURVIVE_SHARE = 0.95  # of all messages, answered with any one model down


def hidden_messages(per_label: int = 8) -> list[tuple[str, str]]:
    """(text, label) pairs from the held-out test split, the same number of each label."""
    test = customer_queries("test")
    return [(row.text, row.label) for label in sorted(test.label.unique())
            for row in test[test.label == label].head(per_label).itertuples()]


def hidden_models(down: str = "") -> dict[str, SimulatedModel]:
    """The role -> model dictionary a learner's desk is built from; the model named ``down`` fails every call."""
    return {role: SimulatedModel(name).with_failures(error_rate=1.0) if name == down else SimulatedModel(name)
            for role, name in MODELS.items()}


def _answered(output: Any, error: str) -> bool:
    return not error and output is not None and str(output).strip() != ""


def _run_desk(make_desk: Any, down: str, messages: list[tuple[str, str]]) -> list[tuple[Any, Any, str]]:
    flow = make_desk(hidden_models(down))
    return [try_run(flow, text) for text, _ in messages]


@exercise("08.outage", "Design a support desk that survives any one model going down",
          start="write the body of make_desk(models): return a flow built from the models you choose")
def _outage(make_desk: Any) -> Iterator[Case]:
    yield Case("make_desk is a function", callable(make_desk),
               f"got a {describe(make_desk)}; define it with def make_desk(models): ...")
    if not callable(make_desk):
        return
    solved(make_desk(hidden_models()))
    messages = hidden_messages()

    runs = _run_desk(make_desk, "", messages)
    answered = sum(_answered(out, err) for out, _, err in runs)
    yield Case("every model up: every message answered", answered == len(messages),
               f"{answered} of {len(messages)} were; first error: {next((e for _, _, e in runs if e), 'none')}")
    department = [(label, trace) for (_, label), (_, trace, err) in zip(messages, runs) if label in DEPARTMENTS]
    by_specialist = sum(trace is not None and bool(trace.model_calls) and
                        trace.model_calls[-1].model == MODELS[label] for label, trace in department)
    share = by_specialist / len(department)
    yield Case(f"every model up: at least {SPECIALIST_SHARE:.0%} of department messages answered by their specialist",
               share >= SPECIALIST_SHARE,
               f"{by_specialist} of {len(department)} ({share:.0%}) were; which model answers best in each department?")
    cost = 1000 * sum(trace.cost for _, trace, err in runs if trace is not None) / len(messages)
    yield Case(f"every model up: at most ${BUDGET:g} per 1,000 messages", cost <= BUDGET,
               f"it cost ${cost:.3f} per 1,000; the large model is about ten times the price of the others: "
               "where is it worth paying for?")

    worst, failed_where = len(messages), {}
    for role, name in MODELS.items():
        runs = _run_desk(make_desk, name, messages)
        answered = sum(_answered(out, err) for out, _, err in runs)
        worst = min(worst, answered)
        if answered < SURVIVE_SHARE * len(messages):
            failed_where[role] = len(messages) - answered
    yield Case(f"any one model down: at least {SURVIVE_SHARE:.0%} of messages still answered", not failed_where,
               f"unanswered, by the model that was down: {failed_where}; for each role, ask what answers "
               "when the model in that role is down, and whether that is the same model")
