"""Lesson 5's checks grade fairly: every standard percentile passes, a wrong one gets a hint that says why."""

from __future__ import annotations

import math
import statistics

import pytest

from orchestration_kit.grading import grade


def per_run(spans):
    runs = spans.groupby("run").agg(start=("start", "min"), end=("end", "max"))
    return sorted(runs["end"] - runs["start"])


def linear(spans):
    import pandas as pd

    return float(pd.Series(per_run(spans)).quantile(0.95))


def nearest_rank(spans):
    latencies = per_run(spans)
    return float(latencies[math.ceil(0.95 * len(latencies)) - 1])


def exclusive(spans):  # the statistics module's default method
    latencies = per_run(spans)
    return latencies[0] if len(latencies) == 1 else statistics.quantiles(latencies, n=20)[-1]


def failed(result):
    return [case for case in result.cases if not case.passed]


@pytest.mark.parametrize("latency_p95", [linear, nearest_rank, exclusive], ids=["linear", "nearest rank", "exclusive"])
def test_p95_accepts_every_standard_percentile_definition(latency_p95):
    result = grade("05.p95", latency_p95)
    assert result.passed, [case.hint for case in failed(result)]


def test_nearest_rank_and_linear_interpolation_really_differ_on_the_hidden_runs():
    from orchestration_kit.grading.lesson05 import _panel_runs, _span_table

    spans = _span_table(_panel_runs(30))
    assert abs(linear(spans) - nearest_rank(spans)) > 1e-6  # else the test above would prove nothing


def test_the_slowest_run_is_not_a_p95_and_the_hint_says_what_was_expected():
    result = grade("05.p95", lambda spans: float(max(per_run(spans))))
    wrong = failed(result)
    assert [case.description for case in wrong] == ["30 runs on the virtual clock",
                                                     "30 runs that started at different times (a wall-clock log)"]
    hint = wrong[0].hint
    assert "the slowest run, the 100th percentile" in hint
    assert "linear interpolation" in hint and "nearest rank" in hint and "any standard definition passes" in hint


def test_a_percentile_of_span_durations_is_told_to_take_one_latency_per_run():
    result = grade("05.p95", lambda spans: float(spans["duration"].quantile(0.95)))
    hints = {case.description: case.hint for case in failed(result)}
    assert "30 runs on the virtual clock" in hints
    assert "not their 95th percentile" in hints["30 runs on the virtual clock"] or "one latency per run" in hints[
        "30 runs on the virtual clock"]


def test_a_p95_of_run_ends_fails_only_when_runs_start_at_different_times():
    import pandas as pd

    result = grade("05.p95", lambda spans: float(pd.Series(spans.groupby("run")["end"].max()).quantile(0.95)))
    wrong = failed(result)
    assert [case.description for case in wrong] == ["30 runs that started at different times (a wall-clock log)"]
    assert "last span's end minus its first span's start" in wrong[0].hint


# -- 05.sensitivity and 05.break_even ------------------------------------------------------------
def comparison(*, scale_prices: bool):
    """A learner's router_vs_generalist, written from the exercise text (optionally forgetting the prices)."""
    from orchestration_kit import SimulatedModel
    from orchestration_kit.grading.lesson05_sensitivity import DEPARTMENTS, RESOLVE, support_router
    from orchestration_kit.measure.evaluate import default_prediction
    from orchestration_kit import Ask, run

    def measure(flow, messages):
        correct, cost = 0, 0.0
        for text, intent in zip(messages["text"], messages["intent"]):
            try:
                result = run(flow, text)
            except Exception as error:
                cost += error.trace.cost
                continue
            correct += default_prediction(result) == intent
            cost += result.trace.cost
        return correct / len(messages), cost / correct * 1000

    def router_vs_generalist(messages, accuracy, price_factor):
        models = {}
        for d in DEPARTMENTS:
            model, factor = SimulatedModel(f"{d}-specialist"), price_factor if scale_prices else 1.0
            models[d] = model.with_profile(accuracy={d: accuracy}, price_in_per_1k=model.profile.pricing.input_per_1k * factor,
                                           price_out_per_1k=model.profile.pricing.output_per_1k * factor)
        (ra, rc), (ga, gc) = measure(support_router(models), messages), measure(
            Ask(SimulatedModel("generalist-large"), RESOLVE, skill="support"), messages)
        return {"router_accuracy": ra, "generalist_accuracy": ga, "router_cost_per_1k_correct_usd": rc,
                "generalist_cost_per_1k_correct_usd": gc}

    return router_vs_generalist


def test_sensitivity_passes_a_faithful_answer_and_fails_one_that_leaves_the_prices_alone():
    assert grade("05.sensitivity", comparison(scale_prices=True)).passed
    wrong = failed(grade("05.sensitivity", comparison(scale_prices=False)))
    assert [case.description for case in wrong] == [
        "specialists six times dearer (0.97 accurate, prices x6), on 269 held-out messages"]
    assert "router_cost_per_1k_correct_usd" in wrong[0].hint and "multiply both of its prices" in wrong[0].hint


def test_break_even_accepts_the_crossing_and_says_which_side_a_wrong_answer_is_on():
    from orchestration_kit.course.datasets import customer_queries
    from orchestration_kit.grading.lesson05_sensitivity import _break_even

    messages = customer_queries("test")
    exact = {accuracy: _break_even(messages, accuracy) for accuracy in (0.97, 0.8)}
    assert 1 < exact[0.8] < exact[0.97]  # less expert specialists stop paying off at a lower price
    assert grade("05.break_even", {a: round(f, 1) for a, f in exact.items()}).passed
    wrong = failed(grade("05.break_even", {0.97: 2.0, 0.8: exact[0.8]}))
    assert len(wrong) == 1 and "still cheaper per correct answer" in wrong[0].hint
    assert grade("05.break_even", None).status == "unsolved"
