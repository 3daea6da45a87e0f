"""Grading a class: memory over many notebooks, and a whole synthetic class on this machine.

    python benchmarks/grading.py memory --notebooks 100     # one worker, the same correct notebook 100 times
    python benchmarks/grading.py class --learners 30        # 30 learners x every lesson, every kind of submission
    python benchmarks/grading.py detection                  # how fast a dead or hung kernel is noticed

``memory`` samples the resident memory of the grader and of every kernel it
has running after each notebook: with one kernel per worker, shut down after
its notebook, the figures must stay flat. ``class`` builds a synthetic class
with grading/synthetic.py (correct, wrong, blank, raising, endless loop,
sleeping answer, deleted check cell, renamed file, redefined check,
os._exit, in turn), grades it through the same code as ``orchestration-kit
check`` and prints the wall time, the peak memory (grader + kernels, sampled
every 0.5 s) and what each kind of submission got. Needs psutil.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import psutil

from orchestration_kit.grading.answers import load_lessons
from orchestration_kit.grading.classroom import collect, grade_class
from orchestration_kit.grading.scoring import GraderCopy
from orchestration_kit.grading.submission import Limits
from orchestration_kit.grading.synthetic import make_class, make_submission

ROOT = Path(__file__).resolve().parents[1]
MB = 2**20


def memory_now() -> tuple[float, float, int]:
    """(grader RSS in MB, RSS of its kernels in MB, how many kernels)."""
    me = psutil.Process()
    kernels = []
    for child in me.children(recursive=True):
        try:
            if "ipykernel" in " ".join(child.cmdline()) and child.status() != psutil.STATUS_ZOMBIE:
                kernels.append(child)
        except psutil.Error:  # it ended (or is ending) between listing and looking
            pass
    rss = 0.0
    for kernel in kernels:
        try:
            rss += kernel.memory_info().rss
        except psutil.Error:  # it ended between listing and measuring
            pass
    return me.memory_info().rss / MB, rss / MB, len(kernels)


def memory(notebooks: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        master = ROOT / "solutions" / "00_start_here.ipynb"
        paths = [make_submission("correct", master, Path(folder) / f"learner{n:03d}", ROOT) for n in range(notebooks)]
        samples = []

        def progress(done: int, total: int, grade: object) -> None:
            samples.append((done, *memory_now()))

        started = time.perf_counter()
        grades, _ = grade_class(collect(paths, load_lessons(ROOT / "solutions")), GraderCopy.take(), Limits(), jobs=1,
                                progress=progress)
        wall = time.perf_counter() - started
    print(f"{notebooks} notebooks, 1 worker, {wall:.0f} s, {sum(g.passed for g in grades)} of {3 * notebooks} passed\n")
    print("| after notebook | grader RSS (MB) | kernels alive | kernels' RSS (MB) |\n|--:|--:|--:|--:|")
    for done, grader, kernel_rss, kernels in samples:
        if done in (1, 2, 5, 10, 25, 50, 75, notebooks) or done % 100 == 0:
            print(f"| {done} | {grader:.0f} | {kernels} | {kernel_rss:.0f} |")


def whole_class(learners: int, jobs: int, timeout: float, time_limit: float) -> None:
    with tempfile.TemporaryDirectory() as folder:
        kinds = make_class(Path(folder) / "class", learners=learners, root=ROOT)
        submissions = collect([Path(folder) / "class"], load_lessons(ROOT / "solutions"))
        peak = {"total": 0.0, "kernels": 0}
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.5):
                grader, kernel_rss, kernels = memory_now()
                peak["total"] = max(peak["total"], grader + kernel_rss)
                peak["kernels"] = max(peak["kernels"], kernels)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.perf_counter()
        grades, _ = grade_class(submissions, GraderCopy.take(), Limits(cell=timeout, case=time_limit), jobs=jobs)
        wall = time.perf_counter() - started
        done.set()
        sampler.join()
    print(f"{learners} learners x {len(grades) // learners} lessons = {len(grades)} notebooks, {jobs} workers, "
          f"--timeout {timeout:g} --time-limit {time_limit:g} on {os.cpu_count()} cores ({platform.python_version()})\n")
    print(f"wall time {wall:.0f} s ({wall / len(grades):.1f} s per notebook); peak memory, grader + kernels: "
          f"{peak['total']:.0f} MB; at most {peak['kernels']} kernels alive at once\n")
    outcome: dict[str, Counter[str]] = defaultdict(Counter)
    seconds: dict[str, list[float]] = defaultdict(list)
    for grade in grades:
        kind = kinds[grade.learner]
        outcome[kind].update(e.status for e in grade.exercises)
        outcome[kind].update("flagged" for _ in grade.flags[:1])
        seconds[kind].append(grade.seconds)
    print("| submission | exercises passed | failed | unsolved | not run | notebooks flagged | mean s per notebook |")
    print("|---|--:|--:|--:|--:|--:|--:|")
    for kind in dict.fromkeys(kinds.values()):
        c = outcome[kind]
        print(f"| {kind} | {c['passed']} | {c['failed']} | {c['unsolved']} | {c['not run']} | {c['flagged']} | "
              f"{sum(seconds[kind]) / len(seconds[kind]):.1f} |")


def detection(trials: int) -> None:
    """How long a cell takes to come back when its kernel dies (os._exit) or must be interrupted (while True)."""
    import asyncio

    import nbformat

    from orchestration_kit.grading.kernel import Kernel

    async def once(source: str, timeout: float) -> tuple[str, float]:
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
        kernel = await Kernel.start(notebook, cwd=Path.cwd(), env=dict(os.environ))
        try:
            started = time.perf_counter()
            ran = await kernel.run_cell(notebook.cells[0], 0, timeout)
            return ran.outcome, time.perf_counter() - started
        finally:
            await kernel.shutdown()

    cases = {"os._exit(1)": ("import os\nos._exit(1)", 60.0), "while True: pass, 2 s timeout": ("while True:\n    pass", 2.0),
             "SIGINT ignored, 2 s timeout": ("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass", 2.0)}
    print("| cell | outcome | seconds until the cell came back (median of %d) |\n|---|---|--:|" % trials)
    for label, (source, timeout) in cases.items():
        runs = [asyncio.run(once(source, timeout)) for _ in range(trials)]
        seconds = sorted(s for _, s in runs)[len(runs) // 2]
        print(f"| `{label}` | {runs[0][0]} | {seconds:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="what", required=True)
    one = commands.add_parser("memory", help="memory over many notebooks, one worker")
    one.add_argument("--notebooks", type=int, default=100)
    many = commands.add_parser("class", help="a whole synthetic class")
    many.add_argument("--learners", type=int, default=30)
    many.add_argument("--jobs", type=int, default=2)
    many.add_argument("--timeout", type=float, default=20, help="seconds per cell")
    many.add_argument("--time-limit", type=float, default=5, help="seconds per case of a check")
    dead = commands.add_parser("detection", help="how fast a dead or hung kernel is noticed")
    dead.add_argument("--trials", type=int, default=5)
    args = parser.parse_args()
    if args.what == "memory":
        memory(args.notebooks)
    elif args.what == "detection":
        detection(args.trials)
    else:
        whole_class(args.learners, args.jobs, args.timeout, args.time_limit)


if __name__ == "__main__":
    main()
