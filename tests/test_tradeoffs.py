"""Trade-offs: complexity counted from flow objects, measurements in virtual time, the explorer headless."""

from __future__ import annotations

import asyncio

import matplotlib
import pandas as pd
import pytest

from orchestration_kit import (Ask, Hierarchical, Parallel, Resilient, Router, Sequential, SimulatedModel, Stage, run)
from orchestration_kit.measure.explorer import explorer, parallel_vs_sequential
from orchestration_kit.measure.tradeoffs import children, compare_patterns, complexity, measure, peak_concurrency, plot_latency

from timed_steps import failing, sleeper

matplotlib.use("Agg")

SMALL, LARGE = SimulatedModel("generalist-small"), SimulatedModel("generalist-large")
BILLING = SimulatedModel("billing-specialist")


def ask(model: SimulatedModel, name: str) -> Ask:
    return Ask(model, f"{name}: {{input}}", name=name)


# -- children and complexity ------------------------------------------------------------
def test_children_lists_each_patterns_parts_in_order_and_nothing_for_a_leaf():
    analyzer, billing, fallback = ask(SMALL, "analyzer"), ask(BILLING, "billing"), ask(LARGE, "fallback")
    assert children(Router(analyzer=analyzer, routes={"billing": billing}, fallback=fallback)) == [analyzer, billing, fallback]
    draft, polish = ask(SMALL, "draft"), ask(LARGE, "polish")
    stage = Stage(draft, validate=bool, alternative=polish)
    assert children(stage) == [draft, polish]
    assert children(Resilient(draft, fallback=polish)) == [draft, polish]
    assert children(draft) == []


def test_a_two_stage_pipeline_has_two_steps_two_models_and_no_decision():
    flow = Sequential(stages=[ask(SMALL, "draft"), ask(LARGE, "polish")])
    assert complexity(flow) == {"steps": 2, "models": 2, "decisions": 0, "joins": 0, "patterns": 1, "depth": 1, "score": 4}


def test_a_reused_model_counts_once_but_each_place_it_runs_counts_as_a_step():
    generalist = ask(LARGE, "generalist")
    router = Router(analyzer=ask(SMALL, "analyzer"), routes={"billing": ask(BILLING, "billing"), "other": generalist},
                    fallback=generalist)
    counts = complexity(router)
    assert (counts["steps"], counts["models"], counts["decisions"], counts["joins"]) == (4, 3, 1, 0)


def test_nesting_adds_patterns_depth_decisions_and_joins():
    panel = Parallel(tasks={"a": ask(SMALL, "a"), "b": ask(BILLING, "b")}, synthesizer=ask(LARGE, "synth"))
    validated = Stage(ask(SMALL, "draft"), validate=bool, alternative=ask(LARGE, "second"))
    tiers = Hierarchical(top=lambda x: "hard", sub={"easy": ask(SMALL, "easy"), "hard": Sequential(stages=[validated, panel])},
                         escalate=ask(LARGE, "expert"))
    counts = complexity(tiers)
    # top, easy, draft, second, a, b, synth, expert; a hierarchy's choice + escalation rule + the stage's validation
    assert counts["steps"] == 8 and counts["decisions"] == 3 and counts["joins"] == 1
    assert counts["patterns"] == 3 and counts["depth"] == 3 and counts["models"] == 3


def test_complexity_accepts_a_plain_function_as_a_one_step_flow():
    assert complexity(lambda x: x)["steps"] == 1


# -- measuring ------------------------------------------------------------------------------
def test_peak_concurrency_counts_overlapping_model_calls_only():
    both = Parallel(tasks={"a": ask(SMALL, "a"), "b": ask(LARGE, "b"), "c": ask(BILLING, "c")})
    assert peak_concurrency(run(both, "hello").trace) == 3
    assert peak_concurrency(run(Sequential(stages=[ask(SMALL, "a"), ask(LARGE, "b")]), "hello").trace) == 1


def _timing_flows():
    return {"parallel": Parallel(tasks={"fast": sleeper(0.3), "slow": sleeper(1.0)}),
            "sequential": Sequential(stages=[sleeper(0.3), sleeper(1.0)])}


def test_measure_gives_one_row_per_flow_seed_and_item_with_exact_virtual_latencies():
    data = pd.DataFrame({"text": ["a", "b", "c"], "label": ["a", "b", "x"]})
    flows = {"echo": lambda x: x} | _timing_flows()
    runs = measure(flows, data, seeds=[0, 1])
    assert len(runs) == 3 * 2 * 3
    assert list(runs.columns) == ["pattern", "seed", "id", "latency_s", "cost_usd", "calls", "peak_calls", "score", "status"]
    assert set(runs.loc[runs.pattern == "parallel", "latency_s"]) == {1.0}
    assert set(runs.loc[runs.pattern == "sequential", "latency_s"]) == {1.3}
    assert runs.loc[runs.pattern == "echo", "score"].tolist() == [1.0, 1.0, 0.0] * 2


def test_a_run_that_raises_is_an_error_row_that_keeps_what_it_spent():
    paid_then_broken = Sequential(stages=[ask(SMALL, "draft"), failing(0.2, RuntimeError("formatter crashed"))])
    runs = measure({"broken": paid_then_broken}, pd.DataFrame({"text": ["refund please"], "label": ["x"]}), seeds=[0])
    row = runs.iloc[0]
    assert row.status == "error" and row.score == 0.0
    assert row.cost_usd > 0 and row.calls == 1
    assert row.latency_s == pytest.approx(run(ask(SMALL, "draft"), "refund please").trace.latency + 0.2)


def test_measure_names_a_missing_column():
    with pytest.raises(ValueError, match="no column 'intent'"):
        measure({"echo": lambda x: x}, pd.DataFrame({"text": ["a"]}), label_column="intent")


def test_measure_is_reproducible_and_seeds_change_simulated_runs():
    data = pd.DataFrame({"text": [f"request {k}" for k in range(5)], "label": ["x"] * 5})
    flows = {"model": ask(SMALL, "answer")}
    first, again = measure(flows, data, seeds=[0, 1]), measure(flows, data, seeds=[0, 1])
    pd.testing.assert_frame_equal(first, again)
    by_seed = first.groupby("seed")["latency_s"].apply(list)
    assert by_seed[0] != by_seed[1]


def test_compare_patterns_summarises_runs_and_adds_the_complexity_counts():
    data = pd.DataFrame({"text": ["a", "b"], "label": ["a", "b"]})
    flows = _timing_flows()
    table = compare_patterns(measure(flows, data, seeds=[0, 1]), flows)
    assert list(table.index) == ["parallel", "sequential"]
    assert table.loc["parallel", "latency_p50_s"] == 1.0 and table.loc["sequential", "latency_p95_s"] == 1.3
    assert table.loc["sequential", "runs"] == 4 and table.loc["sequential", "errors"] == 0
    assert table.loc["parallel", "complexity_joins"] == 1 and table.loc["sequential", "complexity_steps"] == 2
    assert table.loc["parallel", "cost_per_1k_correct_usd"] == float("inf")  # the sleepers answer nothing right


def test_plot_latency_draws_one_box_per_pattern_with_labelled_axes():
    runs = measure(_timing_flows(), pd.DataFrame({"text": ["a"], "label": ["a"]}), seeds=[0])
    ax = plot_latency(runs)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["parallel", "sequential"]
    assert len(ax.patches) == 2  # one box per pattern
    assert "(s" in ax.get_xlabel() and ax.get_title()
    matplotlib.pyplot.close("all")


# -- the explorer ----------------------------------------------------------------------------
def test_without_spread_or_failures_parallel_takes_one_call_and_sequential_the_sum():
    data = parallel_vs_sequential(branches=4, latency_spread=0.0, failure_rate=0.0, runs=5)
    assert set(data.loc[data.pattern == "parallel", "latency_s"]) == {0.5}
    assert set(data.loc[data.pattern == "sequential", "latency_s"]) == {2.0}
    assert data["complete"].all() and set(data["calls"]) == {4}


def test_failures_are_retried_so_runs_take_longer_and_make_more_calls():
    calm = parallel_vs_sequential(branches=3, latency_spread=0.0, failure_rate=0.0, runs=20)
    flaky = parallel_vs_sequential(branches=3, latency_spread=0.0, failure_rate=0.4, runs=20)
    for pattern in ("parallel", "sequential"):
        assert flaky.loc[flaky.pattern == pattern, "latency_s"].mean() > calm.loc[calm.pattern == pattern, "latency_s"].mean()
        assert flaky.loc[flaky.pattern == pattern, "calls"].sum() > calm.loc[calm.pattern == pattern, "calls"].sum()


@pytest.mark.parametrize("settings, message", [({"branches": 0}, "branches"), ({"failure_rate": 1.5}, "failure_rate")])
def test_parallel_vs_sequential_refuses_impossible_settings(settings, message):
    with pytest.raises(ValueError, match=message):
        parallel_vs_sequential(**settings)


def test_moving_a_slider_reruns_the_comparison_and_redraws_the_chart():
    box = explorer(branches=2, latency_spread=0.0, runs=4)
    before_image, before_title = box.image.value, box.figure.texts[0].get_text()
    assert set(box.data.loc[box.data.pattern == "sequential", "latency_s"]) == {1.0}
    box.sliders["branches"].value = 5
    assert set(box.data.loc[box.data.pattern == "sequential", "latency_s"]) == {2.5}
    assert box.image.value != before_image
    assert box.figure.texts[0].get_text() != before_title and "5 calls" in box.figure.texts[0].get_text()


def test_update_sets_several_sliders_and_redraws_once():
    box = explorer(runs=3)
    draws = []
    box.image.observe(lambda change: draws.append(change), names="value")
    data = box.update(branches=3, latency_spread=0.0, failure_rate=0.0)
    assert len(draws) == 1
    assert data is box.data and set(data.loc[data.pattern == "sequential", "latency_s"]) == {1.5}


@pytest.mark.parametrize("values, message", [({"speed": 2}, "unknown slider 'speed'"), ({"branches": 12}, "between 1 and 8")])
def test_update_refuses_unknown_sliders_and_out_of_range_values(values, message):
    with pytest.raises(ValueError, match=message):
        explorer(runs=2).update(**values)


def test_the_explorer_shows_a_stable_text_outside_jupyterlab():
    box = explorer(branches=2, latency_spread=0.2, failure_rate=0.1, runs=2)
    assert repr(box) == "Explorer(2 calls of ~0.5 s, spread σ=0.2, failure rate 10%, 3 attempts each, 2 runs)"
    bundle = box._repr_mimebundle_()
    assert box.title in bundle["text/plain"] and "Run this cell" in bundle["text/plain"]  # a stand-in, no widget ids
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_no_task_outlives_a_measurement():
    async def lingering(x):
        asyncio.get_running_loop().create_task(asyncio.sleep(100))
        return x

    runs = measure({"lingering": lingering}, pd.DataFrame({"text": ["a"], "label": ["a"]}), seeds=[0])
    assert runs.iloc[0].latency_s == 0.0  # the leftover sleep was cancelled, not waited for


def test_an_answer_the_scorer_cannot_read_is_an_error_row_that_keeps_its_trace():
    def unreadable(result):
        raise ValueError("no JSON in the answer")

    runs = measure({"model": ask(SMALL, "answer")}, pd.DataFrame({"text": ["hi"], "label": ["x"]}), seeds=[0],
                   predict=unreadable)
    assert runs.iloc[0].status == "error" and runs.iloc[0].calls == 1 and runs.iloc[0].cost_usd > 0


def test_chapter_table_shows_the_chapters_words_by_pattern_and_column():
    from orchestration_kit.measure.tradeoffs import CHAPTER, COLUMNS, chapter_table

    table = chapter_table()
    assert list(table.index) == ["Router", "Parallel", "Sequential", "Hierarchical"]
    assert list(table.columns) == list(COLUMNS)
    assert table.loc["Sequential", "Latency"] == "Slow (sum of all stages)" == CHAPTER["sequential"]["Latency"]
    assert table.loc["Router", "Complexity"] == "Low"
