"""The design questions about a process: its answers, checked, and the names of its parts.

A ``ProcessDescription`` holds one answer per design question (does the input
differ in kind? are there independent sub-tasks? ...), the constraints (latency
budget, cost, failure tolerance), three preferences, and, optionally, the names
of the routes, tasks, steps and tiers. ``guide.recommend()`` reads it::

    >>> process = ProcessDescription("claims", independent_subtasks=True, tasks=["fraud", "coverage"])
    >>> process.names("tasks"), process.names("routes")
    (('fraud', 'coverage'), ('kind_a', 'kind_b'))
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ConfigurationError

LATENCY_BUDGETS = ("tight", "moderate", "relaxed")  # a person waits / minutes are fine / overnight is fine
FAILURE_TOLERANCES = ("high", "low")  # a partial answer is useful / an incomplete answer must not go out
QUESTIONS = {  # the yes/no design question -> the field that names its parts
    "differing_inputs": "routes", "independent_subtasks": "tasks",
    "dependent_steps": "steps", "tiers_of_responsibility": "tiers",
}
PLACEHOLDERS = {"routes": ("kind_a", "kind_b"), "tasks": ("task_a", "task_b"),
                "steps": ("step_1", "step_2"), "tiers": ("tier_1", "tier_2")}
PREFERENCES = ("simple_logic", "concurrent_capacity", "latency_for_clarity")  # yes/no answers that refine the patterns


@dataclass(frozen=True)
class ProcessDescription:
    """Answers to the design questions about one process, and (optionally) the names of its parts.

    >>> ProcessDescription("claims", independent_subtasks=True, tasks=["fraud", "coverage"], cost_sensitive=True)
    """

    name: str = "my process"
    differing_inputs: bool = False  # do inputs differ in kind, each kind best handled by its own specialist?
    independent_subtasks: bool = False  # are there sub-tasks that need not wait for one another?
    dependent_steps: bool = False  # does each step need the previous one's output?
    tiers_of_responsibility: bool = False  # tiers of responsibility, oversight, escalation?
    latency_budget: str = "moderate"  # one of LATENCY_BUDGETS
    cost_sensitive: bool = False
    failure_tolerance: str = "high"  # one of FAILURE_TOLERANCES
    simple_logic: bool = True  # should every decision be a written rule a person can read?
    concurrent_capacity: bool = True  # are there the compute resources (and rate limits) to run calls at once?
    latency_for_clarity: bool = False  # is latency acceptable in exchange for clear stages, one after another?
    routes: tuple[str, ...] = ()  # the kinds of input
    tasks: tuple[str, ...] = ()  # the independent sub-tasks
    steps: tuple[str, ...] = ()  # the dependent steps, in order
    tiers: tuple[str, ...] = ()  # the tiers, e.g. ("real_time", "batch")

    def __post_init__(self) -> None:
        for question, part in QUESTIONS.items():
            answer, names = getattr(self, question), getattr(self, part)
            if not isinstance(answer, bool):
                raise ConfigurationError(f"ProcessDescription.{question} is a yes/no answer: "
                                         f"give True or False, not {answer!r}")
            if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) and n for n in names):
                raise ConfigurationError(f"ProcessDescription.{part} is a list of names such as ['a', 'b'], "
                                         f"got {names!r}")
            object.__setattr__(self, part, tuple(names))  # lists are welcome; a frozen description stores tuples
            if names and not answer:
                raise ConfigurationError(f"ProcessDescription names {part} but answers {question}=False: "
                                         f"answer True, or leave {part} out")
            if len(names) == 1 or len(set(names)) != len(names):
                raise ConfigurationError(f"ProcessDescription.{part} needs two or more different names, "
                                         f"got {list(names)}")
        for preference in ("cost_sensitive", *PREFERENCES):
            if not isinstance(getattr(self, preference), bool):
                raise ConfigurationError(f"ProcessDescription.{preference} is True or False, "
                                         f"not {getattr(self, preference)!r}")
        for option, allowed in (("latency_budget", LATENCY_BUDGETS), ("failure_tolerance", FAILURE_TOLERANCES)):
            if getattr(self, option) not in allowed:
                raise ConfigurationError(f"ProcessDescription.{option} is one of {allowed}, "
                                         f"got {getattr(self, option)!r}")

    def names(self, part: str) -> tuple[str, ...]:
        """The names given for ``part`` ("routes", "tasks", "steps", "tiers"), or placeholders."""
        return getattr(self, part) or PLACEHOLDERS[part]
