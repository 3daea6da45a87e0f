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
