"""The chapter's design guidance, bullet by bullet, and the question of the guide that asks each one.

``CHAPTER_GUIDANCE`` holds the chapter's sixteen "Use ... when" bullets word for
word, each once, with the ``ProcessDescription`` field(s) that ask it. Several
bullets are the same question asked in other words (a pipeline of
transformations is steps that depend on each other), so a field may answer
more than one bullet; no bullet is left out and none appears twice::

    >>> questions_for("You have the compute resources for concurrent execution")
    ('concurrent_capacity',)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Guidance:
    """One bullet of the chapter's design guidance and the guide's field(s) that ask it."""

    pattern: str  # router, parallel, sequential, hierarchical
    bullet: str  # the chapter's words
    fields: tuple[str, ...]  # the ProcessDescription fields that ask it


CHAPTER_GUIDANCE = (
    Guidance("router", "Your input space naturally divides into categories", ("differing_inputs",)),
    Guidance("router", "You have specialized models for each category", ("routes",)),
    Guidance("router", "Latency and cost efficiency matter", ("latency_budget", "cost_sensitive")),
    Guidance("router", "You want simple, understandable orchestration logic", ("simple_logic",)),
    Guidance("parallel", "Multiple analyses of the same input provide value", ("tasks",)),
    Guidance("parallel", "The analyses are independent (no data dependencies)", ("independent_subtasks",)),
    Guidance("parallel", "You have the compute resources for concurrent execution", ("concurrent_capacity",)),
    Guidance("parallel", "You want diverse perspectives before synthesis", ("independent_subtasks",)),
    Guidance("sequential", "Later stages logically depend on earlier results", ("dependent_steps",)),
    Guidance("sequential", "You are building a pipeline of transformations", ("steps",)),
    Guidance("sequential", "You want clear, interpretable stages", ("dependent_steps",)),
    Guidance("sequential", "Latency is acceptable in exchange for clarity", ("latency_for_clarity",)),
    Guidance("hierarchical", "Your system has multiple decision levels", ("tiers_of_responsibility",)),
    Guidance("hierarchical", "Different request types need different processing paths", ("tiers",)),
    Guidance("hierarchical", "You need escalation or human involvement logic", ("tiers_of_responsibility", "failure_tolerance")),
    Guidance("hierarchical", "You want to decompose complexity into manageable layers", ("tiers_of_responsibility",)),
)


def questions_for(bullet: str) -> tuple[str, ...]:
    """The guide's fields that ask one of the chapter's bullets (its exact words)."""
    for entry in CHAPTER_GUIDANCE:
        if entry.bullet == bullet:
            return entry.fields
    raise KeyError(f"no design-guidance bullet reads {bullet!r}; see CHAPTER_GUIDANCE for the sixteen bullets")


def bullets_for(field: str) -> tuple[str, ...]:
    """The chapter's bullets that one field of ``ProcessDescription`` asks (may be empty)."""
    return tuple(entry.bullet for entry in CHAPTER_GUIDANCE if field in entry.fields)
