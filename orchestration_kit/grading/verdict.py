"""What a check says: one ``Case`` per thing checked, and the ``CheckResult`` that gathers them.

    >>> result = CheckResult("00.warmup", "failed", (Case("it is a number", True), Case("it is 2.0 s", False, "add, do not multiply")))
    >>> result
    CheckResult('00.warmup', failed, 1/2 cases)
    >>> print(result.report())
    00.warmup
      ✓ it is a number
      ✗ it is 2.0 s
          hint: add, do not multiply
      score 1/2: not yet: the hints above say what to change

``report()`` is the text ``check()`` shows; ``to_json()`` is the line the class
grader reads back; ``measures`` are the numbers a design exercise measured.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Case:
    """One hidden test case: what it checks, whether it passed, and a hint if not."""

    description: str
    passed: bool
    hint: str = ""
    measure: tuple[str, float] | None = None  # a measured number for the class's results table, e.g. ("p95_s", 4.2)



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
