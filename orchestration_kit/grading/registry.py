"""The exercises: each lesson module registers its checks with ``@exercise``, found here by name.

    >>> @exercise("00.warmup", "How long does a Parallel of 0.3, 1.0 and 2.0 s take?", start="replace None with a number")
    ... def _warmup(answer):
    ...     yield Case("the answer is a number of seconds", isinstance(answer, float))
    >>> find_exercise("00.warmup").title
    'How long does a Parallel of 0.3, 1.0 and 2.0 s take?'

A lesson's checks live in ``lessonNN.py``, imported on first use, so asking for
"02.parallel" imports ``lesson02`` (which imports its later modules, such as
``lesson02_design``, at its end: exercises register in the notebook's order).
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from .verdict import Case

PACKAGE = __name__.rpartition(".")[0]  # orchestration_kit.grading, whose lessonNN modules hold the checks


@dataclass(frozen=True)
class Exercise:
    """A registered exercise. ``start`` is the hint shown while it is not yet solved."""

    name: str
    title: str
    start: str
    cases: Callable[[Any], Iterable[Case]]  # see exercise()
    graded: bool = True  # False for practice exercises the lessons demonstrate
    points: float = 1.0  # what the exercise is worth in the gradebook, earned in proportion to the cases passed


EXERCISES: dict[str, Exercise] = {}


Cases = Callable[[Any], Iterable[Case]]  # the learner's answer in, one Case per thing checked out


def exercise(name: str, title: str, *, start: str, graded: bool = True, points: float = 1.0) -> Callable[[Cases], Cases]:
    """Register a generator of ``Case``s as the checks of exercise ``name`` (e.g. "00.sequential")."""

    def register(cases: Cases) -> Cases:
        EXERCISES[name] = Exercise(name, title, start, cases, graded, points)
        return cases

    return register


def find_exercise(name: str) -> Exercise | None:
    """The exercise called ``name``, importing its lesson's module (lessonNN) on first use."""
    if name not in EXERCISES:
        _import_lesson(name.split(".")[0])
    return EXERCISES.get(name)


def all_exercises() -> dict[str, Exercise]:
    """Every registered exercise of every lesson, by name."""
    for module in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if module.name.startswith("lesson"):
            _import_lesson(module.name[len("lesson"):])
    return dict(sorted(EXERCISES.items()))


def lesson_exercises(lesson: str) -> list[str]:
    """The names of the graded exercises of lesson ``lesson`` (e.g. "00"), in the order they were registered."""
    _import_lesson(lesson)
    return [name for name, ex in EXERCISES.items() if ex.graded and name.split(".")[0] == lesson]


def _import_lesson(lesson: str) -> None:
    if lesson.isdigit() and importlib.util.find_spec(f"{PACKAGE}.lesson{lesson}") is not None:
        importlib.import_module(f"{PACKAGE}.lesson{lesson}")
