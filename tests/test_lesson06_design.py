"""Lesson 6's design exercise, 06.batch_design: several designs pass; each wrong one fails for its own reason."""

from __future__ import annotations

from capstone_designs import decide, no_handling, voting

from orchestration_kit import Ask, Parallel, Resilient, RetryPolicy
from orchestration_kit.grading import grade

LABS, MEDICINES = "Check this case's lab results:\n{input}", "Check this case's medicines:\n{input}"


def verdicts(result) -> dict[str, bool]:
    return {case.measure[0]: case.passed for case in result.cases if case.measure is not None}


def patient_specialist(hospital):
    """The specialist, retried patiently, with the large generalist as backup; a rule decides."""
    clinician, large = hospital.model("clinical-specialist"), hospital.model("generalist-large")

    def check(prompt, kind, name):
        return Resilient(Ask(clinician, prompt, skill="clinical", check=kind, name=name),
                         retry=RetryPolicy(attempts=3, initial_delay=2.0),
                         fallback=Ask(large, prompt, skill="clinical", check=kind, name=f"{name} (backup)"), name=name)

    return Parallel(tasks={"labs": check(LABS, "labs", "labs"),
                           "contraindications": check(MEDICINES, "medications", "contraindications")},
                    synthesizer=decide, name="batch checks")


def small_model_only(hospital):
    small = hospital.model("generalist-small")
    return Parallel(tasks={"labs": Ask(small, LABS, skill="clinical", check="labs"),
                           "contraindications": Ask(small, MEDICINES, skill="clinical", check="medications")},
                    synthesizer=decide)


def test_two_different_designs_pass_the_batch_design():
    for design in (patient_specialist, voting):
        result = grade("06.batch_design", design)
        assert result.passed, result.report()


def test_a_small_model_design_is_cheap_but_misses_the_accuracy_with_a_hint_about_the_checks():
    result = grade("06.batch_design", small_model_only)
    assert verdicts(result)["accuracy"] is False and verdicts(result)["cost_per_1k_usd"] is True
    assert "Which checks find the flags" in result.report()


def test_a_design_without_error_handling_misses_the_safety_rules():
    result = grade("06.batch_design", no_handling)
    assert verdicts(result)["safety"] is False and "never checked" in result.report()


def test_a_batch_flow_that_retries_for_ever_misses_the_deadline():
    def stubborn(hospital):
        flow = patient_specialist(hospital)
        for task in flow.tasks.values():
            task.retry = RetryPolicy(attempts=8, initial_delay=5.0, factor=2.0, max_delay=300.0)
        return flow

    assert verdicts(grade("06.batch_design", stubborn))["slowest_s"] is False
