"""The guide as a form: the design questions as ipywidgets, and the recommendation that follows every change.

    >>> form = GuideForm()
    >>> form.update(differing_inputs=True)            # or tick the box in JupyterLab
    >>> form.recommendation.shape
    'router(kind_a, kind_b)'
"""

from __future__ import annotations

import html
from dataclasses import replace
from typing import Any

from ..errors import ConfigurationError
from .guide import Recommendation, recommend
from .process import FAILURE_TOLERANCES, LATENCY_BUDGETS, QUESTIONS, ProcessDescription


class GuideForm:
    """The design questions as an ipywidgets form; the recommendation follows every change.

    >>> form = GuideForm()
    >>> form.update(differing_inputs=True, latency_budget="tight")   # or tick the boxes in JupyterLab
    >>> form.recommendation.shape
    'router(kind_a, kind_b)'
    """

    def __init__(self, process: ProcessDescription | None = None) -> None:
        import ipywidgets as widgets  # imported here: the package itself stays quick to import

        self.base = base = process or ProcessDescription()
        box, menu = {"indent": False}, {"style": {"description_width": "initial"}}
        self.questions: dict[str, Any] = {
            "differing_inputs": widgets.Checkbox(
                value=base.differing_inputs, description="Inputs differ in kind", **box),
            "independent_subtasks": widgets.Checkbox(
                value=base.independent_subtasks, description="There are independent sub-tasks", **box),
            "dependent_steps": widgets.Checkbox(
                value=base.dependent_steps, description="Each step needs the previous one's output", **box),
            "tiers_of_responsibility": widgets.Checkbox(
                value=base.tiers_of_responsibility, description="Tiers of responsibility or escalation", **box),
            "latency_budget": widgets.Dropdown(
                options=LATENCY_BUDGETS, value=base.latency_budget, description="Latency budget", **menu),
            "cost_sensitive": widgets.Checkbox(value=base.cost_sensitive, description="Cost sensitive", **box),
            "failure_tolerance": widgets.Dropdown(
                options=FAILURE_TOLERANCES, value=base.failure_tolerance, description="Failure tolerance", **menu),
            "simple_logic": widgets.Checkbox(
                value=base.simple_logic, description="Decisions as written rules a person can read", **box),
            "concurrent_capacity": widgets.Checkbox(
                value=base.concurrent_capacity, description="Compute resources to run calls at once", **box),
            "latency_for_clarity": widgets.Checkbox(
                value=base.latency_for_clarity, description="Latency is acceptable in exchange for clarity", **box),
        }
        for widget in self.questions.values():
            widget.observe(lambda _change: self._refresh(), names="value")
        self.report, self.picture = widgets.HTML(), widgets.Output()
        self.widget = widgets.VBox([*self.questions.values(), self.report, self.picture])
        self._refresh()

    def update(self, **answers: Any) -> Recommendation:
        """Set some answers (as if clicked) and return the new recommendation."""
        unknown = [name for name in answers if name not in self.questions]
        if unknown:
            raise ConfigurationError(f"GuideForm.update: no question called {unknown[0]!r}; "
                                     f"the questions are {list(self.questions)}")
        for name, value in answers.items():
            self.questions[name].value = value
        return self._refresh()

    def _refresh(self) -> Recommendation:
        answers = {name: widget.value for name, widget in self.questions.items()}
        parts = {part: getattr(self.base, part) if answers[question] else () for question, part in QUESTIONS.items()}
        self.recommendation = recommend(replace(self.base, **answers, **parts))  # unticked questions drop their names
        self.report.value = f"<pre>{html.escape(str(self.recommendation))}</pre>"
        picture = self.recommendation.diagram()  # set directly: works the same with or without a notebook kernel
        data = {"text/markdown": picture._repr_markdown_(), "text/plain": repr(picture)}
        self.picture.outputs = ({"output_type": "display_data", "metadata": {}, "data": data},)
        return self.recommendation

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        from ..course.widgets import stand_in  # the live form in JupyterLab, a readable description everywhere else

        answers = "".join(f"<li>{html.escape(w.description)}: <b>{html.escape(str(w.value))}</b></li>"
                          for w in self.questions.values())
        return stand_in(self.widget, what="Guide form", picture=f"<ul>{answers}</ul>{self.report.value}",
                        shows=f"the design questions and the recommendation they lead to: {self.recommendation.shape}",
                        use="tick the boxes and pick from the menus, and the recommendation follows")

    def __repr__(self) -> str:
        return f"GuideForm({self.recommendation.shape!r})"
