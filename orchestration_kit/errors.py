"""The kit's exceptions: one family, messages that name the step and the fix.

Every error the kit raises is an ``OrchestrationError``, so a learner can catch
them all at once, or one kind precisely::

    try:
        run(flow, "hello")
    except RoutingError as error:
        print(error)        # says which router, why, and what to change

The whole tree (each name is where the error is defined; a second base keeps a
builtin ``except`` working, e.g. ``except ValueError`` catches a ``ConfigurationError``)::

    OrchestrationError
    ├── UsageError                  a mistake in how a flow is built or run: no policy hides it
    │   ├── ConfigurationError      (+ ValueError) bad settings, refused when the flow is built
    │   ├── RealTimeRequired        a real model on the virtual clock
    │   ├── DataError               (+ ValueError) a malformed data file: file:line and what is allowed
    │   │   └── EscalationFileError patterns/escalation.py: a saved escalation that is damaged or foreign
    │   └── CassetteError           replay/file.py: a cassette that cannot be used
    │       └── CassetteMiss        replay/calls.py: no recording for this call
    ├── RoutingError                a router found no route and had no fallback
    ├── StageError                  a sequential stage failed (``.state``: the last good state)
    │   └── UndoFailed              patterns/compensation.py: undoing the finished stages failed too
    ├── TaskFailed                  parallel tasks failed under on_error="raise" (``.gathered``)
    ├── BackendError                a model failed, simulated or real (``.model``, ``.status``)
    │   ├── RateLimited             HTTP 429 (``.retry_after``)
    │   ├── Declined                grading/booking.py: lesson 3's hidden booking service declines a card
    │   ├── Timeout                 (+ TimeoutError) a call ran past its time limit
    │   └── ConnectionFailed        (+ ConnectionError) models/http.py: no connection to the server
    │       └── ConnectionTimeout   (+ Timeout) models/http.py: connecting took too long
    ├── Deadlock                    (+ RuntimeError) clock.py: every task waits and no timer is due
    ├── Refused                     serve/http11.py: the classroom server refuses a request (its HTTP status)
    └── GradingError                the grader's own errors
        ├── CheckFailed             (+ AssertionError) grading/: check() in strict mode, an answer failed
        ├── NotSolved               grading/: the answer is still the placeholder
        ├── AuthoringError          (+ ValueError) grading/authoring.py: a malformed master notebook
        └── DidNotFinish            grading/flow_limit.py: a flow ran past its virtual-time limit

Outside the tree on purpose: ``MalformedReply`` (models/replies.py, a ``ValueError`` that a
backend turns into a ``BackendError`` naming the server) and the server's ``Idle`` (a
connection with nothing more to read: not an error, a signal to close it), and the
sandbox's ``TimedOut`` (grading/sandbox.py), which stops a learner's code from outside: an
``except OrchestrationError`` in that code must not catch it.

Failures and mistakes
---------------------
Patterns tolerate *failures*: a model or back-end error, a timeout, or an error
raised inside a task's own work (a nested flow's ``StageError``, ``RoutingError``
or ``TaskFailed``, a ``ValueError`` from a parser). ``on_error="skip"``, retries,
a Router's fallback, a Stage's alternative and a Hierarchical's escalation all
exist for those.

They never hide a *mistake* in how the flow was built or run, because skipping
or retrying cannot fix code. ``is_usage_error(error)`` is the one rule every
pattern applies; a mistake is:

- a ``UsageError``: ``ConfigurationError`` (bad settings), ``RealTimeRequired``
  (a real model on the virtual clock), a cassette that cannot be used or has no
  recording for a call (``CassetteError``, ``CassetteMiss``);
- one of Python's signs of a bug in glue code, ``MISTAKES``: ``TypeError``,
  ``AttributeError``, ``NameError``, ``ImportError``, ``SyntaxError``,
  ``NotImplementedError``.

A mistake propagates through every pattern, whatever its policy, with a note
saying where it was raised::

    >>> Parallel(tasks={"a": lambda x: x.nope}, on_error="skip")   # AttributeError: raised, not skipped
"""

from __future__ import annotations


class OrchestrationError(Exception):
    """Base class of every error raised by the kit.

    In a notebook it shows as its message and one line on how to see more, not as
    sixty lines of the kit's insides; ``%tb verbose`` shows the full traceback.
    """

    def _render_traceback_(self) -> list[str]:
        """IPython calls this to show the error (see ``short_traceback``)."""
        return short_traceback(self)


FULL_TRACEBACK_HINT = "(an error reported by the kit; %tb verbose shows the full traceback)"


def short_traceback(error: BaseException, shell: object = None) -> list[str]:
    """The lines IPython shows for a kit error: ``Name: message``, its cause, and how to see everything.

    Under ``%xmode verbose`` (or ``%tb verbose``, or any mode but IPython's default
    "Context") the full traceback comes back, exactly as IPython would draw it::

        >>> short_traceback(RoutingError("no route for billing"))
        ['RoutingError: no route for billing', '(an error reported by the kit; %tb verbose shows the full traceback)']
    """
    if shell is None:
        shell = _ipython()
    drawer = getattr(shell, "InteractiveTB", None)
    if drawer is not None and getattr(drawer, "mode", "Context") != "Context":
        return drawer.structured_traceback(type(error), error, error.__traceback__)
    lines = [f"{type(error).__name__}: {error}"]
    cause = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    if cause is not None:
        lines.append(f"caused by {type(cause).__name__}: {cause}")
    return lines + [FULL_TRACEBACK_HINT]


def _ipython() -> object:
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: no notebook, nobody asks for this
        return None
    return get_ipython()


class UsageError(OrchestrationError):
    """A mistake in how a flow is built or run, not a failure of its work: no policy hides it."""


class ConfigurationError(UsageError, ValueError):
    """A flow was built with bad settings (refused when it is constructed)."""


class RoutingError(OrchestrationError):
    """A router could not choose a route and had no fallback to use."""


class StageError(OrchestrationError):
    """A sequential stage failed or its output did not validate.

    ``state`` holds the last good state, so nothing done so far is lost.
    """

    def __init__(self, message: str, *, stage: str, state: object = None) -> None:
        super().__init__(message)
        self.stage = stage
        self.state = state


class TaskFailed(OrchestrationError):
    """Parallel tasks failed under ``on_error="raise"`` (or below the quorum).

    ``gathered`` holds every branch's result, the successful ones included.
    """

    def __init__(self, message: str, *, gathered: object = None) -> None:
        super().__init__(message)
        self.gathered = gathered


class RealTimeRequired(UsageError):
    """A real network call was attempted while running on the virtual clock."""


class BackendError(OrchestrationError):
    """A model backend failed (simulated or over HTTP).

    ``retry_after`` is the server's own advice on when to try again, in seconds, if it gave one.
    """

    def __init__(
        self, message: str, *, model: str = "", status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.model = model
        self.status = status
        self.retry_after = retry_after


class RateLimited(BackendError):
    """The backend said "too many requests" (HTTP 429); ``retry_after`` is in seconds."""

    def __init__(
        self, message: str, *, model: str = "", status: int | None = 429, retry_after: float | None = None
    ) -> None:
        super().__init__(message, model=model, status=status, retry_after=retry_after)


class Timeout(BackendError, TimeoutError):
    """A call took longer than its time limit."""


# Python's own signs of a bug in code (a learner's glue function, a step): never a task failure.
MISTAKES: tuple[type[Exception], ...] = (TypeError, AttributeError, NameError, ImportError, SyntaxError, NotImplementedError)


def is_usage_error(error: BaseException) -> bool:
    """True if ``error`` is a mistake that no pattern may skip, retry or fall back from.

    >>> is_usage_error(TypeError("unsupported operand")), is_usage_error(BackendError("HTTP 500"))
    (True, False)
    """
    if isinstance(error, BaseExceptionGroup):  # e.g. from a TaskGroup inside a step
        return any(is_usage_error(inner) for inner in error.exceptions)
    return isinstance(error, (UsageError, *MISTAKES))


def note_where(error: BaseException, where: str) -> None:
    """Add one note to a mistake saying where it was raised (shown under its traceback)."""
    notes = getattr(error, "__notes__", [])
    if not any(note.startswith("raised in ") for note in notes):
        error.add_note(
            f"raised in {where}. This {type(error).__name__} is a mistake in the flow or its code, "
            "not a failure of the task, so no on_error, retry, fallback or escalation hides it."
        )


class DataError(UsageError, ValueError):
    """A data file is malformed; the message starts with ``file:line`` and says what is allowed.

    A usage error: no pattern skips it, retries it or falls back from it.
    """


class GradingError(OrchestrationError):
    """Base of the grader's own errors (see the tree above): a check's verdict, never a flow's failure."""
