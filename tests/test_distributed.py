"""evaluate() on a Dask cluster: the same rows as on one machine, item for item, in item order."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import subprocess
import sys
import time

import pandas as pd
import pytest

from orchestration_kit import Ask, KeywordRules, Parallel, Resilient, RetryPolicy, Router, SimulatedModel, datasets
from orchestration_kit.measure.evaluate import evaluate

distributed = pytest.importorskip("distributed", reason='needs pip install "orchestration-kit[distributed]"')
import dask  # noqa: E402

from orchestration_kit.measure.distributed import map_chunks  # noqa: E402

from servers import free_port  # noqa: E402

pytestmark = pytest.mark.slow  # starts worker processes

SMALL = pd.DataFrame({"id": ["a", "b", "c", "d"], "text": ["1", "2", "3", "4"], "label": ["odd", "even", "odd", "odd"]})


def busy_router() -> Router:
    """Simulated models with failures, retries with jitter and a fan-out: every source of randomness at once."""
    flaky = SimulatedModel("billing-specialist").with_failures(error_rate=0.3)
    billing = Resilient(Ask(flaky, "Resolve: {input}", skill="billing"),
                        retry=RetryPolicy(attempts=2, initial_delay=0.2, jitter=0.5))
    diagnose = Ask(SimulatedModel("technical-specialist"), "Diagnose: {input}", skill="technical")
    reassure = Ask(SimulatedModel("generalist-small"), "Reassure: {input}")
    technical = Parallel(tasks={"diagnose": diagnose, "reassure": reassure},
                         synthesizer=lambda gathered: gathered["diagnose"], timeout=0.5)
    rules = KeywordRules({"billing": ["refund", "charge", "invoice", "payment"],
                          "technical": ["error", "crash", "slow"]})
    return Router(analyzer=rules, routes={"billing": billing, "technical": technical},
                  fallback=Ask(SimulatedModel("generalist-large"), "Resolve: {input}", skill="support"), name="busy")


def parity(text: str) -> str:
    return "odd" if int(text) % 2 else "even"


def die_on_three(text: str) -> str:
    if text == "3":
        os._exit(1)  # the worker process dies, as if it ran out of memory
    return parity(text)


@pytest.fixture(scope="module")
def client():
    # A worker that dies once is a lost chunk (the default retries it on 3 more workers first).
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                      dashboard_address="127.0.0.1:0") as cluster:
            with distributed.Client(cluster) as running:
                yield running


def test_a_cluster_gives_the_same_rows_as_one_machine_item_for_item(client):
    data = datasets.customer_queries()
    here = evaluate(busy_router(), data, label_column="intent", progress=False)
    with distributed.get_task_stream(client) as tasks:
        there = evaluate(busy_router(), data, label_column="intent", progress=False, executor=client)
    pd.testing.assert_frame_equal(here.items, there.items)
    assert len({task["worker"] for task in tasks.data}) == 2  # both worker processes took chunks
    # Dask seeds its workers' str hashes (PYTHONHASHSEED=6640) unlike ours: a result that leaned on
    # hash() or on the order of a set would differ between here and there.
    assert set(client.run(hash, "billing").values()) != {hash("billing")}
    assert 0 < here.summary.iloc[0].errors < len(data) and len(set(here.items.latency_s)) > 50  # a varied workload


def test_the_seed_reaches_the_workers(client):
    data = datasets.customer_queries("test")
    seeded = evaluate(busy_router(), data, label_column="intent", progress=False, seed=7, executor=client)
    pd.testing.assert_frame_equal(seeded.items, evaluate(busy_router(), data, label_column="intent",
                                                         progress=False, seed=7).items)
    unseeded = evaluate(busy_router(), data, label_column="intent", progress=False, executor=client)
    assert list(seeded.items.latency_s) != list(unseeded.items.latency_s)


def test_rows_come_back_in_item_order_whatever_order_the_chunks_finish_in(client):
    def square_slowly(chunk: list[int]) -> list[int]:
        time.sleep(0.01 * (50 - chunk[0]) / 5)  # later chunks finish first
        return [x * x for x in chunk]

    finished: list[int] = []

    class Bar:  # stands in for a tqdm bar
        def update(self, n: int) -> None:
            finished.append(n)

    assert map_chunks(square_slowly, list(range(50)), client, chunk_size=5, bar=Bar()) == [x * x for x in range(50)]
    assert finished == [5] * 10  # the bar moved once per chunk, to the total


def test_the_wall_clock_also_runs_on_the_workers(client):
    async def quick(text: str) -> str:
        await asyncio.sleep(0.01)
        return parity(text)

    result = evaluate(quick, SMALL, clock="wall", progress=False, executor=client)
    assert list(result.items.prediction) == ["odd", "even", "odd", "even"] and (result.items.latency_s >= 0.01).all()


def test_a_worker_that_dies_loses_only_its_chunk_as_error_rows(client):
    data = pd.DataFrame({"text": [str(i) for i in range(1, 9)], "label": ["x"] * 8})
    result = evaluate(die_on_three, data, predict=lambda r: r.output, progress=False, executor=client)
    lost = result.items[result.items.status == "error"]
    assert "3" in set(lost.input) and lost.error.str.startswith("KilledWorker").all()
    kept = result.items[result.items.status == "ok"]
    # One item per chunk here; the dead worker held its running chunk and at most one queued behind it.
    assert len(kept) >= 6 and all(row.prediction == parity(row.input) for row in kept.itertuples())
    client.wait_for_workers(2, timeout=30)  # the nanny restarts the dead worker


def test_executor_local_starts_a_cluster_and_leaves_no_process_behind():
    before = set(multiprocessing.active_children())
    result = evaluate(parity, SMALL, progress=False, executor="local")
    pd.testing.assert_frame_equal(result.items, evaluate(parity, SMALL, progress=False).items)
    assert set(multiprocessing.active_children()) <= before


def test_an_existing_cluster_is_reached_by_its_address():
    """As on a real cluster: a scheduler and a worker started on their own, found by address."""
    address = f"tcp://127.0.0.1:{free_port()}"
    scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                  "--port", address.rsplit(":", 1)[1], "--dashboard-address", "127.0.0.1:0"],
                                 stderr=subprocess.DEVNULL)
    worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                               "--host", "127.0.0.1"], stderr=subprocess.DEVNULL)
    try:
        with distributed.Client(address, timeout=30) as waiting:
            waiting.wait_for_workers(1, timeout=30)
        data = datasets.customer_queries("test")
        there = evaluate(busy_router(), data, label_column="intent", progress=False, executor=address)
        pd.testing.assert_frame_equal(there.items, evaluate(busy_router(), data, label_column="intent",
                                                            progress=False).items)
    finally:
        for process in (worker, scheduler):
            process.terminate()
            process.wait(timeout=30)


def test_a_flow_that_cannot_travel_is_refused_with_the_reason(client):
    import threading

    lock = threading.Lock()

    def guarded(text: str) -> str:
        with lock:
            return text

    with pytest.raises(TypeError, match="could not be sent to the workers.*inside a step"):
        evaluate(guarded, SMALL, progress=False, executor=client)


def test_bad_executors_are_refused_with_the_fix():
    with pytest.raises(TypeError, match="a dask.distributed.Client, a scheduler address"):
        evaluate(parity, SMALL, progress=False, executor=4)
    with dask.config.set({"distributed.comm.timeouts.connect": "0.5s"}):
        with pytest.raises(ConnectionError, match=r"cannot reach a Dask scheduler at 'tcp://127.0.0.1:9'.*'local'"):
            evaluate(parity, SMALL, progress=False, executor="tcp://127.0.0.1:9")


def test_without_dask_the_error_names_the_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if Dask were not installed
    with pytest.raises(ImportError, match=r'pip install "orchestration-kit\[distributed\]"'):
        evaluate(parity, SMALL, progress=False, executor="local")
