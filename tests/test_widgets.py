"""The review box settles a pending escalation when a button is clicked."""

from __future__ import annotations

import pytest

from orchestration_kit import Escalation, Hierarchical, HumanReview, run
from orchestration_kit.course.widgets import review_box


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


# -- stand-ins: what a widget looks like before its cell has run ---------------------------
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def without_widget_ids(bundle: dict) -> dict:
    return {kind: value for kind, value in bundle.items() if kind != WIDGET_VIEW}


def test_a_review_box_reads_as_a_description_not_as_widget_internals():
    box = review_box(pending_escalation(), reviewer="finance lead")
    bundle = box._repr_mimebundle_()
    assert WIDGET_VIEW in bundle  # the live box, once the cell runs
    assert bundle["text/plain"].startswith("Review box: an escalated request with Approve and Reject buttons")
    assert "Run this cell in JupyterLab to use it: click Approve or Reject." in bundle["text/plain"]
    assert "VBox(" not in bundle["text/plain"] and "children=" not in bundle["text/plain"]
    assert "refunds over $500 need a person" in bundle["text/html"] and "Run this cell" in bundle["text/html"]


def test_a_stand_in_is_the_same_on_every_run_so_stored_notebooks_compare():
    first, second = review_box(pending_escalation()), review_box(pending_escalation())
    assert without_widget_ids(first._repr_mimebundle_()) == without_widget_ids(second._repr_mimebundle_())
    assert first._repr_mimebundle_()[WIDGET_VIEW]["model_id"] != second._repr_mimebundle_()[WIDGET_VIEW]["model_id"]


def test_the_stand_in_follows_the_decision():
    box = review_box(pending_escalation(), reviewer="finance lead")
    box.approve.click()
    assert "approved by finance lead" in box._repr_mimebundle_()["text/plain"]


def test_settling_in_code_with_resolve_leaves_the_box_open_for_a_person():
    from orchestration_kit.patterns import resolve

    pending = pending_escalation()
    box = review_box(pending)
    assert resolve(pending, "reject").decision == "rejected"
    assert box.review is None and not box.approve.disabled and not box.reject.disabled
    box.approve.click()  # the person's own click still works, after the scripted one
    assert box.review.decision == "approved"


def test_lesson_4_never_clicks_the_box_it_asks_the_learner_to_click():
    import nbformat
    from pathlib import Path

    cells = nbformat.read(Path(__file__).parents[1] / "notebooks" / "04_hierarchical.ipynb", as_version=4).cells
    shown = next(i for i, cell in enumerate(cells) if "review_box(" in cell.source)
    later = "\n".join(cell.source for cell in cells[shown + 1:] if cell.cell_type == "code")
    assert ".click()" not in later and "box.decide(" not in later


def test_the_explorer_stand_in_is_a_picture_of_its_chart():
    from orchestration_kit.measure.explorer import explorer

    box = explorer(branches=2, latency_spread=0.0, runs=3)
    bundle = box._repr_mimebundle_()
    assert "Explorer: Parallel against Sequential" in bundle["text/plain"] and box.title in bundle["text/plain"]
    assert '<img src="data:image/png;base64,' in bundle["text/html"]
    assert without_widget_ids(bundle) == without_widget_ids(explorer(branches=2, latency_spread=0.0, runs=3)._repr_mimebundle_())


def test_the_guide_form_stand_in_shows_the_answers_and_the_recommendation():
    from orchestration_kit.design.guide_form import GuideForm

    form = GuideForm()
    form.update(differing_inputs=True)
    bundle = form._repr_mimebundle_()
    assert "Guide form" in bundle["text/plain"] and form.recommendation.shape in bundle["text/plain"]
    assert "Inputs differ in kind: <b>True</b>" in bundle["text/html"] and "GuideForm(" not in bundle["text/plain"]


# -- the explorer: one redraw per slider release, a busy state, the same numbers -----------------
def test_explorer_sliders_redraw_when_released_not_at_every_step_of_a_drag():
    from orchestration_kit.measure.explorer import explorer

    box = explorer(runs=2)
    assert all(slider.continuous_update is False for slider in box.sliders.values())


def test_explorer_says_it_is_busy_while_it_reruns_and_clears_it_after():
    from orchestration_kit.measure.explorer import explorer

    box = explorer(runs=2)
    seen = []
    box.status.observe(lambda change: seen.append(change["new"]), names="value")
    box.sliders["branches"].value = 4
    assert len(seen) == 2 and "re-running" in seen[0] and seen[1] == ""


def test_explorer_numbers_are_those_of_a_fresh_comparison_even_when_settings_come_back():
    import pandas as pd
    from orchestration_kit.measure.explorer import explorer, parallel_vs_sequential

    box = explorer(branches=3, latency_spread=0.4, failure_rate=0.1, runs=5)
    box.update(branches=5)
    again = box.update(branches=3)  # seen before: reused, and must be exactly what a fresh run gives
    pd.testing.assert_frame_equal(again, parallel_vs_sequential(3, 0.4, 0.1, runs=5))
    again.loc[0, "latency_s"] = -1.0  # a learner changing the data does not change what comes back next time
    assert box.update(branches=3).loc[0, "latency_s"] != -1.0


def test_a_team_that_rolled_back_proposes_no_answer_in_the_review_box():
    proposed = review_box(pending_escalation())
    assert "<b>Proposed answer:</b> refund approved" in proposed.summary.value
    echoed = Hierarchical(top=lambda x: "auto", sub={"auto": lambda x: x}, escalate=HumanReview(),  # gives the request back
                          escalate_when=lambda feedback: "refunds over $500 need a person")
    box = review_box(run(echoed, "refund $900").output)
    assert "Proposed answer" not in box.summary.value and "<b>Request:</b> refund $900" in box.summary.value
