"""The four orchestration patterns; any of them nests inside any other."""

from .aggregator import ResultAggregator
from .compensation import UndoFailed
from .escalation import Escalation, EscalationFileError, HumanReview, Review, people_cost, resolve, resume
from .feedback import Feedback, SendBack
from .hierarchical import Hierarchical
from .multi_route import MultiRoute
from .parallel import BranchResult, Gathered, Parallel
from .router import Decision, KeywordRules, Router
from .sequential import Sequential, Stage

__all__ = [
    "BranchResult", "Decision", "Escalation", "EscalationFileError", "Feedback", "Gathered", "Hierarchical",
    "HumanReview", "KeywordRules", "MultiRoute", "Parallel", "ResultAggregator", "Review", "Router", "SendBack",
    "Sequential", "Stage", "UndoFailed", "people_cost", "resolve", "resume",
]
