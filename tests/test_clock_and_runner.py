"""The virtual clock and run(): exact, instant, deterministic, and usable inside a running loop."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time

import pytest

from orchestration_kit import Parallel, RealTimeRequired, Sequential, arun, run
from orchestration_kit.clock import require_wall_clock

from timed_steps import failing, sleeper


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


# -- time is counted in whole nanoseconds ------------------------------------------------------
def test_sleeping_exact_durations_gives_exact_summable_span_times():
    # 0.058 + 0.015 is 0.07300000000000001 in floats; in nanoseconds it is exactly 73_000_000.
    trace = run(Sequential(stages=[sleeper(0.058, name="draft"), sleeper(0.015, name="refine")]), "x").trace
    draft, refine = trace.find("draft")[0], trace.find("refine")[0]
    assert (draft.duration_ns, refine.duration_ns) == (58_000_000, 15_000_000)
    assert trace.latency_ns == draft.duration_ns + refine.duration_ns == 73_000_000
    assert (trace.latency, draft.end, refine.start) == (0.073, 0.058, 0.058)  # readable floats made from them


def test_a_hundred_decimal_stages_add_up_exactly():
    trace = run(Sequential(stages=[sleeper(0.1, name=f"stage {i}") for i in range(100)]), "x").trace
    stages = [s for s in trace if s.name.startswith("stage ")]
    assert sum(s.duration_ns for s in stages) == trace.latency_ns == 10 * 10**9 and trace.latency == 10.0
    assert all(a.end_ns == b.start_ns for a, b in zip(stages, stages[1:]))


def test_the_context_gives_exact_nanoseconds():
    async def timed(x, ctx):
        start = ctx.now_ns()
        await asyncio.sleep(0.3)
        return ctx.now_ns() - start, ctx.now()

    assert run(timed, None).output == (300_000_000, 0.3)


def test_a_sleep_shorter_than_a_nanosecond_still_moves_time_on():
    async def tiny(x):
        for _ in range(3):
            await asyncio.sleep(1e-12)
        return asyncio.get_running_loop().time_ns()

    assert run(tiny, None).output == 3


# -- one rule for the default clock -----------------------------------------------------------
def test_run_and_arun_both_default_to_the_virtual_clock():
    started = time.perf_counter()
    result = asyncio.run(arun(sleeper(30.0), "x"))
    assert (result.clock, result.trace.latency) == ("virtual", 30.0)
    assert run(sleeper(30.0), "x").clock == "virtual"
    assert time.perf_counter() - started < 20  # 30 s of virtual time, not of real time


def test_a_real_backend_awaited_with_the_default_clock_is_refused_with_the_fix():
    from orchestration_kit import Ask, OpenAICompatible

    model = OpenAICompatible("generalist-small", base_url="http://127.0.0.1:9/v1")
    with pytest.raises(RealTimeRequired, match="clock='wall'"):
        asyncio.run(arun(Ask(model), "hello"))


# -- run() inside a running loop runs on the calling thread, then gives the loop back -------------
def test_run_inside_a_running_loop_runs_on_the_cells_thread_and_gives_its_loop_back():
    seen = []

    def which_thread(x):
        seen.append((threading.current_thread(), asyncio.get_running_loop()))
        return x

    async def notebook_cells():
        cell_loop = asyncio.get_running_loop()
        outputs = [run(which_thread, i).output for i in range(5)]
        return outputs, cell_loop, asyncio.get_running_loop(), asyncio.current_task()

    outputs, cell_loop, loop_after, task_after = asyncio.run(notebook_cells())
    assert outputs == [0, 1, 2, 3, 4]
    assert {thread for thread, _ in seen} == {threading.main_thread()}  # no hand-off to another thread
    assert all(loop is not cell_loop for _, loop in seen)  # each run had a loop of its own ...
    assert loop_after is cell_loop and task_after is not None  # ... and the cell's loop runs on afterwards


def test_a_run_inside_a_cell_cannot_see_the_cells_context_variables():
    cell_only = contextvars.ContextVar("cell_only", default="unset")

    async def cell():
        cell_only.set("the cell's")
        seen = run(lambda x: cell_only.get(), None).output
        return seen, cell_only.get()

    assert asyncio.run(cell()) == ("unset", "the cell's")  # a clean context, as asyncio.run() gives


def test_a_run_nested_in_a_step_has_a_loop_and_a_clock_of_its_own():
    async def outer(x):
        return run(sleeper(2.0), x).trace.latency  # a step that calls run(): a loop of its own, on the same thread

    async def cell():
        return run(outer, "x")

    result = asyncio.run(cell())
    assert result.output == 2.0 and result.trace.latency == 0.0  # the inner run's time is its own


def test_the_virtual_clock_still_polls_a_file_a_step_watches_before_moving_time_on():
    import socket

    async def reads_a_ready_socket(x):
        loop, (reader, writer) = asyncio.get_running_loop(), socket.socketpair()
        try:
            writer.send(b"ready")  # the data is there before the loop is asked to watch for it
            arrived = loop.create_future()
            loop.add_reader(reader, lambda: arrived.done() or arrived.set_result(loop.time()))
            later = asyncio.ensure_future(asyncio.sleep(10.0))  # a timer the clock could jump to
            when = await arrived
            loop.remove_reader(reader)
            later.cancel()
            return when
        finally:
            reader.close()
            writer.close()

    assert run(reads_a_ready_socket, None).output == 0.0  # read at once, not after time jumped to t = 10
    assert run(reads_a_ready_socket, None).output == 0.0  # and the count of watched files went back down
