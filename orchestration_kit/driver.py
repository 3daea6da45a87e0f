"""The driver: a fresh event loop for a run, on this thread or on a reused worker thread.

``run()`` and ``evaluate()`` both come here. With no event loop running on the
calling thread (a script, a test), the loop runs right here. Inside Jupyter a
loop is already running, where ``asyncio.run()`` fails with "event loop is
already running"; then the loop runs on one of the kit's worker threads, which
are kept and reused (``workers.py``), and the calling thread waits for it::

    >>> drive(VirtualClock(), lambda: flow(x, ctx))        # what run() does, roughly

Stopping. Every run in progress is a ``LiveRun``, which any thread may cancel:

- Ctrl-C (or any exception) in the waiting thread cancels the run's tasks and
  closes its loop before the interrupt goes on: a wall-clock flow makes no
  more model calls, an endless virtual flow stops using the CPU.
- ``cancel_runs(thread)`` cancels every run started from ``thread``, nested
  runs included (e.g. a grader stopping a learner's flow after a time-out).

A step stuck in plain blocking code (``time.sleep``, a busy ``while True``
without ``await``) cannot be cancelled: it stops at its next ``await``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from typing import Any, Callable, Coroutine, TypeVar

from .clock import Clock
from .workers import on_a_worker, origin

T = TypeVar("T")
GRACE_S = 5.0  # after an interrupt, how long the waiting thread waits for the run to wind down

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
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return on_a_fresh_loop(clock, main, job)
    return wait_for(on_a_worker(lambda: on_a_fresh_loop(clock, main, job), job.origin), job)


def wait_for(future: concurrent.futures.Future[T], job: LiveRun) -> T:
    """The worker's result; an interrupt while waiting cancels ``job`` first (up to GRACE_S), then goes on."""
    try:
        while not future.done():  # waits of a quarter second: a pending interrupt is seen between two of them
            concurrent.futures.wait([future], timeout=0.25)
        return future.result()
    except BaseException:
        if not future.done():  # interrupted while waiting (Ctrl-C, a grader's stop): the run must stop too
            job.cancel()
            try:
                future.result(timeout=GRACE_S)
            except BaseException:
                pass
        raise


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
    """What asyncio.run() does on its way out: cancel what is still running and let it finish."""
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        try:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        except RuntimeError:  # e.g. a task that ignores cancellation and waits for ever (Deadlock)
            pass
