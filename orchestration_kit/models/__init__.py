"""Model backends: simulated (offline, the default) and real ones over HTTP."""

from .base import ChatModel, Completion, Pricing, Usage
from .simulated import Failures, ModelProfile, SimulatedModel, load_profiles

__all__ = ["ChatModel", "Completion", "Failures", "ModelProfile", "Pricing", "SimulatedModel", "Usage", "load_profiles"]
