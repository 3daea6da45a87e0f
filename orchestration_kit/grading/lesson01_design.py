"""Checks for lesson 1's later exercises: response formats (01.formats) and an open design (01.design).

Both grade behaviour, not shape. ``01.formats`` runs the learner's aggregator
behind a router whose handlers answer in three shapes. ``01.design`` builds the
learner's router from models with faults injected, runs it on held-out
messages under unseen seeds, and scores what the spec asks; any design that
meets the spec passes.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from ..models import SimulatedModel
from ..patterns import KeywordRules, Router
from ..measure.evaluate import default_prediction, evaluate
from ..models import load_profiles
from ..patterns.aggregator import FIELDS
from ..models.skills.support import INTENTS, REPLIES, understand_intent
from . import Case, DidNotFinish, NotSolved, describe, exercise, one_line, run_answer, solved
from .lesson01_messages import DEPARTMENTS, HIDDEN_MESSAGES, handler, hidden_rows


# -- exercise: response formats ----------------------------------------------------------------
def account_desk(message: str) -> dict[str, str]:
    """The account route's handler in 01.formats: a Python tool (no model), answering with a dict
    of its own shape: {"intent": ..., "answer": ...}."""
    intent, _ = understand_intent(str(message), list(INTENTS["account"]))
    return {"intent": intent, "answer": REPLIES[intent]}


def _formats_router(aggregator: Any, **down: bool) -> Router:
    """Keyword routing to three kinds of handler: JSON specialists, the account tool, the generalist."""
    rules = KeywordRules({"billing": ["charged", "refunded", "charge"], "technical": ["crashes"],
                          "product": ["plan", "mode"], "account": ["password"]})
    routes: dict[str, Any] = {}
    for department in ("billing", "technical", "product"):
        model = SimulatedModel(f"{department}-specialist").with_failures(error_rate=1.0 if down.get(department) else 0.0)
        routes[department] = handler(model, department)
    routes["account"] = account_desk
    return Router(analyzer=rules, routes=routes, fallback=handler(SimulatedModel("generalist-large"), "support"),
                  aggregator=aggregator, name="formats router")


def _answer(aggregator: Any, message: str, **down: bool) -> tuple[Any, str]:
    try:
        return run_answer(_formats_router(aggregator, **down), message).output, ""
    except DidNotFinish:
        raise
    except Exception as error:
        return None, one_line(error)


@exercise("01.formats", "One answer shape for every handler, and a format per category",
          start="replace None with ResultAggregator(formats={...}) or a function of {route: output}")
def _formats(aggregator: Any) -> Iterator[Case]:
    aggregator = solved(aggregator)
    yield Case("it is callable (a ResultAggregator or a function)", callable(aggregator),
               f"got a {describe(aggregator)}; pass ResultAggregator(formats={{...}})")
    if not callable(aggregator):
        return
    answers = {department: _answer(aggregator, HIDDEN_MESSAGES[department]) for department in DEPARTMENTS}
    answers["fallback"] = _answer(aggregator, "What is the capital of Norway?")
    answers["billing down"] = _answer(aggregator, HIDDEN_MESSAGES["billing"], billing=True)
    misshapen = [name for name, (output, _) in answers.items()
                 if not (isinstance(output, dict) and tuple(sorted(output)) == tuple(sorted(FIELDS)))]
    errors = [error for _, error in answers.values() if error]
    yield Case("every answer, whichever handler gave it, is a dict with the keys " + ", ".join(FIELDS), not misshapen,
               f"not so for: {', '.join(misshapen)}" + (f" (e.g. it raised {errors[0]})" if errors else "")
               + "; the account tool answers with its own keys and the fallback answers too: the aggregator sees both")
    if misshapen:
        return
    intents = {name: output["label"] for name, (output, _) in answers.items()}
    yield Case("the intent each handler recognised is kept in 'label', the account tool's too",
               intents["billing"] == "double_charge" and intents["account"] == "reset_password"
               and intents["technical"] == "app_crash",
               f"the labels were {intents}; the account tool calls it 'intent', the specialists 'label'")
    technical = answers["technical"][0]["reply"]
    yield Case("a technical reply starts with 'Steps to try: '", technical.startswith("Steps to try: "),
               f"it was {technical[:70]!r}; give the technical route its own format")
    billing = answers["billing"][0]["reply"]
    yield Case("a billing reply ends with a line 'Reference: <the intent>'", billing.endswith("\nReference: double_charge"),
               f"it was {billing[-70:]!r}; a format can use the answer's label")
    plain = [name for name in ("product", "account") if answers[name][0]["reply"] != REPLIES[answers[name][0]["label"]]]
    yield Case("other categories keep the handler's reply as it is", not plain,
               f"changed for {', '.join(plain)}; only technical and billing have a format of their own")


# -- exercise: an open design ------------------------------------------------------------------
ACCURACY_TARGET, BUDGET_PER_1K, MIXED_TARGET = 0.83, 0.20, 0.80
DESIGN_SEEDS = (4, 5)  # seeds the lesson does not show
MODELS = ("billing-specialist", "technical-specialist", "product-specialist", "account-specialist",
          "generalist-large", "generalist-small")


def _models(**down: bool) -> dict[str, SimulatedModel]:
    """The lesson's six models by name; ``down`` names (with _ for -) the ones that fail every call."""
    return {name: SimulatedModel(name).with_failures(error_rate=1.0 if down.get(name.replace("-", "_")) else 0.0)
            for name in MODELS}


def answered_labels(result: Any) -> list[Any]:
    """Every intent a run's answer gives: an aggregated answer's "labels", else its one label."""
    output = result.output
    if isinstance(output, dict) and isinstance(output.get("labels"), list):
        return output["labels"]
    return [default_prediction(result)]


def _mixed_held_out() -> Any:
    import pandas as pd

    return pd.DataFrame([row for row in hidden_rows() if row["kind"] == "mixed"])


def measure_design(design: Callable[[dict[str, SimulatedModel]], Any], **down: bool) -> dict[str, float]:
    """The spec's numbers for ``design``: accuracy and cost on the test set (hidden seeds), the
    share of held-out mixed-intent messages whose request is answered, and errors."""
    from ..course import datasets

    flow = design(_models(**down))
    test = datasets.customer_queries("test")
    runs = [evaluate(flow, test, label_column="intent", seed=seed, progress=False) for seed in DESIGN_SEEDS]
    mixed = evaluate(flow, _mixed_held_out(), label_column="intent", predict=answered_labels,
                     score=lambda labels, intent: float(intent in labels), seed=DESIGN_SEEDS[0], progress=False)
    return {"accuracy": sum(r.accuracy for r in runs) / len(runs),
            "cost_per_1k": sum(float(r.items.cost_usd.mean()) * 1000 for r in runs) / len(runs),
            "mixed": mixed.accuracy, "mixed_count": len(mixed.items),
            "errors": sum(int((r.items.status == "error").sum()) for r in runs)}


@exercise("01.design", "Design a support router to a spec", start="write the body of design(models): return a flow")
def _design(design: Any) -> Iterator[Case]:
    design = solved(design)
    yield Case("design is a function of the models", callable(design),
               f"got a {describe(design)}; define it with def design(models): ... return <a flow>")
    if not callable(design):
        return
    try:
        flow = design(_models())
        solved(flow)  # the untouched exercise returns None: not yet solved, not wrong
        run_answer(flow, HIDDEN_MESSAGES["billing"])
    except (DidNotFinish, NotSolved):
        raise
    except Exception as error:
        yield Case("design(models) builds a flow that answers a clear billing question", False,
                   f"it raised {one_line(error)}; build every step from models[...] and return the flow")
        return
    normal = measure_design(design)
    yield Case(f"end-to-end accuracy on the held-out messages is at least {ACCURACY_TARGET:.0%}",
               normal["accuracy"] >= ACCURACY_TARGET,
               f"yours: {normal['accuracy']:.1%}; which analyzer is right most often, and where do its unsure "
               "messages go?")
    yield Case(f"it costs at most ${BUDGET_PER_1K:.2f} per 1,000 messages", normal["cost_per_1k"] <= BUDGET_PER_1K,
               f"yours: ${normal['cost_per_1k']:.4f}; count the calls to the large generalist and the extra routes")
    yield Case(f"at least {MIXED_TARGET:.0%} of the held-out mixed-intent messages get their request answered",
               normal["mixed"] >= MIXED_TARGET,
               f"yours: {normal['mixed']:.0%} of {normal['mixed_count']}; a mixed message names two departments' "
               "matters: what if both departments answered, in one reply?")
    generalists = [name for name, p in load_profiles().items() if p.role == "generalist"]
    for fault, hint in (("generalist_small", "a model your design relies on is down; its step needs a way out"),
                        ("billing_specialist", "a specialist is down; where does its route's message go then?")):
        measured = measure_design(design, **{fault: True})
        yield Case(f"with {fault.replace('_', '-')} down, no message is lost and accuracy stays at least 80%",
                   measured["errors"] == 0 and measured["accuracy"] >= 0.80,
                   f"{measured['errors']} messages lost, accuracy {measured['accuracy']:.1%}; {hint} "
                   f"(the generalists: {', '.join(generalists)})")
