"""Simulated models: reproducible, priced, traced, and able to fail on purpose."""

from __future__ import annotations

import pytest

from orchestration_kit import (
    Ask,
    BackendError,
    Failures,
    ModelProfile,
    Parallel,
    RateLimited,
    RetryPolicy,
    SimulatedModel,
    run,
)
from orchestration_kit.models import Pricing, Usage

SMALL = SimulatedModel("generalist-small")
LARGE = SimulatedModel("generalist-large")


def test_same_prompt_and_seed_give_the_same_text_latency_and_cost():
    first, second = run(Ask(SMALL), "hello there"), run(Ask(SMALL), "hello there")
    assert first.output == second.output
    assert first.trace.to_dataframe().equals(second.trace.to_dataframe())


def test_a_different_seed_changes_the_latency_draw():
    latencies = {run(Ask(SMALL), "hello there", seed=s).trace.latency for s in range(5)}
    assert len(latencies) > 1


def test_a_model_call_records_a_model_span_with_tokens_and_cost():
    result = run(Ask(LARGE, "Summarise: {input}"), "a memo about budgets")
    (span,) = result.trace.model_calls
    assert span.model == "generalist-large" and span.kind == "model"
    assert span.tokens_in > 0 and span.tokens_out > 0
    profile = LARGE.profile
    assert span.cost == Pricing(profile.pricing.input_per_1k, profile.pricing.output_per_1k).cost(Usage(span.tokens_in, span.tokens_out))
    assert result.trace.cost == span.cost


def test_the_large_model_is_slower_and_dearer_than_the_small_one():
    small, large = run(Ask(SMALL), "compare us"), run(Ask(LARGE), "compare us")
    assert large.trace.latency > small.trace.latency
    assert large.trace.cost > small.trace.cost


def test_pricing_is_per_thousand_tokens():
    assert Pricing(0.5, 1.5).cost(Usage(1000, 2000)) == 3.5


def test_max_tokens_truncates_and_says_so():
    model = SimulatedModel(ModelProfile("tiny", latency_s=0.1, latency_sigma=0.0))
    result = run(Ask(model), "x" * 400)
    short = run(Ask(model, max_tokens=5), "x" * 400)
    assert result.trace.model_calls[0].tokens_out > 5 == short.trace.model_calls[0].tokens_out


def test_a_profile_without_jitter_has_an_exact_latency():
    model = SimulatedModel(ModelProfile("exact", latency_s=0.5, latency_sigma=0.0, seconds_per_output_token=0.0))
    assert run(Ask(model), "anything").trace.latency == 0.5


def test_fail_first_makes_an_exact_retry_demo():
    profile = ModelProfile("flaky", latency_s=1.0, latency_sigma=0.0, seconds_per_output_token=0.0)
    model = SimulatedModel(profile, failures=Failures(fail_first=2))
    result = run(Parallel(tasks={"ask": Ask(model)}, retry=RetryPolicy(attempts=3, initial_delay=1.0)), "hi")
    assert "ask" in result.output.values
    statuses = [s.status for s in result.trace if s.kind == "attempt"]
    assert statuses == ["error", "error", "ok"]
    # two failures of 0.5 s (half the latency), waits of 1 s and 2 s, then a 1 s answer
    assert result.trace.latency == 0.5 + 1.0 + 0.5 + 2.0 + 1.0


def test_error_rate_one_always_fails_with_a_backend_error():
    with pytest.raises(BackendError, match="simulated server error"):
        run(Ask(SMALL.with_failures(error_rate=1.0)), "hi")


def test_rate_limit_per_minute_refuses_the_extra_call_with_retry_after():
    model = SimulatedModel(ModelProfile("limited", latency_s=0.1, latency_sigma=0.0), failures=Failures(rate_limit_rpm=2))
    result = run(Parallel(tasks={f"q{i}": Ask(model, f"question {i}: {{input}}") for i in range(3)}), "x")
    assert sorted(result.output.values) == ["q0", "q1"]
    assert "RateLimited" in result.output.missing["q2"]


def test_rate_limited_retry_waits_as_long_as_the_server_asks():
    model = SimulatedModel(ModelProfile("limited", latency_s=0.1, latency_sigma=0.0, seconds_per_output_token=0.0),
                           failures=Failures(rate_limit_rate=0.0, rate_limit_rpm=1))
    flow = Parallel(tasks={"a": Ask(model, "a {input}"), "b": Ask(model, "b {input}")}, retry=RetryPolicy(attempts=2, initial_delay=0.1))
    result = run(flow, "x")
    assert sorted(result.output.values) == ["a", "b"]
    # b is refused after 0.05 s and told to wait 60 s (the minute's window), then answers in 0.1 s
    assert result.trace.latency == 60.15


def test_timeout_rate_one_hangs_until_a_timeout_cuts_it():
    hanging = SMALL.with_failures(timeout_rate=1.0, error_rate=0.0)
    result = run(Parallel(tasks={"slow": Ask(hanging)}, timeout=2.0), "hi")
    assert "Timeout" in result.output.missing["slow"]
    assert result.trace.latency == 2.0


def test_rate_limited_is_a_backend_error_with_retry_after():
    error = RateLimited("slow down", retry_after=2.5)
    assert isinstance(error, BackendError) and error.retry_after == 2.5 and error.status == 429
