"""The run-time core, measured: run() in a notebook cell, evaluate()'s speed and memory.

    python benchmarks/runtime.py            # about a minute; prints Markdown tables
    python benchmarks/runtime.py --quick    # smaller sizes, for a first look

1. ``run()`` while an event loop is running (every Jupyter cell): a no-op
   10-stage Sequential, against ``await arun()`` of the same flow.
2. The healthcare decision-support system of lesson 6 (a Hierarchical over two
   Routers of Parallels with a validated synthesis, as built in
   notebooks/06_healthcare.ipynb), evaluated on the virtual clock: simulated
   model calls per wall second.
3. ``evaluate()`` of instant items on the wall clock (8 at a time).
4. ``evaluate()``'s memory at 10k, 50k and 100k items, each size in a fresh
   interpreter: peak RSS above the interpreter's baseline, then (tracemalloc) the
   bytes allocated at the peak and those the result keeps, per item.

Results and discussion: benchmarks/README.md, "Run-time core (runner, evaluate)".
"""

from __future__ import annotations

import asyncio
import gc
import json
import re
import statistics
import subprocess
import sys
import time
from typing import Any

import pandas as pd

from orchestration_kit import (Ask, Decision, Hierarchical, HumanReview, Parallel, RetryPolicy, Router, Sequential,
                               SimulatedModel, Stage, arun, datasets, run)
from orchestration_kit.measure.evaluate import evaluate
from orchestration_kit.models.skills import parse_label

REPEATS = 7


# -- 1. run() inside a running loop --------------------------------------------------------------
async def noop(x: Any) -> Any:
    return x


CHAIN = Sequential(stages=[noop] * 10)


async def per_call(call: Any, seconds: float = 0.3) -> float:
    """Median µs per awaited ``call()`` over REPEATS batches of at least ``seconds`` / REPEATS each."""
    times = []
    for _ in range(REPEATS):
        number, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds / REPEATS:
            await call()
            number += 1
        times.append((time.perf_counter() - start) / number)
    return statistics.median(times) * 1e6


def notebook_table() -> str:
    async def cell_run() -> Any:
        return run(CHAIN, "x")  # a notebook cell calls run() while the kernel's loop runs

    async def measure() -> tuple[float, float]:
        gc.collect()
        return await per_call(cell_run), await per_call(lambda: arun(CHAIN, "x", clock="wall"))

    in_cell, awaited = asyncio.run(measure())
    return ("| flow | `run()` in a running loop (µs) | `await arun(clock=\"wall\")` (µs) |\n|---|--:|--:|\n"
            f"| no-op 10-stage Sequential | {in_cell:,.1f} | {awaited:,.1f} |")


# -- 2. the healthcare system of lesson 6 ----------------------------------------------------------
def healthcare_system() -> Hierarchical:
    """The decision-support system of notebooks/06_healthcare.ipynb, built the same way."""
    clinician = SimulatedModel("clinical-specialist")
    small, large = SimulatedModel("generalist-small"), SimulatedModel("generalist-large")
    checks_named = ["history", "labs", "contraindications"]

    async def history(case: str) -> str:
        await asyncio.sleep(0.2)
        fields = dict(line.split(": ", 1) for line in case.splitlines()[1:])
        return f"{fields['Condition']} Also: {fields['History']}"

    def checks(model: Any) -> dict[str, Any]:
        return {"history": history,
                "labs": Ask(model, "Check this case's lab results:\n{input}", skill="clinical", check="labs", name="labs"),
                "contraindications": Ask(model, "Check this case's medicines:\n{input}", skill="clinical",
                                         check="medications", name="contraindications")}

    def mentions_every_check(report: str) -> Any:
        left_out = [check for check in checks_named if check not in report]
        return not left_out or f"the report leaves out {', '.join(left_out)}"

    def validation(report: str) -> dict[str, Any]:
        flags = sorted({f for found in re.findall(r"flags: ([^;\n]+)", report) for f in found.split(", ")})
        said = re.findall(r"recommendation: (\w+)", report)
        urgent = "urgent_review" in said
        return {"status": "escalate" if urgent else "ok", "reason": "a critical value" if urgent else "",
                "recommendation": "urgent_review" if urgent else "routine_follow_up", "flags": flags, "report": report}

    def report(writer: Any, name: str) -> Sequential:
        hasty = Ask(writer, "Write a short report from these findings:\n{input}", skill="synthesize", name="synthesis")
        careful = Ask(large, "Write a careful report from these findings:\n{input}", skill="synthesize", name="careful synthesis")
        return Sequential(stages=[Stage(hasty, validate=mentions_every_check, alternative=careful, name="synthesis"),
                                  validation], name=name)

    def pathway(model: Any, writer: Any, name: str, **policy: Any) -> Parallel:
        return Parallel(tasks=checks(model), synthesizer=report(writer, f"{name} report"), on_error="skip", name=name, **policy)

    def condition_code(case: str) -> Decision:
        code = re.search(r"^Condition: (\w+)", case, flags=re.MULTILINE).group(1)  # type: ignore[union-attr]
        return Decision("specialist" if code in ("N18", "I48", "I50", "E11") else "general", 1.0, f"condition {code}")

    def tier(mode: str, writer: Any, **policy: Any) -> Router:
        return Router(analyzer=condition_code, name=f"{mode} router", routes={
            "specialist": pathway(clinician, writer, f"{mode} specialist checks", **policy),
            "general": pathway(small, writer, f"{mode} general checks", **policy)})

    def needs_clinician(feedback: Any) -> str | None:
        if feedback.status in ("error", "failed", "rolled_back"):
            return f"the {feedback.route} tier ended {feedback.status}"
        return feedback.output["reason"] if feedback.output["status"] == "escalate" else None

    urgency = Ask(small, "How urgent is this case: {input}", skill="triage", labels=["real_time", "batch"],
                  parse=parse_label, name="urgency")
    return Hierarchical(top=urgency, sub={"real_time": tier("real-time", small, timeout=3.0),
                                          "batch": tier("batch", large, retry=RetryPolicy(attempts=3, initial_delay=2.0))},
                        escalate=HumanReview(), escalate_when=needs_clinician, name="decision support")


def healthcare_table(copies: int) -> str:
    system = healthcare_system()
    cases = datasets.healthcare_cases()
    data = pd.concat([cases] * copies, ignore_index=True)[["text", "recommendation"]]
    evaluate(system, data.head(48), label_column="recommendation", progress=False)  # warm up
    walls, calls = [], 0
    for _ in range(3):
        gc.collect()
        start = time.perf_counter()
        result = evaluate(system, data, label_column="recommendation", progress=False)
        walls.append(time.perf_counter() - start)
        calls = int(result.items["calls"].sum())
    wall = statistics.median(walls)
    return ("| flow | items | model calls | wall (s) | model calls per wall second | items per wall second |\n"
            "|---|--:|--:|--:|--:|--:|\n"
            f"| lesson 6 decision support, `evaluate()` virtual | {len(data):,} | {calls:,} | {wall:.2f} "
            f"| {calls / wall:,.0f} | {len(data) / wall:,.0f} |")


# -- 3. evaluate() on the wall clock ---------------------------------------------------------------
def wall_table(items: int) -> str:
    data = pd.DataFrame({"text": ["x"] * items, "label": ["x"] * items})
    start = time.perf_counter()
    result = evaluate(noop, data, clock="wall", concurrency=8, progress=False)
    wall = time.perf_counter() - start
    errors = int((result.items["status"] == "error").sum())
    return ("| case | items | errors | wall (s) | items per wall second |\n|---|--:|--:|--:|--:|\n"
            f"| instant items, `clock=\"wall\"`, `concurrency=8` | {items:,} | {errors} | {wall:.2f} | {items / wall:,.0f} |")


# -- 4. evaluate()'s memory -------------------------------------------------------------------------
MEMORY_PROBE = """
import gc, resource, sys, tracemalloc
import pandas as pd
from orchestration_kit import Ask, SimulatedModel
from orchestration_kit.measure.evaluate import evaluate
n = int(sys.argv[1])
flow = Ask(SimulatedModel("generalist-small"), "Resolve this customer message: {input}", skill="support")
data = pd.DataFrame({"text": [f"where is parcel {i}?" for i in range(n)], "label": ["x"] * n})
evaluate(flow, data.head(10), progress=False)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
result = evaluate(flow, data, progress=False)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
rows = len(result.items)
del result
gc.collect()
tracemalloc.start()  # the same evaluation again, every allocation counted: the peak, and what the result keeps
start = tracemalloc.get_traced_memory()[0]
result = evaluate(flow, data, progress=False)
gc.collect()
kept, peak = tracemalloc.get_traced_memory()
print(before, after, rows, peak - start, kept - start)
"""


def memory_table(sizes: list[int]) -> str:
    rows = ["| items | peak RSS before (MB) | peak RSS after (MB) | RSS added per item (bytes) "
            "| allocated at the peak, per item (bytes) | kept by the result, per item (bytes) |",
            "|--:|--:|--:|--:|--:|--:|"]
    for n in sizes:
        out = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(n)], capture_output=True, text=True, check=True)
        before, after, found, peak, kept = (int(v) for v in out.stdout.split())
        assert found == n, f"evaluate lost rows: {found} of {n}"
        added = (after - before) * 1024
        rows.append(f"| {n:,} | {before / 1024:.0f} | {after / 1024:.0f} | {added / n:,.0f} | {peak / n:,.0f} "
                    f"| {kept / n:,.0f} |")
    return "\n".join(rows)


def main() -> None:
    quick = "--quick" in sys.argv
    started = time.perf_counter()
    print("### 1. run() in a running loop (a notebook cell)\n")
    print(notebook_table() + "\n")
    print("### 2. The healthcare flow of lesson 6, simulated\n")
    print(healthcare_table(5 if quick else 20) + "\n")
    print("### 3. evaluate() on the wall clock\n")
    print(wall_table(1000 if quick else 8000) + "\n")
    print("### 4. evaluate()'s memory (a fresh interpreter per size)\n")
    print(memory_table([1000, 10000] if quick else [10000, 50000, 100000]) + "\n")
    print(f"(benchmark took {time.perf_counter() - started:.0f} s; {json.dumps({'quick': quick})})")


if __name__ == "__main__":
    main()
