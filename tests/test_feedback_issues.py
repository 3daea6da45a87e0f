"""Feedback.issues are spans: the sub-run's own trouble spans, read by name, status and error, never parsed from text."""

from __future__ import annotations

import json

import pytest

from orchestration_kit import ConfigurationError, Escalation, Hierarchical, HumanReview, Parallel, Sequential, Stage, run
from orchestration_kit.patterns import EscalationFileError, Feedback
from orchestration_kit.trace import Span


def down(request):
    raise ConnectionError("compliance service unavailable")


def review_desk(escalate_when):
    """A review team whose compliance check is down: the team ends partial, its check skipped."""
    team = Parallel(tasks={"compliance": down, "summary": lambda r: f"summary of {r}"}, name="manual_review")
    return Hierarchical(top=lambda r: "manual_review", sub={"manual_review": team}, escalate_when=escalate_when,
                        escalate=HumanReview(), name="desk")


def feedback_of(flow_of, request="change my pay"):
    seen = []
    result = run(flow_of(lambda feedback: seen.append(feedback) or "a person must look"), request)
    return seen[0], result


def test_feedback_issues_are_the_very_spans_of_the_trace_not_text():
    feedback, result = feedback_of(review_desk)
    assert all(isinstance(issue, Span) for issue in feedback.issues)
    assert [(s.name, s.kind, s.status) for s in feedback.issues] == [("compliance", "task", "skipped"),
                                                                    ("manual_review", "flow", "partial")]
    assert all(any(issue is span for span in result.trace.spans) for issue in feedback.issues)
    assert feedback.issues[0].error == "ConnectionError: compliance service unavailable"  # no string splitting


def test_a_rolled_back_team_names_the_stage_that_refused_and_why():
    def desk(escalate_when):
        limit = Stage(lambda r: r, validate=lambda r: "$" not in r or "over the limit", name="limit check")
        team = Sequential(stages=[limit, lambda r: f"done: {r}"], on_error="rollback", name="automated")
        return Hierarchical(top=lambda r: "automated", sub={"automated": team}, escalate_when=escalate_when,
                            escalate=HumanReview(), name="desk")

    feedback, _ = feedback_of(desk, "order chairs for $5,000")
    refused = [span for span in feedback.issues if span.kind == "stage"]
    assert [(s.name, s.status, s.error) for s in refused] == [("limit check", "failed", "over the limit")]


def test_feedback_reads_as_name_status_for_people_and_its_repr_does_not_dump_spans():
    feedback, _ = feedback_of(review_desk)
    assert feedback.summary() == "compliance: skipped, manual_review: partial"
    assert str(feedback) == "sub-orchestration 'manual_review' ended partial (compliance: skipped, manual_review: partial)"
    assert repr(feedback) == ("<Feedback 'manual_review' partial, confidence 1, round 1: "
                              "compliance: skipped, manual_review: partial>")
    assert repr(Feedback("automated", "ok")) == "<Feedback 'automated' ok, confidence 1, round 1: no issues>"


def test_feedback_made_with_text_issues_is_refused_with_what_to_pass_instead():
    with pytest.raises(ConfigurationError, match=r"issues are the sub-run's spans .* got str 'compliance: skipped'"):
        Feedback("manual_review", "partial", issues=("compliance: skipped",))
    given = [Span(1, None, "compliance", "task", status="skipped")]
    assert Feedback("manual_review", "partial", issues=given).issues == tuple(given)  # a list is kept as a tuple


def test_a_saved_escalation_keeps_its_issue_spans(tmp_path):
    feedback, result = feedback_of(review_desk)
    pending = result.output
    assert isinstance(pending, Escalation) and pending.feedback == feedback
    later = Escalation.load(pending.save(tmp_path / "case.json"))
    assert later.feedback.issues == feedback.issues and isinstance(later.feedback.issues[0], Span)
    assert later.feedback.issues[0].status == "skipped" and later.feedback.issues[0].error.startswith("ConnectionError")


def test_an_escalation_saved_by_the_older_kit_with_text_issues_gets_a_clear_error(tmp_path):
    old = {"saved": "orchestration_kit escalation", "version": 1, "reason": "x", "input": "change my pay", "flow": "desk",
           "feedback": {"route": "manual_review", "status": "partial", "issues": ["compliance: skipped"]}}
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old), encoding="utf-8")
    with pytest.raises(EscalationFileError, match="version 1, from an older kit .* save it with this kit"):
        Escalation.load(path)
    path.write_text(json.dumps({**old, "version": 2}), encoding="utf-8")  # text issues under the new version
    with pytest.raises(EscalationFileError, match="its feedback does not fit"):
        Escalation.load(path)
