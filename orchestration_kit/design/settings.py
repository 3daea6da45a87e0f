"""The settings a recommendation and its skeleton share, and what the constraints change.

The routing threshold, the timeouts and the attempts: ``guide.py`` quotes them in
its reasons and ``skeleton.py`` builds with them, so both read them from here (the
guide imports the skeleton, never the other way round). ``what_constraints_change``
says in words what the latency budget, cost and failure tolerance change.

    >>> TIMEOUTS["tight"], THRESHOLD
    (2.0, 0.6)
"""

from __future__ import annotations

from .process import ProcessDescription

THRESHOLD = 0.6  # a routing decision less sure than this goes to the fallback (or up a tier)
TIMEOUTS = {"tight": 2.0, "moderate": 10.0, "relaxed": 30.0}  # seconds per call, by latency budget


def attempts_for(p: ProcessDescription) -> int:
    """Attempts per call: fewer when the latency budget is tight."""
    return 2 if p.latency_budget == "tight" else 3


def what_constraints_change(p: ProcessDescription) -> tuple[str, ...]:
    """A Recommendation's ``settings``: what the latency budget, cost and failure tolerance change, and why."""
    speed = "latency budget " + {
        "tight": "tight: the small, fast model does the work, and a call that is slow is dropped or redone "
                 "after 2 s, not waited for",
        "moderate": "moderate: a call that hangs is dropped or redone after 10 s, so it cannot stall the run",
        "relaxed": "relaxed: a call may take up to 30 s before it is dropped or redone: "
                   "waiting is cheaper than failing",
    }[p.latency_budget]
    if p.latency_budget == "tight" and (p.dependent_steps or p.latency_for_clarity):
        speed += "; every stage adds its own latency, so keep the chain short"
    if p.latency_budget == "tight" and p.latency_for_clarity and p.independent_subtasks:
        speed += " (a tight budget and latency traded for clarity pull apart: measure the p95 first)"
    money = ("cost sensitive: the small model does the work; the large one answers only fallbacks, "
             "alternatives and escalations") if p.cost_sensitive else (
             "cost not critical: the large model does the work, unless the latency budget is tight")
    failures = ("failure tolerance low: an incomplete answer must not go out, so a failed stage raises and anything "
                "degraded goes to a person") if p.failure_tolerance == "low" else (
                "failure tolerance high: a partial answer is useful, so failed parts are reported missing and a "
                "failed stage rolls back to the last good state")
    if p.failure_tolerance == "low" and not p.tiers_of_responsibility:
        failures += "; with no tier to escalate to, errors reach the caller: consider a person as a top tier"
    return speed, money, failures
