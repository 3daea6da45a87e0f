"""The pattern guide: answers in, patterns, nesting, reasons and a runnable skeleton out."""

from __future__ import annotations

import itertools
import subprocess
import sys

import pytest

from orchestration_kit import (
    Ask, ConfigurationError, Escalation, Hierarchical, HumanReview, KeywordRules, Parallel, RetryPolicy, Router,
    Sequential, SimulatedModel, Stage, run,
)
from orchestration_kit.grading import grade, lesson_exercises
from orchestration_kit.design.guide import recommend
from orchestration_kit.design.guide_form import GuideForm
from orchestration_kit.design.process import FAILURE_TOLERANCES, LATENCY_BUDGETS, QUESTIONS, ProcessDescription
from orchestration_kit.design.skeleton import outline
from orchestration_kit.patterns import Feedback
from orchestration_kit.trace import Span
from orchestration_kit.models.skills import parse_label

EVERYTHING = ProcessDescription("claims", True, True, True, True, routes=["car", "home"], tasks=["fraud", "coverage"],
                                steps=["settle", "notify"], tiers=["routine", "complex"])
broken = SimulatedModel("generalist-small").with_failures(error_rate=1.0)


def answered(**answers) -> ProcessDescription:
    return ProcessDescription("test", **answers)


def every_description():
    """All 16 combinations of the four questions, under every latency budget and failure tolerance."""
    for bits, budget, tolerance in itertools.product(itertools.product([False, True], repeat=4), LATENCY_BUDGETS,
                                                     FAILURE_TOLERANCES):
        yield answered(**dict(zip(QUESTIONS, bits)), latency_budget=budget, failure_tolerance=tolerance)


# -- the rules -----------------------------------------------------------------------
@pytest.mark.parametrize("question, pattern", [
    ("differing_inputs", "router"), ("independent_subtasks", "parallel"),
    ("dependent_steps", "sequential"), ("tiers_of_responsibility", "hierarchical"),
])
def test_each_question_answered_yes_alone_recommends_its_pattern(question, pattern):
    assert recommend(answered(**{question: True})).patterns == [pattern]


def test_with_no_question_answered_yes_one_model_call_is_enough():
    advice = recommend(answered())
    assert advice.patterns == ["model call"] and advice.shape == "model call"
    assert "no question called for orchestration" in advice.choices[0].reason


def test_patterns_nest_tiers_then_router_then_a_pipeline_whose_first_stage_is_the_parallel():
    advice = recommend(EVERYTHING)
    assert advice.patterns == ["hierarchical", "router", "sequential", "parallel"]
    assert advice.shape == ("hierarchical(routine, complex) > router(car, home) > "
                            "sequential(parallel(fraud, coverage), settle, notify)")


def test_unnamed_parts_get_placeholder_names():
    assert recommend(answered(differing_inputs=True, independent_subtasks=True)).shape == (
        "router(kind_a, kind_b) > parallel(task_a, task_b)")


def test_every_choice_has_its_own_reason_and_error_handling():
    advice = recommend(EVERYTHING)
    reasons = [choice.reason for choice in advice.choices]
    assert len(set(reasons)) == len(reasons) == 4 and all(reasons)
    assert str(advice).count("why:") == 4 and str(advice).count("on error:") == 4
    handling = {choice.pattern: choice.on_error for choice in advice.choices}
    assert "fallback" in handling["router"] or "generalist" in handling["router"]
    assert "skipped" in handling["parallel"] and "kept" in handling["parallel"]
    assert "validated" in handling["sequential"] and "alternative" in handling["sequential"]
    assert "escalated" in handling["hierarchical"]


@pytest.mark.parametrize("tolerance, backup, ending", [("high", "higher tier (generalist-large)", "roll back"),
                                                       ("low", "human review", "raise")])
def test_failure_tolerance_decides_who_takes_over_and_how_a_failed_stage_ends(tolerance, backup, ending):
    choices = {c.pattern: c for c in recommend(answered(tiers_of_responsibility=True, dependent_steps=True,
                                                        failure_tolerance=tolerance)).choices}
    assert choices["hierarchical"].backup == backup
    assert ending in choices["sequential"].on_error


@pytest.mark.parametrize("budget, timeout, attempts", [
    ("tight", "2 s", "2 attempts"), ("moderate", "10 s", "3 attempts"), ("relaxed", "30 s", "3 attempts"),
])
def test_the_latency_budget_sets_timeouts_and_attempts(budget, timeout, attempts):
    parallel = recommend(answered(independent_subtasks=True, latency_budget=budget)).choices[0]
    assert f"a {timeout} timeout and {attempts}" in parallel.on_error


@pytest.mark.parametrize("answers, worker", [({}, "generalist-large"), ({"cost_sensitive": True}, "generalist-small"),
                                             ({"latency_budget": "tight"}, "generalist-small")])
def test_the_small_model_works_when_time_or_money_is_short(answers, worker):
    advice = recommend(answered(dependent_steps=True, **answers))
    assert advice.worker == worker
    assert {span.model for span in run(advice.build(), "a request").trace.model_calls} == {worker}


def test_low_failure_tolerance_without_tiers_is_pointed_out():
    settings = recommend(answered(failure_tolerance="low")).settings
    assert "consider a person as a top tier" in settings[-1]


# -- bad answers ---------------------------------------------------------------------
@pytest.mark.parametrize("answers, message", [
    ({"differing_inputs": "yes"}, "give True or False"),
    ({"cost_sensitive": 1}, "cost_sensitive is True or False"),
    ({"routes": ["billing", "technical"]}, "answer True, or leave routes out"),
    ({"independent_subtasks": True, "tasks": ["only one"]}, "two or more different names"),
    ({"dependent_steps": True, "steps": ["a", "a"]}, "two or more different names"),
    ({"dependent_steps": True, "steps": "draft"}, "a list of names"),
    ({"latency_budget": "fast"}, "latency_budget is one of"),
    ({"failure_tolerance": "none"}, "failure_tolerance is one of"),
])
def test_a_bad_answer_is_refused_with_what_to_do(answers, message):
    with pytest.raises(ConfigurationError, match=message):
        answered(**answers)


def test_recommend_needs_a_description():
    with pytest.raises(ConfigurationError, match="needs a ProcessDescription"):
        recommend({"differing_inputs": True})


def test_names_given_as_lists_are_stored_as_tuples():
    assert answered(independent_subtasks=True, tasks=["a", "b"]).tasks == ("a", "b")


# -- the skeleton -----------------------------------------------------------------------
def test_every_skeleton_has_exactly_the_recommended_shape():
    for description in every_description():
        advice = recommend(description)
        assert outline(advice.build()) == advice.shape, description


def test_a_skeleton_runs_the_same_way_twice():
    flow = recommend(EVERYTHING).build()
    first, second = run(flow, "a routine claim: car scratched"), run(flow, "a routine claim: car scratched")
    assert first.output == second.output and first.trace.tree() == second.trace.tree()
    assert first.trace.latency == second.trace.latency and first.trace.cost == second.trace.cost


def test_the_skeleton_routes_by_the_name_the_input_mentions_and_runs_the_tasks_at_once():
    result = run(recommend(EVERYTHING).build(), "a complex claim about a home")
    assert [s.route for s in result.trace if s.pattern in ("hierarchical", "router")] == ["complex", "home"]
    tasks = [s for s in result.trace if s.kind == "task"]
    assert [s.name for s in tasks] == ["fraud", "coverage"] and len({s.start for s in tasks}) == 1


def test_router_faq_an_input_of_no_known_kind_goes_to_the_generalist():
    result = run(recommend(answered(differing_inputs=True, routes=["car", "home"])).build(), "a boat")
    assert result.trace.find("router")[0].status == "fallback"
    assert result.trace.model_calls[-1].model == "generalist-large"


def test_parallel_faq_a_task_that_fails_once_is_retried():
    flaky = SimulatedModel("generalist-small").with_failures(fail_first=1)  # each prompt's first call fails
    result = run(recommend(answered(independent_subtasks=True, dependent_steps=True)).build(worker=flaky), "a request")
    attempts = sorted((s.name, s.attempt, s.status) for s in result.trace
                      if s.kind == "attempt" and s.name.startswith("task"))
    assert attempts == [("task_a", 1, "error"), ("task_a", 2, "ok"), ("task_b", 1, "error"), ("task_b", 2, "ok")]
    assert result.trace.find("parallel")[0].status == "ok"


def test_parallel_faq_a_dead_task_is_skipped_and_reported_missing_and_the_run_goes_on():
    result = run(recommend(answered(independent_subtasks=True, dependent_steps=True)).build(worker=broken), "a request")
    parallel = result.trace.find("parallel")[0]
    assert parallel.status == "partial" and parallel.detail.startswith("0/2 tasks ok; missing: task_a, task_b")
    assert [s.attempt for s in result.trace if s.name == "task_a" and s.kind == "attempt"] == [1, 2, 3]
    assert result.trace.model_calls[-1].model == "generalist-large"  # the steps took the alternative path


def test_sequential_faq_a_failed_stage_takes_the_generalist_alternative():
    result = run(recommend(answered(dependent_steps=True)).build(worker=broken), "a request")
    assert [s.status for s in result.trace if s.kind == "stage"] == ["alternative", "alternative"]
    assert result.trace.model_calls[-1].model == "generalist-large"


@pytest.mark.parametrize("budget, seconds", [("tight", 2.0 + 0.5 + 2.0), ("relaxed", 30.0 + 0.5 + 30.0 + 1.0 + 30.0)])
def test_the_latency_budget_bounds_how_long_a_hung_task_is_waited_for(budget, seconds):
    hung = SimulatedModel("generalist-small").with_failures(timeout_rate=1.0, error_rate=0.0)  # every call hangs
    advice = recommend(answered(independent_subtasks=True, dependent_steps=True, latency_budget=budget))
    flow = advice.build(worker=hung)
    result = run(flow, "a request")
    assert result.trace.find("parallel")[0].duration == seconds  # timeouts and back-offs, exactly, in virtual time
    assert [s.status for s in result.trace if s.kind == "stage"] == ["alternative", "alternative"]


@pytest.mark.parametrize("tolerance, escalated_to", [("low", "human review"), ("high", "higher tier")])
def test_hierarchical_faq_a_failed_tier_is_escalated_to_a_person_or_a_higher_tier(tolerance, escalated_to):
    flow = recommend(answered(tiers_of_responsibility=True, independent_subtasks=True,
                              failure_tolerance=tolerance)).build(worker=broken)
    result = run(flow, "tier 1")
    assert result.trace.find("hierarchical")[0].status == "escalated"
    assert result.trace.find(escalated_to)
    assert isinstance(result.output, Escalation) == (tolerance == "low")  # a person has not decided yet


@pytest.mark.parametrize("feedback, escalates", [
    (Feedback("r", "ok"), False),
    # a retried attempt that recovered never becomes an issue (tests/test_trace_vocabulary.py)
    (Feedback("r", "ok", issues=(Span(3, 1, "task_a", "task", status="skipped"),
                                 Span(1, 0, "parallel", "flow", status="partial"))), True),
    (Feedback("r", "fallback"), True),
    (Feedback("r", "error"), True),
])
def test_low_tolerance_escalates_anything_degraded_but_not_a_recovered_retry(feedback, escalates):
    flow = recommend(answered(tiers_of_responsibility=True, failure_tolerance="low")).build()
    assert bool(flow.escalate_when(feedback)) == escalates


def test_your_own_routing_logic_replaces_the_skeletons():
    advice = recommend(answered(tiers_of_responsibility=True, tiers=["real_time", "batch"]))
    urgency = Ask(SimulatedModel("generalist-large"), "How urgent is this case: {input}", skill="triage",
                  labels=["real_time", "batch"], parse=parse_label, name="urgency")
    result = run(advice.build(top=urgency), "Admitted through the emergency department with chest pain.")
    assert result.trace.find("hierarchical")[0].route == "real_time" and result.trace.find("urgency")


def test_one_model_can_be_the_analyzer_and_a_handler():
    model = SimulatedModel("generalist-small")
    analyzer = KeywordRules({"car": ["car"], "home": ["home"]})
    advice = recommend(answered(differing_inputs=True, routes=["car", "home"]))
    result = run(advice.build(worker=model, generalist=model, analyzer=analyzer), "a boat")
    assert {s.model for s in result.trace.model_calls} == {"generalist-small"}


# -- outline and pictures -------------------------------------------------------------
def test_outline_writes_shared_handlers_once_and_different_ones_per_route():
    step = Ask(SimulatedModel("generalist-small"), "Do: {input}", name="do")
    pipeline = Sequential(stages=[Parallel(tasks={"x": step, "y": step}), Stage(step, name="z")])
    shared = Router(analyzer=str, routes={"a": pipeline, "b": pipeline})
    assert outline(shared) == "router(a, b) > sequential(parallel(x, y), z)"
    mixed = Hierarchical(top=str, sub={"a": pipeline, "b": step}, escalate=HumanReview())
    assert outline(mixed) == "hierarchical(a > sequential(parallel(x, y), z), b)"
    assert outline(step) == "do"


def test_the_diagram_shows_each_pattern_in_data_flow_order_with_who_takes_over():
    text = str(recommend(EVERYTHING).diagram())
    order = [text.index(word) for word in ("hierarchical:", "router:", "parallel:", "sequential:")]
    assert order == sorted(order)
    assert "settle → notify" in text and "generalist fallback" in text and "higher tier" in text
    assert text == str(recommend(EVERYTHING).diagram())


def test_reprs_are_short_and_stable():
    advice = recommend(EVERYTHING)
    assert repr(advice) == "Recommendation('claims', patterns=['hierarchical', 'router', 'sequential', 'parallel'])"
    assert "0x" not in str(advice) and "0x" not in repr(advice.build())


# -- the form, headless -----------------------------------------------------------------
def test_ticking_a_box_updates_the_recommendation():
    form = GuideForm()
    assert form.recommendation.patterns == ["model call"]
    form.questions["differing_inputs"].value = True
    assert form.recommendation.patterns == ["router"]
    assert "router" in form.report.value and "router:" in form.picture.outputs[0]["data"]["text/markdown"]


def test_update_sets_several_answers_and_returns_the_recommendation():
    form = GuideForm()
    advice = form.update(independent_subtasks=True, dependent_steps=True, latency_budget="tight")
    assert advice is form.recommendation and advice.shape == "sequential(parallel(task_a, task_b), step_1, step_2)"
    assert form.questions["latency_budget"].value == "tight" and repr(form) == f"GuideForm({advice.shape!r})"


def test_the_form_keeps_the_names_of_ticked_questions_and_drops_the_others():
    form = GuideForm(EVERYTHING)
    assert form.recommendation.shape == recommend(EVERYTHING).shape
    assert form.update(differing_inputs=False).shape == (
        "hierarchical(routine, complex) > sequential(parallel(fraud, coverage), settle, notify)")


def test_the_form_refuses_an_unknown_question():
    with pytest.raises(ConfigurationError, match="no question called 'speed'"):
        GuideForm().update(speed="fast")


def test_importing_the_guide_does_not_import_widgets_or_pandas():
    code = "import sys, orchestration_kit.design.guide; print([m for m in ('ipywidgets', 'pandas') if m in sys.modules])"
    imported = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert imported.strip() == "[]"


# -- lesson 8's checks: right answers pass, typical mistakes fail the right case ------------------
def failed(result):
    return [case.description for case in result.cases if not case.passed]


def test_lesson_8_has_four_graded_exercises_in_rising_order():
    assert lesson_exercises("08") == ["08.describe", "08.map", "08.errors", "08.outage"]


def test_describing_the_loans_with_a_router_fails_on_that_question_and_on_the_shape():
    right = dict(independent_subtasks=True, dependent_steps=True, tiers_of_responsibility=True,
                 latency_budget="relaxed", failure_tolerance="low")
    assert grade("08.describe", ProcessDescription("loans", **right)).passed
    wrong = grade("08.describe", ProcessDescription("loans", **{**right, "differing_inputs": True}))
    assert failed(wrong) == ["differing_inputs fits the story", "the guide's recommendation fits the story"]


def claims_flow(steps, *, fallback=True, retry=True, on_error="skip", validate=True, escalate=True):
    """The exercise's reference answer, with one piece of error handling left out at a time."""
    checks = Parallel(tasks={"fraud": steps["fraud"], "coverage": steps["coverage"]}, on_error=on_error,
                      retry=RetryPolicy(attempts=2) if retry else None)
    settle = Stage(steps["settle"], validate=steps["settlement_ok"] if validate else None,
                   alternative=steps["senior"] if validate else None)
    claims = Router(analyzer=steps["claim_type"], routes={"car": Sequential(stages=[checks, settle]),
                                                          "home": Sequential(stages=[checks, settle])},
                    fallback=steps["generalist"] if fallback else None)
    return Hierarchical(top=steps["triage"], sub={"routine": claims, "complex": steps["senior"]},
                        escalate=HumanReview() if escalate else None)


@pytest.mark.parametrize("missing, fails", [
    ({"fallback": False}, ["router: a claim of no known type still gets an answer"]),
    ({"retry": False}, ["parallel: a fraud check that fails once is retried"]),
    ({"on_error": "fail"}, ["parallel: with coverage down, the fraud result is kept"]),
    ({"validate": False}, ["sequential: an empty settlement never goes out as the answer"]),
    ({"escalate": False}, ["hierarchical: when the routine tier fails completely, a person or the senior tier takes over"]),
])
def test_each_missing_piece_of_error_handling_fails_exactly_its_injected_failure(missing, fails):
    assert grade("08.errors", claims_flow).passed
    assert failed(grade("08.errors", lambda steps: claims_flow(steps, **missing))) == fails
