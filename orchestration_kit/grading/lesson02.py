"""Checks for lesson 2, "Parallel" (exercises/02_parallel.ipynb).

Every check runs the learner's flow on documents of the data set, on the
virtual clock, with failures injected into hidden copies of the lesson's
models: a branch that is down, one that fails once, one that hangs. Timings
are measured from the trace, never written down.

Exercise 4 (``02.design``, in ``lesson02_design.py``) is open: the learner designs
the flow from a spec (accuracy, p95 latency, cost, faults to survive) and any design
meeting it passes.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from ..models import SimulatedModel
from ..patterns import Parallel
from ..runner import run
from ..steps import Ask
from ..patterns import Gathered
from ..models.skills.parse import parse_json
from . import Case, describe, exercise, solved
from .lesson02_runs import HEALTHY, attempt

# The lesson's four analyses: task name -> (model, instruction, skill)
ANALYSES = {
    "key_terms": ("generalist-small", "Give the key terms of this document", "keywords"),
    "entities": ("extraction-specialist", "Find the named entities in this document", "entities"),
    "sentiment": ("sentiment-specialist", "What is the sentiment of this document", "sentiment"),
    "compliance": ("compliance-specialist", "List the compliance risks in this document", "compliance"),
}
HIDDEN_DOCUMENTS = ("d004", "d012", "d018")  # a memo, a complaint, a contract


def tasks(**failures: dict[str, Any]) -> dict[str, Ask]:
    """The lesson's tasks, with failures injected into some models, e.g. compliance={"fail_first": 1}."""
    steps = {}
    for name, (model, instruction, skill) in ANALYSES.items():
        simulated = SimulatedModel(model).with_failures(**{**HEALTHY, **failures.get(name, {})})
        steps[name] = Ask(simulated, instruction + ":\n{input}", skill=skill, name=name)
    return steps


def _documents() -> list[str]:
    from ..course import datasets

    by_id = datasets.business_documents().set_index("id")["text"]
    return [by_id[doc_id] for doc_id in HIDDEN_DOCUMENTS]


# -- exercise 1 -----------------------------------------------------------------
@exercise("02.parallel", "Four analyses of a document, at the same time",
          start="replace None with Parallel(tasks=...) built from the four given tasks")
def _parallel(analysis: Any) -> Iterator[Case]:
    is_parallel = isinstance(analysis, Parallel)
    yield Case("it is a Parallel", is_parallel, f"got a {describe(analysis)}; build it with Parallel(tasks={{...}})")
    if not is_parallel:
        return
    names = sorted(analysis.tasks)
    yield Case("its tasks are key_terms, entities, sentiment and compliance", names == sorted(ANALYSES),
               f"its tasks are {names}; use the four given tasks, under their names")
    yield Case("it has no synthesizer (it returns every branch's result)", analysis.synthesizer is None,
               "leave the synthesizer out for now: the output should be the Gathered results")
    for document in _documents():
        result, error = attempt(analysis, document)
        title = document.splitlines()[0]
        if result is None:
            yield Case(f"{title}: it runs", False, f"it raised {error}")
            continue
        got = result.output
        complete = isinstance(got, Gathered) and sorted(got.values) == sorted(ANALYSES)
        yield Case(f"{title}: all four results come back", complete,
                   f"the output is a {describe(got)}; a Parallel without a synthesizer returns a Gathered")
        branches = [span.duration for span in result.trace if span.kind == "task"]
        slowest, total = max(branches, default=0.0), sum(branches)
        overlap = branches and abs(result.trace.latency - slowest) < 1e-6
        yield Case(f"{title}: it takes as long as its slowest task, not the sum", bool(overlap),
                   f"it took {result.trace.latency:g} s; the slowest task took {slowest:g} s and all of them "
                   f"{total:g} s in total; did you set max_concurrency?")


# -- exercise 2 -----------------------------------------------------------------
_REPORT_CASES = [  # (what is down, the models that are down)
    ("every branch works", ()),
    ("the compliance branch is down", ("compliance",)),
    ("the sentiment and entities branches are down", ("sentiment", "entities")),
]


def _expected(gathered: Gathered) -> dict[str, Any]:
    """What a correct report says about these results."""
    values = gathered.values
    sentiment = parse_json(values["sentiment"])["label"] if "sentiment" in values else None
    risk = parse_json(values["compliance"])["risk"] if "compliance" in values else None
    return {"sentiment": sentiment, "risk": risk, "missing": sorted(gathered.missing)}


@exercise("02.synthesizer", "A synthesizer that says what is missing",
          start="write the body of report(gathered) so it returns a dict with sentiment, risk and missing")
def _synthesizer(report: Any) -> Iterator[Case]:
    yield Case("report is a function", callable(report), f"got a {describe(report)}; define it with def report(gathered): ...")
    if not callable(report):
        return
    document = _documents()[1]
    first = solved(report(run(Parallel(tasks=tasks()), document).output))  # the check's own flow: plain run()
    yield Case("it returns a dict", isinstance(first, dict), f"report(...) returned a {describe(first)}; return a dict")
    if not isinstance(first, dict):
        return
    for label, down in _REPORT_CASES:
        branches = tasks(**{name: {"error_rate": 1.0} for name in down})
        gathered = run(Parallel(tasks=branches), document).output
        expected = _expected(gathered)
        result, error = attempt(Parallel(tasks=branches, synthesizer=report), document)
        if result is None:
            yield Case(f"{label}: the report is right", False, f"it raised {error}; a missing branch is not in gathered.values")
            continue
        got = result.output if isinstance(result.output, dict) else {}
        wrong = [key for key in expected if got.get(key) != expected[key]]
        hint = "; ".join(f"{key}: expected {expected[key]!r}, got " + (repr(got[key]) if key in got else "no such key")
                         for key in wrong)
        yield Case(f"{label}: the report is right", not wrong,
                   hint + "\nread the values with parse_json(gathered.values[name]); the failed ones are in gathered.missing")


# -- exercise 3: an error case ------------------------------------------------------
DEADLINE_S = 6.0


def _status(result: Any, name: str) -> str:
    """A branch's status in a run's Gathered output ("absent" if there is none)."""
    output = result.output if result is not None else None
    if isinstance(output, Gathered) and name in output.branches:
        return output.branches[name].status
    return "absent"


@exercise("02.sturdy", "Retry the flaky branch, cut the hanging one, keep the rest",
          start="write the body of sturdy_analysis(tasks): return a Parallel(...) with retry, timeout and a default")
def _sturdy(sturdy_analysis: Any) -> Iterator[Case]:
    yield Case("sturdy_analysis is a function", callable(sturdy_analysis),
               f"got a {describe(sturdy_analysis)}; define it with def sturdy_analysis(tasks): ...")
    if not callable(sturdy_analysis):
        return
    flow = solved(sturdy_analysis(tasks()))
    yield Case("sturdy_analysis(tasks) returns a Parallel", isinstance(flow, Parallel),
               f"it returned a {describe(flow)}; return Parallel(tasks=tasks, ...)")
    if not isinstance(flow, Parallel):
        return
    document = _documents()[2]
    build: Callable[..., Any] = lambda **failures: sturdy_analysis(tasks(**failures))  # noqa: E731

    result, error = attempt(build(), document)
    statuses = {name: _status(result, name) for name in ANALYSES}
    yield Case("when every model works, all four branches succeed", set(statuses.values()) == {"ok"},
               f"it raised {error}" if error else
               f"branch statuses: {statuses}; is the timeout shorter than a healthy branch? "
               "The slowest branch here takes about 1 s; leave it room")

    result, error = attempt(build(compliance={"fail_first": 1}), document)
    yield Case("a compliance branch that fails once is retried and its result kept", _status(result, "compliance") == "ok",
               f"it raised {error}" if error else
               f"the compliance branch ended as {_status(result, 'compliance')!r}; pass retry=RetryPolicy(attempts=2) or more")

    result, error = attempt(build(entities={"timeout_rate": 1.0}), document)
    took = result.trace.latency if result is not None else float("nan")
    yield Case(f"when the entities branch hangs, the analysis still ends within {DEADLINE_S:g} s", took <= DEADLINE_S,
               f"it raised {error}" if error else
               f"it took {took:g} s; a hanging call never answers: set a per-task timeout= (each retry waits it again)")
    others = {name: _status(result, name) for name in ANALYSES if name != "entities"}
    yield Case("the hanging branch gets the default value and the other three keep their results",
               _status(result, "entities") == "default" and set(others.values()) == {"ok"},
               f"entities: {_status(result, 'entities')!r}, the others: {others}; use on_error=\"default\" and default=...")

    result, error = attempt(build(compliance={"fail_first": 1}, entities={"timeout_rate": 1.0}), document)
    both = {"compliance": _status(result, "compliance"), "entities": _status(result, "entities")}
    yield Case("both at once: compliance retried, entities defaulted, the rest kept",
               both == {"compliance": "ok", "entities": "default"} and _status(result, "sentiment") == "ok",
               f"it raised {error}" if error else f"statuses: {both}")


from . import lesson02_design  # noqa: E402,F401 (registers 02.design, the open design exercise, after the three above)
