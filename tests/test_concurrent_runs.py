"""Runs that share an event loop own their tasks: none cancels another's, and evaluate() loses no row."""

from __future__ import annotations

import asyncio

import pandas as pd
import pytest

from orchestration_kit import Ask, Parallel, Sequential, arun, run
from orchestration_kit.measure.evaluate import evaluate
from orchestration_kit.driver import live_runs

from timed_steps import sleeper
from servers import ServerProcess, kit_server_command


def fanned_out(name: str, seconds: float) -> Parallel:
    return Parallel(tasks={f"{name}{i}": sleeper(seconds) for i in range(4)}, name=name)


def test_two_overlapping_runs_on_one_loop_do_not_cancel_each_other():
    async def both():
        # the first ends while the second's branches still run: its clean-up must leave them alone
        return await asyncio.gather(arun(sleeper(0.01), "a", clock="wall"), arun(fanned_out("b", 0.1), "b", clock="wall"))

    fast, slow = asyncio.run(both())
    assert fast.output == "a"
    assert not slow.output.missing and sorted(slow.output.values) == ["b0", "b1", "b2", "b3"]
    assert {s.status for s in slow.trace} == {"ok"}


def test_ten_overlapping_runs_all_finish_with_all_their_branches():
    async def ten():
        return await asyncio.gather(*(arun(fanned_out(f"run{i}", 0.01 * (i + 1)), i, clock="wall") for i in range(10)))

    results = asyncio.run(ten())
    assert [len(r.output.values) for r in results] == [4] * 10
    assert all(s.status == "ok" for r in results for s in r.trace)
    assert live_runs() == []


def test_a_run_cancels_its_own_stray_task_but_not_another_runs():
    strays: dict[str, asyncio.Task] = {}

    def leaves_a_stray(name, seconds):
        async def step(x):
            strays[name] = asyncio.ensure_future(asyncio.sleep(10))  # never awaited: must not outlive its run
            await asyncio.sleep(seconds)
            return strays[name].done()

        return step

    async def both():
        return await asyncio.gather(arun(leaves_a_stray("first", 0.01), None, clock="wall"),
                                    arun(leaves_a_stray("second", 0.1), None, clock="wall"))

    first, second = asyncio.run(both())
    assert first.output is False and second.output is False  # the first run's end left the second's stray alone
    assert strays["first"].cancelled() and strays["second"].cancelled()  # and each run cleaned up its own


def test_jupyter_style_top_level_await_of_concurrent_runs_inside_a_running_loop():
    async def cell():  # a notebook cell: the kernel's loop is already running, the cell awaits at top level
        results = await asyncio.gather(arun(sleeper(0.02), "wall", clock="wall"),
                                       arun(Sequential(stages=[sleeper(1.0), sleeper(2.0)]), "virtual"),
                                       arun(fanned_out("p", 0.03), "p", clock="wall"))
        nested = run(fanned_out("q", 0.5), "q")  # and run() in the same cell
        return results, nested

    (wall, virtual, parallel), nested = asyncio.run(cell())
    assert (wall.output, virtual.trace.latency, len(parallel.output.values)) == ("wall", 3.0, 4)
    assert nested.trace.latency == 0.5


# -- evaluate() ---------------------------------------------------------------------------------
SMALL = pd.DataFrame({"id": list("abcdef"), "text": list("123456"), "label": ["odd", "even"] * 3})


async def clock_reading(text: str) -> str:
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.sleep(int(text) / 10)
    return f"{id(loop)} {started}"


def test_an_evaluation_runs_every_item_on_one_loop_each_from_time_zero():
    result = evaluate(clock_reading, SMALL, progress=False)
    loops = {output.split()[0] for output in result.items.output}
    assert len(loops) == 1 and {output.split()[1] for output in result.items.output} == {"0.0"}
    assert list(result.items.latency_s) == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]


def test_an_evaluation_gives_each_item_what_its_own_run_gives():
    flow = Sequential(stages=[sleeper(0.25), lambda text: "odd" if int(text) % 2 else "even"])
    rows = evaluate(flow, SMALL, progress=False).items
    alone = [run(flow, text) for text in SMALL.text]
    assert list(rows.prediction) == [r.output for r in alone]
    assert list(rows.latency_s) == [r.trace.latency for r in alone]


def test_traces_are_kept_only_on_request():
    assert evaluate(clock_reading, SMALL, progress=False).traces is None
    kept = evaluate(clock_reading, SMALL, progress=False, keep_traces=True)
    assert [t.latency for t in kept.traces] == list(kept.items.latency_s) and "trace" not in kept.items.columns


def test_an_error_outside_the_items_surfaces_as_itself_also_inside_a_running_loop():
    class Stop(BaseException):
        """Not an Exception: not turned into an error row, so it must reach the caller unchanged."""

    def stops(text):
        raise Stop("halt")

    async def cell():
        return evaluate(stops, SMALL, clock="wall", progress=False)

    with pytest.raises(Stop, match="halt"):
        asyncio.run(cell())
    with pytest.raises(Stop, match="halt"):  # the same on the virtual clock, without a running loop
        evaluate(stops, SMALL, progress=False)


def test_evaluate_on_the_wall_clock_through_real_http_loses_no_row():
    from orchestration_kit import OpenAICompatible

    questions = pd.DataFrame({"text": [f"Where is my parcel number {i}?" for i in range(40)], "label": ["x"] * 40})
    with ServerProcess(kit_server_command()) as server:
        model = OpenAICompatible("generalist-small", base_url=server.url + "/v1")
        result = evaluate(Ask(model, "Answer briefly: {input}"), questions, clock="wall", concurrency=8, progress=False)
    assert len(result.items) == 40 and list(result.items.status) == ["ok"] * 40, result.items.error.unique()
    assert all(f"number {i}?" in out for i, out in enumerate(result.items.output))  # each answer in its own row
    assert (result.items.calls == 1).all() and (result.items.latency_s > 0).all()
