"""Checks for lesson 8, "Choosing a pattern" (exercises/08_choosing.ipynb).

The checks run the learner's flows on hidden inputs in virtual time, and the
error-handling exercise swaps in hidden stand-in steps that fail on purpose,
one way per case, to see which of the chapter's answers the flow gives.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any, Callable, Iterator

from ..errors import BackendError
from ..patterns import Escalation, Hierarchical, Parallel, Review, Router, Sequential
from ..course.datasets import business_documents, pipeline_documents
from ..design.guide import ProcessDescription, recommend
from ..design.skeleton import outline
from . import Case, describe, exercise, one_line, run_answer, solved


# -- exercise 1: describe a process --------------------------------------------------
EXPECTED_LOANS = {  # field -> (the expected answer, a question that sends the learner back to the story)
    "differing_inputs": (False, "reread how applications arrive and who handles them: is there more than one kind, "
                                "each needing its own handler?"),
    "independent_subtasks": (True, "look at the three checks: does any of them need another one's result?"),
    "dependent_steps": (True, "look at what happens after the checks: what does each step need before it can start?"),
    "tiers_of_responsibility": (True, "who takes over when the automated flow cannot settle an application?"),
    "latency_budget": ("relaxed", "how long are applicants told to wait, and which of the three budgets "
                                  "(a person waits / minutes / overnight) is that?"),
    "cost_sensitive": (False, "compare what a check costs with what a wrong decision costs: which one should "
                              "the design save on?"),
    "failure_tolerance": ("low", "what does the story say about a decision that is incomplete?"),
}


@exercise("08.describe", "Describe the loan process so the guide recommends the right design",
          start="replace None with ProcessDescription(...), one answer per design question")
def _describe(loans: Any) -> Iterator[Case]:
    is_description = isinstance(loans, ProcessDescription)
    yield Case("it is a ProcessDescription", is_description,
               f"got a {describe(loans)}; write ProcessDescription(name, differing_inputs=..., ...)")
    if not is_description:
        return
    wrong = 0
    for field, (expected, question) in EXPECTED_LOANS.items():
        given = getattr(loans, field)
        wrong += given != expected
        yield Case(f"{field} fits the story", given == expected, f"you answered {given!r}; {question}")
    patterns = recommend(loans).patterns
    yield Case("the guide's recommendation fits the story",
               patterns == ["hierarchical", "sequential", "parallel"],
               f"it recommends {patterns}; " + ("the patterns follow from your answers: fix the ones marked ✗ above"
                                                if wrong else "one of the preferences you set changes the patterns: "
                                                "leave out what the story does not mention"))
    counts_fit = len(loans.tasks) in (0, 3) and len(loans.steps) in (0, 2)
    yield Case("any parts you named fit the story", counts_fit,
               f"you named tasks {list(loans.tasks)} and steps {list(loans.steps)}; count the independent checks "
               "and the steps after them in the story, or leave the names out")


# -- exercise 2: map a process onto a nested flow --------------------------------------
def _documents() -> dict[str, list[str]]:
    """Hidden inputs: two contracts, two invoices, one receipt (not a route: the generalist's job)."""
    business, pipeline = business_documents(), pipeline_documents()
    return {"contract": list(business[business.doc_type == "contract"].text.iloc[[1, 2]]),
            "invoice": list(pipeline[pipeline.doc_type == "invoice"].text.iloc[[0, 3]]),
            "receipt": list(pipeline[pipeline.doc_type == "receipt"].text.iloc[[0]])}


def _router_span(trace: Any) -> Any:
    return next((span for span in trace if span.pattern == "router"), None)


def _run_inbox(inbox: Any, text: str) -> tuple[Any, Any, str]:
    """(output, trace, "") or (None, the trace so far or an empty list, the error as one line)."""
    try:
        result = run_answer(inbox, text)
    except Exception as error:
        return None, getattr(error, "trace", None) or [], one_line(error)
    return result.output, result.trace, ""


@exercise("08.map", "The document inbox as a nested flow that runs",
          start="replace None with Router(analyzer=document_type, routes={...}, fallback=generalist)")
def _map(inbox: Any) -> Iterator[Case]:
    is_router = isinstance(inbox, Router)
    yield Case("the inbox is a Router", is_router, f"got a {describe(inbox)}; the documents differ in kind")
    if not is_router:
        return
    yield Case("its routes are 'contract' and 'invoice'", sorted(inbox.routes) == ["contract", "invoice"],
               f"its routes are {list(inbox.routes)}; name them as the analyzer answers: 'contract', 'invoice'")
    yield Case("it has a fallback for everything else", inbox.fallback is not None,
               "pass fallback=generalist: other documents (receipts, memos) go to the generalist")
    shape = outline(inbox)
    contract_ok = isinstance(inbox.routes.get("contract"), Parallel) and len(inbox.routes["contract"].tasks) == 3
    yield Case("a contract gets three reviews in a Parallel", contract_ok,
               f"the outline is {shape}; the contract route is Parallel(tasks={{...3 reviews...}}, synthesizer=report)")
    invoice_ok = isinstance(inbox.routes.get("invoice"), Sequential) and len(inbox.routes["invoice"].stages) == 2
    yield Case("an invoice goes through two stages in a Sequential", invoice_ok,
               f"the outline is {shape}; the invoice route is Sequential(stages=[extract, check_fields])")

    hidden = _documents()
    for number, text in enumerate(hidden["contract"], 1):
        output, trace, error = _run_inbox(inbox, text)
        routed = getattr(_router_span(trace), "route", "")
        tasks = [span for span in trace if span.kind == "task"]
        together = len(tasks) == 3 and len({span.start for span in tasks}) == 1
        found = f"it raised {error}" if error else (
            f"route {routed!r}, {len(tasks)} reviews starting at {sorted({s.start for s in tasks})} s, "
            f"output {str(output)[:50]!r}")
        yield Case(f"hidden contract {number}: routed to 'contract', three reviews at once, then a report",
                   routed == "contract" and together and str(output).startswith("Summary of findings"),
                   found + "\nuse the given document_type as the analyzer, and report as the Parallel's synthesizer")
    for number, text in enumerate(hidden["invoice"], 1):
        output, trace, error = _run_inbox(inbox, text)
        routed = getattr(_router_span(trace), "route", "")
        calls = [span for span in trace if span.kind == "model"][1:]  # after the analyzer's call
        in_order = len(calls) == 2 and calls[1].start >= calls[0].end
        found = f"it raised {error}" if error else (
            f"route {routed!r}, {len(calls)} calls after the analyzer, output {str(output)[:50]!r}")
        yield Case(f"hidden invoice {number}: routed to 'invoice', extracted, then checked",
                   routed == "invoice" and in_order and '"valid"' in str(output),
                   found + "\nthe stages are extract, then check_fields, in that order")
    output, trace, error = _run_inbox(inbox, hidden["receipt"][0])
    span = _router_span(trace)
    found = f"it raised {error}" if error else f"the router span's status is {getattr(span, 'status', None)!r}"
    yield Case("hidden receipt: not a route, so the generalist answers", span is not None and span.status == "fallback",
               found + "\ngive the Router fallback=generalist")


# -- exercise 3: the FAQ's error handling, for every pattern --------------------------
ROUTINE_CAR = "Routine claim: a car with a dented bumper in a car park."
ROUTINE_HOME = "Routine claim: a home with a leaking pipe in the kitchen."
COMPLEX = "Claim with an injury: a car accident on the motorway."
BOAT = "Routine claim: a boat with a torn sail."


def _claims_shapes() -> list[str]:
    """The recommended design's outline, with its tiers, routes and tasks listed in any order."""
    shapes = []
    for tasks, routes, routine_first in itertools.product(("fraud, coverage", "coverage, fraud"),
                                                           ("car, home", "home, car"), (True, False)):
        routine = f"routine > router({routes}) > sequential(parallel({tasks}), settle)"
        shapes.append(f"hierarchical({routine}, complex)" if routine_first else f"hierarchical(complex, {routine})")
    return shapes


_CLAIMS_SHAPES = _claims_shapes()


def _pause(seconds: float, answer: Callable[[Any], Any], name: str, fail: str = "") -> Callable[..., Any]:
    """A hidden stand-in step: takes ``seconds`` of virtual time, then answers, or fails as told.

    ``fail``: "" (never), "once" (the first call of the run), "always", or "empty" (answers nothing).
    """

    async def step(x: Any, ctx: Any) -> Any:
        await asyncio.sleep(seconds)
        calls = ctx.count("hidden step", name)
        if fail == "always" or (fail == "once" and calls == 0):
            raise BackendError(f"{name} is unavailable (HTTP 503)", model=name, status=503)
        return "" if fail == "empty" else answer(x)

    step.__name__ = name
    return step


def _claim_steps(**failing: str) -> dict[str, Any]:
    """The hidden versions of the exercise's ``steps``, with some of them failing (name="once" etc.)."""

    def triage(claim: Any) -> tuple[str, float]:
        return ("complex", 0.9) if "injury" in str(claim) else ("routine", 0.9)

    def claim_type(claim: Any) -> Any:
        if failing.get("claim_type"):
            raise BackendError("the claim classifier is down", status=503)
        return next((kind for kind in ("car", "home") if kind in str(claim)), None)

    def settlement_ok(text: Any) -> Any:
        return "SETTLEMENT" in str(text) or "the settlement is empty"

    steps = {
        "fraud": _pause(0.4, lambda x: "fraud check: clear", "fraud", failing.get("fraud", "")),
        "coverage": _pause(0.6, lambda x: "coverage: insured", "coverage", failing.get("coverage", "")),
        "settle": _pause(0.3, lambda x: f"SETTLEMENT from [{x}]", "settle", failing.get("settle", "")),
        "senior": _pause(0.8, lambda x: f"SENIOR SETTLEMENT of [{x}]", "senior", failing.get("senior", "")),
        "generalist": _pause(0.5, lambda x: f"GENERALIST answer to [{x}]", "generalist", failing.get("generalist", "")),
    }
    return {"triage": triage, "claim_type": claim_type, "settlement_ok": settlement_ok, **steps}


def _attempt(make_flow: Any, claim: str, **failing: str) -> tuple[Any, Any, str]:
    """Build the learner's flow on hidden steps and run it: (output, trace or None, error as one line or "")."""
    try:
        result = run_answer(make_flow(_claim_steps(**failing)), claim)
    except Exception as error:
        return None, getattr(error, "trace", None), one_line(error)
    return result.output, result.trace, ""


def _said(output: Any, error: str) -> str:
    return f"it raised {error}" if error else f"it answered {str(output)[:70]!r}"


def _text(output: Any) -> str:
    return "" if output is None else str(output)


@exercise("08.errors", "Give every pattern of the claims flow the error handling the FAQ prescribes",
          start="write the body of make_flow(steps): build the flow, then add each pattern's error handling")
def _errors(make_flow: Any) -> Iterator[Case]:
    yield Case("make_flow is a function", callable(make_flow),
               f"got a {describe(make_flow)}; define it with def make_flow(steps): ...")
    if not callable(make_flow):
        return
    flow = solved(make_flow(_claim_steps()))
    yield Case("it has the recommended shape", outline(flow) in _CLAIMS_SHAPES,
               f"its outline is {outline(flow)}\nbuild {_CLAIMS_SHAPES[0]}")
    if not isinstance(flow, Hierarchical):
        return

    output, trace, error = _attempt(make_flow, ROUTINE_CAR)
    starts = sorted({s.start for s in trace if s.name in ("fraud", "coverage") and s.kind == "task"}) if trace else []
    text = _text(output)
    yield Case("a routine claim: fraud and coverage checked at once, then settled",
               text.startswith("SETTLEMENT") and "fraud check: clear" in text and len(starts) == 1,
               _said(output, error) + f"; the checks started at {starts} s\n"
               "the pipeline is Sequential(stages=[Parallel(tasks={'fraud': ..., 'coverage': ...}), settle])")
    output, _, error = _attempt(make_flow, COMPLEX)
    yield Case("a claim with an injury goes to the senior tier", _text(output).startswith("SENIOR SETTLEMENT"),
               _said(output, error) + "\nsub={'routine': ..., 'complex': steps['senior']}")

    output, _, error = _attempt(make_flow, BOAT)
    yield Case("router: a claim of no known type still gets an answer", "GENERALIST answer" in _text(output),
               _said(output, error) + "\nthe router cannot place a boat claim; the chapter's FAQ says who answers "
               "when routing fails, and steps has that model")
    output, _, error = _attempt(make_flow, ROUTINE_HOME, fraud="once")
    yield Case("parallel: a fraud check that fails once is retried", "fraud check: clear" in _text(output),
               _said(output, error) + "\nthe fraud model was down only for its first call: give each check a "
               "second chance before giving up on it")
    yield from _coverage_down(make_flow)
    output, _, error = _attempt(make_flow, ROUTINE_CAR, settle="empty")
    yield Case("sequential: an empty settlement never goes out as the answer",
               not error and _text(output).strip() != "",
               _said(output, error) + "\nsettle answered with nothing; the chapter's FAQ says each sequential "
               "stage needs error detection, then rollback or an alternative path (steps has a check for settlements)")
    output, trace, error = _attempt(make_flow, ROUTINE_CAR, claim_type="always", generalist="always")
    top = next((s for s in trace if s.pattern == "hierarchical"), None) if trace else None
    taken_over = isinstance(output, (Escalation, Review)) or _text(output).startswith("SENIOR")
    yield Case("hierarchical: when the routine tier fails completely, a person or the senior tier takes over",
               top is not None and top.status == "escalated" and taken_over,
               _said(output, error) + "\nthe whole routine tier failed (its router and its fallback); the top level "
               "needs somewhere to escalate to")


def _coverage_down(make_flow: Any) -> Iterator[Case]:
    """Coverage is down for good: any of the chapter's answers passes if nothing is settled as covered and fraud's result survives.

    Settling from the fraud check with coverage marked missing or defaulted (skip, default),
    a senior who settles instead, or a person who decides (escalation): all keep the
    fraud result and claim no coverage that was never checked.
    """
    output, _, error = _attempt(make_flow, ROUTINE_HOME, coverage="always")
    text = _text(output)  # an Escalation's text includes what the tier found so far
    kept, claims_cover = "fraud check: clear" in text, "coverage: insured" in text
    yield Case("parallel: with coverage down, the fraud result is kept", not error and kept,
               _said(output, error) + "\nthe fraud check worked but its result was lost; the chapter's FAQ names "
               "three answers for a parallel task that fails, and none of them throws the others away")
    yield Case("parallel: with coverage down, nothing is settled as if the claim were covered",
               not error and not claims_cover,
               _said(output, error) + "\nthe answer says the claim is covered, but the coverage check never "
               "answered: a stand-in value must say the check is missing, not pretend it passed")

from . import outage  # noqa: E402,F401 (registers 08.outage, the open design exercise, after the three above)
