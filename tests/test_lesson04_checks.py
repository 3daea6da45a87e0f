"""Lesson 4's new checks: the feedback-loop checker, the resumed review, and the open design graded on behaviour."""

from __future__ import annotations

import re

import pytest

from orchestration_kit import (Ask, Escalation, Hierarchical, HumanReview, Parallel, Resilient, SendBack, Sequential, Stage,
                               resolve, resume)
from orchestration_kit.grading import check
from orchestration_kit.models.skills import parse_json, parse_label


def amounts_in(request):
    return [float(amount.replace(",", "")) for amount in re.findall(r"\$([\d,]+)", request)]


def within_limit(request):
    limit = 500 if any(word in request.lower() for word in ("reimburse", "expense")) else 1000
    return not [amount for amount in amounts_in(request) if amount >= limit] or "over the automation limit"


def needs_a_person(feedback):
    if feedback.route == "escalation":
        return "a person must decide"
    return f"the {feedback.route} team ended {feedback.status}" if feedback.status != "ok" else None


def help_desk(models, *, threshold=0.7, manager="large", backed=True, rule=needs_a_person, checker=None):
    """The lesson's help desk from models; each keyword is one design decision."""
    large, small = models["large"], models["small"]

    def worker(prompt, name):
        step = Ask(small, prompt, name=name)
        return Resilient(step, fallback=Ask(large, prompt, name=f"{name} (large)")) if backed else step

    teams = {
        "automated": Sequential(stages=[Stage(lambda r: r, validate=within_limit, name="limit check"),
                                        worker("Carry out this request: {input}", "carry out")], on_error="rollback",
                                name="automated"),
        "manual_review": Parallel(tasks={
            "compliance": Ask(models["compliance"], "List the compliance risks: {input}", skill="compliance",
                              parse=parse_json, name="compliance"),
            "summary": worker("Summarise this request: {input}", "summary"),
        }, synthesizer=lambda g: {**g.values, "missing checks": list(g.missing)}, name="manual_review"),
        "escalation": Ask(large, "Prepare a case file: {input}", name="case file"),
    }
    top = Ask(models[manager], "How should this request be handled: {input}", skill="triage", parse=parse_label, name="manager")
    return Hierarchical(top=top, sub=teams, escalate=HumanReview(decisions="approve"), escalate_when=rule,
                        threshold=threshold, checker=checker, name="help desk")


def refused_to_review(feedback):
    return SendBack("refused", to="manual_review") if feedback.status == "rolled_back" else None


@pytest.mark.parametrize("design", [
    lambda models: help_desk(models),
    lambda models: help_desk(models, threshold=0.8),
    lambda models: help_desk(models, checker=refused_to_review),
], ids=["threshold 0.7", "threshold 0.8", "feedback loop"])
def test_several_different_designs_meet_the_spec(design):
    assert check("04.design", design).passed


@pytest.mark.parametrize("design, failed", [
    (lambda models: help_desk(models, backed=False), "with the small model down, still at most 50% to a person"),
    (lambda models: help_desk(models, manager="small"), "every escalation request reaches a person"),
    (lambda models: help_desk(models, rule=lambda feedback: None), "every escalation request reaches a person"),
    (lambda models: help_desk(models, threshold=0.9), "at most 50% of requests go to a person"),
], ids=["no fallback", "small manager", "no escalation rule", "threshold 0.9"])
def test_a_design_that_misses_the_spec_fails_on_the_property_it_misses(design, failed):
    result = check("04.design", design)
    misses = [case for case in result.cases if not case.passed]
    assert not result.passed and any(case.description.startswith(failed) for case in misses)
    assert all(case.hint for case in misses)


def test_a_design_that_cannot_be_built_or_raises_gets_a_verdict_not_a_traceback():
    def cannot_build(models):
        raise KeyError("medium")

    result = check("04.design", cannot_build)
    assert not result.passed and "KeyError" in result.cases[-1].hint

    def raises(models):
        return Sequential(stages=[lambda r: 1 / 0])  # no escalation: the failure reaches the caller

    misses = {case.description: case.hint for case in check("04.design", raises).cases if not case.passed}
    assert "ZeroDivisionError" in misses["no request raises, with every model up or one down"]


def good_checker(feedback):
    if feedback.route == "automated" and feedback.status == "rolled_back":
        return SendBack("refused", to="manual_review")
    packet = feedback.output if isinstance(feedback.output, dict) else {}
    return SendBack("a check is missing") if packet.get("missing checks") else None


def test_the_checker_exercise_passes_a_right_checker_and_explains_a_wrong_one():
    assert check("04.checker", good_checker).passed
    same_team = check("04.checker", lambda fb: SendBack("again") if fb.status != "ok" and fb.output is not None else None)
    misses = [case.description for case in same_team.cases if not case.passed]
    assert "the automated team refused (rolled back): sent to manual_review" in misses
    assert check("04.checker", lambda feedback: None).status == "unsolved"


def test_the_resume_exercise_wants_the_flow_resumed_not_rerun_and_errors_let_through():
    def right(flow, path):
        escalation = Escalation.load(path)
        return resume(flow, escalation, resolve(escalation, "approve", reviewer="finance lead"))

    def swallows(flow, path):
        try:
            return right(flow, path)
        except Exception:
            return None

    assert check("04.resume", right).passed
    hidden = check("04.resume", swallows)
    assert not hidden.passed and [c.description for c in hidden.cases if not c.passed] == [
        "a damaged file is not hidden: its EscalationFileError reaches the caller"]
