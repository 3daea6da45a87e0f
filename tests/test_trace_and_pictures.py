"""Traces as tables, timelines and Mermaid diagrams."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from orchestration_kit import Ask, Decision, Hierarchical, Parallel, Router, Sequential, SimulatedModel, Stage, run

from conftest import sleeper


def healthcare_shaped_flow():
    """hierarchical -> router -> parallel -> sequential (synthesis then validation), as in the course."""
    model = SimulatedModel("generalist-small")
    review = Parallel(tasks={"history": sleeper(0.4), "labs": sleeper(0.6), "medications": sleeper(0.5)}, name="review")
    synthesis = Sequential(stages=[Ask(model, "Synthesize: {input}", name="synthesis"), Stage(lambda x: x, validate=lambda x: bool(x), name="validation")], name="synthesis+validation")
    by_condition = Router(lambda case: Decision("cardiac", 0.9), routes={"cardiac": Sequential(stages=[review, synthesis], name="cardiac")}, name="condition router")
    return Hierarchical(top=lambda case: ("real_time", 1.0), sub={"real_time": by_condition, "batch": lambda c: c}, name="triage")


def test_a_nested_healthcare_shaped_flow_has_the_expected_span_tree():
    result = run(healthcare_shaped_flow(), "patient 7")
    assert result.trace.tree() == "\n".join([
        "triage",
        "  <lambda>",
        "  condition router",
        "    <lambda>",
        "    cardiac",
        "      review",
        "        history",
        "        labs",
        "        medications",
        "      synthesis+validation",
        "        synthesis",
        "          generalist-small",
        "        validation",
    ])
    review = result.trace.find("review")[0]
    assert review.end == 0.6
    assert result.trace.latency == round(0.6 + result.trace.model_calls[0].duration, 9)


def test_dataframe_has_one_row_per_span_with_the_documented_columns():
    frame = run(healthcare_shaped_flow(), "patient 7").trace.to_dataframe()
    for column in ["name", "kind", "pattern", "model", "start", "end", "duration", "tokens_in", "tokens_out", "cost", "status", "error", "route"]:
        assert column in frame.columns
    assert frame.loc[frame["name"] == "condition router", "route"].item() == "cardiac"
    assert set(frame["pattern"]) >= {"hierarchical", "router", "parallel", "sequential"}


def test_totals_add_up_the_model_calls():
    trace = run(healthcare_shaped_flow(), "patient 7").trace
    assert trace.totals() == {"latency_s": trace.latency, "cost_usd": trace.cost, "tokens": trace.tokens, "calls": 1}
    assert "spans, latency=" in repr(trace) and "0x" not in repr(trace)


def test_timeline_draws_one_bar_per_span_with_overlapping_parallel_branches():
    result = run(Parallel(tasks={"a": sleeper(1.0), "b": sleeper(2.0)}), "x")
    ax = result.trace.timeline()
    bars = ax.patches
    assert len(bars) == len(result.trace)
    assert ax.get_xlabel() == "time since start of run (s)" and ax.get_title().startswith("Run timeline")
    a, b = (bar for bar, label in zip(bars, [t.get_text() for t in ax.get_yticklabels()]) if label in ("· a", "· b"))
    assert a.get_x() == b.get_x() == 0.0  # both branches start together


def test_every_pattern_draws_itself_as_mermaid():
    text = str(healthcare_shaped_flow().diagram())
    assert text.startswith("flowchart TD")
    # a name that already says its pattern ("condition router") is not told it again
    for title in ["triage (hierarchical)", "condition router", "review (parallel)", "synthesis+validation (sequential)"]:
        assert f'["{title}"]' in text
    assert "```mermaid" in healthcare_shaped_flow().diagram()._repr_markdown_()
