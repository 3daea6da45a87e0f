"""Feedback: what a Hierarchical's top level learns from a sub-orchestration's run, and what it can say back.

- ``Feedback``: the sub-run's route, status, issues, output, latency and cost
  (read from its own spans), and which round of the feedback loop it was.
- ``SendBack``: a checker's answer when the result is not good enough: the
  critique, and the team to send the work to (the same one by default).

    >>> def checker(feedback):                     # accept, or send it back
    ...     if feedback.status == "rolled_back":
    ...         return SendBack("over the automation limit", to="manual_review")
    ...     return None
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ConfigurationError


@dataclass(frozen=True)
class Feedback:
    """What the top level learns from a sub-orchestration's run."""

    route: str
    status: str  # the sub-orchestration's own status: ok, fallback, partial, rolled_back, error ...
    output: Any = None
    issues: tuple[str, ...] = ()  # "span name: status" for everything that went wrong inside
    confidence: float = 1.0
    latency: float = 0.0
    cost: float = 0.0
    round: int = 1  # 1 for the first run; 2, 3, ... after the checker sent the work back

    @property
    def ok(self) -> bool:
        return self.status == "ok" and not self.issues


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
