"""The virtual clock and run(): exact, instant, deterministic, and usable inside a running loop."""

from __future__ import annotations

import asyncio
import time

import pytest

from orchestration_kit import Parallel, RealTimeRequired, Sequential, arun, run
from orchestration_kit.clock import require_wall_clock

from conftest import failing, sleeper


def test_virtual_sleep_takes_exactly_its_duration_and_no_real_time():
    started = time.perf_counter()
    result = run(sleeper(3600.0), "x")  # an hour of virtual time
    assert result.trace.latency == 3600.0
    assert time.perf_counter() - started < 5  # generous: it is instant, but CI machines vary


def test_each_run_starts_at_time_zero():
    first = run(sleeper(1.5), "x")
    second = run(sleeper(1.5), "x")
    assert [s.start for s in first.trace] == [s.start for s in second.trace] == [0.0]


def test_wait_for_times_out_in_virtual_time():
    async def impatient(x):
        try:
            await asyncio.wait_for(asyncio.sleep(10), timeout=0.25)
        except asyncio.TimeoutError:
            return asyncio.get_running_loop().time()

    assert run(impatient, None).output == 0.25


def test_semaphore_limits_concurrency_in_virtual_time():
    async def five_tasks_two_at_a_time(x):
        limit = asyncio.Semaphore(2)

        async def one():
            async with limit:
                await asyncio.sleep(1.0)

        await asyncio.gather(*(one() for _ in range(5)))
        return asyncio.get_running_loop().time()

    assert run(five_tasks_two_at_a_time, None).output == 3.0


def test_run_works_inside_a_running_event_loop_like_jupyter():
    async def notebook_cell():
        return run(Parallel(tasks={"a": sleeper(0.3), "b": sleeper(2.0)}), "x")

    result = asyncio.run(notebook_cell())
    assert result.trace.latency == 2.0


def test_arun_on_the_virtual_clock_is_exact():
    result = asyncio.run(arun(Sequential(stages=[sleeper(0.5), sleeper(0.25)]), "x", clock="virtual"))
    assert result.trace.latency == 0.75


def test_arun_on_the_wall_clock_really_waits():
    result = asyncio.run(arun(sleeper(0.05), "x", clock="wall"))
    assert result.clock == "wall"
    assert result.trace.latency >= 0.05


def test_network_under_the_virtual_clock_names_the_fix():
    async def calls_the_network(x):
        await asyncio.open_connection("127.0.0.1", 9)

    with pytest.raises(RealTimeRequired, match="clock='wall'"):
        run(calls_the_network, None)


def test_require_wall_clock_refuses_virtual_time_only():
    async def check(x):
        require_wall_clock()
        return "allowed"

    with pytest.raises(RealTimeRequired):
        run(check, None)
    assert run(check, None, clock="wall").output == "allowed"


def test_unknown_clock_name_is_refused_clearly():
    with pytest.raises(ValueError, match="'virtual'.*'wall'"):
        run(sleeper(1), None, clock="fast")


def test_no_task_outlives_a_run_even_a_stray_one():
    leaked: list[asyncio.Task] = []

    async def starts_a_stray_task(x):
        leaked.append(asyncio.ensure_future(asyncio.sleep(100)))
        return "done"

    assert run(starts_a_stray_task, None).output == "done"
    assert leaked[0].cancelled()


def test_a_failed_run_raises_with_its_trace_attached():
    flow = Sequential(stages=[sleeper(1.0, name="first"), failing(0.5, ValueError("bad data"))])
    with pytest.raises(Exception) as caught:
        run(flow, "x")
    trace = caught.value.trace
    assert [s.name for s in trace] == ["sequential", "first", "broken"]
    assert trace.find("first")[0].status == "ok"
    assert trace.latency == 1.5


def test_plain_sync_and_async_functions_with_or_without_ctx_are_steps():
    def upper(text):
        return text.upper()

    async def exclaim(text, ctx):
        return text + f"! (seed {ctx.seed})"

    assert run(Sequential(stages=[upper, exclaim]), "hi", seed=7).output == "HI! (seed 7)"
