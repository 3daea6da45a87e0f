"""The four orchestration patterns; any of them nests inside any other."""

from .hierarchical import Escalation, Feedback, HumanReview, Hierarchical, Review, resolve
from .parallel import BranchResult, Gathered, Parallel
from .router import Decision, KeywordRules, Router
from .compensation import UndoFailed
from .sequential import Sequential, Stage

__all__ = [
    "BranchResult", "Decision", "Escalation", "Feedback", "Gathered", "Hierarchical", "HumanReview",
    "KeywordRules", "Parallel", "Review", "Router", "Sequential", "Stage", "UndoFailed", "resolve",
]
