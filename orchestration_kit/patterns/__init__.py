"""The four orchestration patterns; any of them nests inside any other."""

from .escalation import Escalation, EscalationFileError, HumanReview, Review, people_cost, resolve, resume
from .feedback import Feedback, SendBack
from .hierarchical import Hierarchical
from .parallel import BranchResult, Gathered, Parallel
from .router import Decision, KeywordRules, Router
from .sequential import Sequential, Stage

__all__ = [
    "BranchResult", "Decision", "Escalation", "EscalationFileError", "Feedback", "Gathered", "Hierarchical",
    "HumanReview", "KeywordRules", "Parallel", "Review", "Router", "SendBack", "Sequential", "Stage", "people_cost",
    "resolve", "resume",
]
