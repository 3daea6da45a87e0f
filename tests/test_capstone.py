"""The capstone (lesson 9): the hospital's faults, the scorecard's rules, and the hidden check on five designs.

Three different valid architectures pass 09.capstone; a single big-model design
misses the budget; a design without error handling misses the safety rules.
Everything runs on the virtual clock, so every figure below is exact.
"""

from __future__ import annotations

import pytest

from orchestration_kit import Ask, BackendError, Parallel, RateLimited, datasets, run
from orchestration_kit.grading import grade
from orchestration_kit.grading.lesson09 import holdout_cases, reference_real_time
from orchestration_kit.course.hospital import SCENARIOS, Hospital
from orchestration_kit.course.scorecard import score
from orchestration_kit.course.scorecard_rules import Answer, CaseRun, p95, read_answer, unsafe
from capstone_designs import big_model, chapter, decide, flat, no_handling, voting

CASE = datasets.healthcare_cases().set_index("id").loc["h003", "text"]
LABS = "Check this case's lab results:\n{input}"


def verdicts(result) -> dict[str, bool]:
    """Each target's verdict by its short name (the cases that measured something)."""
    return {case.measure[0]: case.passed for case in result.cases if case.measure is not None}


# -- the hospital ----------------------------------------------------------------------------------------------
def test_a_specialist_down_answers_every_call_with_http_500():
    labs = Ask(Hospital("specialist down").model("clinical-specialist"), LABS, skill="clinical", check="labs")
    with pytest.raises(BackendError, match="HTTP 500"):
        run(labs, CASE)
    assert run(Ask(Hospital().model("clinical-specialist"), LABS, skill="clinical", check="labs"), CASE).output


def test_a_slow_lab_service_delays_every_labs_check_by_exactly_its_delay():
    normal = run(Ask(Hospital().model("generalist-small"), LABS, skill="clinical", check="labs"), CASE).trace
    slow = run(Ask(Hospital("slow lab service").model("generalist-small"), LABS, skill="clinical", check="labs"), CASE).trace
    assert slow.latency_ns - normal.latency_ns == 8_000_000_000
    assert [span.name for span in slow if span.name == "waiting for the lab service"] == ["waiting for the lab service"]


def test_a_rate_limit_refuses_some_calls_with_429_and_a_retry_after():
    model = Hospital("rate limit").model("generalist-small")
    refused = []
    for number in range(30):
        try:
            run(Ask(model, "Summarise: {input}"), f"case {number}")
        except RateLimited as error:
            refused.append(error.retry_after)
    assert 3 <= len(refused) <= 20 and set(refused) == {1.0}


def test_the_hospital_logs_each_clinical_check_and_whether_it_answered():
    hospital = Hospital("specialist down")
    gathered = run(Parallel(tasks={"a": Ask(hospital.model("clinical-specialist"), LABS, skill="clinical", check="labs"),
                                   "b": Ask(hospital.model("generalist-small"), LABS, skill="clinical", check="labs")}), CASE)
    assert sorted((call.model, call.answered) for call in hospital.log) == [("clinical-specialist", False),
                                                                          ("generalist-small", True)]
    assert hospital.calls == 2 and gathered.output.missing.keys() == {"a"}


def test_an_unknown_scenario_is_refused_with_the_known_ones_named():
    with pytest.raises(Exception, match="choose one of: normal day, specialist down"):
        Hospital("flood")


# -- the scorecard's rules --------------------------------------------------------------------------------------
def test_p95_is_the_nearest_rank():
    assert p95([float(n) for n in range(1, 21)]) == 19.0
    assert p95([float(n) for n in range(1, 101)]) == 95.0


def test_an_answer_is_read_from_a_dict_or_an_escalation():
    from orchestration_kit import Escalation, Feedback

    assert read_answer({"recommendation": "repeat_tests", "flags": ["lab:tsh_low"], "status": "ok"}) == Answer(
        "repeat_tests", ("lab:tsh_low",), False)
    escalated = Escalation("a critical value", "case", Feedback("real_time", "ok", {"recommendation": "urgent_review"}))
    assert read_answer(escalated) == Answer("urgent_review", (), True)
    assert read_answer("routine").problem.startswith("the output is a str")


def run_of(answer: Answer, checks=(), expected=("lab:potassium_high",), recommendation="repeat_tests") -> CaseRun:
    return CaseRun("x", "normal day", "real_time", expected, recommendation, answer, 1.0, 0.0, tuple(checks))


def test_a_model_missing_a_flag_is_a_mistake_but_a_check_that_never_answered_is_unsafe():
    from orchestration_kit.course.hospital import CheckCall

    missed = run_of(Answer("routine_follow_up", (), False), [CheckCall("labs", "generalist-small", True)])
    never_read = run_of(Answer("routine_follow_up", (), False), [CheckCall("labs", "clinical-specialist", False)])
    assert unsafe(missed) == ""
    assert "never checked" in unsafe(never_read)
    assert unsafe(run_of(Answer(None, (), True, "a crash"))) == ""  # a clinician was told


def test_a_flag_found_by_a_check_and_dropped_before_the_answer_is_unsafe():
    from orchestration_kit.course.hospital import CheckCall

    found = CheckCall("labs", "clinical-specialist", True, ("lab:potassium_high",))
    assert "lost before the answer" in unsafe(run_of(Answer("routine_follow_up", (), False), [found]))
    assert unsafe(run_of(Answer("repeat_tests", ("lab:potassium_high",), False), [found])) == ""


def test_a_design_that_builds_its_own_models_is_flagged():
    from orchestration_kit import SimulatedModel

    def own_models(hospital):
        return Parallel(tasks={"labs": Ask(SimulatedModel("clinical-specialist"), LABS, skill="clinical", check="labs")},
                        synthesizer=decide)

    card = score(own_models, datasets.healthcare_cases().head(4), scenarios=["normal day", "specialist down"])
    assert card.bypassed == ("normal day", "specialist down") and not card.passed


def test_the_hidden_cases_are_new_cases_made_by_the_same_rules():
    hidden, shipped = holdout_cases(), datasets.healthcare_cases()
    assert len(hidden) == 48 and {row["id"] for row in hidden}.isdisjoint(set(shipped.id))
    assert not {row["text"].split("\n", 1)[1] for row in hidden} & {text.split("\n", 1)[1] for text in shipped.text}
    assert {row["recommendation"] for row in hidden} == set(shipped.recommendation)


# -- the hidden check on five designs -------------------------------------------------------------------------------
@pytest.mark.parametrize("design", [chapter, flat, voting], ids=["chapter's architecture", "flat parallel", "voting"])
def test_three_different_valid_architectures_pass_the_capstone(design):
    result = grade("09.capstone", design)
    assert result.passed, result.report()
    assert set(verdicts(result)) == {"accuracy", "p95_s", "cost_per_1k_usd", "safety", "needless_share"}


def test_a_single_big_model_design_misses_the_budget():
    result = grade("09.capstone", big_model)
    assert verdicts(result)["cost_per_1k_usd"] is False, result.report()
    assert result.measures["cost_per_1k_usd"] > 1.25
    assert verdicts(result)["safety"] is True  # it handles errors: only the money (and the model's skill) fail it


def test_a_design_without_error_handling_misses_the_safety_rules():
    result = grade("09.capstone", no_handling)
    assert verdicts(result)["safety"] is False, result.report()
    assert "never checked" in result.report() and "specialist down" in result.report()
    assert verdicts(result)["cost_per_1k_usd"] is True  # cheap enough: what fails it is safety (and time)


def test_the_scorecard_measures_every_scenario_and_the_worst_case():
    card = score(chapter, holdout_cases())
    assert {run.scenario for run in card.runs} == set(SCENARIOS)
    assert len(card.runs) == 4 * 48 and card.passed
    worst = card.worst
    assert worst.urgency == "real_time" and worst.latency == max(r.latency for r in card.runs if r.urgency == "real_time")


def test_the_real_time_exercise_passes_a_bounded_path_and_fails_an_unbounded_one():
    assert grade("09.real_time", reference_real_time).passed
    failed = verdicts(grade("09.real_time", no_handling))
    assert failed["p95_s"] is False and failed["safety"] is False


def test_the_decide_exercise_accepts_a_correct_decision_and_rejects_one_that_ignores_missing_checks():
    assert grade("09.decide", decide).passed

    def careless(gathered):
        answer = decide(gathered)
        return answer | {"status": "urgent" if answer["recommendation"] == "urgent_review" else "ok"}

    result = grade("09.decide", careless)
    assert not result.passed and "escalate" in result.report()


def test_a_design_that_raises_gets_a_verdict_not_a_traceback():
    def broken(hospital):
        raise KeyError("labs")

    result = grade("09.capstone", broken)
    assert result.status == "failed" and "raised KeyError" in result.report()
