"""A run lets go of its tasks when it ends: they are freed at once, not left for the garbage collector."""

from __future__ import annotations

import asyncio
import gc
import weakref

from orchestration_kit import Parallel, run


def test_a_finished_runs_branch_tasks_are_freed_without_the_garbage_collector():
    seen: list[weakref.ref] = []

    async def branch(x: str) -> str:
        seen.append(weakref.ref(asyncio.current_task()))
        await asyncio.sleep(0.1)
        return x

    flow = Parallel(tasks={"a": branch, "b": branch}, name="fan-out")
    gc.collect()
    gc.disable()  # only reference counting frees things now: a cycle would keep the tasks alive
    try:
        result = run(flow, "x")
        assert len(seen) == 2 and sorted(result.output.values) == ["a", "b"]
        assert [ref() for ref in seen] == [None, None]
    finally:
        gc.enable()
