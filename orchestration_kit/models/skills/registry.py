"""The table of simulated skills: ``register_skill`` adds one, ``get_skill`` finds one by name.

Its own module so that the skill modules can register themselves without importing
the package that imports them.
"""

from __future__ import annotations

from typing import Callable

Skill = Callable[..., str]
SKILLS: dict[str, Skill] = {}


def register_skill(name: str) -> Callable[[Skill], Skill]:
    """Decorator: make ``fn`` available to simulated models as ``skill=name``."""

    def add(fn: Skill) -> Skill:
        SKILLS[name] = fn
        return fn

    return add


def get_skill(name: str) -> Skill:
    try:
        return SKILLS[name]
    except KeyError:
        known = ", ".join(sorted(SKILLS))
        raise KeyError(f"no simulated skill named {name!r}; known skills: {known}") from None
