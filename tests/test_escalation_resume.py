"""Human review that resumes: an approval carries the flow on, an escalation survives a file and another process."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from orchestration_kit import (ConfigurationError, Escalation, Hierarchical, HumanReview, Review, Sequential, Stage,
                               resolve, resume, run)
from orchestration_kit.patterns import EscalationFileError, people_cost
from orchestration_kit.course.widgets import review_box


def carry_out(request):
    return f"done: {request}"


def claims_desk(escalate=None, **options):
    """An automated team that refuses $500 or more; a person's approval lets the rest of its work go ahead."""
    limit = Stage(lambda r: r, validate=lambda r: "$" not in r or "over the automation limit", name="limit check")
    automated = Sequential(stages=[limit, carry_out], on_error="rollback", name="automated")
    return Hierarchical(top=lambda r: ("automated", 0.9) if "unsure" not in r else ("automated", 0.4),
                        sub={"automated": automated, "manual_review": lambda r: f"packet for {r}"},
                        escalate=escalate or HumanReview(), threshold=0.7, on_approve={"automated": carry_out},
                        name="claims", **options)


def test_an_approved_escalation_resumes_from_where_it_stopped():
    flow = claims_desk()
    pending = run(flow, "refund $900").output
    assert isinstance(pending, Escalation) and pending.route == "automated" and pending.flow == "claims"
    assert "Stopped after the 'automated' team ran (rolled_back)" in str(pending)
    assert "Result so far" not in str(pending)  # a rolled-back team found nothing: its output is the request
    resumed = resume(flow, pending, resolve(pending, "approve", reviewer="finance lead"))
    assert resumed.output == Review("approved", "done: refund $900", "finance lead", pending.reason)
    top = resumed.trace.find("claims")[0]
    assert top.status == "resumed" and "approved by finance lead" in top.detail
    assert [span.name for span in resumed.trace] == ["claims", "human review", "carry_out"]


def test_a_rejected_escalation_resumes_to_nothing():
    flow = claims_desk()
    pending = run(flow, "refund $900").output
    resumed = resume(flow, pending, resolve(pending, "reject", reviewer="finance lead"))
    assert resumed.output.decision == "rejected" and resumed.output.output is None
    assert not resumed.trace.find("carry_out")


def test_approving_an_unsure_top_level_runs_the_team_it_proposed():
    flow = claims_desk()
    pending = run(flow, "unsure: order pens").output
    assert pending.feedback is None and pending.route == "automated"
    assert "before any team ran (the top level proposed 'automated')" in pending.stopped
    assert resume(flow, pending, resolve(pending, "approve")).output.output == "done: unsure: order pens"


def test_a_scripted_approval_carries_the_flow_on_in_the_same_run():
    flow = claims_desk(escalate=HumanReview(decisions="approve"))
    result = run(flow, "refund $900")
    assert result.output.output == "done: refund $900" and result.output.reviewer == "scripted"
    assert [s.name for s in result.trace][-2:] == ["human review", "carry_out"]


def test_work_that_fails_after_an_approval_is_pending_again_and_never_loops():
    def broken(request):
        raise RuntimeError("payments system down")

    flow = claims_desk(escalate=HumanReview(decisions="approve"))
    flow.on_approve["automated"] = Stage(broken, name="pay").step  # the approved work itself fails
    result = run(flow, "refund $900")
    assert isinstance(result.output, Escalation) and "after scripted's approval" in result.output.reason
    assert len(result.trace.find("human review")) == 1  # asked once: the new escalation waits for a person


def test_an_escalation_round_trips_through_a_file_and_resumes(tmp_path):
    flow = claims_desk()
    pending = run(flow, "refund $900").output
    path = pending.save(tmp_path / "claim.json")
    later = Escalation.load(path)
    assert later == pending
    assert resume(flow, later, resolve(later, "approve")).output.output == "done: refund $900"


def test_an_escalation_saved_in_one_process_resumes_in_another(tmp_path):
    path = tmp_path / "claim.json"
    run(claims_desk(), "refund $900").output.save(path)
    program = textwrap.dedent(f"""
        import sys; sys.path.insert(0, {str(__import__('pathlib').Path(__file__).parent)!r})
        from test_escalation_resume import claims_desk
        from orchestration_kit import Escalation, resolve, resume
        later = Escalation.load({str(path)!r})
        print(resume(claims_desk(), later, resolve(later, "approve", reviewer="next day")).output.output)
    """)
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "done: refund $900"


@pytest.mark.parametrize("content, says", [
    ('{"saved": "orchestration_kit escalation", "version": 2, "reason": "x", "inp', "not valid JSON"),
    ('{"name": "my notebook", "cells": []}', "no \"saved\""),
    ('{"saved": "orchestration_kit escalation", "version": 7, "reason": "x", "input": 1, "flow": "f"}', "version 7"),
    ('{"saved": "orchestration_kit escalation", "version": 2, "input": 1, "flow": "f"}', "lacks a reason"),
    ('{"saved": "orchestration_kit escalation", "version": 2, "reason": "x", "input": 1, "flow": "f", '
     '"feedback": {"colour": "red"}}', "feedback does not fit"),
    ("\udcff".encode("utf-8", "surrogateescape").decode("latin-1"), "not valid JSON"),
])
def test_a_damaged_or_foreign_file_gets_a_clear_error(tmp_path, content, says):
    path = tmp_path / "claim.json"
    path.write_text(content, encoding="latin-1")
    with pytest.raises(EscalationFileError, match="not a saved escalation") as caught:
        Escalation.load(path)
    assert says in str(caught.value) and str(path) in str(caught.value) and "escalation.save(path)" in str(caught.value)


def test_an_escalation_that_is_not_json_says_so_when_saved(tmp_path):
    pending = Escalation("check it", {1, 2}, flow="claims")
    with pytest.raises(ConfigurationError, match="cannot be saved as JSON"):
        pending.save(tmp_path / "x.json")


def test_resume_refuses_the_wrong_flow_or_a_verdict_that_is_not_a_review():
    pending = run(claims_desk(), "refund $900").output
    other = Hierarchical(top=lambda r: "a", sub={"a": str}, name="other desk")
    with pytest.raises(ConfigurationError, match="stopped in the flow 'claims', not in 'other desk'"):
        resume(other, pending, resolve(pending, "approve"))
    with pytest.raises(ConfigurationError, match="needs a Review"):
        resume(claims_desk(), pending, "approve")
    with pytest.raises(ConfigurationError, match="Hierarchical flow that escalated"):
        resume(str, pending, resolve(pending, "approve"))


def test_human_review_takes_its_name_as_a_keyword():
    assert HumanReview(name="desk").name == "desk"
    with pytest.raises(ConfigurationError, match=r"to name the step write HumanReview\(name='desk'\)"):
        HumanReview("desk")
    with pytest.raises(TypeError):
        HumanReview(None, "desk")
    assert repr(HumanReview(name="desk")) == "<HumanReview 'desk': asks a person>"
    assert repr(HumanReview(decisions="approve")) == "<HumanReview 'human review': scripted 'approve'>"


def test_a_persons_time_is_counted_on_the_clock_and_in_people_cost_not_in_model_cost():
    flow = claims_desk(escalate=HumanReview(decisions="reject", cost_per_review=4.0, wait=1800))
    result = run(flow, "refund $900")
    assert result.trace.latency == 1800.0  # the plain-function steps take no time: the wait is all of it
    assert people_cost(result.trace) == 4.0 and result.trace.cost == 0.0


def test_the_review_box_click_resumes_the_flow():
    flow = claims_desk()
    pending = run(flow, "refund $900").output
    box = review_box(pending, reviewer="finance lead", flow=flow)
    box.approve.click()
    assert box.review.decision == "approved" and box.result.output.output == "done: refund $900"
    assert "the flow carried on" in box.verdict.value and "done: refund $900" in box.verdict.value
    plain = review_box(pending)  # without a flow: it records the verdict only, as before
    plain.approve.click()
    assert plain.result is None and plain.review.output == "refund $900"


def test_the_review_box_refuses_a_flow_the_escalation_did_not_come_from():
    pending = run(claims_desk(), "refund $900").output
    with pytest.raises(TypeError, match="must be the flow that escalated \\('claims'\\)"):
        review_box(pending, flow=Hierarchical(top=lambda r: "a", sub={"a": str}, name="other"))
