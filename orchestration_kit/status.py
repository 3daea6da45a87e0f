"""The trace's vocabulary: what a span times (``Kind``) and how it ended (``Status``).

One word means one thing in every pattern and back-end: a 429 is ``rate_limited``
whether a flow's retry or a back-end's saw it (``status_of``). The statuses fall in
three groups, defined once here and used by feedback, pictures and skeletons alike:
``FAILED`` (the work did not happen), ``skipped`` (it failed and its result is left
out) and ``DEGRADED`` (an answer came, but not the planned one); all three together
are ``TROUBLE``.

    >>> Status("rate_limited") in FAILED, Kind.MODEL == "model"
    (True, True)

Its own module, below trace.py, so that the pictures can use the words without
importing the trace that draws them.
"""

from __future__ import annotations

import asyncio
from enum import StrEnum


class _Word(StrEnum):
    """A word of the trace's vocabulary: equal to its string, and shown as it (``'model'``)."""

    def __repr__(self) -> str:
        return repr(self.value)


class Kind(_Word):
    """What a span times. A ``StrEnum``: ``span.kind == "model"`` works, and so does ``Kind.MODEL``."""

    FLOW = "flow"  # a pattern: Router, Parallel, Sequential, Hierarchical (its name is in ``pattern``)
    STEP = "step"  # a plain function, a Resilient wrapper, a human review
    STAGE = "stage"  # one stage of a Sequential
    TASK = "task"  # one branch of a Parallel
    MODEL = "model"  # one model call (simulated or real): tokens and cost are recorded here
    ATTEMPT = "attempt"  # one try of a retried call; a failed one is followed by the next attempt
    UNDO = "undo"  # undoing a finished stage's side effects, when a later stage failed (a Sequential's rollback)


class Status(_Word):
    """How a span ended. The same word means the same thing in every pattern."""

    OK = "ok"
    PENDING = "pending"  # waiting for a person (a HumanReview without a scripted decision)
    # failed: the work did not happen
    ERROR = "error"  # an exception (its type and message are in ``error``)
    TIMEOUT = "timeout"  # a time limit ran out
    RATE_LIMITED = "rate_limited"  # the back-end said "too many requests" (HTTP 429)
    CANCELLED = "cancelled"  # stopped from outside (a sibling failed, the run was cancelled)
    FAILED = "failed"  # a Parallel branch that failed under on_error="raise"
    # skipped: the work failed and its result is left out
    SKIPPED = "skipped"  # a Parallel branch that failed under on_error="skip"
    # degraded: an answer came, but not the planned one
    DEFAULT = "default"  # a Parallel branch replaced by its default value
    FALLBACK = "fallback"  # a Router's or Resilient's fallback answered
    ALTERNATIVE = "alternative"  # a Sequential stage took its alternative path
    ROLLED_BACK = "rolled_back"  # a Sequential went back to its last good state
    PARTIAL = "partial"  # a Parallel finished with some branches missing
    ESCALATED = "escalated"  # a Hierarchical handed the case to a higher tier or a person
    UNRESOLVED = "unresolved"  # a Hierarchical needed to escalate but has no escalate= to hand the case to
    RESUMED = "resumed"  # a Hierarchical carried on from a saved escalation, after a person's verdict (resume)


FAILED = frozenset({Status.ERROR, Status.TIMEOUT, Status.RATE_LIMITED, Status.CANCELLED, Status.FAILED})
DEGRADED = frozenset({Status.DEFAULT, Status.FALLBACK, Status.ALTERNATIVE, Status.ROLLED_BACK, Status.PARTIAL,
                      Status.ESCALATED, Status.UNRESOLVED})
TROUBLE = FAILED | {Status.SKIPPED} | DEGRADED  # every status but ok, pending and resumed: something went wrong


def status_of(error: BaseException) -> Status:
    """The status of a span that ``error`` ended: one rule for every pattern and back-end.

    >>> status_of(TimeoutError()), status_of(ValueError())
    ('timeout', 'error')
    """
    if isinstance(error, asyncio.CancelledError):
        return Status.CANCELLED
    if getattr(error, "status", None) == 429:  # RateLimited, and any back-end error carrying HTTP 429
        return Status.RATE_LIMITED
    return Status.TIMEOUT if isinstance(error, TimeoutError) else Status.ERROR
