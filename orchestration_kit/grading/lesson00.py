"""Checks for lesson 0, "Start here" (exercises/00_start_here.ipynb).

Expected timings are measured, not written down: the checks build flows with
the kit and run them on the virtual clock, so the grader and the lesson can
never disagree about how long something takes.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Iterator

from ..errors import BackendError
from ..patterns import Parallel, Router, Sequential
from ..runner import run
from ..models import load_profiles
from . import Case, describe, exercise, one_line, solved


def _pause(seconds: float) -> Callable[[Any], Any]:
    """A step that only takes ``seconds`` of (virtual) time: a stand-in for a model call."""

    async def pause(x: Any) -> Any:
        await asyncio.sleep(seconds)
        return x

    pause.__name__ = f"pause {seconds:g} s"
    return pause


def _measured(stages: list[list[float]]) -> float:
    """What the virtual clock measures: stages one after another, the tasks of a stage in parallel."""
    flow = Sequential(stages=[
        Parallel(tasks={f"task {i}": _pause(seconds) for i, seconds in enumerate(stage)}, name=f"stage {n}")
        for n, stage in enumerate(stages)
    ])
    return run(flow, "go").trace.latency


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# -- practice: the lesson uses it to show how checks work -----------------------
@exercise("00.warmup", "How long does a Parallel of 0.3, 1.0 and 2.0 s take?",
          start="replace None with a number of seconds", graded=False)
def _warmup(seconds: Any) -> Iterator[Case]:
    is_number = _is_number(seconds)
    yield Case("the answer is a number of seconds", is_number, f"give a number such as 1.5, not a {describe(seconds)}")
    if is_number:
        correct = abs(seconds - _measured([[0.3, 1.0, 2.0]])) < 1e-6
        yield Case("it matches the virtual clock's measurement", correct,
                   "the tasks of a Parallel overlap: it takes as long as its slowest task")


# -- exercise 1 -----------------------------------------------------------------
@exercise("00.sequential", "A two-stage pipeline: draft, then polish",
          start="replace None with Sequential(stages=[...]) built from draft and polish")
def _sequential(flow: Any) -> Iterator[Case]:
    is_sequential = isinstance(flow, Sequential)
    yield Case("it is a Sequential", is_sequential, f"got a {describe(flow)}; build it with Sequential(stages=[...])")
    if not is_sequential:
        return
    names = [stage.name for stage in flow.stages]
    yield Case("it has two stages", len(names) == 2, f"it has {len(names)}: {names}; list exactly the two given steps")
    yield Case("draft runs first, then polish", names == ["draft", "polish"],
               f"the stages are {names}; stages run in list order, and polish needs a draft")
    result = run(flow, "My parcel arrived damaged. What can I do?")
    models = [span.model for span in result.trace.model_calls]
    yield Case("it calls the small model, then the large one", models == ["generalist-small", "generalist-large"],
               f"the run called {models}; use the given draft and polish steps as they are")
    reply = str(result.output)
    yield Case("it returns the polished reply", reply.startswith("[generalist-large]"),
               f"it returned {reply[:60]!r}; the last stage's output is the flow's output")


# -- exercise 2 -----------------------------------------------------------------
_ADD_UP = "add up the stages, counting each stage as its slowest task"
_MAKESPAN_CASES = [  # (what the case shows, the stages, the hint if the prediction is wrong)
    ("a single step", [[1.0]], "one step takes as long as itself"),
    ("three tasks in parallel", [[0.3, 1.0, 2.0]], "tasks in a stage overlap: it lasts as long as its slowest task"),
    ("three stages in sequence", [[0.3], [1.0], [2.0]], "stages run one after another: their times add up"),
    ("a sequence with a parallel stage", [[0.4], [1.5, 0.9], [0.6]], _ADD_UP),
    ("many small tasks", [[0.1] * 5, [0.2, 0.05], [0.3] * 3], _ADD_UP),
]


@exercise("00.makespan", "Predict a flow's makespan, then verify it",
          start="write the body of makespan(stages) so it returns a number of seconds")
def _makespan(makespan: Any) -> Iterator[Case]:
    yield Case("makespan is a function", callable(makespan),
               f"got a {describe(makespan)}; define it with def makespan(stages): ...")
    if not callable(makespan):
        return
    first = solved(makespan([[1.0]]))
    yield Case("it returns a number of seconds", _is_number(first),
               f"makespan([[1.0]]) returned a {describe(first)}; return a number such as 2.5")
    if not _is_number(first):
        return
    for label, stages, hint in _MAKESPAN_CASES:
        measured = _measured(stages)
        try:
            predicted = makespan([list(stage) for stage in stages])  # a copy: the learner's code may change it
        except Exception as error:
            yield Case(f"{label}: {stages}", False, f"makespan({stages}) raised {one_line(error)}")
            continue
        correct = _is_number(predicted) and abs(predicted - measured) < 1e-6
        guess = f"{predicted:g} s" if _is_number(predicted) else f"a {describe(predicted)}"
        verdict = f"you predicted {guess}, the virtual clock measured {measured:g} s\n{hint}"
        yield Case(f"{label}: {stages}", correct, verdict)


# -- exercise 3: an error case ------------------------------------------------------
_BILLING_QUESTION = "I was charged twice, please refund my last invoice"
_TECH_QUESTION = "The app shows an error and I cannot login"
_OFF_TOPIC = "Can you recommend a good book about gardening?"


def _desk(team: str) -> Callable[[str], str]:
    """A hidden stand-in specialist: answers instantly, and says which desk answered."""

    def desk(question: str) -> str:
        return f"{team} desk: {question}"

    desk.__name__ = f"{team} desk"
    return desk


def _billing_down(question: str) -> str:
    raise BackendError("billing specialist unavailable (HTTP 503)", model="billing", status=503)


def _try_run(flow: Any, question: str) -> tuple[Any, Any, str]:
    """Run the learner's flow: (output, trace, "") or (None, the trace so far, the error as one line)."""
    try:
        result = run(flow, question)
        return result.output, result.trace, ""
    except Exception as error:
        return None, getattr(error, "trace", None), one_line(error)


def _fell_back(trace: Any) -> bool:
    """Did a router hand the question to its fallback? (A simulated fallback model may still fail, rarely.)"""
    return trace is not None and any(span.pattern == "router" and span.status == "fallback" for span in trace)


@exercise("00.fallback", "A router that never leaves a customer without an answer",
          start="write the body of support_router(routes): return a Router(...) with a fallback")
def _fallback(support_router: Any) -> Iterator[Case]:
    yield Case("support_router is a function", callable(support_router),
               f"got a {describe(support_router)}; define it with def support_router(routes): ...")
    if not callable(support_router):
        return
    router = solved(support_router({"billing": _desk("billing"), "technical": _desk("technical")}))
    yield Case("support_router(routes) returns a Router", isinstance(router, Router),
               f"it returned a {describe(router)}; return Router(analyzer=..., routes=routes, fallback=...)")
    if not isinstance(router, Router):
        return

    for question, team in ((_BILLING_QUESTION, "billing"), (_TECH_QUESTION, "technical")):
        output, _, error = _try_run(router, question)
        yield Case(f"a {team} question goes to the {team} route", output == f"{team} desk: {question}",
                   f"it raised {error}" if error else
                   f"it answered {output!r:.70}\nuse rules as the analyzer and the routes argument as routes")

    _, trace, error = _try_run(router, _OFF_TOPIC)
    yield Case("an off-topic question goes to the fallback, not to a RoutingError", _fell_back(trace),
               f"it raised {error}\ngive the Router a fallback= that answers any question" if error else
               "the router did not use a fallback")
    reached = [span.model for span in trace.model_calls] if trace is not None else []
    generalists = {name for name, profile in load_profiles().items() if profile.role == "generalist"}
    yield Case("the fallback is a generalist model", any(model in generalists for model in reached),
               f"the off-topic question reached {reached or 'no model'}; use fallback=Ask(generalist, '... {{input}}')")

    broken = support_router({"billing": _billing_down, "technical": _desk("technical")})
    _, trace, error = _try_run(broken, _BILLING_QUESTION)
    yield Case("when the billing specialist is down, the fallback takes over", _fell_back(trace),
               f"it raised {error}\nthe Router you return needs its fallback= set" if error else
               "the router did not use its fallback")
