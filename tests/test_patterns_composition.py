"""Patterns combined: each one sees only its own part of the run; one vocabulary across them."""

from __future__ import annotations

import pytest

from orchestration_kit import (
    Ask,
    BackendError,
    Decision,
    Hierarchical,
    Parallel,
    Router,
    Sequential,
    SimulatedModel,
    Stage,
    StageError,
    TaskFailed,
    run,
)
from orchestration_kit.patterns.router import Choice, choose_routes

from timed_steps import failing, sleeper


def troubled_sub() -> Parallel:
    return Parallel(tasks={"fine": sleeper(0.2), "broken": failing(0.1, BackendError("down"))}, name="bad_sub")


# -- feedback comes from the sub-run's own spans --------------------------------------------------
def test_two_hierarchical_flows_side_by_side_each_see_only_their_own_feedback():
    seen = {}

    def record(name):
        def escalate_when(feedback):
            seen[name] = feedback
            return None if feedback.ok else "degraded"

        return escalate_when

    healthy = Hierarchical(top=lambda x: "a", sub={"a": sleeper(0.3, "fine")}, escalate_when=record("healthy"), name="healthy")
    troubled = Hierarchical(top=lambda x: "a", sub={"a": troubled_sub()}, escalate_when=record("troubled"), name="troubled")
    result = run(Parallel(tasks={"healthy": healthy, "troubled": troubled}), "x")
    assert seen["healthy"].issues == () and seen["healthy"].ok
    assert result.output["healthy"] == "fine"  # not escalated
    assert [(s.name, s.status) for s in seen["troubled"].issues] == [("broken", "skipped"), ("bad_sub", "partial")]
    assert seen["troubled"].status == "partial"


def test_feedback_cost_counts_only_the_sub_runs_own_model_calls():
    model = SimulatedModel("generalist-small")
    seen = {}
    quiet = Hierarchical(top=lambda x: "a", sub={"a": lambda x: x}, escalate_when=lambda fb: seen.setdefault("quiet", fb) and None)
    busy = Sequential(stages=[Ask(model, "Summarise: {input}"), Ask(model, "Shorten: {input}")], name="busy")
    trace = run(Parallel(tasks={"quiet": quiet, "busy": busy}), "a long text").trace
    assert trace.cost > 0
    assert seen["quiet"].cost == 0.0


def test_feedback_is_isolated_inside_a_router_with_several_routes_too():
    seen = {}
    left = Hierarchical(top=lambda x: "a", sub={"a": troubled_sub()}, escalate_when=lambda fb: seen.setdefault("left", fb) and None, name="left")
    right = Hierarchical(top=lambda x: "a", sub={"a": sleeper(0.5)}, escalate_when=lambda fb: seen.setdefault("right", fb) and None, name="right")
    run(Router(lambda x: ["l", "r"], {"l": left, "r": right}, aggregator=lambda outputs: outputs), "x")
    assert seen["right"].issues == ()
    assert ("broken", "skipped") in [(s.name, s.status) for s in seen["left"].issues]


# -- one routing rule for Router and Hierarchical -------------------------------------------------
@pytest.mark.parametrize(
    "decided, problem",
    [
        (None, "no route matched"),
        ("legal", "unknown route 'legal' (known: billing, technical)"),
        (("billing", 0.4), "confidence 0.40 for 'billing' is below the threshold 0.60"),
        ([Decision("billing", 0.9), Decision("legal", 0.2)], "unknown route 'legal' (known: billing, technical)"),
    ],
)
def test_router_and_hierarchical_refuse_the_same_decisions_for_the_same_reasons(decided, problem):
    assert choose_routes(decided, ["billing", "technical"], 0.6) == Choice(problem=problem)
    routes = {"billing": lambda x: "b", "technical": lambda x: "t"}
    router = run(Router(lambda x: decided, routes, fallback=lambda x: "generalist", threshold=0.6), "x")
    assert router.trace.find("router")[0].detail == f"fallback: {problem}"
    hierarchical = Hierarchical(top=lambda x: decided, sub=routes, escalate=lambda e: e.reason, threshold=0.6)
    assert run(hierarchical, "x").output == f"at the top level, {problem}"


def test_hierarchical_takes_the_most_confident_of_several_sure_routes():
    flow = Hierarchical(top=lambda x: [Decision("a", 0.7), Decision("b", 0.9)], sub={"a": lambda x: "A", "b": lambda x: "B"}, threshold=0.5)
    assert run(flow, "x").output == "B"


# -- one word for "stop with an error" ------------------------------------------------------------
def test_on_error_raise_is_the_word_in_both_patterns_and_fail_is_read_as_raise():
    tasks = {"ok": sleeper(0.1, "S"), "bad": failing(0.1, BackendError("500"))}
    for word in ("raise", "fail"):
        parallel = Parallel(tasks=tasks, on_error=word)
        assert parallel.on_error == "raise"
        with pytest.raises(TaskFailed):
            run(parallel, "x")
        sequential = Sequential(stages=[Stage(lambda s: s, validate=lambda s: False, name="check")], on_error=word)
        assert sequential.on_error == "raise"
        with pytest.raises(StageError):
            run(sequential, "x")


@pytest.mark.parametrize("build", [lambda: Parallel(tasks={"a": len}, on_error="stop"), lambda: Sequential(stages=[len], on_error="stop")])
def test_an_unknown_on_error_names_the_choices_and_the_alias(build):
    with pytest.raises(ValueError, match=r"on_error must be one of .*'raise'.*'fail' is accepted as another name for 'raise'"):
        build()
