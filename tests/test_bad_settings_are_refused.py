"""Bad configuration is refused when a flow is built, with a message that says what to do."""

from __future__ import annotations

import pytest

from orchestration_kit import (
    Ask,
    ConfigurationError,
    Failures,
    Hierarchical,
    Parallel,
    RetryPolicy,
    Router,
    Sequential,
    SimulatedModel,
    Stage,
)
from orchestration_kit.resilience import Resilient

ok = lambda x: x  # noqa: E731


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: Router(ok, routes={}), "routes must be a non-empty dict"),
        (lambda: Router(ok, routes={"a": ok}, threshold=1.5), "threshold is a confidence between 0 and 1"),
        (lambda: Router(ok, routes={"a": "not callable"}), "route 'a' must be a function, a model or a flow"),
        (lambda: Router(ok, routes={"a": ok}, fallback=ok("x")), "fallback must be a function"),
        (lambda: Sequential(stages=[]), "stages must be a non-empty list"),
        (lambda: Sequential(stages=[ok], on_error="ignore"), "on_error must be one of"),
        (lambda: Stage(ok, validate="yes"), "validate must be a function"),
        (lambda: Parallel(tasks={}), "tasks is empty"),
        (lambda: Parallel(tasks={"a": ok}, timeout=-1), "timeout must be a positive number"),
        (lambda: Parallel(tasks={"a": ok}, timeout=0), "timeout must be a positive number"),
        (lambda: Parallel(tasks={"a": ok}, max_concurrency=0), "max_concurrency must be at least 1"),
        (lambda: Parallel(tasks={"a": ok}, on_error="retry"), "on_error must be one of"),
        (lambda: Parallel(tasks={"a": 42}), "task 'a' must be a function"),
        (lambda: Hierarchical(top=ok, sub={}), "sub must be a non-empty dict"),
        (lambda: RetryPolicy(attempts=0), "attempts must be at least 1"),
        (lambda: RetryPolicy(jitter=2), "jitter is a fraction"),
        (lambda: Resilient(ok, timeout=-0.5), "timeout must be a positive number"),
        (lambda: Failures(error_rate=1.5), "error_rate is a probability"),
        (lambda: SimulatedModel("gpt-imaginary"), "no simulated model named 'gpt-imaginary'; choose one of"),
        (lambda: Ask(SimulatedModel("generalist-small"), "no placeholder"), "must contain '{input}'"),
        (lambda: Ask("generalist-small"), "Ask needs a model with a complete"),
    ],
)
def test_bad_configuration_is_refused_at_construction(build, message):
    with pytest.raises(ConfigurationError, match=message):
        build()


def test_configuration_errors_are_also_value_errors():
    assert issubclass(ConfigurationError, ValueError)
