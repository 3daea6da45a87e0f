"""One walk over the flow tree: each step lists its children and draws itself; complexity, outlines and diagrams use that."""

from __future__ import annotations

from typing import Any

from orchestration_kit import Ask, Parallel, Resilient, Router, Sequential, SimulatedModel, Stage, Step
from orchestration_kit.design.skeleton import outline
from orchestration_kit.measure.tradeoffs import complexity
from orchestration_kit.steps import as_step

small = SimulatedModel("generalist-small")


class Twice(Step):
    """A pattern of one's own: run a step twice in a row. Only children() and draw() tell the walks about it."""

    pattern = "twice"

    def __init__(self, step: Any, name: str = "twice") -> None:
        self.step, self.name = as_step(step), name

    async def __call__(self, input: Any, ctx: Any) -> Any:
        return await self.step(await self.step(input, ctx), ctx)

    def children(self) -> list[Step]:
        return [self.step]

    def draw(self, chart: Any) -> tuple[str, str]:
        with chart.group(self.name, self.pattern) as group:
            _, exit_ = self.step.draw(chart)
        return group, exit_


def test_a_plain_step_has_no_children():
    assert Ask(small, "{input}").children() == [] and as_step(str.upper).children() == []


def test_each_pattern_lists_its_parts_in_order():
    a, b, c = Ask(small, "a: {input}", name="a"), Ask(small, "b: {input}", name="b"), Ask(small, "c: {input}", name="c")
    assert [s.name for s in Sequential(stages=[a, b]).children()] == ["a", "b"]
    assert [s.name for s in Parallel(tasks={"x": a, "y": b}, synthesizer=c).children()] == ["a", "b", "c"]
    assert [s.name for s in Router(analyzer=lambda x: "x", routes={"x": a}, fallback=b).children()] == ["<lambda>", "a", "b"]
    assert [s.name for s in Stage(a, alternative=b).children()] == ["a", "b"]
    assert [s.name for s in Resilient(a, fallback=c).children()] == ["a", "c"]


def test_a_new_pattern_is_counted_outlined_and_drawn_without_editing_the_walks():
    tasks = {"x": Ask(small, "x: {input}", name="x"), "y": Ask(small, "y: {input}", name="y")}
    flow = Sequential(stages=[Twice(Parallel(tasks=tasks)), Ask(small, "z: {input}", name="z")])
    counts = complexity(flow)
    assert counts["patterns"] == 3 and counts["depth"] == 3 and counts["steps"] == 3
    assert outline(flow) == "sequential(twice(parallel(x, y)), z)"
    mermaid = str(flow.diagram())
    assert mermaid.index('subgraph s3["twice"]') < mermaid.index('["parallel"]')  # the parallel is drawn inside twice


def test_one_rule_decides_which_step_gets_a_span_of_its_own():
    from orchestration_kit import run

    def shout(x):
        return x.upper()

    flow = Sequential(stages=[shout, Stage(shout, name="loud"), Ask(small, "Summarise: {input}"),
                              Ask(small, "Summarise: {input}", name="summary")])
    names = [s.name for s in run(flow, "hi").trace if s.kind != "flow"]
    # a bare stage named as its step: the step's span; a renamed stage: its own span, and the plain function
    # that is its whole body adds none; an Ask named as its model: the model's span; a named Ask: its role's
    # span around the model's
    assert names == ["shout", "loud", "generalist-small", "summary", "generalist-small"]
    in_a_task = run(Parallel(tasks={"a": shout}), "hi").trace
    assert [s.name for s in in_a_task if s.kind != "flow"] == ["a"]  # a plain function that is a task's whole body
