"""Notebook widgets: the human-in-the-loop review box.

A Hierarchical flow whose ``escalate=HumanReview()`` has no scripted decisions
returns a pending ``Escalation`` instead of blocking. Show it to a person::

    >>> pending = run(flow, request).output
    >>> box = review_box(pending)        # Approve / Reject buttons in JupyterLab
    >>> box.review                       # None until someone clicks, then a Review

Headless (tests, CI), click in code: ``box.approve.click()``.
"""

from __future__ import annotations

import html
from typing import Any

from .patterns import Escalation, Review, resolve


def review_box(escalation: Escalation, reviewer: str = "person") -> Any:
    """An approve/reject box for a pending escalation; the verdict lands in ``box.review``."""
    import ipywidgets as widgets

    if not isinstance(escalation, Escalation):
        raise TypeError(f"review_box needs a pending Escalation (the output of an escalated run), got {type(escalation).__name__}")
    found = escalation.feedback.output if escalation.feedback else None
    summary = widgets.HTML(
        "<b>Escalated:</b> " + html.escape(escalation.reason)
        + "<br><b>Request:</b> " + html.escape(str(escalation.input))
        + ("<br><b>Proposed answer:</b> " + html.escape(str(found)) if found is not None else "")
    )
    approve = widgets.Button(description="Approve", button_style="success", icon="check")
    reject = widgets.Button(description="Reject", button_style="danger", icon="times")
    verdict = widgets.HTML("<i>Waiting for a decision.</i>")
    box = widgets.VBox([summary, widgets.HBox([approve, reject]), verdict])
    box.review = None  # type: ignore[attr-defined]
    box.approve, box.reject = approve, reject  # type: ignore[attr-defined]

    def decide(decision: str) -> None:
        review: Review = resolve(escalation, decision, reviewer=reviewer)
        box.review = review  # type: ignore[attr-defined]
        approve.disabled = reject.disabled = True
        verdict.value = f"<b>{review.decision.capitalize()}</b> by {html.escape(reviewer)}; output: {html.escape(str(review.output))}"

    approve.on_click(lambda _: decide("approve"))
    reject.on_click(lambda _: decide("reject"))
    return box
