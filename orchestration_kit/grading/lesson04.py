"""Checks for lesson 4, "Hierarchical" (exercises/04_hierarchical.ipynb).

The hidden cases are requests of ``datasets.enterprise_requests()`` run through
the learner's hierarchy, hand-made ``Feedback`` values, and hidden teams that
succeed, roll back, lose a check or raise, all on the virtual clock.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from ..errors import BackendError
from ..patterns import Feedback, Hierarchical, HumanReview, Parallel, Review, Sequential, Stage, resolve
from ..patterns.tiers import count_tiers
from ..course import datasets
from ..trace import Span
from . import Case, describe, exercise, one_line, solved, try_run


def _top_span(trace: Any) -> Any:
    """The outermost hierarchical span of a run (None if there is none)."""
    found = [span for span in trace or [] if span.pattern == "hierarchical"]
    return found[0] if found else None


def _escalated(trace: Any) -> bool:
    top = _top_span(trace)
    return top is not None and top.status == "escalated"


# -- exercise 1 -----------------------------------------------------------------
_ROUTES = ["automated", "manual_review", "escalation"]


@exercise("04.hierarchy", "Assemble the triage hierarchy",
          start="replace None with Hierarchical(top=..., sub={...}, escalate=..., escalate_when=..., threshold=...)")
def _hierarchy(flow: Any) -> Iterator[Case]:
    is_hierarchical = isinstance(flow, Hierarchical)
    yield Case("it is a Hierarchical", is_hierarchical,
               f"got a {describe(flow)}; build it with Hierarchical(top=..., sub=...)")
    if not is_hierarchical:
        return
    routes = list(flow.sub)
    yield Case("its teams are automated, manual_review and escalation", sorted(routes) == sorted(_ROUTES),
               f"its routes are {routes}; use sub={{'automated': automated, 'manual_review': manual_review, "
               "'escalation': case_file}}: the manager's answers are these three names")
    requests = datasets.enterprise_requests().set_index("id")["text"]

    output, trace, error = try_run(flow, requests["r0014"])  # payslips: routine, and the manager is sure
    top = _top_span(trace)
    yield Case("a routine request is done by the automated team, without a person",
               not error and top is not None and top.route == "automated" and not _escalated(trace),
               f"it raised {error}" if error else f"the top level said: {top.detail if top else 'nothing'}")
    tiers = count_tiers(flow, trace) if not error and top is not None else None
    split = tiers is not None and tiers["routing decisions"] == 1 and tiers["team model calls"] >= 1
    yield Case("the top level only decides; the team does the work (strategic decisions, tactical execution)", split,
               "it did not run" if tiers is None else
               f"on the routine request the top level made {tiers['routing decisions']} routing decision(s) and the "
               f"team made {tiers['team model calls']} model call(s): top= should only choose a team (the manager), "
               "and each team in sub= should do its own work")

    output, trace, error = try_run(flow, requests["r0020"])  # a salary change: manual review
    yield Case("a pay change gets the manual-review packet", isinstance(output, dict) and "amount" in output,
               f"it raised {error}" if error else f"the output is {describe(output)}; route manual_review to the given team")

    output, trace, error = try_run(flow, requests["r0022"])  # a legal threat: escalation
    reviewed = isinstance(output, Review) and output.reviewer == "scripted" and output.decision == "approved"
    yield Case("a legal threat reaches the scripted reviewer, who approves", reviewed,
               f"it raised {error}" if error else
               f"the output is {describe(output)}; set escalate=HumanReview(decisions='approve') and "
               "escalate_when=needs_a_person (the escalation route itself does not call anyone)")

    output, trace, error = try_run(flow, requests["r0010"])  # the manager is only 0.59 sure
    yield Case("a request the manager is unsure about (confidence 0.59) is escalated", _escalated(trace),
               f"it raised {error}" if error else "it was not escalated; set threshold=0.7")


# -- exercise 2 -----------------------------------------------------------------
def _feedback(route: str, status: str = "ok", confidence: float = 0.95, issues: tuple[Span, ...] = (),
              output: Any = "done") -> Feedback:
    return Feedback(route, status, output, issues, confidence)


def _issue(name: str, kind: str, status: str, error: str = "") -> Span:
    """A span such as a team's run leaves in ``Feedback.issues``, made by hand for a case."""
    return Span(0, None, name, kind, status=status, error=error)


_RULE_CASES = [  # (what the case shows, the feedback, should it escalate?, the hint if the verdict is wrong)
    ("the manager routed to escalation", _feedback("escalation"), True,
     "the escalation route always needs a person"),
    ("a sure, successful automated run", _feedback("automated", confidence=0.95), False,
     "nothing went wrong and the manager was sure: return None"),
    ("an automated run the manager was 0.85 sure of", _feedback("automated", confidence=0.85), True,
     "only a manager at least 0.9 sure may automate: escalate below 0.9"),
    ("an automated run the manager was exactly 0.9 sure of", _feedback("automated", confidence=0.9), False,
     "0.9 is not below 0.9: this one may be automated"),
    ("a successful manual review the manager was 0.75 sure of", _feedback("manual_review", confidence=0.75), False,
     "a person reviews it anyway: low confidence only matters for automated work"),
    ("a manual review that lost a check (partial)",
     _feedback("manual_review", "partial", issues=(_issue("compliance", "task", "skipped", "ConnectionError: down"),
                                                   _issue("manual_review", "flow", "partial"))), True,
     "escalate every run whose status is not 'ok'"),
    ("an automated run that rolled back",
     _feedback("automated", "rolled_back", 0.97, (_issue("limit check", "stage", "failed", "over the limit"),
                                                  _issue("automated", "flow", "rolled_back"))), True,
     "escalate every run whose status is not 'ok'"),
    ("a team that raised (status error, no output)", _feedback("manual_review", "error", 0.9, (), None), True,
     "escalate every run whose status is not 'ok'; its output is None, so do not read it"),
    ("an automated run that needed a fallback", _feedback("automated", "fallback", 0.95), True,
     "escalate every run whose status is not 'ok', fallback included"),
]


@exercise("04.escalate_when", "An escalation rule that escalates exactly what the policy requires",
          start="write the body of cautious(feedback): return a reason (a string) to escalate, or None")
def _escalate_when(cautious: Any) -> Iterator[Case]:
    yield Case("cautious is a function", callable(cautious),
               f"got a {describe(cautious)}; define it with def cautious(feedback): ...")
    if not callable(cautious):
        return
    (label, feedback, _, hint), *others = _RULE_CASES
    first = solved(cautious(feedback))
    yield Case(f"{label}: escalates with a reason", isinstance(first, str) and bool(first.strip()),
               f"it returned {describe(first)}; return the reason as a string (a person reads it)\n{hint}")
    for label, feedback, escalate, hint in others:
        try:
            verdict = cautious(feedback)
        except Exception as error:
            yield Case(label, False, f"it raised {one_line(error)} on {feedback}\n{hint}")
            continue
        if escalate:
            yield Case(f"{label}: escalates with a reason", isinstance(verdict, str) and bool(verdict.strip()),
                       f"it returned {describe(verdict)}\n{hint}")
        else:
            yield Case(f"{label}: does not escalate", not verdict, f"it returned {describe(verdict)}\n{hint}")
    yield from _rule_inside_a_hierarchy(cautious)


def _rule_inside_a_hierarchy(cautious: Callable[[Feedback], Any]) -> Iterator[Case]:
    """The rule as escalate_when of a real Hierarchical: exactly the right requests reach the reviewer."""
    decisions = {"reset my password": ("automated", 0.97), "reset my password again": ("automated", 0.8),
                 "order 3 chairs for $12,000": ("automated", 0.95), "review this NDA": ("manual_review", 0.72),
                 "approve the new payroll vendor": ("manual_review", 0.95)}
    expected = {"reset my password": False, "reset my password again": True, "order 3 chairs for $12,000": True,
                "review this NDA": False, "approve the new payroll vendor": True}
    flow = Hierarchical(top=lambda request: decisions[request], sub=_hidden_teams(),
                        escalate=HumanReview(decisions="approve"), escalate_when=cautious, name="triage")
    for request, should in expected.items():
        _, trace, error = try_run(flow, request)
        did = _escalated(trace)
        top = _top_span(trace)
        yield Case(f"in a Hierarchical: {request!r} {'escalates' if should else 'is handled by its team'}",
                   not error and did == should,
                   f"it raised {error}" if error else f"the top level said: {top.detail if top else 'nothing'}")


def _hidden_teams() -> dict[str, Any]:
    """An automated team that refuses amounts of $1,000 or more, and a review team whose payroll check fails."""

    def under_limit(request: str) -> bool | str:
        return "$" not in request or "over the automation limit"

    def payroll_check(request: str) -> str:
        if "payroll" in request:
            raise BackendError("payroll system unavailable (HTTP 503)", model="payroll", status=503)
        return "no payroll impact"

    automated = Sequential(stages=[Stage(lambda request: request, validate=under_limit, name="limit check"),
                                   lambda request: f"done: {request}"], on_error="rollback", name="automated")
    review = Parallel(tasks={"payroll": payroll_check, "summary": lambda request: f"summary of {request}"},
                      name="manual_review")
    return {"automated": automated, "manual_review": review}


from . import lesson04_loop  # noqa: E402,F401 (registers 04.checker and 04.resume, exercises 3 and 4)


# -- exercise 5: an error case ------------------------------------------------------
_DECISIONS = {  # the hidden manager's answers
    "reset my password": ("automated", 0.95), "order paper for the printer": ("broken", 0.95),
    "order 40 laptops for $48,000": ("refuses", 0.95), "something vague": ("automated", 0.4),
}


def _hidden_manager(request: str) -> tuple[str, float]:
    if request == "the manager is down":
        raise BackendError("manager model unavailable (HTTP 503)", model="generalist-large", status=503)
    return _DECISIONS[request]


def _broken_team(request: str) -> str:
    raise BackendError("ordering system unavailable (HTTP 503)", model="orders", status=503)


def _hidden_sub() -> dict[str, Any]:
    refuses = Sequential(stages=[Stage(lambda request: request, validate=lambda request: "$" not in request or "too big",
                                       name="limit check"), lambda request: f"done: {request}"],
                         on_error="rollback", name="refuses")
    return {"automated": lambda request: f"done: {request}", "broken": _broken_team, "refuses": refuses}


def _senior(escalation: Any) -> Review:
    """The hidden higher tier: approves whatever reaches it, and says so."""
    return resolve(escalation, "approve", reviewer="senior tier")


def _senior_down(escalation: Any) -> Review:
    raise BackendError("senior tier unavailable (HTTP 503)", model="generalist-large", status=503)


_FALLBACK = ("when the senior tier raises, a person must take over: give the escalation a fallback, "
             "e.g. escalate=Resilient(senior, fallback=HumanReview(decisions='reject'))")


@exercise("04.two_tiers", "Escalate to a higher tier, then to a person: nothing may raise",
          start="write the body of two_tier(top, sub, senior): return a Hierarchical(...)")
def _two_tiers(two_tier: Any) -> Iterator[Case]:
    yield Case("two_tier is a function", callable(two_tier),
               f"got a {describe(two_tier)}; define it with def two_tier(top, sub, senior): ...")
    if not callable(two_tier):
        return
    flow = solved(two_tier(_hidden_manager, _hidden_sub(), _senior))
    yield Case("two_tier(top, sub, senior) returns a Hierarchical", isinstance(flow, Hierarchical),
               f"it returned a {describe(flow)}; return Hierarchical(top=top, sub=sub, escalate=...)")
    if not isinstance(flow, Hierarchical):
        return

    output, _, error = try_run(flow, "reset my password")
    yield Case("a routine request is done by its team", output == "done: reset my password",
               f"it raised {error}" if error else f"the output is {describe(output)}; use the given top and sub as they are")

    for request, why in (("order paper for the printer", "a team that raises"),
                         ("order 40 laptops for $48,000", "a team that rolls back"),
                         ("something vague", "a manager only 0.4 sure"),
                         ("the manager is down", "a manager that raises")):
        output, _, error = try_run(flow, request)
        by_senior = isinstance(output, Review) and output.reviewer == "senior tier"
        hint = "set threshold=0.7 so an unsure manager escalates" if "sure" in why else (
            "keep the default escalate_when: it escalates a team that failed or rolled back")
        yield Case(f"{why}: the senior tier decides", by_senior,
                   f"it raised {error}" if error else
                   f"the output is {describe(output)}; escalate=... gets every escalation\n{hint}")

    flow = two_tier(_hidden_manager, _hidden_sub(), _senior_down)
    output, _, error = try_run(flow, "order paper for the printer")
    yield Case("when the senior tier is down too, the run still ends without an exception", not error,
               f"it raised {error}\n{_FALLBACK}")
    by_person = isinstance(output, Review) and output.reviewer == "scripted" and output.decision == "rejected"
    yield Case("... and a person (HumanReview(decisions='reject')) decides", by_person,
               "" if error else f"the output is {describe(output)}\n{_FALLBACK}")
    output, _, error = try_run(flow, "reset my password")
    yield Case("... while routine requests are still done by their team", output == "done: reset my password",
               f"it raised {error}" if error else f"the output is {describe(output)}")


from . import lesson04_design  # noqa: E402,F401 (registers 04.design after the lesson's other exercises)
