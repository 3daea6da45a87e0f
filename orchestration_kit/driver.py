"""The driver: a fresh event loop for a run, on the calling thread, also inside Jupyter.

``run()`` and ``evaluate()`` both come here. With no event loop running on the
calling thread (a script, a test), the run's loop simply runs there. Inside
Jupyter the kernel's loop is already running, and asyncio refuses to start a
second loop on that thread ("Cannot run the event loop while another loop is
running"). Yet the kernel's loop is paused anyway: it is in the middle of
running the cell, and the cell is waiting for ``run()`` to return. So the
driver steps the kernel's loop aside for the length of the run (asyncio's
``_set_running_loop``), runs the run's own loop on the same thread, and puts
the kernel's loop back::

    >>> drive(VirtualClock(), lambda: flow(x, ctx))        # what run() does, roughly

Why not a worker thread, as ``arun()`` on the virtual clock uses: handing the
run to another thread and back costs two thread wake-ups (about 85 µs, a third
of a small run in a cell), and a step would run on a thread other than the
cell's. On the same thread, Ctrl-C reaches the flow's own code, even a busy
``while True`` without ``await``.

Each run starts in a clean ``contextvars`` context (nothing of the caller's,
so a run inside a step is a run of its own), as ``asyncio.run()`` would give.

Stopping. Every run in progress is a ``LiveRun``, which any thread may cancel:

- Ctrl-C stops the flow where it is; if it lands inside asyncio's own loop
  code, where an exception could lose a task's wake-up, it cancels the run
  instead, which then ends with KeyboardInterrupt (see ``_on_ctrl_c``).
- Ctrl-C (or any exception) while the run runs cancels its tasks and lets them
  finish (up to GRACE_S of the loop's own time) before the interrupt goes on: a
  wall-clock flow makes no more model calls, an endless virtual flow stops.
- ``cancel_runs(thread)`` cancels every run started from ``thread``, nested
  runs included (e.g. a grader stopping a learner's flow after a time-out).

A step stuck in plain blocking code (``time.sleep``, a busy ``while True``
without ``await``) cannot be cancelled from another thread: it stops at its
next ``await`` (Ctrl-C on its own thread does stop it).
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import selectors
import signal
import threading
from typing import Any, Callable, Coroutine, TypeVar

from . import clock as _clock_module
from .clock import Clock
from .workers import origin

T = TypeVar("T")
GRACE_S = 5.0  # after an interrupt, how long a run's tasks get to wind down (in the loop's time: virtual or wall)

_live_lock = threading.Lock()
_live: set[LiveRun] = set()


class LiveRun:
    """A run (or a driven loop) in progress: its loop and main task, so any thread can cancel it."""

    def __init__(self, started_from: int | None = None) -> None:
        self.origin = started_from or origin()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.task: asyncio.Task[Any] | None = None
        self.ctx: Any = None
        self.stuck_message = ""
        self._lock = threading.Lock()
        self._cancel_asked = False

    def started(self, ctx: Any = None) -> None:
        """Called by the run's own task as it starts: from now on it can be cancelled."""
        with self._lock:
            self.loop, self.task, self.ctx = asyncio.get_running_loop(), asyncio.current_task(), ctx
            cancel_now = self._cancel_asked
        with _live_lock:
            _live.add(self)
        if ctx is not None and hasattr(self.loop, "runs"):
            self.loop.runs.add(self)  # the virtual loop tells its runs when they can never finish
        if cancel_now and self.task is not None:
            self.task.cancel()

    def ended(self) -> None:
        with _live_lock:
            _live.discard(self)
        if self.loop is not None and hasattr(self.loop, "runs"):
            self.loop.runs.discard(self)

    def cancel(self) -> None:
        """Cancel the run from any thread: its tasks are cancelled and it ends with CancelledError."""
        with self._lock:
            self._cancel_asked = True
            loop, task = self.loop, self.task
        if loop is not None and task is not None:
            try:
                loop.call_soon_threadsafe(task.cancel)
            except RuntimeError:  # the loop closed meanwhile: the run is over already
                pass

    def stop_stuck(self) -> bool:
        """The virtual loop found that nothing can ever wake this run: cancel it, to end as Deadlock.

        False if it was told once already (it is still stuck while being cancelled).
        """
        if self.stuck_message or self.task is None:
            return False
        waiting = self.ctx.waiting() if self.ctx is not None else "the flow"
        now = f"{self.ctx.now():g} s" if self.ctx is not None else "this point"
        self.stuck_message = (
            f"the run can never finish: at t = {now} every task waits and nothing can wake one "
            f"(no timer left, no thread at work). Still waiting: {waiting}. Look for asyncio.sleep(math.inf), "
            "a model with latency_s=inf, or an Event, Queue or Future that nobody sets")
        self.task.cancel()
        return True

    def __repr__(self) -> str:
        return f"LiveRun(from thread {self.origin}, {'running' if self.task and not self.task.done() else 'idle'})"


def cancel_runs(thread: threading.Thread | int | None = None) -> int:
    """Cancel every run in progress that was started from ``thread`` (default: this one); how many.

    Thread-safe. Runs nested inside them (a ``run()`` inside a step) count as
    started from the same thread. Each cancelled run ends with CancelledError.

    >>> cancel_runs(checker_thread)      # e.g. after a time-out verdict
    1
    """
    ident = thread.ident if isinstance(thread, threading.Thread) else thread or threading.get_ident()
    with _live_lock:
        chosen = [run for run in _live if run.origin == ident]
    for run in chosen:
        run.cancel()
    return len(chosen)


def live_runs() -> list[LiveRun]:
    """The runs in progress right now, in every thread."""
    with _live_lock:
        return list(_live)


def drive(clock: Clock, main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run ``main()`` to the end on a fresh loop of ``clock``, closed afterwards; works inside Jupyter."""
    job = LiveRun()
    paused = asyncio._get_running_loop()  # Jupyter's loop, say: it waits for this call to return anyway
    if paused is not None:
        asyncio._set_running_loop(None)  # step it aside, so that asyncio lets another loop run here
    watching = _watch_ctrl_c(job)
    try:
        result = contextvars.Context().run(on_a_fresh_loop, clock, main, job)
    except asyncio.CancelledError:
        if job in _interrupted:
            raise KeyboardInterrupt from None  # Ctrl-C stopped the run: the caller sees Ctrl-C
        raise
    finally:
        if watching:
            _unwatch_ctrl_c(job)
        if paused is not None:
            asyncio._set_running_loop(paused)
    if job in _interrupted:
        raise KeyboardInterrupt
    return result


# -- Ctrl-C while a run runs on the main thread ---------------------------------------------------
# Python raises KeyboardInterrupt wherever the main thread is. In the flow's own code (even a busy
# loop) that is what we want. Inside asyncio's loop it is not: between taking a task's wake-up from
# its queue and running it, the wake-up would be lost and the task could never end. So while a run
# runs, Ctrl-C inside the loop's own code cancels the run instead (as asyncio.run() does), and the
# run then ends with KeyboardInterrupt.
_LOOP_CODE = (os.path.dirname(asyncio.__file__), selectors.__file__, _clock_module.__file__)
_watched: list[LiveRun] = []  # the runs on the main thread, innermost last
_interrupted: set[LiveRun] = set()  # of those, the ones Ctrl-C cancelled


def _watch_ctrl_c(job: LiveRun) -> bool:
    if threading.current_thread() is not threading.main_thread():
        return False  # signals only reach the main thread
    if not _watched:
        if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
            return False  # someone else handles Ctrl-C here: leave it to them
        signal.signal(signal.SIGINT, _on_ctrl_c)
    _watched.append(job)
    return True


def _unwatch_ctrl_c(job: LiveRun) -> None:
    _watched.remove(job)
    _interrupted.discard(job)
    if not _watched:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _on_ctrl_c(signum: int, frame: Any) -> None:
    job = _watched[-1] if _watched else None
    where = frame.f_code.co_filename if frame is not None else ""
    if job is None or job.loop is None or job.task is None or not where.startswith(_LOOP_CODE):
        raise KeyboardInterrupt  # in the flow's own code: stop right here
    _interrupted.add(job)
    job.loop.call_soon_threadsafe(job.task.cancel)  # inside the loop: cancel the run, safely


async def _main_task(main: Callable[[], Coroutine[Any, Any, T]], job: LiveRun) -> T:
    job.started()
    try:
        return await main()
    finally:
        job.ended()


def on_a_fresh_loop(clock: Clock, main: Callable[[], Coroutine[Any, Any, T]], job: LiveRun) -> T:
    """``main()`` on a new loop of ``clock``, on this thread; the loop is closed afterwards."""
    loop = clock.new_loop()
    try:
        return loop.run_until_complete(_main_task(main, job))
    finally:
        try:
            _cancel_all_tasks(loop)  # a run stopped from outside (an interrupt) leaves no task half-run
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            executor = getattr(loop, "_default_executor", None)  # asyncio keeps to_thread's pool here
            if executor is not None:
                executor.shutdown(wait=False, cancel_futures=True)  # never wait on a thread stuck in blocking code
            loop.close()


def _cancel_all_tasks(loop: asyncio.AbstractEventLoop) -> None:
    """What asyncio.run() does on its way out: cancel what is still running and let it finish.

    A task that ignores its cancellation gets GRACE_S (of the loop's time), then is left.
    """
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        try:
            loop.run_until_complete(asyncio.wait(pending, timeout=GRACE_S))
        except RuntimeError:  # e.g. a task that ignores cancellation and waits for ever (Deadlock)
            pass
