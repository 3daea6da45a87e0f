"""Timeouts say which limit fired; a cancelled branch is one failure, a cancelled run stops everything."""

from __future__ import annotations

import asyncio

import pytest

from orchestration_kit import Ask, Parallel, Resilient, RetryPolicy, SimulatedModel, TaskFailed, Timeout, arun, run

from timed_steps import sleeper


# -- a timeout from inside the step is not the step's own timeout ---------------------------------
def test_retry_without_a_timeout_retries_a_backend_timeout_and_raises_it_as_it_was():
    model = SimulatedModel("generalist-small").with_failures(timeout_rate=1, error_rate=0)
    with pytest.raises(Timeout, match="generalist-small: no answer after") as caught:
        run(Resilient(Ask(model), retry=RetryPolicy(2, initial_delay=0.5)), "hello")
    attempts = [s for s in caught.value.trace if s.kind == "attempt"]
    assert [(a.attempt, a.status) for a in attempts] == [(1, "timeout"), (2, "timeout")]
    assert attempts[0].detail == "retrying in 0.5 s"


def test_an_inner_timeout_inside_an_outer_one_keeps_its_own_name_and_limit():
    flow = Resilient(Resilient(sleeper(5.0), timeout=1, name="inner"), timeout=10, name="outer")
    with pytest.raises(Timeout, match=r"step 'inner' took longer than its 1 s timeout") as caught:
        run(flow, "x")
    assert "outer" not in str(caught.value)
    assert caught.value.trace.latency == 1.0


def test_the_outer_timeout_is_claimed_when_it_is_the_one_that_fires():
    flow = Resilient(Resilient(sleeper(20.0), timeout=15, name="inner"), timeout=10, name="outer")
    with pytest.raises(Timeout, match=r"step 'outer' took longer than its 10 s timeout"):
        run(flow, "x")


def test_a_parallel_timeout_around_a_resilient_reports_the_timeout_that_fired():
    inner = Resilient(sleeper(5.0), timeout=1, name="lookup")
    result = run(Parallel(tasks={"lookup": inner, "quick": sleeper(0.5, "ok")}, timeout=10), "x")
    assert result.output.missing["lookup"].startswith("Timeout: step 'lookup' took longer than its 1 s timeout")
    assert result.trace.latency == 1.0
    slow = run(Parallel(tasks={"lookup": Resilient(sleeper(30.0), timeout=20, name="lookup")}, timeout=10), "x")
    assert "its 10 s timeout" in slow.output.missing["lookup"]


def test_an_outer_retry_retries_after_an_inner_timeout():
    # attempt 1: 0-1 inner timeout, wait 0.5; attempt 2: 1.5-2.5 inner timeout.
    flow = Resilient(Resilient(sleeper(5.0), timeout=1, name="inner"), retry=RetryPolicy(2, initial_delay=0.5), name="outer")
    with pytest.raises(Timeout, match="step 'inner'") as caught:
        run(flow, "x")
    outer = [(s.start, s.end, s.status) for s in caught.value.trace if s.name == "outer"]
    assert outer == [(0.0, 1.0, "timeout"), (1.5, 2.5, "timeout")]


# -- CancelledError inside one branch -------------------------------------------------------------
async def cancelled_inside(x):
    await asyncio.sleep(0.5)
    raise asyncio.CancelledError()  # e.g. a client library's own task or connection was cancelled under it


async def awaits_a_cancelled_future(x):
    future = asyncio.get_running_loop().create_future()
    future.cancel()
    await future


@pytest.mark.parametrize("broken", [cancelled_inside, awaits_a_cancelled_future], ids=lambda f: f.__name__)
def test_a_branch_whose_own_work_raises_cancelled_error_fails_alone(broken):
    tasks = {f"t{i}": sleeper(1.0, i) for i in range(49)} | {"broken": broken}
    result = run(Parallel(tasks=tasks), "x")
    assert len(result.output.values) == 49  # the finished branches are kept
    assert result.output.missing == {"broken": "CancelledError: raised inside the task's own work (nothing asked the flow to stop)"}
    assert result.trace.find("broken")[0].status == "skipped"
    assert result.trace.latency == 1.0


def test_under_on_error_raise_a_cancelled_branch_is_named_in_task_failed():
    with pytest.raises(TaskFailed, match="1 of 2 tasks succeeded.*broken: CancelledError") as caught:
        run(Parallel(tasks={"ok": sleeper(1.0, "fine"), "broken": cancelled_inside}, on_error="raise"), "x")
    assert caught.value.gathered.values == {"ok": "fine"}


# -- a genuine cancellation still stops the whole Parallel ----------------------------------------
def watched_branches(states: dict[str, str], n: int, seconds: float) -> dict[str, object]:
    def branch(name: str):
        async def step(x):
            states[name] = "running"
            try:
                await asyncio.sleep(seconds)
            except asyncio.CancelledError:
                states[name] = "cancelled"
                raise
            states[name] = "finished"
            return name

        step.__name__ = name
        return step

    return {f"b{i}": branch(f"b{i}") for i in range(n)}


def test_a_timeout_around_a_parallel_cancels_every_branch_and_is_a_timeout():
    states: dict[str, str] = {}
    flow = Resilient(Parallel(tasks=watched_branches(states, 5, 3.0)), timeout=1, name="report")
    with pytest.raises(Timeout, match="step 'report' took longer than its 1 s timeout") as caught:
        run(flow, "x")
    assert states == {f"b{i}": "cancelled" for i in range(5)}
    assert {s.status for s in caught.value.trace if s.kind == "task"} == {"cancelled"}


def test_cancelling_a_run_from_outside_propagates_and_leaves_no_branch_running():
    states: dict[str, str] = {}

    async def main() -> None:
        before = asyncio.all_tasks()
        running = asyncio.ensure_future(arun(Parallel(tasks=watched_branches(states, 8, 5.0)), "x", clock="wall"))
        while len(states) < 8:  # every branch has started
            await asyncio.sleep(0.001)
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
        assert asyncio.all_tasks() == before  # no branch task is left

    asyncio.run(main())
    assert states == {f"b{i}": "cancelled" for i in range(8)}
