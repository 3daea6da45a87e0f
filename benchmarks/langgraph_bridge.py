"""The LangGraph bridge, measured: per-step overhead and one lesson flow, the kit against LangGraph, side by side.

    pip install "orchestration-kit[frameworks]"
    python benchmarks/langgraph_bridge.py      # about half a minute; prints a Markdown table

1. A chain of 10 no-op steps: ``Sequential`` against a ``StateGraph`` of 10 nodes
   (both awaited inside a running loop: ``arun`` / ``ainvoke``), in µs per step.
2. Lesson 9's real-time path on one case (router, two parallel checks, a rule):
   the kit's patterns against the same graph (``bridges/langgraph_flow.py``),
   both inside the kit's ``run`` on the virtual clock, in ms of wall time per case.
3. Import time of each (a fresh interpreter per import).

Every figure is the median of REPEATS timed with time.perf_counter. Results: benchmarks/README.md.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import time
from typing import TypedDict

from orchestration_kit import Sequential, arun, datasets, run
from orchestration_kit.bridges.langgraph_flow import GraphStep, kit_real_time, real_time_graph
from orchestration_kit.course.hospital import Hospital

REPEATS, STEPS, ROUNDS = 7, 10, 200


class Count(TypedDict):
    n: int


def _bump(state: Count) -> dict[str, int]:
    return {"n": state["n"] + 1}


def _median(seconds: list[float]) -> float:
    return statistics.median(seconds)


def chain_overhead() -> tuple[float, float]:
    """µs per no-op step: the kit's Sequential, then LangGraph's StateGraph (each awaited in a running loop)."""
    from langgraph.graph import END, START, StateGraph

    kit = Sequential(stages=[lambda n: n + 1 for _ in range(STEPS)])
    builder = StateGraph(Count)
    for i in range(STEPS):
        builder.add_node(f"s{i}", _bump)
        builder.add_edge(START if i == 0 else f"s{i - 1}", f"s{i}")
    builder.add_edge(f"s{STEPS - 1}", END)
    graph = builder.compile()

    async def kit_rounds() -> None:
        for _ in range(ROUNDS):
            await arun(kit, 0)

    async def graph_rounds() -> None:
        for _ in range(ROUNDS):
            await graph.ainvoke({"n": 0})

    timings = []
    for rounds in (kit_rounds, graph_rounds):
        asyncio.run(rounds())  # warm up
        times = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            asyncio.run(rounds())
            times.append(time.perf_counter() - started)
        timings.append(_median(times) / ROUNDS / STEPS * 1e6)
    return timings[0], timings[1]


def lesson_flow() -> tuple[float, float]:
    """ms of wall time per case for lesson 9's real-time path: the kit's patterns, then the LangGraph graph."""
    hospital, cases = Hospital(), list(datasets.healthcare_cases().text)
    timings = []
    for flow in (kit_real_time(hospital), GraphStep(real_time_graph(hospital))):
        run(flow, cases[0])
        times = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            for text in cases:
                run(flow, text)
            times.append(time.perf_counter() - started)
        timings.append(_median(times) / len(cases) * 1e3)
    return timings[0], timings[1]


def import_time(module: str) -> float:
    """Seconds to import ``module`` in a fresh interpreter (median of 3)."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    return _median([float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
                    for _ in range(3)])


def main() -> None:
    kit_step, graph_step = chain_overhead()
    kit_case, graph_case = lesson_flow()
    kit_import, graph_import = import_time("orchestration_kit"), import_time("langgraph.graph")
    print("| measure | the kit | LangGraph | ratio |")
    print("|---|---|---|---|")
    print(f"| no-op step in a {STEPS}-step chain (µs per step) | {kit_step:.1f} | {graph_step:.1f} | {graph_step / kit_step:.1f}× |")
    print(f"| lesson 9 real-time path (ms per case, virtual clock) | {kit_case:.2f} | {graph_case:.2f} | {graph_case / kit_case:.1f}× |")
    print(f"| import (s) | {kit_import:.2f} | {graph_import:.2f} | {graph_import / kit_import:.1f}× |")


if __name__ == "__main__":
    main()
