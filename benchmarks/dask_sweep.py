"""A parameter sweep on one process against a Dask LocalCluster: ~10,000 simulated runs.

    python benchmarks/dask_sweep.py            # about two minutes; prints a Markdown table

The sweep is the router lesson's: two analyzers (the trained router and a small
model asked to classify) × 13 confidence thresholds × the 384 customer queries,
so 9,984 runs of a Router, each its own run on the virtual clock (1 or 2
simulated model calls). It runs two ways, ROUNDS times, alternating:

- one process: ``evaluate(flow, data)`` for each setting, one after another;
- a LocalCluster of 2 worker processes (1 thread each), one Client for the whole
  sweep, ``evaluate(..., executor=client)`` for each setting.

Both must give the same table, row for row (checked). Reports the median wall
time, runs per second, and the CPU time spent: by this process alone, or by the
workers (asked with psutil, which Dask installs) and this process, whose threads
run the client and the scheduler. The cluster's start-up is timed
apart. Results and discussion: benchmarks/RESULTS-distributed.md.
"""

from __future__ import annotations

import os
import platform
import statistics
import time

import pandas as pd

from orchestration_kit import Ask, Router, SimulatedModel, datasets
from orchestration_kit.measure.evaluate import evaluate
from orchestration_kit.routing.trained import TrainedClassifier
from orchestration_kit.models.skills.parse import parse_label

THRESHOLDS = [round(0.3 + 0.05 * i, 2) for i in range(13)]
DEPARTMENTS = ["billing", "technical", "product", "account"]


def settings() -> dict[tuple[str, float], Router]:
    """Every (analyzer, threshold) of the sweep, as a Router."""
    def handler(model: SimulatedModel, skill: str) -> Ask:
        return Ask(model, "Resolve this customer message: {input}", skill=skill, name=f"{skill} ({model.name})")

    routes = {d: handler(SimulatedModel(f"{d}-specialist"), d) for d in DEPARTMENTS}
    generalist = handler(SimulatedModel("generalist-large"), "support")
    routes["general"] = generalist
    train = datasets.customer_queries("train")
    analyzers = {"trained router": TrainedClassifier().fit(train.text, train.label),
                 "small model": Ask(SimulatedModel("generalist-small"), "Route this customer message: {input}",
                                    skill="classify", parse=parse_label)}
    return {(name, t): Router(analyzer=a, routes=routes, fallback=generalist, threshold=t)
            for name, a in analyzers.items() for t in THRESHOLDS}


def sweep(flows: dict, data: pd.DataFrame, executor=None) -> pd.DataFrame:
    """The trade-off table of the sweep: a summary row per setting."""
    rows = []
    for (analyzer, threshold), flow in flows.items():
        result = evaluate(flow, data, label_column="intent", progress=False, executor=executor)
        rows.append({"analyzer": analyzer, "threshold": threshold, **result.summary.iloc[0].to_dict()})
    return pd.DataFrame(rows)


def _cpu_seconds() -> float:
    import psutil

    times = psutil.Process().cpu_times()
    return times.user + times.system


ROUNDS = 3


def main() -> None:
    from dask.distributed import Client, LocalCluster

    data = datasets.customer_queries()
    flows = settings()
    runs = len(flows) * len(data)
    load_before = os.getloadavg()[0]
    here_s, here_cpu, there_s, there_cpu = [], [], [], []
    start = time.perf_counter()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0") as cluster, Client(cluster) as client:
        started = time.perf_counter() - start
        for _ in range(ROUNDS):
            wall, cpu = time.perf_counter(), time.process_time()
            here = sweep(flows, data)
            here_s.append(time.perf_counter() - wall)
            here_cpu.append(time.process_time() - cpu)

            workers_cpu = sum(client.run(_cpu_seconds).values())
            wall, cpu = time.perf_counter(), time.process_time()
            there = sweep(flows, data, executor=client)
            there_s.append(time.perf_counter() - wall)
            here_and_workers = time.process_time() - cpu + sum(client.run(_cpu_seconds).values()) - workers_cpu
            there_cpu.append(here_and_workers)  # this process also schedules: LocalCluster's scheduler lives here
            pd.testing.assert_frame_equal(here, there)  # the same table, row for row

    calls = int(here["calls"].sum())
    print(f"{runs} runs ({len(flows)} settings × {len(data)} queries), {calls} simulated model calls, "
          f"median of {ROUNDS} rounds; Python {platform.python_version()}, {os.cpu_count()} cores, "
          f"load average {load_before:.1f} before and {os.getloadavg()[0]:.1f} after\n")
    print("| how | sweep (s) | runs/s | speed-up | CPU (s) |")
    print("|---|---:|---:|---:|---:|")
    one = statistics.median(here_s)
    for label, walls, cpus in [("one process", here_s, here_cpu),
                               ("LocalCluster, 2 worker processes", there_s, there_cpu)]:
        wall = statistics.median(walls)
        print(f"| {label} | {wall:.1f} | {runs / wall:.0f} | {one / wall:.2f}× | {statistics.median(cpus):.1f} |")
    print(f"\nLocalCluster start-up: {started:.1f} s. Same table from both ways, every round: yes.")


if __name__ == "__main__":
    main()
