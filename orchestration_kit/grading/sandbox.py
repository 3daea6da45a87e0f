"""The sandbox around a check: whatever the learner's code does, the check ends with a verdict.

``grade()`` runs every exercise's cases through these helpers, one for each
thing learners really submit:

- **Code that hangs.** ``run_cases`` runs the cases on a worker thread and waits
  at most ``time_limit`` wall-clock seconds for each one (default 30 s, or
  ``ORCHESTRATION_KIT_TIME_LIMIT``). Then it gives up on the exercise and stops
  the thread by raising an exception inside it, which ends any Python code, even
  ``while True: pass``. Two kinds of code cannot be stopped from Python: a thread
  blocked inside C (``time.sleep``, ``input()``, a lock) stays parked, using no
  CPU, until it wakes up; a loop that catches every exception keeps running. The
  verdict then says so: restart the kernel to end it.
- **A flow that never finishes in virtual time.** On the virtual clock an endless
  ``while True: await asyncio.sleep(1)`` costs no real time, so it would spin at
  full speed. ``run_answer()`` stops a flow after ``VIRTUAL_TIME_LIMIT`` seconds
  of virtual time; checks run learners' flows with it (``flow_limit.py``).
- **Megabytes of output.** ``captured_output()`` keeps the first ``OUTPUT_LIMIT``
  characters the code prints and counts the rest; ``check()`` shows only those
  (``output.py``).
- **Threads the learner's code started.** A nested ``run()`` inside a step runs
  on a thread of its own; when the check gives up, every thread started during
  the check is stopped too, so nothing the check started still runs after the
  verdict.
- **Changes to shared data.** ``fixtures_kept()`` (fixtures.py) copies the
  check's data, the model catalog and the kit's skill table before the check,
  and puts back whatever the learner's code changed.
"""

from __future__ import annotations

import contextvars
import os
import queue
import threading
from typing import Any, Callable, Iterable

# The limits in virtual time and on output have modules of their own; their names are importable from here too.
from .flow_limit import VIRTUAL_TIME_LIMIT, DidNotFinish, run_answer  # noqa: F401
from .output import OUTPUT_LIMIT, CappedOutput, captured_output  # noqa: F401

TIME_LIMIT_ENV = "ORCHESTRATION_KIT_TIME_LIMIT"
TIME_LIMIT = 30.0  # wall-clock seconds each case may take


# -- time: a wall-clock limit per case ----------------------------------------------
class TimedOut(Exception):
    """A case was still running when its time was up."""

    def __init__(self, seconds: float, stopped: bool) -> None:
        self.seconds, self.stopped = seconds, stopped
        message = (f"it was still running after {seconds:g} s, so the check gave up on it: "
                   "look for a loop that never ends (while True, a retry without a limit)")
        if not stopped:
            message += ("\nit could not be stopped (it waits in time.sleep, input() or a lock, or it catches "
                        "every exception) and still runs in the background: restart the kernel to end it")
        super().__init__(message)


class _CheckAbandoned(SystemExit):
    """Raised inside a hung check's thread to stop it.

    A SystemExit, because asyncio's tasks and a learner's ``except Exception``
    let it through, and a thread that ends with it ends silently.
    """


def time_limit_from_env() -> float:
    """The per-case time limit: ORCHESTRATION_KIT_TIME_LIMIT seconds if set, else 30."""
    text = os.environ.get(TIME_LIMIT_ENV, "")
    try:
        seconds = float(text) if text else TIME_LIMIT
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise ValueError(f"{TIME_LIMIT_ENV} must be a number of seconds above 0, e.g. 30, not {text!r}")
    return seconds


_DONE = object()  # the worker's last message when every case ran


def run_cases(cases: Callable[[Any], Iterable[Any]], answer: Any, time_limit: float) -> tuple[list[Any], BaseException | None]:
    """Run ``cases(answer)`` on a worker thread: (the cases yielded, and what stopped them early or None).

    What stops them early is the exception the checks raised (the learner's
    error, ``NotSolved``, ``DidNotFinish``) or ``TimedOut``.
    """
    if not time_limit > 0:
        raise ValueError(f"time_limit must be a number of seconds above 0, e.g. 30, not {time_limit!r}")
    results: queue.Queue[Any] = queue.Queue()

    def work() -> None:
        try:
            for case in cases(answer):
                results.put(case)
        except BaseException as error:  # even SystemExit: a learner's exit() is a verdict too
            results.put(error)
        else:
            results.put(_DONE)

    before = set(threading.enumerate())
    # A copy of this thread's context variables, so the checks see what the caller sees.
    worker = threading.Thread(target=contextvars.copy_context().run, args=(work,), name="check", daemon=True)
    worker.start()
    found: list[Any] = []
    try:
        while True:
            try:
                item = results.get(timeout=time_limit)
            except queue.Empty:
                return found, TimedOut(time_limit, stopped=_stop_started(before))
            if item is _DONE:
                _stop_started(before, grace=0.2)
                return found, None
            if isinstance(item, BaseException):
                _stop_started(before, grace=0.2)
                return found, item
            found.append(item)
    except BaseException:  # the learner interrupted the kernel while waiting: stop the worker too
        _stop_started(before)
        raise


_KIT_WORKERS = ("orchestration-kit-run", "orchestration-kit-step")


def _stop_started(before: set[threading.Thread], grace: float = 1.0) -> bool:
    """Stop every thread started since ``before`` (the check's worker, a nested run()'s thread, ...); True if all ended.

    First the runs the check started are cancelled, and their threads get a
    quarter of the grace to end on their own (a cancelled run closes its loop).
    Then, in rounds, for up to ``grace`` s in all: each round asks every such thread
    once, then gives them a quarter of the grace to finish. A nested run's
    thread ends first, and then the worker waiting for it can end too; a
    thread that caught the first request (a bare ``except:``) is asked again.
    """
    import time

    from ..driver import cancel_runs

    give_up = time.monotonic() + grace
    runs_asked = False
    while True:
        # The kit's own reusable workers are left alone: once their run is cancelled they sit idle.
        started = [t for t in threading.enumerate() if t not in before and t.is_alive()
                   and t.name != "check-helper" and not t.name.startswith(_KIT_WORKERS)]
        if not started:
            return True
        if time.monotonic() >= give_up:
            return False
        round_ends = min(give_up, time.monotonic() + grace / 4)
        if not runs_asked:  # first, cancel the runs the check started (nested ones too): they end cleanly
            runs_asked = True
            if sum(cancel_runs(thread) for thread in threading.enumerate() if thread not in before):
                for thread in started:  # a cancelled run closes its own loop; an exception raised now would cut that short
                    thread.join(max(0.0, round_ends - time.monotonic()))
                continue
        if not all(_raise_in(thread) for thread in started):
            return False
        for thread in started:
            thread.join(max(0.0, round_ends - time.monotonic()))


def _raise_in(thread: threading.Thread) -> bool:
    """Raise _CheckAbandoned inside ``thread`` at its next Python instruction; False if this Python cannot.

    CPython's PyThreadState_SetAsyncExc is the only way to stop a thread from outside.
    """
    import ctypes

    if thread.ident is None:
        return True
    try:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), ctypes.py_object(_CheckAbandoned))
    except AttributeError:  # not CPython: the thread can only be left behind
        return False
    return True

