"""Orchestration Patterns course kit: router, parallel, sequential, hierarchical.

    >>> from orchestration_kit import Router, Parallel, Sequential, Hierarchical, Ask, SimulatedModel, run
    >>> model = SimulatedModel("generalist-small")
    >>> result = run(Sequential(stages=[Ask(model, "Draft: {input}"), Ask(model, "Refine: {input}")]), "a memo")
    >>> result.output, result.trace.latency, result.trace.cost
"""

from .clock import VirtualClock, WallClock
from .context import Context
from .errors import (
    BackendError,
    ConfigurationError,
    OrchestrationError,
    RateLimited,
    RealTimeRequired,
    RoutingError,
    StageError,
    TaskFailed,
    Timeout,
    UsageError,
)
from .models import Completion, Failures, ModelProfile, SimulatedModel, Usage
from .patterns import (
    Decision,
    Escalation,
    Feedback,
    Gathered,
    Hierarchical,
    HumanReview,
    KeywordRules,
    Parallel,
    Review,
    Router,
    SendBack,
    Sequential,
    Stage,
    resolve,
    resume,
)
from .resilience import Resilient, RetryPolicy
from .runner import RunResult, arun, run
from .steps import Ask, Step
from .trace import Span, Trace

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """Names that load on first use: the real backends (they need httpx), the grader's ``check``,
    and the ``datasets`` and ``config`` modules (``from orchestration_kit import datasets``)."""
    if name in ("OpenAICompatible", "AnthropicMessages"):
        from . import models

        return getattr(models, name)
    if name == "check":  # the grader (and its sandbox) loads only when a lesson checks an answer
        from .grading import check

        return check
    if name in ("datasets", "config"):
        import importlib

        return importlib.import_module({"datasets": ".course.datasets", "config": ".models.config"}[name], __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "AnthropicMessages", "OpenAICompatible", "Ask", "BackendError", "Completion", "ConfigurationError", "Context", "Decision", "Escalation", "Failures",
    "Feedback", "Gathered", "Hierarchical", "HumanReview", "KeywordRules", "ModelProfile", "OrchestrationError",
    "Parallel", "RateLimited", "RealTimeRequired", "Resilient", "RetryPolicy", "Review", "Router", "RoutingError",
    "RunResult", "SendBack", "Sequential", "SimulatedModel", "Span", "Stage", "StageError", "Step", "TaskFailed", "Timeout",
    "Trace", "check", "Usage", "UsageError", "VirtualClock", "WallClock", "arun", "resolve", "resume", "run",
]
