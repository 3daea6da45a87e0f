"""The result aggregator: every handler's answer in one shape, each category in its own format.

A router's handlers are different models and tools, and they answer in
different shapes: a simulated specialist in JSON, a real model in prose, a
Python tool with a dict. Whatever reads the router's output (a ticket system,
a chat window) should not have to care which handler answered. Given to a
``Router`` as ``aggregator=``, a ``ResultAggregator`` receives
``{route: output}`` for every answer (the fallback's under ``"fallback"``) and
returns one dict with the same five keys every time:

- ``route``: the route(s) that answered, e.g. ``"billing"`` or ``"billing+account"``;
- ``label``: the intent the (first) handler recognised, or None if it did not say;
- ``labels``: every handler's intent, in route order (one for a single route);
- ``confidence``: the lowest handler confidence, or None if none said;
- ``reply``: the text for the customer, in the route's format (several routes: one
  part each, separated by a blank line).

``formats`` gives each category its own response format: a template using
those fields (``"{reply}\\nReference: {label}"``) or a function of the answer.

    >>> aggregate = ResultAggregator(formats={"technical": "Steps to try: {reply}"})
    >>> aggregate({"technical": '{"label": "app_crash", "confidence": 0.9, "reply": "Update the app."}'})
    {'route': 'technical', 'label': 'app_crash', 'labels': ['app_crash'], 'confidence': 0.9, 'reply': 'Steps to try: Update the app.'}
    >>> Router(analyzer=trained, routes=routes, fallback=generalist, aggregator=aggregate)
"""

from __future__ import annotations

import json
import string
from typing import Any, Callable

from ..errors import ConfigurationError

FIELDS = ("route", "label", "labels", "confidence", "reply")  # the keys of every aggregated answer
_TEXT_KEYS = ("reply", "answer", "text", "message")  # where a handler's dict keeps its text, in order of preference
_LABEL_KEYS = ("label", "intent", "category")


class ResultAggregator:
    """Normalise the answers of a Router's handlers into one shape (see the module docs)."""

    def __init__(self, formats: dict[str, str | Callable[[dict[str, Any]], str]] | None = None, *,
                 default: str | Callable[[dict[str, Any]], str] = "{reply}", name: str = "result aggregator") -> None:
        self.formats = dict(formats or {})
        for route, form in [*self.formats.items(), ("default", default)]:
            _check_format(route, form)
        self.default = default
        self.name = name  # the aggregator's name in traces and diagrams

    def __call__(self, outputs: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(outputs, dict) or not outputs:
            raise ConfigurationError(f"ResultAggregator expects {{route: output}} from a Router, got {outputs!r:.60}")
        answers = [self.normalise(route, output) for route, output in outputs.items()]
        confidences = [a["confidence"] for a in answers if a["confidence"] is not None]
        return {
            "route": "+".join(a["route"] for a in answers),
            "label": answers[0]["label"],
            "labels": [a["label"] for a in answers],
            "confidence": min(confidences) if confidences else None,
            "reply": "\n\n".join(a["reply"] for a in answers),
        }

    def normalise(self, route: str, output: Any) -> dict[str, Any]:
        """One handler's output, read whatever its shape, in ``route``'s format."""
        label, confidence, text = read_answer(output)
        answer = {"route": route, "label": label, "labels": [label], "confidence": confidence, "reply": text}
        form = self.formats.get(route, self.default)
        answer["reply"] = form(dict(answer)) if callable(form) else form.format(**answer)
        return answer

    def __repr__(self) -> str:
        """``<ResultAggregator 'result aggregator': formats for technical, default '{reply}'>``."""
        formats = f"formats for {' | '.join(sorted(self.formats))}" if self.formats else "no formats"
        return f"<ResultAggregator {self.name!r}: {formats}, default {_shown(self.default)}>"


def read_answer(output: Any) -> tuple[str | None, float | None, str]:
    """``(label, confidence, text)`` from a handler's output: JSON text, a dict, or plain prose.

    >>> read_answer("Please restart the app.")
    (None, None, 'Please restart the app.')
    """
    value = output
    if isinstance(output, str):
        try:
            value = json.loads(output)
        except ValueError:
            return None, None, output.strip()
    if not isinstance(value, dict):
        return None, None, str(output).strip()
    label = next((str(value[k]) for k in _LABEL_KEYS if isinstance(value.get(k), str)), None)
    text = next((str(value[k]) for k in _TEXT_KEYS if isinstance(value.get(k), str)), "")
    confidence = value.get("confidence")
    confidence = round(float(confidence), 3) if isinstance(confidence, (int, float)) else None
    return label, confidence, text.strip()


def _check_format(route: str, form: Any) -> None:
    """Refuse a template with an unknown field now, not at the first answer."""
    if callable(form):
        return
    if not isinstance(form, str):
        raise ConfigurationError(f"ResultAggregator: the format for {route!r} must be a template string "
                                 f"or a function of the answer, got {type(form).__name__}")
    unknown = [field for _, field, _, _ in string.Formatter().parse(form) if field is not None and field not in FIELDS]
    if unknown:
        raise ConfigurationError(f"ResultAggregator: the format for {route!r} uses {{{unknown[0]}}}; "
                                 f"a format can use {', '.join('{' + f + '}' for f in FIELDS)}")


def _shown(form: Any) -> str:
    return repr(form) if isinstance(form, str) else getattr(form, "__name__", type(form).__name__)
