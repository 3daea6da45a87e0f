"""The timing laws of the four patterns, exact in virtual time."""

from __future__ import annotations

from orchestration_kit import (
    Decision,
    Hierarchical,
    Parallel,
    RetryPolicy,
    Router,
    Sequential,
    Timeout,
    run,
)

from timed_steps import sleeper

BRANCHES = {"fast": sleeper(0.3), "medium": sleeper(1.0), "slow": sleeper(2.0)}


def test_parallel_latency_is_the_slowest_branch():
    assert run(Parallel(tasks=BRANCHES), "x").trace.latency == 2.0


def test_sequential_latency_is_the_sum_of_its_stages():
    assert run(Sequential(stages=list(BRANCHES.values())), "x").trace.latency == 3.3


def test_five_one_second_tasks_under_max_concurrency_two_take_three_seconds():
    flow = Parallel(sleeper(1.0, name="task"), splitter=lambda x: list(range(5)), max_concurrency=2)
    result = run(flow, "x")
    assert result.trace.latency == 3.0
    starts = sorted(s.start for s in result.trace if s.kind == "task")
    assert starts == [0.0, 0.0, 1.0, 1.0, 2.0]


def test_timeout_with_retries_ends_when_the_arithmetic_says():
    # attempt 1: 0.0-0.5 timeout, wait 0.5; attempt 2: 1.0-1.5 timeout, wait 1.0; attempt 3: 2.5-3.0 timeout.
    flow = Parallel(
        tasks={"slow": sleeper(2.0)},
        timeout=0.5,
        retry=RetryPolicy(attempts=3, initial_delay=0.5, factor=2.0),
    )
    result = run(flow, "x")
    assert result.trace.latency == 3.0
    attempts = [s for s in result.trace if s.kind == "attempt"]
    assert [(a.start, a.end, a.status) for a in attempts] == [
        (0.0, 0.5, "timeout"),
        (1.0, 1.5, "timeout"),
        (2.5, 3.0, "timeout"),
    ]
    assert "Timeout" in result.output.missing["slow"]
    assert issubclass(Timeout, TimeoutError)


def test_router_latency_is_the_analyzer_plus_the_chosen_handler():
    async def analyzer(x):
        await sleeper(0.2)(x)
        return Decision("b", 0.9)

    flow = Router(analyzer, routes={"a": sleeper(5.0), "b": sleeper(1.0)})
    result = run(flow, "x")
    assert result.trace.latency == 1.2
    assert result.trace.find("router")[0].route == "b"


def test_nested_flows_compose_their_latencies():
    inner = Parallel(tasks={"p": sleeper(0.5), "q": sleeper(1.5)}, name="inner")
    flow = Hierarchical(top=lambda x: ("only", 1.0), sub={"only": Sequential(stages=[sleeper(1.0), inner])})
    assert run(flow, "x").trace.latency == 2.5


def test_the_same_flow_twice_gives_identical_trace_dataframes():
    flow = Sequential(stages=[Parallel(tasks=BRANCHES), sleeper(0.1)])
    first, second = run(flow, "x").trace.to_dataframe(), run(flow, "x").trace.to_dataframe()
    assert first.equals(second)
    # a plain function that is a whole task adds no span of its own: the task's span is its record
    assert list(first["name"]) == ["sequential", "parallel", "fast", "medium", "slow", "sleep_0.1s"]
