"""The capstone's scorecard: run a design on cases under every scenario and measure it against its targets.

    >>> card = score(build_system, datasets.healthcare_cases())
    >>> card                        # one line per target: measured, target, ✓ or ✗
    >>> card.hints()                # what to look at, for each target missed
    >>> card.worst.trace.timeline() # the slowest real-time case, span by span

A design is ``build_system(hospital) -> flow`` (see ``hospital.py``). The flow
takes a case's text and returns either a dict with ``recommendation`` and
``flags`` (and ``status``: "ok" or "escalate"), or an ``Escalation``: the case
went to a clinician, with the system's proposal in ``escalation.feedback``.
Whatever the architecture, only that output, the time and the bill are scored.

SYNTHETIC, FOR TEACHING ORCHESTRATION, NOT MEDICAL ADVICE.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from .hospital import SCENARIOS, Hospital, Scenario
from ..runner import run
from .scorecard_rules import Answer, CaseRun, Targets, TargetResult, judge, read_answer, timeline_text

__all__ = ["Answer", "CaseRun", "Scorecard", "Targets", "TargetResult", "read_answer", "score", "timeline_text"]


@dataclass(frozen=True)
class Scorecard:
    """Every run of a design, and the verdict per target."""

    runs: tuple[CaseRun, ...]
    targets: Targets
    results: tuple[TargetResult, ...]
    bypassed: tuple[str, ...] = ()  # scenarios in which some model calls did not come from the hospital

    @property
    def passed(self) -> bool:
        return all(result.passed for result in self.results) and not self.bypassed

    @property
    def met(self) -> int:
        """How many targets were met."""
        return sum(result.passed for result in self.results)

    @property
    def worst(self) -> CaseRun | None:
        """The slowest real-time case, over every scenario."""
        real_time = [r for r in self.runs if r.urgency == "real_time"]
        return max(real_time, key=lambda r: r.latency, default=None)

    @property
    def measures(self) -> dict[str, float]:
        """The measured numbers by target name, e.g. {"accuracy": 0.85, "p95_s": 4.1, ...}."""
        return {result.name: result.value for result in self.results}

    def hints(self) -> str:
        """What to look at for each target missed (empty when every target is met)."""
        return "\n\n".join(f"{r.label}: {r.hint}" for r in self.results if not r.passed)

    def table(self) -> Any:
        """The scorecard as a DataFrame: one row per target."""
        import pandas as pd

        return pd.DataFrame([{"target": r.label, "measured": r.measured, "limit": r.limit, "met": "✓" if r.passed else "✗"}
                             for r in self.results]).set_index("target")

    def __repr__(self) -> str:
        lines = [f"Scorecard({len(self.runs)} runs, {self.met} of {len(self.results)} targets met)"]
        lines += [f"  {'✓' if r.passed else '✗'} {r.label:<26} {r.measured:<34} limit {r.limit}" for r in self.results]
        if self.bypassed:
            lines.append(f"  ⚑ model calls that did not come from hospital.model(...) in: {', '.join(self.bypassed)}")
        return "\n".join(lines)


def score(build_system: Callable[[Hospital], Any], cases: Any, *, scenarios: list[str | Scenario] | None = None,
          targets: Targets = Targets(), seed: int = 0, runner: Callable[..., Any] | None = None) -> Scorecard:
    """Run ``build_system(Hospital(scenario))`` on every case under every scenario; judge the runs against ``targets``.

    ``cases``: a DataFrame or a list of dicts with id, urgency, text, expected_flags and recommendation.
    ``runner(flow, text, seed=...)`` runs one case (default: the kit's ``run``, on the virtual clock).
    """
    rows = cases.to_dict("records") if hasattr(cases, "to_dict") else list(cases)
    runner = runner or run
    runs: list[CaseRun] = []
    bypassed: list[str] = []
    for scenario in scenarios or list(SCENARIOS):
        hospital = Hospital(scenario)
        system = build_system(hospital)
        model_spans = 0
        for row in rows:
            hospital.start_case()
            done = run_case(system, row, hospital.scenario.name, runner, seed, hospital)
            model_spans += sum(span.kind == "model" for span in done.trace) if done.trace is not None else 0
            runs.append(done)
        if model_spans > hospital.calls:
            bypassed.append(hospital.scenario.name)
    return Scorecard(tuple(runs), targets, judge(runs, targets), tuple(bypassed))


def run_case(system: Any, row: dict[str, Any], scenario: str, runner: Callable[..., Any], seed: int,
             hospital: Hospital) -> CaseRun:
    """One case through the system: its answer, time and cost, or the error that stopped it."""
    error, trace, output = "", None, None
    try:
        result = runner(system, row["text"], seed=seed)
        output, trace = result.output, result.trace
    except Exception as caught:  # the case is scored as lost; the other cases go on
        error = f"{type(caught).__name__}: {str(caught).strip().splitlines()[0] if str(caught).strip() else ''}"
        trace = getattr(caught, "trace", None)
    latency = trace.latency if trace is not None else math.inf
    cost = trace.cost if trace is not None else 0.0
    answer = read_answer(output) if not error else Answer(None, (), False, error)
    return CaseRun(str(row["id"]), scenario, str(row["urgency"]), tuple(row["expected_flags"]), str(row["recommendation"]),
                   answer, latency, cost, tuple(hospital.log), trace)
