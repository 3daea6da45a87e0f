"""Lesson 9's real-time path rebuilt in LangGraph: the same models, the same prompts, the same answers.

The kit's version is a ``Router`` (by condition code) over two ``Parallel``
pathways whose synthesizer is a rule. In LangGraph the router is a
conditional edge from START, the two checks are two nodes that both follow
the pathway's node (they run in the same step), and the rule is a node both
edges lead into, which runs once both have written their part of the state::

    >>> graph = real_time_graph(Hospital())           # a compiled StateGraph
    >>> run(as_step(graph), case_text).output          # run inside the kit: same clock, same seeds
    {'status': 'ok', 'recommendation': 'medication_review', 'flags': [...], ...}

``kit_real_time(hospital)`` is the same flow in the kit's patterns, for comparing.
What LangGraph adds: a shared, typed state; checkpoints (pause, resume, replay);
``interrupt`` for a person in the loop; streaming of each step. What it costs:
see benchmarks/README.md ("The LangGraph bridge"). Needs ``pip install langgraph``.
"""

from __future__ import annotations

import operator
import re
from typing import Annotated, Any, TypedDict

from ..patterns import Decision, Parallel, Router
from ..steps import Ask, Step
from ..course.hospital import care_protocol

LABS = "Check this case's lab results:\n{input}"
MEDICINES = "Check this case's medicines:\n{input}"
HIGH_RISK = ["N18", "I48", "I50", "E11"]


def condition(case: str) -> str:
    """'specialist' for a condition with narrow safety margins, else 'general' (lesson 6's rule)."""
    code = re.search(r"^Condition: (\w+)", case, flags=re.MULTILINE)
    return "specialist" if code and code.group(1) in HIGH_RISK else "general"


def decide(findings: dict[str, str], missing: list[str]) -> dict[str, Any]:
    """The care protocol over the checks' JSON findings (course.hospital.care_protocol, the capstone's own)."""
    return care_protocol(findings.values(), missing)


def _checks(hospital: Any, model: str) -> dict[str, Ask]:
    reader = hospital.model(model)
    return {"labs": Ask(reader, LABS, skill="clinical", check="labs", name="labs"),
            "contraindications": Ask(reader, MEDICINES, skill="clinical", check="medications", name="contraindications")}


def kit_real_time(hospital: Any) -> Router:
    """The flow in the kit's patterns: Router -> Parallel, with the rule as synthesizer."""
    def synthesize(gathered: Any) -> dict[str, Any]:
        return decide(gathered.values, list(gathered.missing))

    def route(case: str) -> Decision:
        return Decision(condition(case), 1.0, "condition code")

    return Router(analyzer=route, name="real-time router", routes={
        "specialist": Parallel(tasks=_checks(hospital, "clinical-specialist"), synthesizer=synthesize, name="specialist"),
        "general": Parallel(tasks=_checks(hospital, "generalist-small"), synthesizer=synthesize, name="general")})


class CaseState(TypedDict, total=False):
    """The graph's shared state: the case, each check's finding (merged, as both write in one step), the answer."""

    case: str
    findings: Annotated[dict[str, str], operator.or_]
    missing: Annotated[list[str], operator.add]
    answer: dict[str, Any]


def real_time_graph(hospital: Any) -> Any:
    """The same flow as a compiled LangGraph StateGraph (raises ImportError without langgraph)."""
    from langgraph.graph import END, START, StateGraph

    graph = StateGraph(CaseState)
    for pathway, model in (("specialist", "clinical-specialist"), ("general", "generalist-small")):
        graph.add_node(pathway, lambda state: {})  # the router's destination: the checks follow it
        for check, ask in _checks(hospital, model).items():
            graph.add_node(f"{pathway} {check}", _check_node(check, ask))
            graph.add_edge(pathway, f"{pathway} {check}")
            graph.add_edge(f"{pathway} {check}", "decide")
    graph.add_node("decide", lambda state: {"answer": decide(state.get("findings", {}), state.get("missing", []))})
    graph.add_conditional_edges(START, lambda state: condition(state["case"]), ["specialist", "general"])
    graph.add_edge("decide", END)
    return graph.compile()


def _check_node(check: str, ask: Ask) -> Any:
    async def node(state: CaseState) -> dict[str, Any]:
        from ..context import current_context

        try:  # a failed check is written down as missing, as Parallel(on_error="skip") does
            return {"findings": {check: await ask(state["case"], current_context())}}
        except Exception:
            return {"missing": [check]}

    return node


class GraphStep(Step):
    """A compiled LangGraph graph as a kit step: ``ainvoke`` inside the kit's run, so the kit's clock and seeds apply."""

    def __init__(self, graph: Any, name: str = "langgraph") -> None:
        self.graph, self.name = graph, name

    async def __call__(self, input: Any, ctx: Any) -> Any:
        async with ctx.span(self.name, kind="flow", pattern="langgraph"):
            state = await self.graph.ainvoke({"case": input})
        return state["answer"]

    def __repr__(self) -> str:
        return f"GraphStep({self.name!r})"
