"""The capstone's targets and how each is measured: accuracy, p95 latency, cost, safety, clinician load.

    >>> judge(runs, Targets())     # one TargetResult per target, each with its measured number and a hint

Every number comes from the runs themselves (outputs, traces), never from the
design's structure, so any architecture can be judged. See ``scorecard.py``.

SYNTHETIC, FOR TEACHING ORCHESTRATION, NOT MEDICAL ADVICE.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

NORMAL_DAY = "normal day"


@dataclass(frozen=True)
class Targets:
    """The spec's limits: p95 of real-time cases (virtual s), US$ per 1,000 cases, accuracy, needless escalations."""

    p95_s: float = 6.0
    cost_per_1k_usd: float = 1.25
    accuracy: float = 0.8
    needless_share: float = 0.15  # cases sent to a clinician without a critical value, on a normal day


@dataclass(frozen=True)
class Answer:
    """What the system said about one case: its recommendation, flags, whether a clinician was told, any problem."""

    recommendation: str | None
    flags: tuple[str, ...]
    to_clinician: bool
    problem: str = ""  # the error that stopped the run, or what was wrong with the output


@dataclass(frozen=True)
class CaseRun:
    """One case, under one scenario: the truth, the answer, the time and the bill (and the trace, to look at)."""

    case_id: str
    scenario: str
    urgency: str
    expected_flags: tuple[str, ...]
    expected: str
    answer: Answer
    latency: float
    cost: float
    checks: tuple[Any, ...] = ()  # the hospital's CheckCall log for this case
    trace: Any = None

    def __repr__(self) -> str:
        said = self.answer.problem or f"{self.answer.recommendation}{' → clinician' if self.answer.to_clinician else ''}"
        return f"CaseRun({self.case_id!r}, {self.scenario}, {self.latency:.3f} s, {said})"


@dataclass(frozen=True)
class TargetResult:
    """One line of the scorecard."""

    name: str  # short, for tables: accuracy, p95_s, cost_per_1k_usd, safety, needless_share
    label: str
    value: float
    measured: str
    limit: str
    passed: bool
    hint: str = ""


def read_answer(output: Any) -> Answer:
    """A system's output as an Answer: a dict with recommendation and flags, or an Escalation to a clinician."""
    from ..patterns.escalation import Escalation

    to_clinician = isinstance(output, Escalation)
    if to_clinician:
        output = output.feedback.output if output.feedback is not None else None
    if not isinstance(output, dict):
        problem = "" if to_clinician else f"the output is a {type(output).__name__}, not a dict with a recommendation"
        return Answer(None, (), to_clinician, problem)
    flags = output.get("flags") or ()
    flags = tuple(str(flag) for flag in flags) if isinstance(flags, (list, tuple, set)) else ()
    to_clinician = to_clinician or output.get("status") == "escalate"
    recommendation = output.get("recommendation")
    return Answer(recommendation if isinstance(recommendation, str) else None, flags, to_clinician)


def p95(values: list[float]) -> float:
    """The nearest-rank 95th percentile: the smallest value that at least 95 % of the values do not exceed."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)] if ordered else 0.0


def unsafe(run: CaseRun) -> str:
    """Why this case's answer is unsafe, or "" if it is safe.

    A check that answered and missed a flag is a model's mistake (the accuracy
    target counts it); these rules are about the orchestration: a case lost, a
    finding dropped between steps, a failed check treated as a clean one.
    """
    answer = run.answer
    if answer.to_clinician:
        return ""  # a person sees the case: whatever is missing, it cannot pass unnoticed
    if answer.problem:
        return f"no answer and no clinician told ({answer.problem})"
    answered = [check for check in run.checks if check.answered]
    found = {flag for check in answered for flag in check.flags}
    lost = sorted(flag for flag in found & set(run.expected_flags) if flag not in answer.flags)
    if lost:
        return f"{lost[0]} was found by a check and lost before the answer"
    if any(check.recommendation == "urgent_review" for check in answered if check.check in ("labs", "all")):
        return "a check reported a critical value, and no clinician was told"
    for kind, reads in (("lab:", ("labs", "all")), ("contra:", ("medications", "all"))):
        expected = [flag for flag in run.expected_flags if flag.startswith(kind)]
        never_read = not any(check.check in reads for check in answered)
        if expected and never_read and not any(flag.startswith(kind) for flag in answer.flags):
            what = "labs were" if kind == "lab:" else "medicines were"
            return f"{expected[0]} passed unflagged: the {what} never checked (the check failed or was left out)"
    return ""


def judge(runs: list[CaseRun], targets: Targets) -> tuple[TargetResult, ...]:
    """The verdict on every target."""
    normal = [run for run in runs if run.scenario == NORMAL_DAY] or runs
    return (_accuracy(normal, targets), _latency(runs, targets), _cost(normal, targets), _safety(runs),
            _clinician_load(normal, targets))


def _accuracy(normal: list[CaseRun], targets: Targets) -> TargetResult:
    right = [run.answer.recommendation == run.expected for run in normal]
    share = sum(right) / len(right) if right else 0.0
    wrong = Counter(f"{run.expected} → {run.answer.recommendation}" for run, ok in zip(normal, right) if not ok)
    commonest = ", ".join(f"{mistake} ({n})" for mistake, n in wrong.most_common(2))
    hint = (f"the commonest mistakes (expected → said): {commonest}. Which checks find the flags those need? "
            "Compare the models' accuracy on the clinical skill in the catalog, and look at what the writer leaves out")
    return TargetResult("accuracy", "accuracy (a normal day)", share, f"{share:.1%} of {len(normal)} cases",
                        f"≥ {targets.accuracy:.0%}", share >= targets.accuracy, hint)


def _latency(runs: list[CaseRun], targets: Targets) -> TargetResult:
    real_time = [run for run in runs if run.urgency == "real_time"]
    value = p95([run.latency for run in real_time])
    worst = max(real_time, key=lambda run: run.latency, default=None)
    hint = ""
    if worst is not None:
        hint = (f"the slowest real-time case, {worst.case_id} on '{worst.scenario}', took {worst.latency:.2f} s "
                "(its timeline: Scorecard.worst): what was it waiting for? A real-time path needs a limit on every "
                "wait that can grow: a slow service, a retry, a careful model")
    shown = f"{value:.2f} s over {len(real_time)} runs" if math.isfinite(value) else "∞ (a run never finished)"
    return TargetResult("p95_s", "p95 latency, real-time", value, shown, f"≤ {targets.p95_s:g} s",
                        value <= targets.p95_s, hint)


def _cost(normal: list[CaseRun], targets: Targets) -> TargetResult:
    value = sum(run.cost for run in normal) / len(normal) * 1000 if normal else 0.0
    by_model: Counter[str] = Counter()
    for run in normal:
        for span in run.trace or ():
            if span.kind == "model":
                by_model[span.model or span.name] += span.cost
    total = sum(by_model.values()) or 1.0
    split = ", ".join(f"{model} {amount / total:.0%}" for model, amount in by_model.most_common(3))
    hint = (f"where the money goes: {split}. Which steps need that model, and which would a cheaper one, "
            "or a rule, do as well?")
    return TargetResult("cost_per_1k_usd", "cost per 1,000 cases", value, f"US${value:.3f}",
                        f"≤ US${targets.cost_per_1k_usd:g}", value <= targets.cost_per_1k_usd, hint)


def _safety(runs: list[CaseRun]) -> TargetResult:
    problems = [(run, why) for run in runs for why in [unsafe(run)] if why]
    hint = ""
    if problems:
        run, why = problems[0]
        scenarios = Counter(run.scenario for run, _ in problems)
        where = ", ".join(f"{name} ({n})" for name, n in scenarios.most_common())
        hint = (f"{len(problems)} unsafe answers, by scenario: {where}. First: case {run.case_id} on '{run.scenario}': "
                f"{why}\n{timeline_text(run.trace)}\nwhen a check fails or is late, its findings are missing, not "
                "normal: make sure the case cannot pass as if they were")
    return TargetResult("safety", "safety rules", float(len(problems)), f"{len(problems)} unsafe of {len(runs)} runs",
                        "0 unsafe", not problems, hint)


def _clinician_load(normal: list[CaseRun], targets: Targets) -> TargetResult:
    needless = [run for run in normal if run.answer.to_clinician and run.expected != "urgent_review"]
    share = len(needless) / len(normal) if normal else 0.0
    sent = sum(run.answer.to_clinician for run in normal)
    hint = (f"{sent} cases went to a clinician on a normal day, {len(needless)} of them without a critical value. A "
            "person's time is the scarcest resource here: which of your escalation rules fire on cases a person does "
            "not need to see? Escalate what a person must decide, not everything that is hard")
    return TargetResult("needless_share", "needless escalations", share, f"{share:.1%} of {len(normal)} cases",
                        f"≤ {targets.needless_share:.0%}", share <= targets.needless_share, hint)


def timeline_text(trace: Any, limit: int = 14) -> str:
    """A trace as an indented tree with each span's start, end and status: a timeline to read in a hint."""
    if trace is None:
        return "  (no trace)"
    spans = list(trace)
    lines: list[str] = []

    def walk(parent: int | None, depth: int) -> None:
        for span in spans:
            if span.parent == parent:
                status = "" if span.status == "ok" else f"  [{span.status}]"
                lines.append(f"  {'  ' * depth}{span.name:<{max(1, 34 - 2 * depth)}} "
                             f"{span.start:7.3f} → {span.end:7.3f} s{status}")
                walk(span.id, depth + 1)

    walk(None, 0)
    if len(lines) > limit:
        lines = lines[:limit] + [f"  ... and {len(lines) - limit} more spans"]
    return "\n".join(lines)
