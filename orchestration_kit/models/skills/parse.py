"""Reading a model's answer back: ``parse_label`` for routing, ``parse_json`` for data.

Simulated skills answer in JSON; real models usually do when asked, but may
wrap it in prose or answer with a bare word. Both parsers accept all of that.

    >>> parse_label('{"label": "billing", "confidence": 0.87}')
    Decision(route='billing', confidence=0.87, reason='the model said billing (0.87)')
    >>> parse_label("Billing.")                       # a bare word: no confidence given
    Decision(route='billing', confidence=1.0, reason='the model said billing (no confidence given)')
    >>> Ask(model, "Route this message: {input}", skill="classify", parse=parse_label)   # an analyzer
"""

from __future__ import annotations

import re
from typing import Any

from ...patterns.router import Decision
from .base import read_json


def parse_json(text: str) -> Any:
    """The JSON object (or list) in a model's answer; ValueError if there is none."""
    value = read_json(text)
    if value is None:
        raise ValueError(f"expected JSON in the model's answer, got {text!r:.120}; ask the model for JSON")
    return value


def parse_label(text: str) -> Decision:
    """A routing Decision from a model's answer: JSON with "label" (and "confidence"), or a bare label."""
    value = read_json(text)
    if isinstance(value, dict) and isinstance(value.get("label"), str):
        label = value["label"]
        try:
            sure = float(value.get("confidence", 1.0))
        except (TypeError, ValueError):
            sure = None  # "confidence": "high" and the like
        if sure is not None:
            return Decision(label, sure, f"the model said {label} ({sure:.2f})")
        return Decision(label, 1.0, f"the model said {label} (no confidence given)")
    words = re.findall(r"[a-z_]+", text.lower())
    if not words:
        return Decision(None, 0.0, "the model gave no label")
    return Decision(words[0], 1.0, f"the model said {words[0]} (no confidence given)")
