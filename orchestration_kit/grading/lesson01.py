"""Checks for lesson 1, "Router" (exercises/01_router.ipynb).

Nothing is compared with a stored answer: every check routes messages the
learner has not seen (held out: ``hidden_queries()``, or the test set under
seeds the lesson does not show), or runs the learner's router on the virtual
clock, and measures. The baselines (the rules without an account route, the large
generalist alone) are measured here too, so the grader and the lesson agree.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from ..models import SimulatedModel
from ..patterns import KeywordRules, Router
from ..steps import Ask
from ..measure.evaluate import evaluate
from ..models import load_profiles
from . import Case, DidNotFinish, describe, exercise, one_line, run_answer, solved
from .lesson01_messages import DEPARTMENTS, HIDDEN_MESSAGES, handler, hidden_queries, hidden_rows  # noqa: F401


# The exercise starts from these rules (the same as in the exercise notebook).
GIVEN_RULES = {
    "billing": ["refund", "charge", "charged", "invoice", "payment", "card", "bill", "billed", "money"],
    "technical": ["error", "crash", "crashes", "slow", "login", "log", "sign", "api", "sync", "bug"],
    "product": ["plan", "price", "pricing", "feature", "compatible", "stock", "ship", "release", "support"],
}


def _routing(rules: Any, texts: list[str]) -> list[str]:
    """The department the rules choose for each text ("general" when no keyword matched)."""
    return [rules(text).route or "general" for text in texts]


# -- exercise 1 -----------------------------------------------------------------
RECALL_FLOOR, PRECISION_FLOOR = 0.55, 0.85


@exercise("01.keywords", "Keyword rules for the missing account route",
          start="replace None with KeywordRules({...}): the three given routes plus an 'account' route")
def _keywords(rules: Any) -> Iterator[Case]:
    from ..course import datasets

    is_rules = isinstance(rules, KeywordRules)
    yield Case("it is a KeywordRules", is_rules,
               f"got a {describe(rules)}; wrap your dict: rules = KeywordRules({{...}})")
    if not is_rules:
        return
    routes = list(rules.rules)
    yield Case("it has an 'account' route with keywords", bool(rules.rules.get("account")),
               f"its routes are {routes}; add \"account\": [a list of words]")
    kept = [route for route in GIVEN_RULES if route in rules.rules]
    yield Case("it keeps the billing, technical and product routes", len(kept) == 3,
               f"its routes are {routes}; start from the given rules and add to them")
    if not rules.rules.get("account"):
        return

    texts, labels = hidden_queries()  # held out: none of these is in the shipped data set
    chosen = _routing(rules, texts)
    to_account = [label for label, route in zip(labels, chosen) if route == "account"]
    account_messages = [route for label, route in zip(labels, chosen) if label == "account"]
    recall = account_messages.count("account") / len(account_messages)
    yield Case(f"at least {RECALL_FLOOR:.0%} of the held-out account messages go to account", recall >= RECALL_FLOOR,
               f"{recall:.0%} of the {len(account_messages)} held-out account messages did; words that only a few "
               "training messages use (a name, a typo, an amount) do not come back: keep the words account "
               "requests share (what they are about: password, email, ...)")
    precision = to_account.count("account") / len(to_account) if to_account else 0.0
    yield Case(f"at least {PRECISION_FLOOR:.0%} of what goes to account belongs there", precision >= PRECISION_FLOOR,
               f"{precision:.0%} of the {len(to_account)} held-out messages sent to account were account messages; "
               "drop words that other departments use too (a word like 'plan' or 'card' misleads)")
    before = sum(r == label for r, label in zip(_routing(KeywordRules(GIVEN_RULES), texts), labels)) / len(labels)
    after = sum(r == label for r, label in zip(chosen, labels)) / len(labels)
    yield Case("routing accuracy on the held-out messages goes up", after > before + 0.05,
               f"{before:.1%} without an account route, {after:.1%} with yours")


# -- exercise 2 -----------------------------------------------------------------
ACCURACY_FLOOR = 0.85
HIDDEN_SEEDS = (1, 2, 3)  # the lesson shows seed 0; these runs are ones the learner has not seen
PROBE = "I was charged twice this month"


def _hidden_run(flow: Any) -> tuple[float, float, int]:
    """Mean end-to-end accuracy and cost per 1,000 messages over the hidden runs, and the error count."""
    from ..course import datasets

    test = datasets.customer_queries("test")
    results = [evaluate(flow, test, label_column="intent", seed=seed, progress=False) for seed in HIDDEN_SEEDS]
    accuracy = sum(r.accuracy for r in results) / len(results)
    cost = sum(float(r.items["cost_usd"].mean()) * 1000 for r in results) / len(results)
    errors = sum(int((r.items["status"] == "error").sum()) for r in results)
    return accuracy, cost, errors


@exercise("01.threshold", "A router that beats an accuracy floor on half the budget",
          start="replace None with Router(analyzer=..., routes=routes, fallback=..., threshold=...)")
def _threshold(router: Any) -> Iterator[Case]:
    is_router = isinstance(router, Router)
    yield Case("it is a Router", is_router, f"got a {describe(router)}; build it with Router(...)")
    if not is_router:
        return
    yield Case("it has a fallback", router.fallback is not None,
               "pass fallback=generalist: unsure or failed messages need somewhere to go")
    yield Case("it has a confidence threshold above 0", router.threshold > 0,
               "pass threshold=<a confidence between 0 and 1>; the lesson's sweep shows what each value does")
    try:  # one run first, so that a router that never ends gets a verdict instead of stalling the evaluation
        run_answer(router, PROBE)
    except DidNotFinish:
        raise
    except Exception:
        pass  # an error is counted by the evaluation below
    accuracy, cost, errors = _hidden_run(router)
    baseline_accuracy, baseline_cost, _ = _hidden_run(handler(SimulatedModel("generalist-large"), "support"))
    yield Case(f"end-to-end accuracy on the hidden runs is at least {ACCURACY_FLOOR:.0%}", accuracy >= ACCURACY_FLOOR,
               f"yours: {accuracy:.1%} (the large generalist alone: {baseline_accuracy:.1%})"
               + (f"; {errors} runs raised an error" if errors else "")
               + "\nthe trained router is the most accurate analyzer; a threshold sends its unsure messages to the generalist")
    budget = baseline_cost / 2
    yield Case("it costs at most half as much as the large generalist alone", cost <= budget,
               f"yours: ${cost:.4f} per 1,000 messages, budget ${budget:.4f}; every message below the threshold "
               "pays for the large generalist, so a very high threshold costs almost as much as sending everything there")


# -- exercise 3: an error case -------------------------------------------------------
def _routes(**failures: dict[str, Any]) -> dict[str, Ask]:
    """The lesson's routes, with failures injected into some specialists, e.g. billing={"error_rate": 1.0}.

    The other specialists never fail here (the catalog gives them a small error rate), so
    a case about one failing specialist is not muddled by another's chance error.
    """
    routes = {}
    for department in DEPARTMENTS:
        model = SimulatedModel(f"{department}-specialist").with_failures(**failures.get(department, {"error_rate": 0.0}))
        routes[department] = handler(model, department)
    routes["general"] = handler(SimulatedModel("generalist-large"), "support")
    return routes


def _answered_by(trace: Any) -> str:
    """The model whose call produced the answer: the last model call that succeeded."""
    ok = [span.model for span in trace.model_calls if span.status == "ok"]
    return ok[-1] if ok else "no model"


def _attempt(build: Callable[[dict[str, Ask]], Any], routes: dict[str, Ask], department: str) -> tuple[Any, str]:
    """Run the learner's router on a hidden message: (trace, "") or (None, the error as one line)."""
    try:
        result = run_answer(build(routes), HIDDEN_MESSAGES[department])
        return result.trace, ""
    except DidNotFinish:
        raise  # the check's own verdict: the flow never ends
    except Exception as error:
        return None, one_line(error)


@exercise("01.dependable", "A router that never loses an answer when a specialist fails",
          start="write the body of dependable_router(routes): return a Router(...)")
def _dependable(dependable_router: Any) -> Iterator[Case]:
    yield Case("dependable_router is a function", callable(dependable_router),
               f"got a {describe(dependable_router)}; define it with def dependable_router(routes): ...")
    if not callable(dependable_router):
        return
    router = solved(dependable_router(_routes()))
    yield Case("dependable_router(routes) returns a Router", isinstance(router, Router),
               f"it returned a {describe(router)}; return Router(analyzer=..., routes=..., fallback=...)")
    if not isinstance(router, Router):
        return
    generalists = [name for name, profile in load_profiles().items() if profile.role == "generalist"]

    trace, error = _attempt(dependable_router, _routes(), "product")
    who = _answered_by(trace) if trace else f"nobody (it raised {error})"
    yield Case("when every specialist works, a product question is answered by the product specialist",
               who == "product-specialist", f"it was answered by {who}; use the routes you are given")

    trace, error = _attempt(dependable_router, _routes(billing={"error_rate": 1.0}), "billing")
    who = _answered_by(trace) if trace else f"nobody (it raised {error})"
    yield Case("when the billing specialist is down, the billing question still gets an answer from a generalist",
               who in generalists,
               f"it raised {error}\ngive the Router a fallback= (a generalist): a failed route then goes there"
               if error else f"it was answered by {who}; the fallback should be a generalist model")

    trace, error = _attempt(dependable_router, _routes(technical={"fail_first": 1}), "technical")
    who = _answered_by(trace) if trace else f"nobody (it raised {error})"
    yield Case("when the technical specialist fails once, it is retried and answers itself (cheaper than the fallback)",
               who == "technical-specialist",
               f"it was answered by {who}; wrap each route in Resilient(step, retry=RetryPolicy(attempts=2)) "
               "so a passing error is retried before the fallback takes over")

    down = {department: {"error_rate": 1.0} for department in DEPARTMENTS}
    lost, errors = [], []
    for department in DEPARTMENTS:
        trace, error = _attempt(dependable_router, _routes(**down), department)
        if not (trace and _answered_by(trace) in generalists):
            lost.append(department)
            errors += [error] if error else []
    yield Case("when every specialist is down, all four hidden questions are still answered", not lost,
               f"the {', '.join(lost)} question(s) got no answer" + (f" (e.g. {errors[0]})" if errors else "")
               + "; the fallback must catch every failed route")


from . import lesson01_design  # noqa: E402,F401 (registers 01.formats and 01.design)
