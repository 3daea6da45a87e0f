"""Which ``skill_args`` a simulated skill takes over HTTP, checked before the skill runs.

Learners send ``skill_args`` from anywhere, so the server checks them against
the skill's own keyword arguments, and the built-in ones against what they
allow, and answers a clear 400 instead of a crash::

    >>> check_skill_args("clinical", {"check": "labs"})        # fine
    >>> check_skill_args("clinical", {"check": "x"})           # Refused(400): check must be one of 'all', ...
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

from ..models.skills import SKILLS
from ..models.skills.documents import REQUIRED
from .http11 import Refused

_GIVEN_BY_THE_MODEL = {"rng", "accuracy", "model"}  # every skill gets these from the model, never from a client
MAX_LABELS, MAX_LABEL_CHARS = 50, 100


def _one_of(*allowed: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        return None if value in allowed else f"must be one of {', '.join(map(repr, allowed))}"
    return check


def _labels(value: Any) -> str | None:
    fine = (isinstance(value, list) and 0 < len(value) <= MAX_LABELS
            and all(isinstance(label, str) and 0 < len(label) <= MAX_LABEL_CHARS for label in value))
    return None if fine else (f"must be a list of 1 to {MAX_LABELS} label strings of 1 to {MAX_LABEL_CHARS} "
                              "characters, e.g. [\"billing\", \"technical\"]")


def _whole_number(low: int, high: int) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        fine = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
        return None if fine else f"must be a whole number from {low} to {high}"
    return check


# The built-in skills' arguments and what each allows (a skill not listed: its argument names only).
RULES: dict[str, dict[str, Callable[[Any], str | None]]] = {
    "clinical": {"check": _one_of("all", "labs", "medications")},
    "extract": {"doc_type": _one_of(*REQUIRED)},
    "classify": {"labels": _labels},
    "doctype": {"labels": _labels},
    "triage": {"labels": _labels},
    "keywords": {"k": _whole_number(1, 50)},
}


def accepted_names(skill: str) -> list[str]:
    """The ``skill_args`` names ``skill`` takes: its keyword arguments, less those the model supplies."""
    parameters = inspect.signature(SKILLS[skill]).parameters.values()
    return [p.name for p in parameters if p.kind is p.KEYWORD_ONLY and p.name not in _GIVEN_BY_THE_MODEL]


def check_skill_args(skill: str, skill_args: Any) -> dict[str, Any]:
    """``skill_args`` if ``skill`` accepts them; else ``Refused(400)`` saying what it accepts."""
    if not isinstance(skill_args, dict):
        raise Refused(400, "'skill_args' must be a JSON object of the skill's arguments", param="skill_args")
    names = accepted_names(skill)
    for name, value in skill_args.items():
        if name not in names:
            takes = f"takes skill_args {', '.join(map(repr, names))}" if names else "takes no skill_args"
            raise Refused(400, f"skill_args do not fit skill {skill!r}: it {takes}, not {name!r:.40}",
                          param="skill_args")
        problem = RULES.get(skill, {}).get(name, lambda _: None)(value)
        if problem:
            raise Refused(400, f"skill_args do not fit skill {skill!r}: {name!r} {problem}, got {value!r:.60}",
                          param="skill_args")
    return skill_args
