"""evaluate(): per-item runs, exact virtual latencies, error rows, identical reruns, tables and charts."""

from __future__ import annotations

import asyncio
import sys

import matplotlib

matplotlib.use("Agg")  # charts render off-screen in tests

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from orchestration_kit import Ask, KeywordRules, Router, SimulatedModel, datasets  # noqa: E402
from orchestration_kit.measure.evaluate import (  # noqa: E402
    EvaluationResult,
    compare,
    evaluate,
    overlap_f1,
    plot_confusion,
    plot_cost_vs_accuracy,
    route_taken,
)

SMALL = pd.DataFrame({"id": ["a", "b", "c", "d"], "text": ["1", "2", "3", "4"], "label": ["odd", "even", "odd", "odd"]})


async def parity_after_n_seconds(text: str) -> str:
    """Takes ``text`` seconds of virtual time; says odd or even."""
    await asyncio.sleep(int(text))
    return "odd" if int(text) % 2 else "even"


def test_each_item_is_its_own_run_with_its_own_makespan():
    result = evaluate(parity_after_n_seconds, SMALL, progress=False)
    assert list(result.items.latency_s) == [1.0, 2.0, 3.0, 4.0]  # exact: virtual time
    assert list(result.items.prediction) == ["odd", "even", "odd", "even"]
    assert list(result.items.score) == [1.0, 1.0, 1.0, 0.0] and result.accuracy == 0.75
    summary = result.summary.iloc[0]
    assert (summary.latency_p50_s, summary.latency_p95_s) == (2.5, 3.85)  # linear interpolation between items


def test_an_evaluation_gives_identical_results_when_run_twice():
    flow = Ask(SimulatedModel("generalist-small"), "Resolve this customer message: {input}", skill="support")
    test = datasets.customer_queries("test")
    first = evaluate(flow, test, label_column="intent", progress=False)
    second = evaluate(flow, test, label_column="intent", progress=False)
    pd.testing.assert_frame_equal(first.items, second.items)
    pd.testing.assert_frame_equal(first.summary, second.summary)
    assert first.summary.iloc[0].cost_usd > 0 and first.summary.iloc[0].tokens > 0


def test_a_failing_item_becomes_an_error_row_and_the_others_still_count():
    async def fragile(text: str) -> str:
        await asyncio.sleep(0.5)
        if text == "3":
            raise RuntimeError("cannot handle three")
        return "odd" if int(text) % 2 else "even"

    result = evaluate(fragile, SMALL, progress=False)
    row = result.items.set_index("id").loc["c"]
    assert (row.status, row.error, row.score, row.latency_s) == ("error", "RuntimeError: cannot handle three", 0.0, 0.5)
    assert list(result.items.status) == ["ok", "ok", "error", "ok"]
    assert result.summary.iloc[0].errors == 1 and result.accuracy == 0.5


def test_money_spent_before_a_failure_is_still_counted():
    model = SimulatedModel("generalist-large")

    async def ask_then_fail(text, ctx):
        await Ask(model, "Summarise: {input}")(text, ctx)
        raise ValueError("the answer was unusable")

    row = evaluate(ask_then_fail, SMALL.head(1), progress=False).items.iloc[0]
    assert row.status == "error" and row.cost_usd > 0 and row.calls == 1


def test_a_predict_that_cannot_read_an_output_gives_an_error_row():
    result = evaluate(parity_after_n_seconds, SMALL, predict=lambda r: r.output["missing"], progress=False)
    assert set(result.items.status) == {"error"} and result.items.error[0].startswith("predict failed: TypeError")


def test_the_confusion_matrix_counts_true_against_predicted_labels():
    confusion = evaluate(parity_after_n_seconds, SMALL, progress=False).confusion
    assert confusion.loc["odd", "odd"] == 2 and confusion.loc["odd", "even"] == 1 and confusion.loc["even", "even"] == 1
    assert (confusion.index.name, confusion.columns.name) == ("true label", "predicted label")


def test_list_labels_are_scored_by_overlap_and_refuse_a_confusion_matrix():
    data = pd.DataFrame({"text": ["x"], "label": [["a", "b"]]})
    result = evaluate(lambda text: ["a", "c"], data, score=overlap_f1, progress=False)
    assert result.accuracy == 0.5
    with pytest.raises(ValueError, match="one simple label per item"):
        result.confusion
    assert overlap_f1([], []) == 1.0 and overlap_f1([{"text": "A", "type": "ORG"}], [{"type": "ORG", "text": "A"}]) == 1.0


def test_route_taken_reads_the_route_from_the_trace_and_names_the_fallback():
    router = Router(KeywordRules({"billing": ["refund"]}), routes={"billing": lambda x: "billed"}, fallback=lambda x: "?")
    data = pd.DataFrame({"text": ["refund please", "hello"], "label": ["billing", "general"]})
    result = evaluate(router, data, predict=lambda r: route_taken(r, fallback="general"), progress=False)
    assert list(result.items.prediction) == ["billing", "general"] and result.accuracy == 1.0


def test_the_wall_clock_runs_items_concurrently_and_keeps_their_order():
    async def quick(text: str) -> str:
        await asyncio.sleep(0.01 * (5 - int(text)))  # later items finish first
        return "odd" if int(text) % 2 else "even"

    result = evaluate(quick, SMALL, clock="wall", concurrency=4, progress=False)
    assert list(result.items.id) == ["a", "b", "c", "d"]
    assert list(result.items.prediction) == ["odd", "even", "odd", "even"]
    assert (result.items.latency_s > 0).all()


def test_the_progress_bar_changes_nothing_and_is_optional(monkeypatch):
    with_bar = evaluate(parity_after_n_seconds, SMALL, progress=True)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # as if tqdm were not installed
    without = evaluate(parity_after_n_seconds, SMALL, progress=True)
    pd.testing.assert_frame_equal(with_bar.items, without.items)


def test_bad_arguments_are_refused_with_the_fix():
    with pytest.raises(ValueError, match=r"no column 'question'.*input_column="):
        evaluate(parity_after_n_seconds, SMALL, input_column="question")
    with pytest.raises(ValueError, match="concurrency must be at least 1"):
        evaluate(parity_after_n_seconds, SMALL, concurrency=0)


def test_compare_puts_one_summary_row_per_flow_and_the_repr_is_stable():
    first = evaluate(parity_after_n_seconds, SMALL, progress=False, name="parity")
    table = compare({"slow parity": first, "again": first})
    assert list(table.index) == ["slow parity", "again"] and "latency_p95_s" in table.columns
    assert repr(first) == ("EvaluationResult('parity': 4 items, accuracy 75.0%, p50 2.500 s, p95 3.850 s, "
                           "cost $0.000000, errors 0)")
    assert isinstance(first, EvaluationResult)


def test_charts_have_titles_and_axis_labels_with_units():
    cheap = evaluate(parity_after_n_seconds, SMALL, progress=False, name="cheap")
    ax = plot_confusion(cheap)
    assert "accuracy 75.0%" in ax.get_title() and ax.get_xlabel() == "predicted label"
    assert ax.get_ylabel() == "true label"
    ax = plot_cost_vs_accuracy([cheap])
    assert ax.get_title() and "(US$)" in ax.get_xlabel() and "(%" in ax.get_ylabel()
    plt.close("all")
