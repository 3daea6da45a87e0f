"""Traces as tables, timelines and Mermaid diagrams."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from orchestration_kit import Ask, Decision, Hierarchical, Parallel, Router, Sequential, SimulatedModel, Stage, run

from timed_steps import sleeper


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
    for title in ["triage (hierarchical)", "condition router", "review (parallel)", "synthesis+validation (sequential)"]:
        assert f'["{title}"]' in text
    assert "```mermaid" in healthcare_shaped_flow().diagram()._repr_markdown_()


# -- timelines that read at a glance ----------------------------------------------------------
import re  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from orchestration_kit.pictures.charts import KIND_COLOURS, STATUS_STYLES, keep_inside, label_bars  # noqa: E402


def a_partly_failed_run():
    """A Parallel whose model call fails every time (error), so its task is skipped, then an instant check."""
    broken = Ask(SimulatedModel("generalist-small").with_failures(error_rate=1.0), "Check: {input}", name="compliance")
    checks = Parallel(tasks={"summary": Ask(SimulatedModel("generalist-small"), "Sum up: {input}", name="summary"),
                             "compliance": broken}, name="checks")
    return run(Sequential(stages=[checks, lambda x: x], name="pipeline"), "a purchase")


def bar_of(ax, row):
    return next(bar for bar in ax.patches if abs(bar.get_y() + bar.get_height() / 2 - row) < 1e-9)


def test_an_instant_is_a_diamond_not_a_missing_bar():
    result = a_partly_failed_run()
    ax = result.trace.timeline()
    instants = [s for s in result.trace if s.duration == 0]
    diamonds = [line for line in ax.lines if line.get_marker() == "D"]
    assert instants and len(diamonds) == len(instants)
    assert len(ax.patches) == len(result.trace) - len(instants)
    assert all(ax.get_xlim()[0] <= d.get_xdata()[0] <= ax.get_xlim()[1] for d in diamonds)
    assert "instant (took no time)" in [t.get_text() for t in ax.get_legend().get_texts()] or any(
        "instant" in t.get_text() for artist in ax.artists for t in artist.get_texts())
    plt.close("all")


def test_every_span_kind_has_its_own_colour():
    assert len(set(KIND_COLOURS.values())) == len(KIND_COLOURS)
    result = a_partly_failed_run()
    ax = result.trace.timeline()
    rows = [t.get_text().strip("· ").split(" [")[0] for t in ax.get_yticklabels()]
    colour_of_kind = {}
    for row, (span, label) in enumerate(zip(sorted_by_rows(result.trace, rows), rows)):
        if span.duration > 0:
            colour_of_kind.setdefault(span.kind, set()).add(matplotlib.colors.to_hex(bar_of(ax, row).get_facecolor(), keep_alpha=False))
    assert all(len(colours) == 1 for colours in colour_of_kind.values())
    assert len({c for colours in colour_of_kind.values() for c in colours}) == len(colour_of_kind) >= 3
    plt.close("all")


def sorted_by_rows(trace, rows):
    spans = list(trace)
    return [next(s for s in spans if s.name == name and (spans.remove(s) or True)) for name in rows]


def test_skipped_and_failed_spans_look_different_and_the_legend_says_which_is_which():
    result = a_partly_failed_run()
    ax = result.trace.timeline()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    failed = bar_of(ax, next(i for i, label in enumerate(labels) if label.endswith("[error]")))
    skipped = bar_of(ax, next(i for i, label in enumerate(labels) if label.endswith("[skipped]")))
    assert (failed.get_hatch(), failed.get_linestyle()) != (skipped.get_hatch(), skipped.get_linestyle())
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert STATUS_STYLES["failed"][1] in legend and STATUS_STYLES["skipped"][1] in legend
    assert STATUS_STYLES["degraded"][1] in legend  # "checks" ended partial
    plt.close("all")


def test_the_upper_of_two_stacked_timelines_leaves_the_time_caption_to_the_lower():
    result = run(Parallel(tasks={"a": sleeper(1.0), "b": sleeper(2.0)}), "x")
    _, (top, bottom) = plt.subplots(2, 1, sharex=True)
    result.trace.timeline(ax=top), result.trace.timeline(ax=bottom)
    assert top.get_xlabel() == "" and bottom.get_xlabel() == "time since start of run (s)"
    plt.close("all")


def inside(ax) -> bool:
    ax.figure.draw_without_rendering()
    frame = ax.get_window_extent()
    boxes = [t.get_window_extent() for t in ax.texts if t.get_text()]
    return bool(boxes) and all(frame.x0 - 0.5 <= b.x0 and b.x1 <= frame.x1 + 0.5 and frame.y0 - 0.5 <= b.y0 and b.y1 <= frame.y1 + 0.5
                               for b in boxes)


def test_keep_inside_widens_the_axes_until_every_label_is_inside_the_frame():
    _, ax = plt.subplots(figsize=(4, 3))
    ax.scatter([0.1, 0.9], [0.2, 0.95])
    ax.annotate("a long label that runs far to the right", (0.9, 0.95), xytext=(5, 5), textcoords="offset points")
    assert not inside(ax)
    keep_inside(ax)
    assert inside(ax)
    plt.close("all")


def test_a_bar_of_length_zero_still_shows_its_value():
    _, ax = plt.subplots()
    bars = ax.barh(["router", "parallel"], [0.0, 1.06])
    labels = label_bars(ax, bars, "{:.2f} s")
    assert [t.get_text() for t in labels] == ["0.00 s", "1.06 s"]
    plt.close("all")


def test_the_course_charts_keep_their_labels_inside_the_frame():
    import pandas as pd
    from orchestration_kit.measure.explorer import parallel_vs_sequential, plot_parallel_vs_sequential
    from orchestration_kit.measure.tradeoffs import plot_latency

    runs = pd.DataFrame({"pattern": ["router"] * 3 + ["parallel"] * 3, "latency_s": [0.9, 1.0, 2.25, 0.6, 0.6, 2.32]})
    assert inside(plot_latency(runs))
    axes = plot_parallel_vs_sequential(parallel_vs_sequential(branches=4, latency_spread=0.6, failure_rate=0.1, runs=10))
    assert inside(axes[1])
    plt.close("all")


# -- diagrams without repetition ---------------------------------------------------------------
def labels_of(text: str) -> list[str]:
    return re.findall(r'\["(.*?)"\]|\("(.*?)"\)|\{"(.*?)"\}', text) and [
        next(g for g in m if g) for m in re.findall(r'\["(.*?)"\]|\("(.*?)"\)|\{"(.*?)"\}', text)]


def test_no_label_in_a_diagram_says_the_same_thing_twice():
    small = SimulatedModel("generalist-small")
    support = Ask(SimulatedModel("generalist-large"), "Answer: {input}", name="support (generalist-large)")
    flow = Sequential(stages=[
        Parallel(tasks={"a": Ask(small, "A: {input}"), "b": sleeper(0.1)}),  # default names: "parallel", the model's
        Router(lambda x: "billing", routes={"billing": Ask(small, "B: {input}", name="billing (billing-specialist)"),
                                            "general": support}, fallback=support, name="keyword router"),
    ])
    text = str(flow.diagram())
    for label in labels_of(text):
        parts = [p.strip(" ()") for p in re.split(r"<br/>|\(", label) if p.strip(" ()")]
        assert len(parts) == len(set(parts)), f"{label!r} repeats itself"
    assert '["parallel"]' in text and '["sequential"]' in text and '["keyword router"]' in text
    assert text.count("support (generalist-large)") == 1  # the route and the fallback are one handler: drawn once
    assert "#lt;lambda#gt;" in text  # a lambda's name is shown, not read as an HTML tag


def test_the_input_arrow_points_at_the_group_not_across_its_title():
    text = str(healthcare_shaped_flow().diagram())
    lines = text.splitlines()
    assert lines[1].strip() == 'n1("input")'  # drawn first, above the groups
    assert "direction TB" in text and "direction TD" not in text  # Mermaid knows no TD inside a group
    assert "n1 --> s2" in text and text.rstrip().endswith("s2 --> n19")  # arrows end at the outer group's frame
    assert re.search(r"-->\|real_time\| s\d+", text)  # and the arrows into nested groups too


def test_the_guides_diagram_reads_left_to_right_so_it_fits_a_screen():
    from orchestration_kit.design.guide import ProcessDescription, recommend

    process = ProcessDescription(differing_inputs=True, independent_subtasks=True, dependent_steps=True,
                                 tiers_of_responsibility=True)
    text = str(recommend(process).diagram())
    assert text.startswith("flowchart LR")
    assert all(len(line) <= 36 for label in labels_of(text) for line in label.split("<br/>"))
