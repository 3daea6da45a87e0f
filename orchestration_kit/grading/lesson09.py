"""Checks for lesson 9, the capstone (exercises/09_capstone.ipynb).

SYNTHETIC DATA, FOR TEACHING ORCHESTRATION, NOT MEDICAL ADVICE. The hidden
cases are 48 new fictional cases, made by the course's own generator
(data/generate_datasets.py) with another seed, so their ground truth follows
the same written rules as the shipped data. Every verdict comes from the
scorecard (orchestration_kit/course/scorecard.py): outputs, times and bills, never
the design's shape, so any architecture that meets the spec passes.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Iterator

from ..errors import RateLimited
from ..patterns import Parallel
from ..resilience import Resilient, RetryPolicy
from ..steps import Step
from ..course.hospital import Hospital, care_protocol, new_cases
from ..course.scorecard import Scorecard, score
from ..course.scorecard_rules import Targets, timeline_text
from . import Case, describe, exercise, one_line, run_answer, solved

HOLDOUT_SEED = 2026  # the shipped cases came from the generator's own seed; these from this one
TARGETS = Targets()


@lru_cache(maxsize=1)
def _holdout() -> tuple[dict[str, Any], ...]:
    return tuple(new_cases(HOLDOUT_SEED))


def holdout_cases(urgency: str | None = None) -> list[dict[str, Any]]:
    """The hidden cases (copies), all or only those of one urgency ("real_time" or "batch")."""
    return [dict(row) for row in _holdout() if urgency is None or row["urgency"] == urgency]


def _scorecard(build: Any, cases: list[dict[str, Any]]) -> tuple[Scorecard | None, str]:
    """Score a learner's design, or say why it could not be built."""
    try:
        flow = build(Hospital())
    except Exception as error:
        return None, f"build_system(hospital) raised {one_line(error)}"
    solved(flow)
    if not (callable(flow) or isinstance(flow, Step)):
        return None, f"build_system(hospital) returned a {describe(flow)}; return a flow (a pattern or a step)"
    return score(build, cases, targets=TARGETS, runner=run_answer), ""


def _target_cases(card: Scorecard, names: tuple[str, ...]) -> Iterator[Case]:
    for result in card.results:
        if result.name in names:
            yield Case(f"{result.label}: {result.measured} (limit {result.limit})", result.passed, result.hint,
                       measure=(result.name, result.value))


def _worst_case(card: Scorecard) -> Case:
    worst = card.worst
    if worst is None:
        return Case("the slowest real-time case", True)
    summary = f"the slowest real-time case: {worst.case_id} on '{worst.scenario}', {worst.latency:.2f} s"
    fast = card.measures.get("p95_s", 0.0) <= TARGETS.p95_s
    return Case(summary, fast, f"its timeline, span by span:\n{timeline_text(worst.trace)}\nwhich wait had no limit?")


def _from_the_hospital(card: Scorecard) -> Case:
    return Case("every model comes from hospital.model(...), so the faults reach it", not card.bypassed,
                f"in {', '.join(card.bypassed)} some model calls did not go through the hospital's models; build "
                "every model with hospital.model(name) inside build_system, or the check cannot inject its faults")


# -- exercise 1: the answer the scorecard reads ---------------------------------------------------------------
@exercise("09.decide", "Turn the gathered checks into an answer the scorecard can read",
          start="write the body of decide(gathered): flags, recommendation, status and what is missing")
def _decide(decide: Any) -> Iterator[Case]:
    yield Case("decide is a function", callable(decide), f"got a {describe(decide)}; define it with def decide(gathered): ...")
    if not callable(decide):
        return
    groups: dict[str, list[tuple[Any, dict[str, Any]]]] = {"every check answered": [], "a check failed": []}
    for scenario in ("normal day", "specialist down", "rate limit"):
        hospital = Hospital(scenario)
        gather = _checks(hospital)
        for row in holdout_cases()[:16]:
            gathered = run_answer(gather, row["text"]).output
            groups["a check failed" if gathered.missing else "every check answered"].append((gathered, _reference_decide(gathered)))
    solved(decide(groups["every check answered"][0][0]))
    for group, pairs in groups.items():
        wrong = []
        for gathered, expected in pairs:
            try:
                got = decide(gathered)
            except Exception as error:
                wrong.append(f"it raised {one_line(error)}")
                continue
            keys = ("status", "recommendation", "flags")
            if not isinstance(got, dict) or any(_same(got.get(k)) != _same(expected[k]) for k in keys):
                shown = {k: got.get(k) for k in keys} if isinstance(got, dict) else describe(got)
                wrong.append(f"for {gathered!r}\nexpected {({k: expected[k] for k in keys})}, got {shown}")
        hint = (f"{len(wrong)} of {len(pairs)} wrong; the first: {wrong[0]}\n" if wrong else "") + (
            "the flags are every flag the checks found; the protocol turns them into a recommendation; a check that "
            "is missing, or a critical value, means a person must look: status 'escalate'")
        yield Case(f"{group}: {len(pairs)} hidden gatherings", not wrong, hint)


def _same(value: Any) -> Any:
    return sorted(value) if isinstance(value, (list, tuple, set)) else value


def _checks(hospital: Hospital) -> Parallel:
    from ..steps import Ask

    clinician = hospital.model("clinical-specialist")
    return Parallel(tasks={
        "labs": Ask(clinician, "Check this case's lab results:\n{input}", skill="clinical", check="labs", name="labs"),
        "contraindications": Ask(clinician, "Check this case's medicines:\n{input}", skill="clinical", check="medications",
                                 name="contraindications")}, name="checks")


def _reference_decide(gathered: Any) -> dict[str, Any]:
    return care_protocol(gathered.values.values(), gathered.missing)


# -- exercise 2: the real-time path ------------------------------------------------------------------------------
@exercise("09.real_time", "A real-time path that stays fast and safe when things go wrong",
          start="write the body of build_real_time(hospital): a flow for emergency cases")
def _real_time(build_real_time: Any) -> Iterator[Case]:
    yield Case("build_real_time is a function", callable(build_real_time),
               f"got a {describe(build_real_time)}; define it with def build_real_time(hospital): ...")
    if not callable(build_real_time):
        return
    card, problem = _scorecard(build_real_time, holdout_cases("real_time"))
    yield Case("build_real_time(hospital) returns a flow", card is not None, problem)
    if card is None:
        return
    yield _from_the_hospital(card)
    yield from _target_cases(card, ("p95_s", "safety", "accuracy"))
    yield _worst_case(card)


# -- exercise 3: the capstone ------------------------------------------------------------------------------------
@exercise("09.capstone", "The whole decision-support system, to spec, on hidden cases with faults",
          start="write the body of build_system(hospital): the whole system, every model from the hospital",
          points=3.0)
def _capstone(build_system: Any) -> Iterator[Case]:
    yield Case("build_system is a function", callable(build_system),
               f"got a {describe(build_system)}; define it with def build_system(hospital): ...")
    if not callable(build_system):
        return
    card, problem = _scorecard(build_system, holdout_cases())
    yield Case("build_system(hospital) returns a flow", card is not None, problem)
    if card is None:
        return
    yield _from_the_hospital(card)
    yield from _target_cases(card, ("accuracy", "p95_s", "cost_per_1k_usd", "safety", "needless_share"))
    yield _worst_case(card)


def reference_real_time(hospital: Hospital) -> Any:
    """A real-time path that meets 09.real_time (used by the tests; the lesson's solution writes its own)."""
    from ..steps import Ask

    clinician, small = hospital.model("clinical-specialist"), hospital.model("generalist-small")
    only_429 = RetryPolicy(attempts=2, initial_delay=0.5, retry_on=(RateLimited,))

    def check(model: Any, kind: str, name: str) -> Ask:
        return Ask(model, f"Check this case's {kind}:\n{{input}}", skill="clinical",
                   check="labs" if kind == "lab results" else "medications", name=name)

    tasks = {name: Resilient(check(clinician, kind, name), retry=only_429, fallback=check(small, kind, f"{name} (backup)"),
                             name=name)
             for name, kind in (("labs", "lab results"), ("contraindications", "medicines"))}
    return Parallel(tasks=tasks, synthesizer=_answer_with_reason, timeout=4.0, name="real-time checks")


def _answer_with_reason(gathered: Any) -> dict[str, Any]:
    answer = _reference_decide(gathered)
    answer["missing"] = list(gathered.missing)
    answer["reason"] = (f"checks missing: {', '.join(gathered.missing)}" if gathered.missing
                        else "a critical value" if answer["status"] == "escalate" else "")
    return answer

