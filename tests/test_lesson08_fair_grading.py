"""Lesson 8's checks grade what matters, accept every design the chapter allows, and do not give answers away."""

from __future__ import annotations

import pytest

from orchestration_kit import Hierarchical, HumanReview, Parallel, RetryPolicy, Router, Sequential, Stage
from orchestration_kit.grading import grade
from orchestration_kit.grading.lesson08 import EXPECTED_LOANS
from orchestration_kit.design.guide import ProcessDescription


def failed(result):
    return [case.description for case in result.cases if not case.passed]


def claims(steps, *, on_error="skip", default=None, settle_check=None, escalate="person", escalate_when=None,
           rollback=False):
    """The claims design with its error handling chosen among the chapter's answers."""
    options = {"default": default} if on_error == "default" else {}
    checks = Parallel(tasks={"fraud": steps["fraud"], "coverage": steps["coverage"]}, on_error=on_error,
                      retry=RetryPolicy(attempts=2), **options)
    settle = Stage(steps["settle"], validate=settle_check or steps["settlement_ok"],
                   alternative=None if rollback else steps["senior"])
    pipeline = Sequential(stages=[checks, settle], on_error="rollback" if rollback else "raise")
    router = Router(analyzer=steps["claim_type"], routes={"car": pipeline, "home": pipeline},
                    fallback=steps["generalist"])
    extra = {"escalate_when": escalate_when} if escalate_when else {}
    return Hierarchical(top=steps["triage"], sub={"routine": router, "complex": steps["senior"]},
                        escalate=HumanReview() if escalate == "person" else steps["senior"], **extra)


def partial_goes_to_a_person(feedback):
    """A cautious desk: anything degraded (a check missing, a fallback's answer) waits for a person."""
    if feedback.status not in ("ok",) or any(span.status in ("partial", "skipped") for span in feedback.issues):
        return f"the routine tier ended {feedback.status} with {feedback.summary()}"
    return None


def covered_only_if_checked(text):
    """A settlement from a coverage check that never answered goes to the senior instead."""
    if "MISSING" in str(text) and not str(text).startswith("SENIOR"):
        return "coverage was not checked: the senior adjuster must decide"
    return "SETTLEMENT" in str(text) or "the settlement is empty"


@pytest.mark.parametrize("design", [
    pytest.param({}, id="skip and settle from the fraud check"),
    pytest.param({"on_error": "default", "default": "not checked"}, id="a default that says not checked"),
    pytest.param({"escalate_when": partial_goes_to_a_person}, id="a partial claim waits for a person"),
    pytest.param({"settle_check": covered_only_if_checked}, id="the senior settles when coverage is missing"),
    pytest.param({"escalate": "senior"}, id="the senior tier instead of a person"),
    pytest.param({"rollback": True}, id="an empty settlement rolls back"),
])
def test_every_design_the_chapter_allows_passes_08_errors(design):
    result = grade("08.errors", lambda steps: claims(steps, **design))
    assert result.passed, failed(result)


def test_the_cautious_design_of_the_issue_scores_full_marks():
    """Escalating to a person rather than settling a claim whose coverage check is down: once 8/9, now solved."""
    result = grade("08.errors", lambda steps: claims(steps, escalate_when=partial_goes_to_a_person))
    assert result.score[0] == result.score[1]


def test_a_default_that_pretends_the_claim_is_covered_fails_the_safety_case_only():
    result = grade("08.errors", lambda steps: claims(steps, on_error="default", default="insured"))
    assert failed(result) == ["parallel: with coverage down, nothing is settled as if the claim were covered"]


def test_raising_when_a_check_fails_loses_the_fraud_result_and_says_why():
    result = grade("08.errors", lambda steps: claims(steps, on_error="raise"))
    assert failed(result) == ["parallel: with coverage down, the fraud result is kept"]
    hint = next(case.hint for case in result.cases if not case.passed)
    assert "lost" in hint and "three answers" in hint


def test_08_errors_hints_guide_without_spelling_out_keyword_arguments():
    broken = grade("08.errors", lambda steps: claims(steps, on_error="raise", rollback=False, escalate=None))
    hints = " ".join(case.hint for case in broken.cases if not case.passed)
    for answer in ("on_error=", "retry=RetryPolicy", "fallback=steps", "escalate=HumanReview", "validate=steps"):
        assert answer not in hints


RIGHT = dict(independent_subtasks=True, dependent_steps=True, tiers_of_responsibility=True,
             latency_budget="relaxed", failure_tolerance="low")


@pytest.mark.parametrize("field", list(EXPECTED_LOANS))
def test_08_describe_says_which_answer_is_wrong_but_not_what_it_should_be(field):
    expected = EXPECTED_LOANS[field][0]
    wrong_value = {"latency_budget": "tight", "failure_tolerance": "high"}.get(field, not expected)
    result = grade("08.describe", ProcessDescription("loans", **{**RIGHT, field: wrong_value}))
    case = next(c for c in result.cases if c.description == f"{field} fits the story")
    assert not case.passed
    assert repr(expected) not in case.description
    assert f"you answered {wrong_value!r}" in case.hint and f"{expected!r}" not in case.hint.split(";", 1)[1]


def test_08_describe_case_names_do_not_reveal_the_recommended_patterns():
    result = grade("08.describe", ProcessDescription("loans", **RIGHT))
    assert result.passed
    text = " ".join(c.description for c in result.cases)
    assert not any(word in text for word in ("tiers over", "parallel", "True", "False", "'relaxed'", "'low'"))
