"""What does orchestration cost? Wall-clock benchmarks of the kit against bare asyncio.

    python benchmarks/overhead.py          # about half a minute; prints Markdown tables

1. Overhead: a 10-stage Sequential, an 8-branch Parallel and a 4-way Router of
   no-op steps, against bare asyncio doing the same work.
2. Fan-out: a Parallel of 8 and 64 branches that each sleep 50 ms; its wall time
   over the slowest branch, through run() and arun().
3. Virtual clock: how much real time a simulated run costs.
4. Import time of the package.

Every figure is the median of several repeats timed with time.perf_counter.
Results and their discussion: benchmarks/README.md.
"""

from __future__ import annotations

import asyncio
import gc
import os
import platform
import statistics
import subprocess
import sys
import time
from typing import Any, Awaitable, Callable

from orchestration_kit import Ask, Parallel, Router, Sequential, SimulatedModel, arun, run

REPEATS = 7  # each figure is the median of this many repeats
REPEAT_S = 0.05  # make each repeat last at least this long, so the timer's resolution does not matter
BRANCH_S = 0.05  # the fan-out branches sleep 50 ms


# -- timing helpers ------------------------------------------------------------------------------
def median_time(call: Callable[[], Any]) -> float:
    """Median seconds per call of ``call()``, over REPEATS batches of enough calls."""

    def batch(number: int) -> float:
        start = time.perf_counter()
        for _ in range(number):
            call()
        return time.perf_counter() - start

    number = 1
    while batch(number) < REPEAT_S:  # as timeit's autorange: grow the batch until it is long enough
        number *= 2
    gc.collect()
    return statistics.median([batch(number) / number for _ in range(REPEATS)])


async def amedian_time(call: Callable[[], Awaitable[Any]]) -> float:
    """Like median_time, for a coroutine function, awaited inside the running loop."""

    async def batch(number: int) -> float:
        start = time.perf_counter()
        for _ in range(number):
            await call()
        return time.perf_counter() - start

    number = 1
    while await batch(number) < REPEAT_S:  # as timeit's autorange: grow the batch until it is long enough
        number *= 2
    gc.collect()
    return statistics.median([await batch(number) / number for _ in range(REPEATS)])


def us(seconds: float) -> str:
    return f"{seconds * 1e6:,.1f}"


# -- 1. overhead of the patterns against bare asyncio --------------------------------------------
async def noop(x: Any) -> Any:
    return x


def analyzer(x: Any) -> str:
    return "billing"


ROUTES = {"billing": noop, "technical": noop, "shipping": noop, "general": noop}


async def bare_sequential(x: Any) -> Any:
    for _ in range(10):
        x = await noop(x)
    return x


async def bare_parallel(x: Any) -> Any:
    return await asyncio.gather(*(noop(x) for _ in range(8)))


async def bare_router(x: Any) -> Any:
    return await ROUTES[analyzer(x)](x)


# (name, the kit's flow, bare asyncio doing the same, steps that run: for a router, analyzer + handler)
OVERHEAD_CASES = [
    ("a single no-op function (a run's fixed cost)", noop, noop, 1),
    ("10-stage Sequential", Sequential(stages=[noop] * 10), bare_sequential, 10),
    ("8-branch Parallel", Parallel(tasks={f"task{i}": noop for i in range(8)}), bare_parallel, 8),
    ("4-way Router", Router(analyzer, routes=ROUTES), bare_router, 2),
]


async def as_notebook_cell(flow: Any) -> Any:
    """Call run() while an event loop is running, as a Jupyter cell does (run() then uses a private thread)."""
    return run(flow, "x")


def overhead_row(name: str, flow: Any, bare: Callable[[Any], Awaitable[Any]], steps: int) -> str:
    async def in_a_running_loop() -> tuple[float, float]:
        return await amedian_time(lambda: bare("x")), await amedian_time(lambda: arun(flow, "x", clock="wall"))

    bare_s, arun_s = asyncio.run(in_a_running_loop())
    run_wall = median_time(lambda: run(flow, "x", clock="wall"))
    run_virtual = median_time(lambda: run(flow, "x"))
    run_in_notebook = asyncio.run(amedian_time(lambda: as_notebook_cell(flow)))
    per_step = (arun_s - bare_s) / steps
    return (
        f"| {name} | {us(bare_s)} | {us(arun_s)} | {us(run_wall)} | {us(run_virtual)} | {us(run_in_notebook)} "
        f"| {arun_s / bare_s:,.0f}× | {us(per_step)} |"
    )


def overhead_table() -> str:
    rows = [
        "| flow | bare asyncio (µs) | `await arun(clock=\"wall\")` (µs) | `run()` wall (µs) | `run()` virtual (µs) "
        "| `run()` in a notebook cell (µs) | `arun()` / bare | overhead per step (µs) |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    rows += [overhead_row(*case) for case in OVERHEAD_CASES]
    return "\n".join(rows)


# -- 2. fan-out: is a Parallel as fast as its slowest branch? ------------------------------------
slept: list[float] = []  # how long each branch really slept, measured by the branch itself


async def nap(x: Any) -> Any:
    start = time.perf_counter()
    await asyncio.sleep(BRANCH_S)
    slept.append(time.perf_counter() - start)
    return x


def blocking_nap(x: Any) -> Any:
    start = time.perf_counter()
    time.sleep(BRANCH_S)  # a synchronous function that blocks, e.g. a call through a sync HTTP client
    slept.append(time.perf_counter() - start)
    return x


def fan_out(call: Callable[[], Any], repeats: int = REPEATS) -> tuple[float, float, float]:
    """Median wall time (s), wall / 50 ms, and wall / the slowest branch's own measured time."""
    call()  # warm up
    walls, ratios = [], []
    for _ in range(repeats):
        slept.clear()
        start = time.perf_counter()
        call()
        walls.append(time.perf_counter() - start)
        ratios.append(walls[-1] / max(slept))
    return statistics.median(walls), statistics.median(walls) / BRANCH_S, statistics.median(ratios)


async def afan_out(call: Callable[[], Awaitable[Any]]) -> tuple[float, float, float]:
    """Like fan_out, for a coroutine function awaited inside the running loop."""
    await call()  # warm up
    walls, ratios = [], []
    for _ in range(REPEATS):
        slept.clear()
        start = time.perf_counter()
        await call()
        walls.append(time.perf_counter() - start)
        ratios.append(walls[-1] / max(slept))
    return statistics.median(walls), statistics.median(walls) / BRANCH_S, statistics.median(ratios)


def fan_out_rows(n: int) -> list[tuple[str, tuple[float, float, float]]]:
    """The four ways to fan out to ``n`` branches: bare asyncio and the kit, with and without a running loop."""
    flow = Parallel(tasks={f"task{i}": nap for i in range(n)})

    async def gather() -> Any:
        return await asyncio.gather(*(nap(i) for i in range(n)))

    async def in_a_running_loop() -> tuple[tuple[float, float, float], ...]:
        return await afan_out(gather), await afan_out(lambda: arun(flow, "x", clock="wall"))

    bare_run = fan_out(lambda: asyncio.run(gather()))
    kit_run = fan_out(lambda: run(flow, "x", clock="wall"))
    bare_await, kit_arun = asyncio.run(in_a_running_loop())
    return [
        ("bare `asyncio.run(gather(...))`", bare_run),
        ('kit `run(flow, x, clock="wall")`', kit_run),
        ("bare `await gather(...)` in a running loop", bare_await),
        ("kit `await arun(flow, x, clock=\"wall\")` in a running loop", kit_arun),
    ]


def fan_out_table() -> str:
    rows = [
        "| branches | how | wall (ms) | wall / 50 ms | wall / slowest branch |",
        "|--:|---|--:|--:|--:|",
    ]

    def add(n: int, how: str, figures: tuple[float, float, float]) -> None:
        wall, over_nominal, over_slowest = figures
        rows.append(f"| {n} | {how} | {wall * 1e3:.1f} | {over_nominal:.3f} | {over_slowest:.3f} |")

    for n in (8, 64):
        for how, figures in fan_out_rows(n):
            add(n, how, figures)
    blocking = Parallel(tasks={f"task{i}": blocking_nap for i in range(8)})
    add(8, "kit `run()`, branches that block in `time.sleep`", fan_out(lambda: run(blocking, "x", clock="wall"), repeats=3))
    return "\n".join(rows)


# -- 3. the virtual clock: simulated time for (almost) no real time ------------------------------
async def one_second(x: Any) -> Any:
    await asyncio.sleep(1.0)  # a simulated second: free on the virtual clock
    return x


def virtual_table() -> str:
    model = SimulatedModel("generalist-small")
    cases = [
        ("64-branch Parallel of 1 s sleeps", Parallel(tasks={f"task{i}": one_second for i in range(64)})),
        ("1000-branch Parallel of 1 s sleeps", Parallel(tasks={f"task{i}": one_second for i in range(1000)})),
        ("64 branches of 1 s, `max_concurrency=8`", Parallel(tasks={f"task{i}": one_second for i in range(64)}, max_concurrency=8)),
        ("10-stage Sequential of 1 s sleeps", Sequential(stages=[one_second] * 10)),
        ("64-branch Parallel of simulated model calls", Parallel(tasks={f"part{i}": Ask(model, f"Summarise part {i}: {{input}}") for i in range(64)})),
    ]
    rows = ["| flow | simulated time (s) | wall time (ms) | simulated s per wall s |", "|---|--:|--:|--:|"]
    for name, flow in cases:
        simulated = run(flow, "a memo about a late refund").trace.latency
        wall = median_time(lambda: run(flow, "a memo about a late refund"))
        rows.append(f"| {name} | {simulated:g} | {wall * 1e3:.2f} | {simulated / wall:,.0f} |")
    return "\n".join(rows)


# -- 4. import time -------------------------------------------------------------------------------
IMPORT_PROBE = """
import sys, time
start = time.perf_counter()
import {module}
took = time.perf_counter() - start
heavy = [m for m in ("pandas", "matplotlib", "numpy", "httpx") if m in sys.modules]
print(took, ",".join(heavy) or "none")
"""


def import_time(module: str) -> tuple[float, str]:
    """Median seconds to import ``module`` in a fresh interpreter, and which heavy libraries it pulled in."""
    times, heavy = [], ""
    for _ in range(REPEATS):
        out = subprocess.run(
            [sys.executable, "-c", IMPORT_PROBE.format(module=module)], capture_output=True, text=True, check=True
        ).stdout.split()
        times.append(float(out[0]))
        heavy = out[1]
    return statistics.median(times), heavy


def import_table() -> str:
    rows = ["| import | time (ms) | heavy libraries loaded |", "|---|--:|---|"]
    for module in ("asyncio", "orchestration_kit"):
        took, heavy = import_time(module)
        rows.append(f"| `import {module}` | {took * 1e3:.1f} | {heavy} |")
    return "\n".join(rows)


# -- report ---------------------------------------------------------------------------------------
def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = f", load average {os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else ""  # other work skews timings
    return f"Python {platform.python_version()}, {os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}{load}"


def main() -> None:
    started = time.perf_counter()
    print(f"Machine: {machine()}. Medians of {REPEATS} repeats.\n")
    print("### 1. Orchestration overhead of no-op flows, wall clock\n")
    print(overhead_table() + "\n")
    print("### 2. Parallel fan-out of 50 ms sleeps, wall clock\n")
    print(fan_out_table() + "\n")
    print("### 3. Virtual clock: real time spent on simulated time\n")
    print(virtual_table() + "\n")
    print("### 4. Import time (fresh interpreter)\n")
    print(import_table() + "\n")
    print(f"(benchmark took {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
