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

The package's parts, in the order a check uses them: ``registry.py`` (the
exercises, by name), ``learner_code.py`` (the learner's answer handled with
care), ``sandbox.py`` (limits in time and output, data put back), ``verdict.py``
(``Case`` and ``CheckResult``) and ``display.py`` (the verdict on screen).

Three environment variables adapt ``check()`` to where it runs:

- ``ORCHESTRATION_KIT_STRICT=1`` (CI, on the solutions): a check that does not
  pass raises ``CheckFailed``, so a broken solution cannot go unnoticed.
- ``ORCHESTRATION_KIT_RESULTS=path``: every result is appended to ``path`` as a
  JSON line. ``orchestration-kit check`` grades the answers again itself and
  uses these lines only to flag a notebook whose own checks claimed more.
- ``ORCHESTRATION_KIT_TIME_LIMIT=seconds``: how long each case may run (default 30).
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from typing import Any

from ..errors import GradingError
from .display import show
from .fixtures import fixtures_kept
from .learner_code import MESSAGE_LIMIT, NotSolved, describe, one_line, solved, try_run  # noqa: F401 (for the lesson modules)
from .registry import (  # noqa: F401 (the registry's names, for the lesson modules and the tools)
    EXERCISES, Cases, Exercise, all_exercises, exercise, find_exercise, lesson_exercises,
)
from .sandbox import (  # noqa: F401 (TIME_LIMIT_ENV and run_answer are for lesson modules and the shell)
    TIME_LIMIT_ENV, DidNotFinish, TimedOut, captured_output, run_answer, run_cases, time_limit_from_env,
)
from .verdict import Case, CheckResult  # noqa: F401 (the verdict's names, for the lesson modules)

STRICT_ENV = "ORCHESTRATION_KIT_STRICT"
RESULTS_ENV = "ORCHESTRATION_KIT_RESULTS"


class CheckFailed(GradingError, AssertionError):
    """Raised by ``check()`` in strict mode (CI) when an answer does not pass."""


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

