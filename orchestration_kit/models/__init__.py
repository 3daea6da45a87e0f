"""Model backends: simulated (offline, the default) and real ones over HTTP.

The HTTP backends are imported on first use, so ``import orchestration_kit``
stays quick for the (usual) simulated-only session.
"""

from typing import Any

from .base import ChatModel, Completion, Pricing, Usage
from .simulated import Failures, ModelProfile, SimulatedModel, load_profiles

_HTTP_BACKENDS = {
    "OpenAICompatible": "orchestration_kit.models.openai_compatible",
    "AnthropicMessages": "orchestration_kit.models.anthropic_messages",
}

__all__ = [
    "AnthropicMessages", "ChatModel", "Completion", "Failures", "ModelProfile", "OpenAICompatible", "Pricing",
    "SimulatedModel", "Usage", "load_profiles",
]


def __getattr__(name: str) -> Any:
    if name in _HTTP_BACKENDS:
        import importlib

        return getattr(importlib.import_module(_HTTP_BACKENDS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
