"""Grading: ``check("00.sequential", answer)`` runs hidden cases and explains each verdict.

    >>> check("00.warmup", 2.0)
    00.warmup: How long does a Parallel of 0.3, 1.0 and 2.0 s take?
      ✓ the answer is a number of seconds
      ✓ it matches the virtual clock's measurement
      score 2/2: solved
    CheckResult('00.warmup', passed, 2/2 cases)

(In a notebook the verdict is one rich output, ✓ and ✗ in colour, and the result's
one-line repr is not shown after it: see ``display.py``.)

Each lesson's checks live in their own module (``lesson00.py``, ...), which
registers every exercise with ``@exercise(name, title, start=...)``: a generator
that receives the learner's answer and yields one ``Case`` per thing it checks.
Whatever the learner's code does (raise, return None, return the wrong type,
hang, print megabytes, change the check's data, run a flow that never ends),
the learner gets a verdict and a hint, never a traceback, and the next check
works as before: ``sandbox.py`` explains how.

Three environment variables adapt ``check()`` to where it runs:

- ``ORCHESTRATION_KIT_STRICT=1`` (CI, on the solutions): a check that does not
  pass raises ``CheckFailed``, so a broken solution cannot go unnoticed.
- ``ORCHESTRATION_KIT_RESULTS=path``: every result is appended to ``path`` as a
  JSON line. ``orchestration-kit check`` grades the answers again itself and
  uses these lines only to flag a notebook whose own checks claimed more.
- ``ORCHESTRATION_KIT_TIME_LIMIT=seconds``: how long each case may run (default 30).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import pkgutil
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterable

from .display import show
from ..errors import GradingError
from .fixtures import fixtures_kept, within
from .sandbox import (  # noqa: F401 (TIME_LIMIT_ENV and run_answer are for lesson modules and the shell)
    TIME_LIMIT_ENV, DidNotFinish, TimedOut, captured_output, run_answer, run_cases, time_limit_from_env,
)

STRICT_ENV = "ORCHESTRATION_KIT_STRICT"
RESULTS_ENV = "ORCHESTRATION_KIT_RESULTS"


@dataclass(frozen=True)
class Case:
    """One hidden test case: what it checks, whether it passed, and a hint if not."""

    description: str
    passed: bool
    hint: str = ""
    measure: tuple[str, float] | None = None  # a measured number for the class's results table, e.g. ("p95_s", 4.2)


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


class CheckFailed(GradingError, AssertionError):
    """Raised by ``check()`` in strict mode (CI) when an answer does not pass."""


class NotSolved(GradingError):
    """Raised inside a check when the learner's code still returns the placeholder."""


Cases = Callable[[Any], Iterable[Case]]  # the learner's answer in, one Case per thing checked out


def exercise(name: str, title: str, *, start: str, graded: bool = True, points: float = 1.0) -> Callable[[Cases], Cases]:
    """Register a generator of ``Case``s as the checks of exercise ``name`` (e.g. "00.sequential")."""

    def register(cases: Cases) -> Cases:
        EXERCISES[name] = Exercise(name, title, start, cases, graded, points)
        return cases

    return register


def solved(value: Any) -> Any:
    """Return ``value``, or raise NotSolved if it is still a placeholder (None or ``...``)."""
    if value is None or value is Ellipsis:
        raise NotSolved
    return value


def describe(value: Any) -> str:
    """A short, safe description of a learner's value for a hint: its type and the start of its repr."""
    try:
        text = repr(value)
    except Exception:  # a learner's object whose repr itself fails
        text = "?"
    text = text if len(text) <= 60 else text[:57] + "..."
    return f"{type(value).__name__} {text}"


MESSAGE_LIMIT = 2.0  # seconds a learner's exception may take to say what it is


def one_line(error: BaseException) -> str:
    """An exception as one line, "TypeError: message", for a hint (never a traceback).

    The message comes from the learner's ``__str__``, which may raise or never
    return: then the line says so instead, after at most MESSAGE_LIMIT seconds.
    """
    name = type(error).__name__
    text = within(MESSAGE_LIMIT, lambda: str(str(error)), None)  # str() again: __str__ may return a str subclass
    if text is None:
        return f"{name} (its message could not be shown: its __str__ raised an error or did not return)"
    message = text.strip().splitlines()[0] if text.strip() else ""
    message = message if len(message) <= 200 else message[:197] + "..."
    return f"{name}: {message}" if message else name


def try_run(flow: Any, input: Any) -> tuple[Any, Any, str]:
    """Run a learner's flow: ``(output, trace, "")``, or ``(None, the trace so far, the error as one line)``.

    A flow that never ends still raises DidNotFinish: that is the check's own verdict.
    """
    try:
        result = run_answer(flow, input)
        return result.output, result.trace, ""
    except DidNotFinish:
        raise
    except Exception as error:
        return None, getattr(error, "trace", None), one_line(error)


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one answer: status is "passed", "failed" or "unsolved"."""

    exercise: str
    status: str
    cases: tuple[Case, ...] = ()
    title: str = ""
    hint: str = ""  # for an unsolved exercise: how to start
    printed: str = ""  # what the learner's code printed during the check, cut to a few lines

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def score(self) -> tuple[int, int]:
        """(cases passed, cases run)."""
        return sum(case.passed for case in self.cases), len(self.cases)

    def report(self) -> str:
        """The text ``check()`` prints: one line per case, hints under failures, then the score."""
        lines = [f"{self.exercise}: {self.title}" if self.title else self.exercise]
        if self.status == "unsolved":
            lines += ["  … not yet solved", *_wrapped("      hint: ", self.hint)]
            lines.append("  score 0: write your answer, then run this check again")
            return "\n".join(lines)
        for case in self.cases:
            lines.append(f"  {'✓' if case.passed else '✗'} {case.description}")
            if not case.passed and case.hint:
                lines += _wrapped("      hint: ", case.hint)
        done, total = self.score
        verdict = "solved" if self.passed else "not yet: the hints above say what to change"
        lines.append(f"  score {done}/{total}: {verdict}")
        return "\n".join(lines)

    def report_html(self) -> str:
        """``report()`` as HTML: a green ✓ and a red ✗ (the marks and words stay, for who cannot tell colours)."""
        from .display import as_html

        return as_html(self.report())

    def _ipython_display_(self) -> None:  # a notebook shows the verdict, once (see display.py)
        from .display import show_unless_just_shown

        show_unless_just_shown(self)

    @property
    def measures(self) -> dict[str, float]:
        """The numbers the cases measured (a design exercise's accuracy, p95, cost ...), by name."""
        return {case.measure[0]: case.measure[1] for case in self.cases if case.measure is not None}

    @property
    def met(self) -> dict[str, bool]:
        """For each measured number, whether its case passed (its target was met)."""
        return {case.measure[0]: case.passed for case in self.cases if case.measure is not None}

    def to_json(self) -> dict[str, Any]:
        done, total = self.score
        return {
            "exercise": self.exercise, "status": self.status, "passed": done, "total": total,
            "cases": [[c.description, c.passed, c.hint] for c in self.cases], "measures": self.measures, "met": self.met,
        }

    def __repr__(self) -> str:
        done, total = self.score
        return f"CheckResult({self.exercise!r}, {self.status}, {done}/{total} cases)"


def _wrapped(first: str, hint: str, width: int = 88) -> list[str]:
    """A hint as lines of at most ``width`` characters, broken between words, continuation lines indented."""
    import textwrap

    indent = " " * len(first)
    lines: list[str] = []
    for number, paragraph in enumerate(hint.splitlines() or [""]):
        lines += textwrap.wrap(paragraph, width, initial_indent=first if number == 0 else indent, subsequent_indent=indent,
                               break_long_words=False, break_on_hyphens=False) or [indent.rstrip()]
    return lines


def grade(name: str, answer: Any, *, time_limit: float | None = None) -> CheckResult:
    """Run the hidden cases of exercise ``name`` on ``answer``; no printing, and nothing the answer does raises.

    Each case may take ``time_limit`` seconds (default: ORCHESTRATION_KIT_TIME_LIMIT, else 30).
    """
    if not isinstance(name, str):
        usage = "call check('00.sequential', answer): the name first, then your answer"
        return CheckResult(repr(name)[:40], "failed", (Case("the first argument names the exercise", False, usage),))
    found = find_exercise(name)
    if found is None:
        everything = list(all_exercises())
        same_lesson = [known for known in everything if known.split(".")[0] == name.split(".")[0]]
        known = ", ".join(same_lesson or everything) or "none"
        spelling = f"check the spelling; known exercises: {known}"
        return CheckResult(name, "failed", (Case(f"there is an exercise called {name!r}", False, spelling),))
    unsolved = CheckResult(name, "unsolved", (), found.title, found.start)
    if answer is None or answer is Ellipsis:
        return unsolved
    seconds = time_limit_from_env() if time_limit is None else time_limit
    with captured_output() as output, fixtures_kept(getattr(found.cases, "__module__", "")) as changed:
        cases, stopped = run_cases(found.cases, answer, seconds)
    if isinstance(stopped, NotSolved):
        return replace(unsolved, printed=output.text())
    if stopped is not None:
        cases.append(_verdict_on(stopped))
    if changed:
        cases.append(Case("your code leaves the check's own data unchanged", False,
                          f"it changed {', '.join(changed)} (now put back); change a copy of what you are given, "
                          "e.g. stages = [list(stage) for stage in stages]"))
    status = "passed" if cases and all(case.passed for case in cases) else "failed"
    return CheckResult(name, status, tuple(cases), found.title, printed=output.text())


def _verdict_on(stopped: BaseException) -> Case:
    """The failed case for what stopped the checks early: a time limit, or an error in the learner's code."""
    if isinstance(stopped, TimedOut):
        return Case(f"your code finishes within {stopped.seconds:g} s", False, str(stopped))
    if isinstance(stopped, DidNotFinish):
        return Case(f"your flow finishes within {stopped.seconds:g} s of virtual time", False, str(stopped))
    return Case("your code runs without raising an error", False, f"it raised {one_line(stopped)}")


def check(name: str, answer: Any, *, strict: bool | None = None, time_limit: float | None = None) -> CheckResult:
    """Grade ``answer`` to exercise ``name``, show the verdict per case, and return the result.

    In a notebook the verdict is a rich output (✓ and ✗ in colour, plain text beside it);
    elsewhere it is printed.

    ``strict`` (default: the ORCHESTRATION_KIT_STRICT environment variable) makes
    an answer that does not pass raise ``CheckFailed``. Pass ``strict=False`` to
    show a wrong answer on purpose. ``time_limit``: seconds each case may take.
    """
    result = grade(name, answer, time_limit=time_limit)
    if result.printed:  # the learner's own prints first, as they would have appeared
        print(result.printed, end="" if result.printed.endswith("\n") else "\n")
    show(result)
    path = os.environ.get(RESULTS_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(result.to_json()) + "\n")
    if strict is None:
        strict = os.environ.get(STRICT_ENV, "") not in ("", "0")
    if strict and not result.passed:
        done, total = result.score
        raise CheckFailed(f"{name} is {result.status} ({done}/{total} cases passed); see the verdicts shown above")
    return result


def find_exercise(name: str) -> Exercise | None:
    """The exercise called ``name``, importing its lesson's module (lessonNN) on first use."""
    if name not in EXERCISES:
        _import_lesson(name.split(".")[0])
    return EXERCISES.get(name)


def all_exercises() -> dict[str, Exercise]:
    """Every registered exercise of every lesson, by name."""
    for module in pkgutil.iter_modules(__path__):
        if module.name.startswith("lesson"):
            _import_lesson(module.name[len("lesson"):])
    return dict(sorted(EXERCISES.items()))


def lesson_exercises(lesson: str) -> list[str]:
    """The names of the graded exercises of lesson ``lesson`` (e.g. "00"), in the order they were registered."""
    _import_lesson(lesson)
    return [name for name, ex in EXERCISES.items() if ex.graded and name.split(".")[0] == lesson]


def _import_lesson(lesson: str) -> None:
    if lesson.isdigit() and importlib.util.find_spec(f"{__name__}.lesson{lesson}") is not None:
        importlib.import_module(f"{__name__}.lesson{lesson}")

