"""Property tests: the timing laws hold for any nesting of the patterns, exactly, in virtual time.

Hypothesis builds random trees of Sequential, Parallel, Router and Hierarchical
over sleep steps with random durations ("plans"), runs them on the virtual
clock, and checks the laws a learner can compute by hand:

- a Sequential takes the sum of its stages, a Parallel the longest of its tasks,
  a Router its analyzer plus the handler it chose, a Hierarchical its top level
  plus its sub-orchestration;
- a Hierarchical's feedback lists exactly the trouble inside its own
  sub-orchestration, never a sibling's, wherever it is nested;
- n equal tasks under ``max_concurrency=k`` take ceil(n / k) task durations;
- the same flow run twice gives the same trace, bit for bit;
- no task outlives the run, or the span that started it, even when a branch raises.
"""

from __future__ import annotations

import asyncio
import heapq
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Union

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestration_kit import Hierarchical, Parallel, Router, Sequential, run

# Modest, and the same examples on every machine (derandomize), so CI cannot flake.
PROPERTY = settings(max_examples=60, deadline=None, derandomize=True, database=None)

# Durations are counted in ticks. A tick of 1/8 s is a binary fraction: every sum the
# virtual clock forms (now + delay) is exact in floating point, so the laws hold with
# plain ==. A tick of 1/10 s is what learners write (0.3 s, 1.2 s); those sums carry
# float error around 1e-15 s, which the trace's rounding to the nanosecond removes.
# The expected times are computed exactly with Fractions and rounded the same way.
EXACT, DECIMAL = Fraction(1, 8), Fraction(1, 10)


def seconds(t: Fraction) -> float:
    """An exact time, rounded as the trace rounds it (to the nanosecond)."""
    return round(float(t), 9)


# -- plans: a flow described as plain data, so Hypothesis can build and shrink it ----------------
@dataclass(frozen=True)
class Sleep:
    ticks: int
    fails: bool = False  # raise after sleeping
    stray: bool = False  # start a background task and never await it


@dataclass(frozen=True)
class Seq:
    children: tuple[Plan, ...]
    on_error: str = "raise"


@dataclass(frozen=True)
class Par:
    children: tuple[Plan, ...]
    on_error: str = "skip"


@dataclass(frozen=True)
class Route:
    analyzer_ticks: int
    routes: tuple[Plan, ...]
    chosen: tuple[int, ...]  # one route, or several run at once and combined by an aggregator
    fallback: Plan | None = None


@dataclass(frozen=True)
class Hier:
    top_ticks: int  # how long the top level takes to choose the one route, "sub"
    sub: Plan


Plan = Union[Sleep, Seq, Par, Route, Hier]
from orchestration_kit.status import TROUBLE  # noqa: E402 (the trouble set, defined once in the kit)


def plans(failures: bool = False) -> st.SearchStrategy[Plan]:
    """Random nested flows of at most 12 sleeps of 0 to 3 s (0 to 24 ticks of 1/8 s)."""
    ticks = st.integers(min_value=0, max_value=24)
    flag = st.booleans() if failures else st.just(False)
    sleeps = st.builds(Sleep, ticks, flag, flag)

    def nest(inner: st.SearchStrategy[Plan]) -> st.SearchStrategy[Plan]:
        children = st.lists(inner, min_size=1, max_size=4).map(tuple)
        routers = children.flatmap(
            lambda routes: st.builds(
                Route,
                ticks,
                st.just(routes),
                st.lists(st.integers(0, len(routes) - 1), min_size=1, max_size=2, unique=True).map(sorted).map(tuple),
                st.none() | sleeps,
            )
        )
        return st.one_of(
            st.builds(Seq, children, st.sampled_from(["raise", "rollback"])),
            st.builds(Par, children, st.sampled_from(["skip", "default", "raise"])),
            routers,
            st.builds(Hier, ticks, inner),
        )

    return st.recursive(sleeps, nest, max_leaves=12)


def hierarchies_side_by_side() -> st.SearchStrategy[Plan]:
    """A Parallel or a Router whose children include Hierarchical flows, some of them failing."""
    ticks = st.integers(min_value=0, max_value=24)
    hier = st.builds(Hier, ticks, plans(failures=True))
    children = st.tuples(hier, st.lists(hier | plans(failures=True), min_size=1, max_size=3)).map(lambda t: (t[0], *t[1]))
    routers = children.flatmap(
        lambda routes: st.builds(
            Route, ticks, st.just(routes),
            st.lists(st.integers(0, len(routes) - 1), min_size=1, max_size=3, unique=True).map(sorted).map(tuple),
        )
    )
    return st.builds(Par, children, st.sampled_from(["skip", "default", "raise"])) | routers


def fails_somewhere(plan: Plan) -> bool:
    if isinstance(plan, Sleep):
        return plan.fails
    if isinstance(plan, Hier):
        return fails_somewhere(plan.sub)
    parts = plan.routes if isinstance(plan, Route) else plan.children
    return any(fails_somewhere(part) for part in parts)


# -- building a plan into a real flow, and working out by hand when each part runs ---------------
class Builder:
    """Turn a plan into a flow; record the interval each named part must run in.

    ``expected[name] = (start, end)`` for every part that runs. Parts that must
    not run (the routes a router did not choose, unused fallbacks) get a name
    but no entry. ``log[name]`` says how each sleep ended: finished, raised or
    cancelled (anything else means it was left running). For each Hierarchical,
    ``feedback[name]`` is the Feedback it received and ``inside[name]`` the names
    of every part built inside its sub-orchestration.
    """

    def __init__(self, tick: Fraction = EXACT, jitter: bool = False) -> None:
        self.tick = tick
        self.jitter = jitter  # add a seeded random 0 to 7 ticks to every sleep (then expected is not kept)
        self.expected: dict[str, tuple[float, float]] = {}
        self.log: dict[str, str] = {}
        self.feedback: dict[str, Any] = {}
        self.inside: dict[str, set[str]] = {}
        self.plans: dict[str, Hier] = {}
        self._names: list[str] = []  # every name given out, in order
        self._count = 0

    def build(self, plan: Plan, start: Fraction = Fraction(0), runs: bool = True) -> tuple[Any, Fraction]:
        """Return (step, end time); ``runs`` is False for parts that will never be called."""
        self._count += 1
        name = f"{type(plan).__name__.lower()}{self._count}"
        self._names.append(name)
        if isinstance(plan, Sleep):
            end = start + plan.ticks * self.tick
            step = self.sleep(name, plan.ticks * self.tick, fails=plan.fails, stray=plan.stray)
        elif isinstance(plan, Seq):
            stages, end = [], start
            for child in plan.children:
                stage, end = self.build(child, end, runs)
                stages.append(stage)
            step = Sequential(stages=stages, on_error=plan.on_error, name=name)
        elif isinstance(plan, Par):
            built = [self.build(child, start, runs) for child in plan.children]
            end = max(child_end for _, child_end in built)
            step = Parallel(tasks={name_of(task): task for task, _ in built}, on_error=plan.on_error, name=name)
        elif isinstance(plan, Hier):
            decided = start + plan.top_ticks * self.tick
            top = self.sleep(f"{name} top", plan.top_ticks * self.tick, returns="sub")
            first = len(self._names)
            sub, end = self.build(plan.sub, decided, runs)
            self.inside[name], self.plans[name] = set(self._names[first:]), plan
            if runs:
                self.expected[top.__name__] = (seconds(start), seconds(decided))

            def escalate_when(feedback: Any, name: str = name) -> None:
                self.feedback[name] = feedback  # never escalate: only the feedback is under test

            step = Hierarchical(top=top, sub={"sub": sub}, escalate_when=escalate_when, name=name)
        else:  # a Route
            routes = [f"route{i}" for i in range(len(plan.routes))]
            chosen = [routes[i] for i in plan.chosen]
            decided = start + plan.analyzer_ticks * self.tick
            analyzer = self.sleep(f"{name} analyzer", plan.analyzer_ticks * self.tick, returns=chosen)
            self._names += [f"{name} analyzer", f"{name} aggregator"]
            handlers, ends = {}, []
            for route, child in zip(routes, plan.routes):
                handlers[route], child_end = self.build(child, decided, runs and route in chosen)
                if route in chosen:
                    ends.append(child_end)
            end = max(ends)  # the chosen handlers run at the same time; the aggregator takes no time

            def aggregator(outputs: dict[str, Any]) -> Any:
                return outputs

            aggregator.__name__ = f"{name} aggregator"
            if runs:
                self.expected[analyzer.__name__] = (seconds(start), seconds(decided))
                self.expected[aggregator.__name__] = (seconds(end), seconds(end))  # every answer goes through it
            fallback = self.build(plan.fallback, decided, runs=False)[0] if plan.fallback else None
            step = Router(analyzer, handlers, fallback=fallback, aggregator=aggregator, name=name)
        if runs:
            self.expected[name] = (seconds(start), seconds(end))
        return step, end

    def sleep(self, name: str, duration: Fraction, *, returns: Any = None, fails: bool = False, stray: bool = False) -> Any:
        log = self.log

        async def background() -> None:
            # Sleeping keeps the task referenced by the loop's timers; a task waiting on
            # nothing but its own future could be garbage-collected before the run ends.
            await watched(f"{name} stray", asyncio.sleep(3600))

        async def watched(label: str, work: Any) -> None:
            log[label] = "running"
            try:
                await work
            except asyncio.CancelledError:
                log[label] = "cancelled"
                raise
            except GeneratorExit:  # destroyed while still pending: nobody cancelled it
                log[label] = "abandoned"
                raise
            log[label] = "finished"

        async def step(x: Any, ctx: Any) -> Any:
            if stray:
                asyncio.ensure_future(background())  # deliberately never awaited: the run must cancel it
            extra = ctx.rng("jitter", name).randrange(8) * self.tick if self.jitter else 0
            await watched(name, asyncio.sleep(float(duration + extra)))
            if fails:
                log[name] = "raised"
                raise RuntimeError(f"{name} failed on purpose")
            return x if returns is None else returns

        step.__name__ = name
        return step


def name_of(step: Any) -> str:
    """A flow's name, or a plain function's (which is what its span is called)."""
    return getattr(step, "name", None) or step.__name__


def spans_by_name(trace: Any) -> dict[str, set[tuple[float, float]]]:
    """The intervals recorded under each name (a task and the flow it wraps share one name)."""
    found: dict[str, set[tuple[float, float]]] = {}
    for span in trace:
        found.setdefault(span.name, set()).add((span.start, span.end))
    return found


# -- the timing laws ------------------------------------------------------------------------------
@pytest.mark.parametrize("tick", [EXACT, DECIMAL], ids=["eighths", "tenths"])
@PROPERTY
@given(plan=plans())
def test_every_part_of_a_nested_flow_runs_exactly_when_the_laws_say(tick, plan):
    # Stages start when the previous one ends; tasks start together; a handler starts
    # when its analyzer ends. Checked for every span, not just the whole run.
    builder = Builder(tick)
    flow, end = builder.build(plan)
    result = run(flow, "input")
    assert result.trace.latency == seconds(end)
    expected = {name: {interval} for name, interval in builder.expected.items()}
    assert spans_by_name(result.trace) == expected  # nothing else ran: no unchosen route, no fallback


@pytest.mark.parametrize("tick", [EXACT, DECIMAL], ids=["eighths", "tenths"])
@PROPERTY
@given(plan=plans())
def test_each_flow_takes_the_sum_or_the_max_of_its_childrens_times(tick, plan):
    # The same laws read off the trace alone, without the hand computation above; added up
    # in whole nanoseconds, which are exact (tenths of a second as floats would not be).
    trace = run(Builder(tick).build(plan)[0], "input").trace
    for span in trace:
        durations = [child.duration_ns for child in trace.children(span)]
        if span.pattern == "sequential":
            assert span.duration_ns == sum(durations), span
        elif span.pattern == "parallel":
            assert span.duration_ns == max(durations), span
        elif span.pattern == "router":  # the analyzer, then the chosen handlers (at once), then the aggregator
            parts = {child.name.rpartition(" ")[2]: child.duration_ns for child in trace.children(span)}
            handlers = [c.duration_ns for c in trace.children(span) if not c.name.startswith(f"{span.name} ")]
            assert span.duration_ns == parts["analyzer"] + max(handlers) + parts.get("aggregator", 0), span
        elif span.pattern == "hierarchical":  # the top level, then the sub-orchestration it chose
            assert span.duration_ns == sum(durations), span


def run_to_the_end(flow: Any) -> Any:
    """The trace of a run, whether it returned or raised."""
    try:
        return run(flow, "input").trace
    except Exception as error:  # a failed run still hands back its trace
        return error.trace


@PROPERTY
@given(plan=st.one_of(plans(failures=True), hierarchies_side_by_side()))
def test_a_hierarchicals_feedback_lists_exactly_the_trouble_inside_its_own_sub_orchestration(plan):
    # Read from the finished trace by name: every troubled span among the parts built inside
    # this Hierarchical's sub-orchestration, and nothing from a sibling running at the same time.
    builder = Builder()
    trace = run_to_the_end(builder.build(plan)[0])
    for name, feedback in builder.feedback.items():
        inside = builder.inside[name]
        expected = sorted(s.id for s in trace.spans if s.name in inside and s.status in TROUBLE)
        assert sorted(s.id for s in feedback.issues) == expected, (name, feedback)  # the very spans of the trace


@PROPERTY
@given(plan=hierarchies_side_by_side())
def test_a_hierarchical_whose_sub_orchestration_cannot_fail_is_ok_beside_failing_siblings(plan):
    builder = Builder()
    run_to_the_end(builder.build(plan)[0])
    for name, feedback in builder.feedback.items():
        if not fails_somewhere(builder.plans[name].sub):
            assert feedback.ok and feedback.issues == (), (name, feedback)


@PROPERTY
@given(
    n=st.integers(min_value=1, max_value=20),
    k=st.integers(min_value=1, max_value=8),
    ticks=st.integers(min_value=1, max_value=24),
)
def test_n_equal_tasks_under_max_concurrency_k_take_ceil_n_over_k_durations(n, k, ticks):
    duration = ticks / 8
    task = Builder().sleep("task", Fraction(ticks, 8))
    flow = Parallel(task, splitter=lambda x: list(range(n)), max_concurrency=k)
    result = run(flow, "input")
    assert result.trace.latency == math.ceil(n / k) * duration
    starts = sorted(s.start for s in result.trace if s.kind == "task")
    assert starts == [(i // k) * duration for i in range(n)]  # k at a time, never more


@PROPERTY
@given(
    durations=st.lists(st.integers(min_value=0, max_value=24), min_size=1, max_size=16),
    k=st.integers(min_value=1, max_value=6),
)
def test_unequal_tasks_under_a_limit_each_start_as_soon_as_a_slot_frees(durations, k):
    # Tasks take the k slots in the order they are listed (greedy list scheduling).
    builder = Builder()
    tasks = {f"t{i}": builder.sleep(f"t{i}", Fraction(d, 8)) for i, d in enumerate(durations)}
    result = run(Parallel(tasks=tasks, max_concurrency=k), "input")
    slots, expected = [0.0] * k, {}
    for name, d in zip(tasks, durations):
        start = heapq.heappop(slots)
        expected[name] = (start, start + d / 8)
        heapq.heappush(slots, start + d / 8)
    assert {name: (s.start, s.end) for name in tasks for s in result.trace.find(name)} == expected


# -- determinism and structured concurrency -------------------------------------------------------
@PROPERTY
@given(plan=plans(failures=True), seed=st.integers(min_value=0, max_value=2**32))
def test_the_same_flow_run_twice_gives_identical_trace_dataframes(plan, seed):
    flow = Builder(jitter=True).build(plan)[0]  # durations drawn from the run's seeded rng
    frames = []
    for _ in range(2):
        try:
            trace = run(flow, "input", seed=seed).trace
        except Exception as error:  # a failed run still hands back its trace
            trace = error.trace
        frames.append(trace.to_dataframe())
    first, second = frames
    assert len(first) > 0
    assert first.equals(second), (first, second)


@PROPERTY
@given(plan=plans(failures=True))
def test_no_task_is_left_running_after_a_run_even_when_a_branch_raises(plan):
    builder = Builder()
    flow = builder.build(plan)[0]
    try:
        trace = run(flow, "input").trace
    except Exception as error:
        trace = error.trace
    left = {name: how for name, how in builder.log.items() if how not in ("finished", "raised", "cancelled")}
    assert left == {}, f"still running or abandoned after the run: {left}"
    started = {name for name in builder.log if not name.endswith(" stray")}
    assert started <= set(spans_by_name(trace)), "every sleep that started is in the trace"


@PROPERTY
@given(plan=plans(failures=True))
def test_no_span_outlives_its_parent(plan):
    # Structured concurrency seen in the trace: a pattern waits for (or cancels) all it started.
    try:
        trace = run(Builder().build(plan)[0], "input").trace
    except Exception as error:
        trace = error.trace
    by_id = {span.id: span for span in trace}
    for span in trace:
        if span.parent is not None:
            parent = by_id[span.parent]
            assert parent.start <= span.start and span.end <= parent.end, (parent, span)


@PROPERTY
@given(fail_at=st.integers(min_value=0, max_value=7), slow=st.integers(min_value=9, max_value=24))
def test_when_one_of_several_chosen_handlers_raises_the_others_stop_with_the_router(fail_at, slow):
    # The router falls back, so the slow handler's answer would be thrown away: it must
    # stop when its sibling fails, not keep running (and spending) through later stages.
    builder = Builder()
    router = Router(
        analyzer=lambda x: ["quick", "slow"],
        routes={
            "quick": builder.sleep("quick", Fraction(fail_at, 8), fails=True),
            "slow": builder.sleep("slow", Fraction(slow, 8)),
        },
        aggregator=lambda outputs: outputs,
        fallback=builder.sleep("generalist", Fraction(1, 8)),
        name="router",
    )
    trace = run(Sequential(stages=[router, builder.sleep("next stage", Fraction(3))]), "input").trace
    failed_at = fail_at / 8
    assert [(s.start, s.end, s.status) for s in trace.find("slow")] == [(0.0, failed_at, "cancelled")]
    assert [(s.start, s.end) for s in trace.find("router")] == [(0.0, failed_at + 0.125)]
    assert trace.latency == failed_at + 0.125 + 3
    assert builder.log["slow"] == "cancelled"
