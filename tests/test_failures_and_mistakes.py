"""Failures are tolerated by the patterns' policies; mistakes are raised whatever the policy.

A failure is what a task's work can hit (a back-end error, a timeout, an error
raised inside it). A mistake is a sign that the flow or its code is wrong
(errors.is_usage_error): skipping, retrying or falling back cannot fix it.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from orchestration_kit import (
    Ask,
    BackendError,
    ConfigurationError,
    Hierarchical,
    HumanReview,
    OpenAICompatible,
    Parallel,
    RealTimeRequired,
    Resilient,
    RetryPolicy,
    Router,
    Sequential,
    SimulatedModel,
    Stage,
    StageError,
    UsageError,
    run,
)
from orchestration_kit.replay.cassette import Cassette
from orchestration_kit.replay.calls import CassetteMiss
from orchestration_kit.errors import is_usage_error

from timed_steps import failing, sleeper


def typo(x):
    return x.uppper()  # a learner's typo: AttributeError


def wrong_type(x):
    return x + 1  # str + int: TypeError


def undefined_name(x):
    return summarise(x)  # noqa: F821  NameError


MISTAKES = [typo, wrong_type, undefined_name]


def empty_cassette_model(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text(json.dumps({"format": "orchestration-kit-cassette", "version": 1}) + "\n")
    return Cassette(path, mode="replay").wrap(SimulatedModel("generalist-small"))


# -- the rule itself ------------------------------------------------------------------------------
def test_the_rule_names_usage_errors_and_bugs_as_mistakes_and_everything_else_as_failures():
    assert all(issubclass(kind, UsageError) for kind in (ConfigurationError, RealTimeRequired, CassetteMiss))
    assert is_usage_error(TypeError("x")) and is_usage_error(NameError("x")) and is_usage_error(AttributeError("x"))
    assert is_usage_error(ExceptionGroup("group", [ValueError("data"), TypeError("bug")]))
    failures = [BackendError("HTTP 500"), TimeoutError(), ValueError("bad json"), KeyError("total"),
                StageError("stage 'x' failed", stage="x"), ExceptionGroup("group", [ValueError("data")])]
    assert not any(is_usage_error(error) for error in failures)


# -- Parallel -------------------------------------------------------------------------------------
@pytest.mark.parametrize("on_error", ["skip", "default"])
@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda f: f.__name__)
def test_parallel_raises_a_mistake_in_a_branch_whatever_on_error_says(mistake, on_error):
    flow = Parallel(tasks={"fine": sleeper(1.0, "ok"), "glue": mistake}, on_error=on_error, name="checks")
    with pytest.raises((TypeError, AttributeError, NameError)) as caught:
        run(flow, "text")
    assert "raised in task 'glue' of Parallel 'checks'" in caught.value.__notes__[0]


def test_parallel_raises_real_time_required_for_a_real_model_on_the_virtual_clock():
    real = OpenAICompatible("local-model", base_url="http://127.0.0.1:9/v1")  # never reached
    with pytest.raises(RealTimeRequired, match="clock='wall'"):
        run(Parallel(tasks={"real": Ask(real), "echo": lambda x: x}, on_error="skip"), "hi")


def test_parallel_raises_a_cassette_miss(tmp_path):
    flow = Parallel(tasks={"replayed": Ask(empty_cassette_model(tmp_path)), "echo": lambda x: x}, on_error="default")
    with pytest.raises(CassetteMiss, match="the cassette is empty"):
        run(flow, "hi")


def test_parallel_raises_a_configuration_error_from_inside_a_branch():
    review = HumanReview(decisions=[], name="desk")
    sub = Hierarchical(top=lambda x: "a", sub={"a": lambda x: x}, escalate=review, escalate_when=lambda fb: "always")
    with pytest.raises(ConfigurationError, match="ran out of scripted decisions"):
        run(Parallel(tasks={"review": sub, "other": sleeper(1.0)}, on_error="skip"), "x")


def test_a_mistake_stops_the_other_branches_and_leaves_nothing_running():
    states = {}

    async def long_branch(x):
        states["long"] = "running"
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            states["long"] = "cancelled"
            raise
        states["long"] = "finished"

    async def broken_glue(x):
        await asyncio.sleep(1)
        return typo(x)

    with pytest.raises(AttributeError) as caught:
        run(Parallel(tasks={"long": long_branch, "glue": broken_glue}, on_error="skip"), "x")
    assert states == {"long": "cancelled"}
    spans = {s.name: (s.end, s.status) for s in caught.value.trace}
    assert spans["long"] == (1.0, "cancelled") and spans["parallel"] == (1.0, "error")


@pytest.mark.parametrize(
    "failure",
    [BackendError("HTTP 500"), ValueError("unreadable"), KeyError("total"),
     StageError("stage 'parse' failed", stage="parse")],
    ids=lambda e: type(e).__name__,
)
def test_parallel_still_skips_a_failure_of_the_task_itself(failure):
    result = run(Parallel(tasks={"fine": sleeper(1.0, "ok"), "flaky": failing(0.5, failure)}, on_error="skip"), "x")
    assert result.output.values == {"fine": "ok"}
    assert result.output.branches["flaky"].status == "skipped"


def test_a_nested_flows_failure_is_a_branch_failure():
    nested = Sequential(stages=[Stage(failing(0.1, ValueError("no total")), name="extract")], name="pipeline")
    result = run(Parallel(tasks={"pipeline": nested, "other": sleeper(0.5, "ok")}), "x")
    assert result.output.values == {"other": "ok"}
    assert result.output.missing["pipeline"].startswith("StageError: Sequential 'pipeline': stage 'extract' failed")


# -- Resilient ------------------------------------------------------------------------------------
def test_retry_never_retries_a_mistake_even_when_told_to_retry_everything():
    calls = []

    def glue(x):
        calls.append(x)
        return x + 1

    flow = Resilient(glue, retry=RetryPolicy(attempts=3, retry_on=(Exception,)))
    with pytest.raises(TypeError):
        run(flow, "x")
    assert calls == ["x"]


def test_the_fallback_answers_a_failure_but_not_a_mistake():
    assert run(Resilient(failing(0.1, BackendError("down")), fallback=lambda x: "generalist"), "x").output == "generalist"
    with pytest.raises(NameError) as caught:
        run(Resilient(undefined_name, fallback=lambda x: "generalist", name="specialist"), "x")
    assert "raised in Resilient 'specialist'" in caught.value.__notes__[0]


# -- Router ---------------------------------------------------------------------------------------
def test_router_falls_back_for_a_failing_handler_but_raises_a_mistake_in_one():
    routes = {"a": failing(0.1, BackendError("down"))}
    assert run(Router(lambda x: "a", routes, fallback=lambda x: "generalist"), "x").output == "generalist"
    with pytest.raises(AttributeError) as caught:
        run(Router(lambda x: "a", {"a": typo}, fallback=lambda x: "generalist", name="desk"), "x")
    assert "a route of Router 'desk'" in caught.value.__notes__[0]


def test_router_raises_a_mistake_in_its_analyzer_instead_of_falling_back():
    with pytest.raises(TypeError):
        run(Router(wrong_type, {"a": lambda x: x}, fallback=lambda x: "generalist"), "x")
    with pytest.raises(TypeError, match="the analyzer must return a route name"):
        run(Router(lambda x: 42, {"a": lambda x: x}, fallback=lambda x: "generalist"), "x")


# -- Sequential -----------------------------------------------------------------------------------
def test_a_stage_takes_its_alternative_after_a_failure_but_not_after_a_mistake():
    alternative_ran = []
    flow = Sequential(stages=[Stage(typo, alternative=lambda x: alternative_ran.append(x) or x, name="read")], on_error="rollback")
    with pytest.raises(AttributeError) as caught:
        run(flow, "scan")
    assert alternative_ran == []
    assert "stage 'read'" in caught.value.__notes__[0]


def test_rollback_does_not_hide_a_mistake_in_a_validate_function():
    flow = Sequential(stages=[Stage(lambda x: {"total": 5}, validate=lambda d: d["total"] > "0", name="check")], on_error="rollback")
    with pytest.raises(TypeError) as caught:
        run(flow, "x")
    assert "the validate function of stage 'check'" in caught.value.__notes__[0]
    # a validate function that finds bad data (KeyError) is a failed validation, as before
    bad_data = Sequential(stages=[Stage(lambda x: {}, validate=lambda d: d["total"] > 0, name="check")], on_error="rollback")
    assert run(bad_data, "x").trace.find("sequential")[0].status == "rolled_back"


# -- Hierarchical ---------------------------------------------------------------------------------
def test_hierarchical_escalates_a_failed_sub_run_but_raises_a_mistake_in_one():
    fine = Hierarchical(top=lambda x: "a", sub={"a": failing(0.1, BackendError("down"))}, escalate=lambda e: f"tier 2: {e.reason}")
    assert run(fine, "x").output == "tier 2: sub-orchestration 'a' ended error"
    broken = Hierarchical(top=lambda x: "a", sub={"a": typo}, escalate=lambda e: "tier 2")
    with pytest.raises(AttributeError):
        run(broken, "x")


def test_hierarchical_raises_a_mistake_in_its_top_level_instead_of_escalating():
    flow = Hierarchical(top=wrong_type, sub={"a": lambda x: x}, escalate=lambda e: "tier 2", name="triage")
    with pytest.raises(TypeError) as caught:
        run(flow, "x")
    assert "the top level of Hierarchical 'triage'" in caught.value.__notes__[0]
