"""Feedback: what a Hierarchical's top level learns from a sub-orchestration's run, and what it can say back.

- ``Feedback``: the sub-run's route, status, output, latency and cost (read from
  its own spans), its ``issues``, and which round of the feedback loop it was.
  The issues are spans: the sub-run's spans that are trouble (``trace.trouble``:
  a retry that recovered does not count), so read ``span.name``,
  ``span.status`` and ``span.error`` rather than parsing text.
- ``SendBack``: a checker's answer when the result is not good enough: the
  critique, and the team to send the work to (the same one by default).

    >>> def checker(feedback):                     # accept, or send it back
    ...     if feedback.status == "rolled_back":
    ...         return SendBack("over the automation limit", to="manual_review")
    ...     return None
    >>> [(span.name, span.status) for span in feedback.issues]
    [('compliance', 'skipped'), ('manual_review', 'partial')]
    >>> feedback.summary()                         # the same, for people
    'compliance: skipped, manual_review: partial'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ConfigurationError
from ..trace import Span


@dataclass(frozen=True, repr=False)
class Feedback:
    """What the top level learns from a sub-orchestration's run."""

    route: str
    status: str  # the sub-orchestration's own status: ok, fallback, partial, rolled_back, error ...
    output: Any = None
    issues: tuple[Span, ...] = ()  # the spans inside that are trouble (trace.trouble), in the order they ended
    confidence: float = 1.0
    latency: float = 0.0
    cost: float = 0.0
    round: int = 1  # 1 for the first run; 2, 3, ... after the checker sent the work back

    def __post_init__(self) -> None:
        issues = tuple(self.issues)
        for issue in issues:
            if not isinstance(issue, Span):
                raise ConfigurationError(
                    f"Feedback for {self.route!r}: issues are the sub-run's spans that are trouble (trace.trouble), "
                    f"got {type(issue).__name__} {issue!r:.60}; pass Span objects and read span.name, span.status "
                    "and span.error (feedback.summary() gives the text)")
        object.__setattr__(self, "issues", issues)  # a list given is kept as a tuple: Feedback is a value

    @property
    def ok(self) -> bool:
        return self.status == "ok" and not self.issues

    def summary(self) -> str:
        """The issues for people, ``'compliance: skipped, manual_review: partial'`` (``'no issues'`` if none)."""
        return ", ".join(f"{span.name}: {span.status}" for span in self.issues) or "no issues"

    def __str__(self) -> str:
        """``sub-orchestration 'manual_review' ended partial (compliance: skipped, manual_review: partial)``."""
        return f"sub-orchestration {self.route!r} ended {self.status} ({self.summary()})"

    def __repr__(self) -> str:
        """``<Feedback 'manual_review' partial, confidence 0.95, round 1: compliance: skipped, manual_review: partial>``."""
        return f"<Feedback {self.route!r} {self.status}, confidence {self.confidence:g}, round {self.round}: {self.summary()}>"


@dataclass(frozen=True)
class SendBack:
    """A checker's verdict "not yet": why (``critique``), and to which team (``to``; None = the same team).

    >>> SendBack("the compliance check is missing")             # the same team tries again
    >>> SendBack("$520 is above automation's authority", to="manual_review")
    """

    critique: str
    to: str | None = None


def as_send_back(verdict: Any, where: str) -> SendBack | None:
    """A checker's answer as a SendBack: None accepts, a string is a critique for the same team."""
    if verdict is None or verdict is False:
        return None
    if isinstance(verdict, SendBack):
        return verdict
    if isinstance(verdict, str):
        return SendBack(verdict)
    raise ConfigurationError(f"{where}: a checker returns None (accept), a critique string or SendBack(critique, to=route), "
                             f"got {type(verdict).__name__} {verdict!r:.60}")
