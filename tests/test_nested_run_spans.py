"""A run started inside another run's step records its own spans: its trace is a tree of its own."""

from __future__ import annotations

from orchestration_kit import Parallel, arun, run


def test_a_nested_run_on_the_same_loop_records_its_root_step_even_when_named_as_the_outer_span():
    inner_trees = []

    async def lookup(x: str) -> str:  # an async step that runs another flow on the caller's loop
        inner_trees.append((await arun(inner, x, clock="wall")).trace.tree())
        return x

    async def inner(x: str) -> str:
        return x.upper()

    inner.__name__ = "lookup"  # the same name as the outer task whose body the nested run is part of
    flow = Parallel(tasks={"lookup": lookup}, name="outer")
    outer_tree = run(flow, "x", clock="wall").trace.tree()
    assert outer_tree.splitlines() == ["outer", "  lookup"]
    assert inner_trees == ["lookup"]  # the nested run's own span, not an empty trace
