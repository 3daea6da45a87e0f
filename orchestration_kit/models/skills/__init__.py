"""Simulated abilities: what a simulated model "does" with a prompt.

A skill is a deterministic function ``skill(text, *, rng, accuracy, model, **args) -> str``.
``accuracy`` comes from the model's profile (a specialist scores higher on its
own skill), and ``rng`` is seeded per call, so the same input and seed always
give the same answer. Real models ignore ``skill=``: they read the prompt.

    >>> @register_skill("shout")
    ... def shout(text, *, rng, accuracy, model):
    ...     return text.upper()
"""

from __future__ import annotations

import random

from .registry import SKILLS, Skill, get_skill, register_skill  # noqa: F401 (the skill table is read from here)


@register_skill("answer")
def answer(text: str, *, rng: random.Random, accuracy: float, model: str) -> str:
    """A generic reply that quotes the start of the request (the default skill)."""
    words = text.split()
    snippet = " ".join(words[:12]) + (" ..." if len(words) > 12 else "")
    return f"[{model}] answer to: {snippet}"


# The built-in skills register themselves when imported.
from . import business, clinical, documents, support, synthesis, text  # noqa: E402,F401
from .parse import parse_json, parse_label  # noqa: E402,F401
