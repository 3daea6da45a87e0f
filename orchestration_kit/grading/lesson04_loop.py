"""Checks for lesson 4's feedback loop and resumed review: ``04.checker`` and ``04.resume``.

Hidden teams that refuse, lose a check once (a blip) or every time (an outage),
and escalations saved to files, some damaged, all on the virtual clock.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Iterator

from ..patterns import Feedback, Hierarchical, HumanReview, Parallel, Review, SendBack, Sequential, Stage
from ..patterns import EscalationFileError
from ..patterns.feedback import as_send_back
from ..trace import Span
from . import Case, describe, exercise, one_line, solved, try_run


# -- 04.checker -----------------------------------------------------------------------
def _verdict(checker: Any, feedback: Feedback) -> tuple[SendBack | None, str]:
    try:
        return as_send_back(checker(feedback), "your checker"), ""
    except Exception as error:
        return None, one_line(error)


def _issue(name: str, kind: str, status: str, error: str = "") -> Span:
    """A span such as a team's run leaves in ``Feedback.issues``, made by hand for a case."""
    return Span(0, None, name, kind, status=status, error=error)


_REFUSED = (_issue("limit check", "stage", "failed", "over the automation limit"), _issue("automated", "flow", "rolled_back"))
_LOST_CHECK = (_issue("compliance", "task", "skipped", "ConnectionError: compliance service unavailable"),
               _issue("manual_review", "flow", "partial"))
_PACKET = {"amount": "$900", "summary": "a pay change", "missing checks": []}
_CHECKER_CASES = [  # (what it shows, feedback, the SendBack's team or "same" or None to accept, hint)
    ("the automated team refused (rolled back)", Feedback("automated", "rolled_back", "order $5,000", _REFUSED),
     "manual_review", "a refusal means the manager was wrong to automate: send it to the approvers' team"),
    ("a review packet that lost a check", Feedback("manual_review", "partial", {**_PACKET, "missing checks": ["compliance"]},
                                                     _LOST_CHECK),
     "same", "a lost check may be a blip: send it back to the same team (SendBack(critique) with no to=)"),
    ("a complete review packet", Feedback("manual_review", "ok", _PACKET), None, "nothing is wrong: return None"),
    ("a successful automated run", Feedback("automated", "ok", "done"), None, "nothing is wrong: return None"),
    ("a team that raised (no output)", Feedback("manual_review", "error", None), None,
     "a team that raised has no packet to read: return None and let escalate_when deal with it"),
]


def _review_team(fails: str) -> Parallel:
    """A review team whose compliance check fails the first time ("once") or always ("always")."""

    def compliance(request: str, ctx: Any) -> str:
        if fails == "always" or ctx.count("compliance check") == 0:
            raise ConnectionError("compliance service unavailable")
        return "no risk"

    return Parallel(tasks={"compliance": compliance, "summary": lambda request: f"summary of {request}"},
                    synthesizer=lambda g: {**g.values, "missing checks": list(g.missing)}, name="manual_review")


def _desk(checker: Any, fails: str) -> Hierarchical:
    refuses = Sequential(stages=[Stage(lambda r: r, validate=lambda r: "$" not in r or "over the limit", name="limit check"),
                                 lambda r: f"done: {r}"], on_error="rollback", name="automated")
    return Hierarchical(top=lambda r: ("automated", 0.95) if "order" in r else ("manual_review", 0.95),
                        sub={"automated": refuses, "manual_review": _review_team(fails)}, checker=checker, max_rounds=3,
                        escalate=HumanReview(decisions="approve"), name="desk")


@exercise("04.checker", "A checker for the feedback loop: send work back, to the right team",
          start="write the body of checker(feedback): return None, or SendBack(critique, to=...)")
def _checker(checker: Any) -> Iterator[Case]:
    yield Case("checker is a function", callable(checker), f"got a {describe(checker)}; define it with def checker(feedback): ...")
    if not callable(checker):
        return
    solved(checker(_CHECKER_CASES[0][1]))  # the first case wants a SendBack: None there is the placeholder
    for label, feedback, wanted, hint in _CHECKER_CASES:
        back, error = _verdict(checker, feedback)
        if error:
            yield Case(label, False, f"it raised {error}\n{hint}")
            continue
        if wanted is None:
            yield Case(f"{label}: accepted", back is None, f"it sent it back ({back})\n{hint}")
        elif wanted == "same":
            yield Case(f"{label}: sent back to the same team", back is not None and back.to in (None, feedback.route),
                       f"it returned {describe(back)}\n{hint}")
        else:
            yield Case(f"{label}: sent to {wanted}", back is not None and back.to == wanted, f"it returned {describe(back)}\n{hint}")
    output, trace, error = try_run(_desk(checker, "once"), "order 12 chairs for $5,000")
    yield Case("in a Hierarchical: a refused order ends with the review team's packet", isinstance(output, dict),
               f"it raised {error}" if error else f"the output is {describe(output)}; send a refusal to manual_review")
    output, trace, error = try_run(_desk(checker, "once"), "change my pay")
    yield Case("in a Hierarchical: a check lost once is run again and the packet is complete",
               isinstance(output, dict) and output.get("missing checks") == [],
               f"it raised {error}" if error else f"the output is {describe(output)}; send a packet with a missing check back")
    output, trace, error = try_run(_desk(checker, "always"), "change my pay")
    rounds = len([span for span in trace or [] if span.name == "manual_review"])
    yield Case("in a Hierarchical: a check that is down stays bounded (3 rounds) and reaches a person",
               isinstance(output, Review) and rounds == 3,
               f"it raised {error}" if error else f"the output is {describe(output)} after {rounds} rounds")


# -- 04.resume ------------------------------------------------------------------------
def _triage(request: str) -> tuple[str, float]:
    return "automated", 0.9


def _pay(request: str) -> str:
    return f"paid: {request}"


def _claims() -> Hierarchical:
    limit = Stage(lambda r: r, validate=lambda r: "$" not in r or "over the automation limit", name="limit check")
    pay = _pay
    return Hierarchical(top=_triage, name="claims", escalate=HumanReview(), on_approve={"automated": pay},
                        sub={"automated": Sequential(stages=[limit, pay], on_error="rollback", name="automated")})


@exercise("04.resume", "Settle a saved escalation another day and resume the flow",
          start="write the body of approve_later(flow, path): load, resolve, resume, return the result")
def _resume(approve_later: Any) -> Iterator[Case]:
    from ..runner import run

    yield Case("approve_later is a function", callable(approve_later),
               f"got a {describe(approve_later)}; define it with def approve_later(flow, path): ...")
    if not callable(approve_later):
        return
    folder = Path(tempfile.mkdtemp())
    saved = run(_claims(), "taxi to the airport, $620").output.save(folder / "claim.json")
    try:
        result, error = approve_later(_claims(), saved), ""  # a fresh flow, as another process would build it
    except Exception as raised:
        result, error = None, one_line(raised)
    if not error:
        solved(result)  # the untouched placeholder returns None
    review = getattr(result, "output", None)
    yield Case("it returns the resumed run (a RunResult)", hasattr(result, "trace"),
               f"it raised {error}" if error else f"it returned {describe(result)}; return what resume(...) returns")
    yield Case("the finance lead approved it", isinstance(review, Review) and review.decision == "approved"
               and review.reviewer == "finance lead",
               f"the output is {describe(review)}; resolve(escalation, 'approve', reviewer='finance lead')")
    yield Case("the approved work ran: the claim is paid", isinstance(review, Review) and review.output == "paid: taxi to the airport, $620",
               f"the output is {describe(review)}; resume(flow, escalation, review) carries the flow on")
    names = [span.name for span in getattr(result, "trace", None) or []]
    yield Case("the flow resumed where it stopped: the top level and the limit check did not run again",
               bool(names) and "limit check" not in names and "_triage" not in names,
               f"the run's spans: {names}; resume the saved escalation instead of running the flow again")
    (folder / "damaged.json").write_text('{"saved": "orchestration_kit escalation", "vers', encoding="utf-8")
    try:
        approve_later(_claims(), folder / "damaged.json")
        yield Case("a damaged file is not hidden: its EscalationFileError reaches the caller", False,
                   "it returned without an error; let Escalation.load's error through: a person must know the case is lost")
    except EscalationFileError:
        yield Case("a damaged file is not hidden: its EscalationFileError reaches the caller", True)
    except Exception as raised:
        yield Case("a damaged file is not hidden: its EscalationFileError reaches the caller", False,
                   f"it raised {one_line(raised)}; load the file with Escalation.load(path)")
