"""Blocking functions in a Parallel, on the wall clock: do they overlap?

    python benchmarks/blocking_fanout.py     # about 10 s; prints a Markdown table

Each branch is a plain ``def`` that calls ``time.sleep(0.05)`` (a stand-in for
a synchronous SDK call) and measures its own sleep. "wall / slowest" divides
the wall time of the whole call by the longest branch: 1.0 means the branches
fully overlapped, 8.0 (for 8 branches) means they ran one after another.
The goal is wall / slowest <= 1.1 for 8 and 64 branches. With
``max_concurrency=k`` the expected ratio is ceil(n / k).

Every figure is the median of REPEATS runs. Results: benchmarks/README.md,
"Blocking functions in Parallel".
"""

from __future__ import annotations

import asyncio
import math
import os
import platform
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from orchestration_kit import Parallel, arun, run

REPEATS = 7
BRANCH_S = 0.05


def blocking_branches(n: int, slept: list[float]) -> dict[str, Callable[[Any], Any]]:
    def branch(x: Any) -> Any:
        start = time.perf_counter()
        time.sleep(BRANCH_S)
        slept.append(time.perf_counter() - start)
        return x

    return {f"b{i}": branch for i in range(n)}


def measure(call: Callable[[list[float]], Any]) -> tuple[float, float]:
    """Median wall time (s) and median wall / slowest branch over REPEATS runs."""
    walls, ratios = [], []
    for _ in range(REPEATS):
        slept: list[float] = []
        start = time.perf_counter()
        call(slept)
        wall = time.perf_counter() - start
        walls.append(wall)
        ratios.append(wall / max(slept))
    return statistics.median(walls), statistics.median(ratios)


def kit_run(n: int, limit: int | None = None) -> Callable[[list[float]], Any]:
    return lambda slept: run(Parallel(tasks=blocking_branches(n, slept), max_concurrency=limit), "x", clock="wall")


def kit_arun(n: int) -> Callable[[list[float]], Any]:
    async def main(slept: list[float]) -> Any:
        return await arun(Parallel(tasks=blocking_branches(n, slept)), "x", clock="wall")

    return lambda slept: asyncio.run(main(slept))


def bare_threads(n: int) -> Callable[[list[float]], Any]:
    def call(slept: list[float]) -> Any:
        with ThreadPoolExecutor(max_workers=n) as pool:
            return list(pool.map(next(iter(blocking_branches(1, slept).values())), range(n)))

    return call


def main() -> None:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"Machine: Python {platform.python_version()}, {os.cpu_count()} cores, {platform.system()}, "
          f"load average {load:.2f}. Medians of {REPEATS} repeats.\n")
    print("| branches | how | wall (ms) | wall / slowest branch | expected |")
    print("|--:|---|--:|--:|--:|")
    cases = []
    for n in (8, 64):
        cases += [
            (n, f"bare `ThreadPoolExecutor(max_workers={n})`, new threads each run", bare_threads(n), 1),
            (n, 'kit `run(flow, x, clock="wall")`', kit_run(n), 1),
            (n, "kit `await arun(flow, x)`", kit_arun(n), 1),
            (n, 'kit `run()`, `max_concurrency=4`', kit_run(n, 4), math.ceil(n / 4)),
        ]
    for n, how, call, expected in cases:
        wall, ratio = measure(call)
        print(f"| {n} | {how} | {wall * 1000:.1f} | {ratio:.3f} | {expected} |")


if __name__ == "__main__":
    main()
