"""The LangGraph bridge: lesson 9's real-time path as a StateGraph gives the kit's answers, exactly, on the same models.

Skipped when LangGraph is not installed (``pip install "orchestration-kit[frameworks]"``; the dev extra has it).
"""

from __future__ import annotations

import pytest

pytest.importorskip("langgraph", reason="LangGraph is not installed: pip install 'orchestration-kit[frameworks]'")

from orchestration_kit import datasets, run  # noqa: E402
from orchestration_kit.bridges.langgraph_flow import GraphStep, kit_real_time, real_time_graph  # noqa: E402
from orchestration_kit.course.hospital import Hospital  # noqa: E402

CASES = datasets.healthcare_cases()


@pytest.mark.parametrize("scenario", ["normal day", "specialist down", "slow lab service"])
def test_the_graph_gives_the_kits_answers_and_latencies_case_for_case(scenario):
    hospital = Hospital(scenario)
    kit, graph = kit_real_time(hospital), GraphStep(real_time_graph(hospital))
    for text in CASES.text:
        ours, theirs = run(kit, text), run(graph, text)
        assert theirs.output == ours.output
        assert theirs.trace.latency_ns == ours.trace.latency_ns
        assert theirs.trace.cost == pytest.approx(ours.trace.cost, abs=1e-12)


def test_a_failed_check_is_missing_in_both_and_the_case_escalates():
    hospital = Hospital("specialist down")
    case = CASES.set_index("id").loc["h003", "text"]  # heart failure: the specialist pathway
    answer = run(GraphStep(real_time_graph(hospital)), case).output
    assert answer["missing"] == ["contraindications", "labs"] and answer["status"] == "escalate"


def test_the_graph_routes_by_condition_code_with_a_conditional_edge():
    graph = real_time_graph(Hospital()).get_graph()
    assert {"specialist", "general", "decide"} <= set(graph.nodes)
    assert {(edge.source, edge.target) for edge in graph.edges if edge.conditional} == {
        ("__start__", "specialist"), ("__start__", "general")}
