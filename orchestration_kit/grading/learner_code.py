"""Handling the learner's answer with care: a placeholder, a description, an error in one line, a run.

    >>> solved(None)                      # still the placeholder: the check says "not yet solved"
    Traceback (most recent call last):
    NotSolved
    >>> describe([1, 2, 3])
    'list [1, 2, 3]'
    >>> one_line(ValueError("no route for 'refund'\nmore lines"))
    "ValueError: no route for 'refund'"

Each helper turns what the learner's code did into text for a hint, and none
of them can raise or hang because of it (see ``sandbox.py`` for the limits).
"""

from __future__ import annotations

from typing import Any

from ..errors import GradingError
from .fixtures import within
from .flow_limit import DidNotFinish, run_answer


class NotSolved(GradingError):
    """Raised inside a check when the learner's code still returns the placeholder."""



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

