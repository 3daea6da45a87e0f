"""Notebook widgets: the human-in-the-loop review box, and readable stand-ins for every widget.

A Hierarchical flow whose ``escalate=HumanReview()`` has no scripted decisions
returns a pending ``Escalation`` instead of blocking. Show it to a person::

    >>> pending = run(flow, request).output
    >>> box = review_box(pending)        # Approve / Reject buttons in JupyterLab
    >>> box.review                       # None until someone clicks, then a Review

Give the box the flow that escalated and a click also carries the flow on from
where it stopped (``resume``): ``review_box(pending, flow=triage)``, then
``box.result`` is the resumed run. Headless (tests, CI), click in code:
``box.approve.click()``, or settle it without a box: ``resolve(pending, "approve")``.

A widget is drawn only once its cell has run; until then (a notebook just opened,
a page on GitHub) a viewer shows the next thing in its output. ``stand_in`` makes
that a readable description of the widget and a picture of its state, not
``VBox(children=(HTML(value=...``.
"""

from __future__ import annotations

import base64
import html
from typing import Any

from ..patterns import Escalation, Review, resolve, resume

RUN_TO_USE = "Run this cell in JupyterLab to use it"


def stand_in(widget: Any, *, what: str, shows: str, use: str, picture: str = "") -> dict[str, Any]:
    """``widget``'s output for a notebook: the live widget, plus a text and HTML stand-in for everywhere else.

    ``what`` names the widget, ``shows`` says what it shows, ``use`` what running the
    cell lets you do; ``picture`` is HTML of its current state (see ``png_picture``)::

        def _repr_mimebundle_(self, **kwargs):
            return stand_in(self.widget, what="Review box", shows="an escalated request", use="click Approve")
    """
    bundle = dict(widget._repr_mimebundle_())  # the live widget: JupyterLab draws it once the cell has run
    bundle["text/plain"] = f"{what}: {shows}.\n{RUN_TO_USE}: {use}."
    bundle["text/html"] = (
        '<div style="border: 1px dashed #888; padding: 6px 10px; max-width: 60em">'
        f"<b>{html.escape(what)}</b>: {html.escape(shows)}"
        + (f'<div style="margin: 6px 0">{picture}</div>' if picture else "<br>")
        + f"<i>{RUN_TO_USE}: {html.escape(use)}.</i></div>"
    )
    return bundle


def png_picture(png: bytes, description: str) -> str:
    """An <img> of a PNG, embedded in the page, with ``description`` for screen readers."""
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(description)}" style="max-width: 100%">'


class ReviewBox:
    """Approve / Reject buttons for a pending escalation; the verdict lands in ``review``.

    With ``flow`` (the Hierarchical that escalated) a click also resumes it: ``result`` is the new run.
    """

    def __init__(self, escalation: Escalation, reviewer: str = "person", flow: Any = None) -> None:
        import ipywidgets as widgets

        found = escalation.feedback.output if escalation.feedback else None
        if found == escalation.input:  # a rolled-back team gives the request back: it proposed no answer
            found = None
        self.escalation, self.reviewer, self.review = escalation, reviewer, None
        self.flow, self.result = flow, None
        self.summary = widgets.HTML(
            "<b>Escalated:</b> " + html.escape(escalation.reason)
            + "<br><b>Request:</b> " + html.escape(str(escalation.input))
            + ("<br><b>Proposed answer:</b> " + html.escape(str(found)) if found is not None else "")
        )
        self.approve = widgets.Button(description="Approve", button_style="success", icon="check")
        self.reject = widgets.Button(description="Reject", button_style="danger", icon="times")
        self.verdict = widgets.HTML("<i>Waiting for a decision.</i>")
        self.widget = widgets.VBox([self.summary, widgets.HBox([self.approve, self.reject]), self.verdict])
        self.approve.on_click(lambda _: self.decide("approve"))
        self.reject.on_click(lambda _: self.decide("reject"))

    def decide(self, decision: str) -> Review:
        """What a click does: settle the escalation ("approve" or "reject") and show the verdict."""
        self.review = resolve(self.escalation, decision, reviewer=self.reviewer)
        self.approve.disabled = self.reject.disabled = True
        output = self.review.output
        if self.flow is not None:  # the flow carries on from where it stopped
            self.result = resume(self.flow, self.escalation, self.review)
            output = self.result.output.output if isinstance(self.result.output, Review) else self.result.output
        self.verdict.value = (f"<b>{self.review.decision.capitalize()}</b> by {html.escape(self.reviewer)}; "
                              f"{'the flow carried on; ' if self.result is not None else ''}output: {html.escape(str(output))}")
        return self.review

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        state = "waiting for a decision" if self.review is None else f"{self.review.decision} by {self.reviewer}"
        picture = f"{self.summary.value}<br>[Approve] [Reject]<br>{self.verdict.value}"
        return stand_in(self.widget, what="Review box", use="click Approve or Reject",
                        shows=f"an escalated request with Approve and Reject buttons ({state})", picture=picture)

    def __repr__(self) -> str:
        state = "waiting" if self.review is None else self.review.decision
        return f"ReviewBox({self.escalation.reason[:50]!r}, {state})"


def review_box(escalation: Escalation, reviewer: str = "person", *, flow: Any = None) -> ReviewBox:
    """An approve/reject box for a pending escalation; the verdict lands in ``box.review``.

    With ``flow=`` (the Hierarchical that escalated), a click resumes it and ``box.result`` is the new run.
    """
    if not isinstance(escalation, Escalation):
        raise TypeError(f"review_box needs a pending Escalation (the output of an escalated run), got {type(escalation).__name__}")
    if flow is not None and getattr(flow, "name", None) != escalation.flow:
        raise TypeError(f"review_box's flow= must be the flow that escalated ({escalation.flow!r}), "
                        f"got {getattr(flow, 'name', type(flow).__name__)!r}")
    return ReviewBox(escalation, reviewer, flow)
