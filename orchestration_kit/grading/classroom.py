"""A whole class: grade the notebooks in parallel, stop cleanly when asked.

    >>> submissions = collect([Path("class")], lessons, roster=read_roster(Path("roster.csv")))
    >>> grades = grade_class(submissions, GraderCopy.take(), Limits(cell=60), jobs=2, progress=print)

Each of ``jobs`` workers is a thread with its own event loop and at most one
kernel, shut down after its notebook, so memory stays flat however big the
class. Who submitted what is found by ``roster.py`` (``collect``). SIGTERM or
Ctrl-C stops the workers: every kernel is shut down, the notebooks graded so
far keep their grades and the rest are reported as not graded.
"""

from __future__ import annotations

import asyncio
import os
import queue
import signal
import threading
import time
from datetime import datetime
from typing import Any, Callable

from .gradebook import NotebookGrade
from .roster import Submission, collect, lateness, parse_time, read_manifest, read_roster  # noqa: F401 (importable from here too)
from .scoring import GraderCopy
from .submission import ExerciseGrade, Limits, grade_submission

KERNEL_MB = 400  # memory budgeted per kernel: a lesson kernel peaked near 160 MB (benchmarks/README.md, "Grading a class")


def default_jobs() -> int:
    """Workers for this machine: one per core, fewer if the free memory holds fewer kernels."""
    try:
        free_mb = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2**20
    except (ValueError, OSError, AttributeError):
        free_mb = 4 * KERNEL_MB
    return max(1, min(os.cpu_count() or 1, free_mb // (2 * KERNEL_MB)))


def grade_class(submissions: list[Submission], copy: GraderCopy, limits: Limits, *, jobs: int = 1,
                deadline: datetime | None = None, progress: Callable[[int, int, NotebookGrade], None] | None = None,
                on_graded: Callable[[NotebookGrade, Any], None] | None = None) -> tuple[list[NotebookGrade], str]:
    """Grade every submission with ``jobs`` workers: (grades in submission order, the signal that stopped it or "").

    ``on_graded(grade, executed_notebook)`` runs on the worker as each notebook finishes (e.g. to save feedback).
    """
    todo: queue.Queue[tuple[int, Submission]] = queue.Queue()
    for item in enumerate(submissions):
        todo.put(item)
    results: dict[int, NotebookGrade] = {}
    lock, running = threading.Lock(), {}  # worker name -> (its loop, its current task)
    stopped = {"by": ""}

    def finished(index: int, grade: NotebookGrade) -> None:
        with lock:
            results[index] = grade
            if progress:
                progress(len(results), len(submissions), grade)

    async def work() -> None:
        me = threading.current_thread().name
        while not stopped["by"]:
            try:
                index, submission = todo.get_nowait()
            except queue.Empty:
                return
            task = asyncio.ensure_future(_grade_one(submission, copy, limits, deadline))
            with lock:
                running[me] = (asyncio.get_running_loop(), task)
            try:
                grade, notebook = await task
            except asyncio.CancelledError:
                grade, notebook = _not_graded(submission, deadline, f"grading was stopped ({stopped['by'] or 'cancelled'})"), None
            except Exception as error:  # a fault of the grader's on one notebook must not lose the others
                why = f"the grader failed on this notebook: {type(error).__name__}: {error}"
                grade, notebook = _not_graded(submission, deadline, why), None
            finally:
                with lock:
                    running.pop(me, None)
            if on_graded is not None and notebook is not None:
                on_graded(grade, notebook)
            finished(index, grade)

    def stop(signum: int, frame: Any) -> None:
        stopped["by"] = signal.Signals(signum).name
        with lock:
            for loop, task in running.values():
                loop.call_soon_threadsafe(task.cancel)

    workers = [threading.Thread(target=asyncio.run, args=(work(),), name=f"grader-{n}", daemon=True)
               for n in range(max(1, min(jobs, len(submissions))))]
    previous = _install(stop)
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            while worker.is_alive():
                worker.join(0.2)  # short waits, so that this thread runs the signal handler promptly
    finally:
        _restore(previous)
    for index, submission in enumerate(submissions):
        if index not in results:
            results[index] = _not_graded(submission, deadline, f"not graded: stopped by {stopped['by']}")
    return [results[index] for index in range(len(submissions))], stopped["by"]


async def _grade_one(submission: Submission, copy: GraderCopy, limits: Limits, deadline: datetime | None) -> tuple[NotebookGrade, Any]:
    started = time.monotonic()
    if not submission.path.is_file():
        return _not_graded(submission, deadline, f"no such notebook: {submission.path}"), None
    if submission.lesson is None:
        return _not_graded(submission, deadline, "no lesson of the course matches this notebook"), None
    graded = await grade_submission(submission.path, submission.lesson, copy, limits)
    grade = NotebookGrade(str(submission.path), tuple(graded.exercises), tuple(graded.errors),
                          submission.flags + tuple(graded.flags), submission.learner, submission.lesson.filename,
                          lateness(submission.submitted, deadline), time.monotonic() - started)
    return grade, graded.notebook


def _not_graded(submission: Submission, deadline: datetime | None, why: str) -> NotebookGrade:
    answers = submission.lesson.answers if submission.lesson else {}
    exercises = tuple(ExerciseGrade(name, "not run", report=f"{name}: {why}") for name in answers)
    lesson = submission.lesson.filename if submission.lesson else submission.path.name
    return NotebookGrade(str(submission.path), exercises, (why,), submission.flags, submission.learner, lesson,
                         lateness(submission.submitted, deadline))


def _install(handler: Callable[[int, Any], None]) -> dict[int, Any]:
    if threading.current_thread() is not threading.main_thread():
        return {}  # signals can only be handled on the main thread; a caller elsewhere stops us its own way
    return {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}


def _restore(previous: dict[int, Any]) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)
