"""Each pattern's error handling, as the course describes it."""

from __future__ import annotations

import pytest

from orchestration_kit import (
    BackendError,
    Decision,
    Escalation,
    Hierarchical,
    HumanReview,
    KeywordRules,
    Parallel,
    Review,
    RetryPolicy,
    Router,
    RoutingError,
    Sequential,
    Stage,
    StageError,
    TaskFailed,
    resolve,
    run,
)

from timed_steps import failing, sleeper

ROUTES = {"billing": lambda q: "billing team", "technical": lambda q: "tech team"}
RULES = KeywordRules({"billing": ["invoice", "refund"], "technical": ["crash", "error"]})


# -- Router ---------------------------------------------------------------------------------------
def test_router_sends_a_clear_case_to_its_specialist():
    result = run(Router(RULES, ROUTES, fallback=lambda q: "generalist"), "my invoice is wrong")
    assert result.output == "billing team"
    span = result.trace.find("router")[0]
    assert (span.route, span.confidence, span.status) == ("billing", 1.0, "ok")


@pytest.mark.parametrize(
    "analyzer, why",
    [
        (lambda q: Decision("billing", 0.4), "below the threshold"),
        (lambda q: None, "no route matched"),
        (lambda q: "legal", "unknown route 'legal'"),
        (lambda q: 1 / 0, "the analyzer failed (ZeroDivisionError"),
    ],
)
def test_router_falls_back_to_the_generalist_when_unsure_or_failing(analyzer, why):
    result = run(Router(analyzer, ROUTES, fallback=lambda q: "generalist", threshold=0.6), "hello")
    assert result.output == "generalist"
    span = result.trace.find("router")[0]
    assert span.status == "fallback" and span.route == "fallback"
    assert why in span.detail


def test_router_falls_back_when_the_specialist_fails():
    routes = {"billing": failing(0.1, BackendError("down")), "technical": lambda q: "tech"}
    result = run(Router(RULES, routes, fallback=lambda q: "generalist"), "refund please")
    assert result.output == "generalist"
    assert "handler failed (BackendError: down)" in result.trace.find("router")[0].detail


def test_router_without_fallback_raises_a_routing_error_that_names_the_fix():
    with pytest.raises(RoutingError, match="Router 'router': no route matched.*fallback="):
        run(Router(RULES, ROUTES), "what's the weather?")


def test_router_with_several_routes_aggregates_their_outputs():
    both = lambda q: [Decision("billing", 0.9), Decision("technical", 0.8)]  # noqa: E731
    flow = Router(both, ROUTES, aggregator=lambda outputs: " + ".join(sorted(outputs.values())))
    assert run(flow, "refund for the crash").output == "billing team + tech team"


def test_one_model_object_can_serve_as_analyzer_and_handler():
    class Echo:
        name = "echo"

        def __call__(self, x):
            return Decision("a", 1.0) if x == "route me" else f"handled {x}"

    model = Echo()
    flow = Router(model, {"a": Sequential(stages=[lambda x: "again", model])})
    assert run(flow, "route me").output == "handled again"


# -- Parallel -------------------------------------------------------------------------------------
TASKS = {"summary": sleeper(1.0, "S"), "sentiment": failing(0.5, BackendError("500")), "entities": sleeper(2.0, "E")}


def test_parallel_keeps_the_other_branches_results_when_one_fails():
    result = run(Parallel(tasks=TASKS, on_error="skip"), "doc")
    assert result.output.values == {"summary": "S", "entities": "E"}
    assert list(result.output.missing) == ["sentiment"]
    assert result.trace.find("parallel")[0].status == "partial"
    assert result.trace.latency == 2.0  # the failure did not cut the others short


def test_parallel_default_replaces_a_failed_branch():
    result = run(Parallel(tasks=TASKS, on_error="default", default="neutral"), "doc")
    assert result.output.values["sentiment"] == "neutral"
    assert result.output.branches["sentiment"].status == "default"


def test_parallel_fail_raises_but_keeps_every_result_in_the_error():
    with pytest.raises(TaskFailed, match="2 of 3 tasks succeeded") as caught:
        run(Parallel(tasks=TASKS, on_error="fail"), "doc")
    assert caught.value.gathered.values == {"summary": "S", "entities": "E"}


def test_parallel_retry_recovers_a_flaky_branch():
    calls = []

    async def flaky(x):
        calls.append(x)
        if len(calls) < 3:
            raise BackendError("try again")
        return "finally"

    result = run(Parallel(tasks={"flaky": flaky}, retry=RetryPolicy(attempts=3, initial_delay=0.25)), "x")
    assert result.output["flaky"] == "finally"
    assert result.trace.latency == 0.75  # waits of 0.25 and 0.5 between the three attempts


def test_the_synthesizer_learns_which_branches_are_missing():
    def synthesize(gathered):
        return f"have {sorted(gathered.values)}, missing {sorted(gathered.missing)}"

    result = run(Parallel(tasks=TASKS, synthesizer=synthesize), "doc")
    assert result.output == "have ['entities', 'summary'], missing ['sentiment']"


def test_parallel_quorum_fails_when_too_few_tasks_succeed():
    with pytest.raises(TaskFailed):
        run(Parallel(tasks=TASKS, quorum=3), "doc")


# -- Sequential -----------------------------------------------------------------------------------
def test_sequential_threads_the_state_through_its_stages():
    flow = Sequential(stages=[lambda s: s + ["a"], lambda s: s + ["b"]])
    assert run(flow, []).output == ["a", "b"]


def test_sequential_rollback_returns_the_last_good_state_and_says_where_it_stopped():
    flow = Sequential(
        stages=[Stage(lambda d: {**d, "type": "invoice"}, name="classify"),
                Stage(lambda d: {**d, "total": -5}, validate=lambda d: d["total"] >= 0 or "negative total", name="extract")],
        on_error="rollback",
    )
    result = run(flow, {"id": 1})
    assert result.output == {"id": 1, "type": "invoice"}
    span = result.trace.find("sequential")[0]
    assert span.status == "rolled_back"
    assert "stage 'extract'" in span.detail and "negative total" in span.detail and "after stage 'classify'" in span.detail


def test_sequential_takes_the_alternative_path_when_a_stage_fails():
    flow = Sequential(stages=[Stage(failing(0.5, ValueError("unreadable")), alternative=sleeper(1.0, "ocr"), name="read")])
    result = run(flow, "scan")
    assert result.output == "ocr"
    assert result.trace.find("read")[0].status == "alternative"
    assert result.trace.latency == 1.5


def test_sequential_raise_names_the_stage_and_keeps_the_state():
    flow = Sequential(stages=[lambda s: s + 1, Stage(lambda s: s * 10, validate=lambda s: s < 5, name="scale")])
    with pytest.raises(StageError, match="stage 'scale' failed: validation failed") as caught:
        run(flow, 1)
    assert caught.value.stage == "scale" and caught.value.state == 2


# -- Hierarchical ---------------------------------------------------------------------------------
def rolls_back():
    return Sequential(stages=[Stage(lambda x: x, validate=lambda x: False, name="check")], on_error="rollback", name="pipeline")


def test_hierarchical_returns_the_sub_orchestrations_output_when_all_is_well():
    flow = Hierarchical(top=lambda x: ("auto", 0.9), sub={"auto": lambda x: f"done: {x}"})
    assert run(flow, "req").output == "done: req"


def test_hierarchical_escalates_to_a_scripted_human_on_bad_feedback():
    flow = Hierarchical(top=lambda x: "auto", sub={"auto": rolls_back()}, escalate=HumanReview(decisions=["reject"]))
    result = run(flow, "req")
    assert isinstance(result.output, Review) and result.output.decision == "rejected"
    span = result.trace.find("hierarchical")[0]
    assert span.status == "escalated" and "'auto' ended rolled_back" in span.detail


def test_hierarchical_escalates_when_the_top_level_is_unsure():
    flow = Hierarchical(top=lambda x: ("auto", 0.3), sub={"auto": lambda x: x}, escalate=lambda e: f"tier 2: {e.reason}", threshold=0.5)
    assert run(flow, "req").output.startswith("tier 2: at the top level, confidence 0.30 for 'auto' is below the threshold 0.50")


def test_a_pending_escalation_is_a_value_that_a_person_resolves_later():
    flow = Hierarchical(top=lambda x: "auto", sub={"auto": lambda x: "draft answer"}, escalate=HumanReview(),
                        escalate_when=lambda fb: "always double-check")
    pending = run(flow, "req").output
    assert isinstance(pending, Escalation) and pending.feedback.output == "draft answer"
    assert resolve(pending, "approve").output == "draft answer"


def test_scripted_decisions_repeat_exactly_on_every_run():
    flow = Hierarchical(top=lambda x: "auto", sub={"auto": rolls_back()}, escalate=HumanReview(decisions=["approve"]))
    assert run(flow, "a").output.decision == run(flow, "a").output.decision == "approved"


def test_feedback_lists_what_went_wrong_inside_the_sub_orchestration():
    seen = []
    sub = Parallel(tasks={"ok": sleeper(0.1), "bad": failing(0.1, BackendError("x"))})
    flow = Hierarchical(top=lambda x: "p", sub={"p": sub}, escalate_when=lambda fb: seen.append(fb))
    run(flow, "x")
    assert seen[0].status == "partial" and ("bad", "skipped") in [(s.name, s.status) for s in seen[0].issues]
