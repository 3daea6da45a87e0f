"""The review box settles a pending escalation when a button is clicked."""

from __future__ import annotations

import pytest

from orchestration_kit import Escalation, Hierarchical, HumanReview, run
from orchestration_kit.widgets import review_box


def pending_escalation() -> Escalation:
    flow = Hierarchical(top=lambda x: "auto", sub={"auto": lambda x: "refund approved"}, escalate=HumanReview(),
                        escalate_when=lambda feedback: "refunds over $500 need a person")
    return run(flow, "refund $900").output


@pytest.mark.parametrize("button, decision, output", [("approve", "approved", "refund approved"), ("reject", "rejected", None)])
def test_clicking_a_button_records_the_review(button, decision, output):
    box = review_box(pending_escalation())
    assert box.review is None
    getattr(box, button).click()
    assert (box.review.decision, box.review.output) == (decision, output)
    assert box.approve.disabled and box.reject.disabled


def test_review_box_refuses_something_that_is_not_an_escalation():
    with pytest.raises(TypeError, match="needs a pending Escalation"):
        review_box("refund approved")
