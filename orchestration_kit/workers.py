"""The kit's worker threads: where ``await arun()`` on the virtual clock runs its loop.

A virtual run is a private event loop that runs as fast as the CPU allows. An
``await arun(flow, x)`` must not stop the caller's loop for that long (other
tasks there go on while it awaits), so the run's loop goes to a worker thread
and the caller awaits its result. Workers are kept and reused, because starting
a thread per call costs more than a small run; several ``arun()`` calls at once
need more than one, so up to ``MAX_IDLE_WORKERS`` stay idle. (``run()`` needs
no worker: it blocks its caller anyway, so it runs its loop on the calling
thread; see driver.py.)

    >>> on_a_worker(lambda: 6 * 7, started_from=origin()).result()
    42
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import queue
import threading
from typing import Any, Callable, TypeVar

T = TypeVar("T")
MAX_IDLE_WORKERS = 2  # worker threads kept for reuse (concurrent arun() calls need more than one)

_local = threading.local()  # .origin: on a worker, the thread whose run it is driving


def origin() -> int:
    """The thread a run started here belongs to: this one, or the one a worker drives for."""
    return getattr(_local, "origin", None) or threading.get_ident()


def on_a_worker(work: Callable[[], T], started_from: int) -> concurrent.futures.Future[T]:
    """``work()`` on an idle worker thread (one is started if none is idle)."""
    with _idle_lock:
        worker = _idle.pop() if _idle else _Worker()
    return worker.submit(work, started_from)


class _Worker:
    """A thread that drives one loop at a time, then waits for the next job."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._serve, name="orchestration-kit-run", daemon=True)
        self.thread.start()

    def submit(self, work: Callable[[], T], started_from: int) -> concurrent.futures.Future[T]:
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._jobs.put((work, started_from, future))
        return future

    def _serve(self) -> None:
        while True:
            work, started_from, future = self._jobs.get()
            if work is None:
                return
            _local.origin = started_from
            try:
                result = contextvars.Context().run(work)  # a clean context: nothing of the last job's
            except BaseException as error:
                _release(self)
                future.set_exception(error)
            else:
                _release(self)
                future.set_result(result)
            finally:
                _local.origin = None


_idle_lock = threading.Lock()
_idle: list[_Worker] = []


def _release(worker: _Worker) -> None:
    with _idle_lock:
        if len(_idle) < MAX_IDLE_WORKERS:
            _idle.append(worker)
            return
    worker._jobs.put((None, None, None))  # enough idle workers: this one ends
