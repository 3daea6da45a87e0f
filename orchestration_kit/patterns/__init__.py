"""The four orchestration patterns; any of them nests inside any other."""

from .aggregator import ResultAggregator
from .compensation import UndoFailed
from .hierarchical import Escalation, Feedback, HumanReview, Hierarchical, Review, resolve
from .multi_route import MultiRoute
from .parallel import BranchResult, Gathered, Parallel
from .router import Decision, KeywordRules, Router
from .sequential import Sequential, Stage

__all__ = [
    "BranchResult", "Decision", "Escalation", "Feedback", "Gathered", "Hierarchical", "HumanReview",
    "KeywordRules", "MultiRoute", "Parallel", "ResultAggregator", "Review", "Router", "Sequential", "Stage",
    "UndoFailed", "resolve",
]
