"""Checks for lesson 7's design exercise (``07.helpdesk_design``): a help desk that survives a bad backend.

The learner's ``build_helpdesk(primary, backup)`` is run on every hidden
question on each day of ``course/helpdesk.py`` (normal, rate limited, down,
slow ...), with a fresh primary and backup each time, all on the virtual clock;
then again on a primary replayed from a real HTTP server's recording. Each
property of the spec is measured from those runs.
"""

from __future__ import annotations

from typing import Any, Iterator

from ..models import SimulatedModel
from . import Case, NotSolved, describe, exercise, one_line, solved

DESK_QUESTIONS = ["Where is my parcel?", "Can I change my delivery address?", "How do I reset my password?",
                  "Do you ship to Norway?", "Why was I charged twice?", "Can I pay by bank transfer?"]
DESK_LIMITS = {"slowest_s": 8.0, "requests": 3, "cost_per_1k_usd": 0.05}
WORKING_DAYS = ("normal", "rate limited")  # the days the primary can answer every question: the backup is not needed


def _desk_runs(build_helpdesk: Any) -> list[dict[str, Any]]:
    """Each hidden question on each day, with a fresh primary and backup: output or error, latency, cost, requests."""
    from .sandbox import run_answer
    from ..course.helpdesk import DAYS, help_desk

    runs = []
    for day in DAYS:
        for question in DESK_QUESTIONS:
            primary, backup = help_desk(day)
            run_ = {"day": day, "question": question, "primary": primary, "error": None, "output": None}
            try:
                result = run_answer(build_helpdesk(primary, backup), question)
                run_.update(output=result.output, latency=result.trace.latency, cost=result.trace.cost)
            except NotSolved:
                raise
            except Exception as error:
                run_["error"] = one_line(error)
            runs.append(run_)
    return runs


def _retry_after_broken(runs: list[dict[str, Any]]) -> str:
    """The first request that came sooner after a 429 than the server asked, described; "" if none did."""
    for run_ in runs:
        requests = run_["primary"].requests
        for earlier, later in zip(requests, requests[1:]):
            if earlier.outcome == "rate_limited" and later.start < earlier.end + earlier.retry_after - 1e-9:
                return (f"on the '{run_['day']}' day a request came {later.start - earlier.end:.2f} s after a 429 "
                        f"that asked for {earlier.retry_after:g} s")
    return ""


@exercise("07.helpdesk_design", "Design a help desk that survives a bad backend, on any backend",
          start="write the body of build_helpdesk(primary, backup): a flow that takes a question, returns an answer")
def _helpdesk_design(build_helpdesk: Any) -> Iterator[Case]:
    from .sandbox import run_answer
    from ..course.helpdesk import BACKUP, help_desk, recorded_calls, recorded_primary
    from ..models.simulated import Failures

    yield Case("build_helpdesk is a function", callable(build_helpdesk),
               f"got a {describe(build_helpdesk)}; define it with def build_helpdesk(primary, backup): ...")
    if not callable(build_helpdesk):
        return
    flow = solved(build_helpdesk(*help_desk("normal")))
    yield Case("build_helpdesk(primary, backup) returns a flow", callable(flow),
               f"it returned a {describe(flow)}; return a step, a pattern, or an async function (question, ctx)")
    if not callable(flow):
        return
    runs = _desk_runs(build_helpdesk)
    lost = [r for r in runs if r["error"] or not isinstance(r["output"], str) or not r["output"]]
    first = lost[0] if lost else {}
    yield Case(f"every question answered, on every day ({len(runs) - len(lost)} of {len(runs)})", not lost,
               f"on the '{first.get('day')}' day {first.get('question')!r} "
               + (f"raised {first['error']}" if first.get("error") else f"gave {describe(first.get('output'))}")
               + "\na failure of one server should not become the customer's: when the primary cannot answer, "
               "who can?", measure=("answered", len(runs) - len(lost)))
    timed = [r for r in runs if not r["error"]]
    if timed:
        slowest = max(timed, key=lambda r: r["latency"])
        yield Case(f"every answer within {DESK_LIMITS['slowest_s']:g} s (the slowest: {slowest['latency']:.2f} s, "
                   f"on the '{slowest['day']}' day)", slowest["latency"] <= DESK_LIMITS["slowest_s"],
                   "a customer waits a few seconds, not more: how long do you give a server that is slow, or that "
                   "asks you to wait, before you ask elsewhere?", measure=("slowest_s", slowest["latency"]))
    broken = _retry_after_broken(runs)
    yield Case("after a 429, the next request waits at least the server's Retry-After", not broken,
               f"{broken}\nthe error says when the server will take you again (error.retry_after): come back no sooner",
               measure=("retry_after_kept", float(not broken)))
    busiest = max(runs, key=lambda r: len(r["primary"].requests))
    most = len(busiest["primary"].requests)
    yield Case(f"at most {DESK_LIMITS['requests']} requests to the primary per question (the most: {most}, on the "
               f"'{busiest['day']}' day)", most <= DESK_LIMITS["requests"],
               "each request to a struggling server adds to its load: when is one more attempt still worth it?",
               measure=("requests", most))
    working = [r for r in timed if r["day"] in WORKING_DAYS]
    if working:
        cost = 1000 * sum(r["cost"] for r in working) / len(working)
        yield Case(f"cost on the days the primary works: US${cost:.3f} per 1,000 questions (limit "
                   f"US${DESK_LIMITS['cost_per_1k_usd']:g})", cost <= DESK_LIMITS["cost_per_1k_usd"],
                   f"the backup ({BACKUP}) costs about 17 times as much per token as the primary: on these days, "
                   "which questions really needed it?", measure=("cost_per_1k_usd", cost))
    replayed, hints = 0, []
    calls = recorded_calls()
    for call in calls:
        question = call["messages"][-1]["content"]
        backup = SimulatedModel(BACKUP, failures=Failures())
        try:
            output = run_answer(build_helpdesk(recorded_primary(), backup), question).output
        except Exception as error:
            hints.append(f"{question!r} raised {one_line(error)}\nthe recorded backend answers only the requests it "
                         "recorded: send the question as it is, with no options")
            continue
        if output == call["completion"]["text"]:
            replayed += 1
        else:
            slowest = max(c["duration_us"] for c in calls) / 1e6
            hints.append(f"{question!r}: the answer was {str(output)[:50]!r}, not the primary's recorded one\nthe "
                         f"recorded primary answered every question, some only after its own retries (up to "
                         f"{slowest:.1f} s): how long did your flow wait for it?")
    yield Case(f"unchanged on a real HTTP backend (replayed): the primary's recorded answers ({replayed} of "
               f"{len(calls)})", replayed == len(calls), hints[0] if hints else "", measure=("replayed", replayed))
