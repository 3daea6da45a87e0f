"""Plain (blocking) functions: worker threads on the wall clock, inline on the virtual clock.

Behaviour only: which thread a function runs on, how many run at once, how
their spans nest. How fast the wall clock gets is measured in
benchmarks/blocking_fanout.py, not here.
"""

from __future__ import annotations

import threading
import time

import pytest

from orchestration_kit import Parallel, Sequential, run
from orchestration_kit.context import _current_span, current_context


class Entries:
    """Counts how many calls are inside a blocking function at once, and on which threads."""

    def __init__(self, n_inside_to_wait_for: int = 0) -> None:
        self.lock = threading.Lock()
        self.inside = self.most = 0
        self.threads: set[int] = set()
        self.everyone_in = threading.Barrier(n_inside_to_wait_for) if n_inside_to_wait_for else None

    def step(self, name: str):
        def blocking(x):
            with self.lock:
                self.inside += 1
                self.most = max(self.most, self.inside)
                self.threads.add(threading.get_ident())
            try:
                if self.everyone_in is not None:
                    self.everyone_in.wait(timeout=10)  # proves they are inside together, whatever the machine's load
                else:
                    time.sleep(0.01)
            finally:
                with self.lock:
                    self.inside -= 1
            return name

        blocking.__name__ = name
        return blocking


def test_on_the_wall_clock_a_blocking_function_runs_on_a_thread_other_than_the_loops():
    seen = {}

    def where(x):
        seen["thread"] = threading.get_ident()
        return x

    async def loop_thread(x):
        seen["loop"] = threading.get_ident()
        return x

    run(Sequential(stages=[loop_thread, where]), "x", clock="wall")
    assert seen["thread"] != seen["loop"]


def test_on_the_virtual_clock_a_blocking_function_runs_inline_and_takes_no_virtual_time():
    seen = {}

    def blocking(x):
        seen["thread"] = threading.get_ident()
        time.sleep(0.02)  # real time passes; virtual time does not
        return x

    async def loop_thread(x):
        seen["loop"] = threading.get_ident()
        return x

    result = run(Parallel(tasks={"loop": loop_thread, "blocking": blocking}), "x")
    assert seen["thread"] == seen["loop"]
    assert result.trace.latency == 0.0


def test_eight_blocking_branches_are_all_inside_their_functions_at_once():
    # A barrier of 8 only opens when all 8 are in their functions together: serial calls would time out.
    entries = Entries(n_inside_to_wait_for=8)
    flow = Parallel(tasks={f"b{i}": entries.step(f"b{i}") for i in range(8)}, on_error="raise")
    result = run(flow, "x", clock="wall")
    assert result.output.values == {f"b{i}": f"b{i}" for i in range(8)}
    assert entries.most == 8 and len(entries.threads) == 8


@pytest.mark.parametrize("limit", [1, 3])
def test_max_concurrency_bounds_how_many_blocking_functions_run_at_once(limit):
    entries = Entries(n_inside_to_wait_for=limit)  # groups of `limit` meet inside; one more would be counted
    flow = Parallel(entries.step("task"), splitter=lambda x: list(range(12)), max_concurrency=limit)
    result = run(flow, "x", clock="wall")
    assert len(result.output.values) == 12
    assert entries.most == limit  # never more inside at once than the bound, and the bound is used


def test_the_thread_sees_the_run_and_the_span_it_runs_under():
    seen = {}

    def lookup(x, ctx):
        seen["context"], seen["span"] = current_context(), _current_span.get()
        return x

    def summary(x):
        return x

    flow = Parallel(tasks={"branch": Sequential(stages=[summary, lookup], name="pipeline")}, name="fanout")
    trace = run(flow, "x", clock="wall").trace
    by_name = {span.name: span for span in trace}
    assert seen["context"] is not None and seen["context"].trace is trace
    assert seen["span"] == by_name["lookup"].id  # the function's own span is open in its thread
    assert by_name["lookup"].parent == by_name["pipeline"].id
    assert trace.tree().splitlines() == ["fanout", "  branch", "    pipeline", "      summary", "      lookup"]
