"""The capstone's hospital: the models and services a decision-support system is built from, faults on demand.

A design is a function ``build_system(hospital) -> flow``. It takes every model
and service from the hospital it is given, so the same design can be run on a
normal day and on a bad one: the grader hands it a hospital where the clinical
specialist is down, the lab service is slow, or every model is rate limited.

    >>> hospital = Hospital()                                  # a normal day
    >>> clinician = hospital.model("clinical-specialist")      # a simulated model
    >>> history = hospital.records                             # the records lookup: 0.2 s, no model
    >>> Hospital("specialist down").model("clinical-specialist")
    HospitalModel('clinical-specialist', specialist down)

SYNTHETIC, FOR TEACHING ORCHESTRATION, NOT MEDICAL ADVICE.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import Any, Iterable

from ..context import current_context
from ..errors import ConfigurationError
from ..models.simulated import SimulatedModel
from ..models.skills.base import read_json
from ..models.skills.parse import parse_json


@dataclass(frozen=True)
class Scenario:
    """What goes wrong today: models that fail, and how late the lab results arrive (seconds)."""

    name: str
    description: str
    down: tuple[str, ...] = ()  # models that answer every call with HTTP 500
    rate_limited: float = 0.0  # the share of every model's calls refused with HTTP 429
    retry_after: float = 1.0  # what a 429 asks the caller to wait, in seconds
    labs_delay: float = 0.0  # extra seconds every clinical check that reads labs waits for the lab service

    def __repr__(self) -> str:
        return f"Scenario({self.name!r})"


SCENARIOS = {scenario.name: scenario for scenario in [
    Scenario("normal day", "nothing goes wrong"),
    Scenario("specialist down", "the clinical specialist answers every call with HTTP 500",
             down=("clinical-specialist",)),
    Scenario("slow lab service", "lab results arrive 8 s late: every labs check waits for them", labs_delay=8.0),
    Scenario("rate limit", "every model refuses 1 call in 3 with HTTP 429 (retry after 1 s)",
             rate_limited=1 / 3, retry_after=1.0),
]}


@dataclass(frozen=True)
class CheckCall:
    """One clinical check a hospital model was asked for, and what came of it (the scorecard reads these)."""

    check: str  # "labs", "medications" or "all"
    model: str
    answered: bool
    flags: tuple[str, ...] = ()
    recommendation: str = ""


class HospitalModel(SimulatedModel):
    """A simulated model as the hospital runs it today: its scenario's faults; its calls counted, its checks logged."""

    def __init__(self, name: str, scenario: Scenario, counter: list[int], log: list[CheckCall]) -> None:
        usual = SimulatedModel(name).profile.failures  # the catalog's rare errors and slow spikes stay
        if name in scenario.down:
            failures = replace(usual, error_rate=1.0, timeout_rate=0.0, rate_limit_rate=0.0)
        else:
            failures = replace(usual, rate_limit_rate=scenario.rate_limited, retry_after=scenario.retry_after)
        super().__init__(name, failures=failures)
        self.scenario, self._counter, self._log = scenario, counter, log

    async def complete(self, messages: Any, **options: Any) -> Any:
        self._counter[0] += 1
        if options.get("skill") != "clinical":
            return await self._answer(messages, options)
        check = str(options.get("check", "all"))
        try:
            completion = await self._answer(messages, options)
        except BaseException:  # failed, refused, or cancelled by a timeout: the check never answered
            self._log.append(CheckCall(check, self.name, answered=False))
            raise
        found = read_json(completion.text)
        found = found if isinstance(found, dict) else {}
        self._log.append(CheckCall(check, self.name, True, tuple(found.get("flags") or ()),
                                   str(found.get("recommendation", ""))))
        return completion

    async def _answer(self, messages: Any, options: dict[str, Any]) -> Any:
        if self.scenario.labs_delay and options.get("skill") == "clinical" and options.get("check", "all") in ("labs", "all"):
            ctx = current_context()
            if ctx is not None:  # the wait shows in the trace, as its own span
                async with ctx.span("waiting for the lab service") as span:
                    span.detail = f"lab results {self.scenario.labs_delay:g} s late"
                    await asyncio.sleep(self.scenario.labs_delay)
            else:
                await asyncio.sleep(self.scenario.labs_delay)
        return await super().complete(messages, **options)

    def with_failures(self, **rates: Any) -> SimulatedModel:
        raise ConfigurationError("a hospital model's faults are the scenario's; build your system from "
                                 "hospital.model(name) and let the check choose the faults")

    def __repr__(self) -> str:
        return f"HospitalModel({self.name!r}, {self.scenario.name})"


class Hospital:
    """The models and services of one day at the hospital (``scenario``: a name in SCENARIOS, or a Scenario)."""

    def __init__(self, scenario: str | Scenario = "normal day") -> None:
        if isinstance(scenario, str):
            if scenario not in SCENARIOS:
                raise ConfigurationError(f"no scenario called {scenario!r}; choose one of: {', '.join(SCENARIOS)}")
            scenario = SCENARIOS[scenario]
        self.scenario = scenario
        self._calls = [0]  # model calls made through this hospital's models (a list: shared with them)
        self.log: list[CheckCall] = []  # the clinical checks asked for since start_case()

    @property
    def calls(self) -> int:
        """How many model calls this hospital's models have answered (or refused)."""
        return self._calls[0]

    def model(self, name: str) -> HospitalModel:
        """The simulated model ``name`` (from data/models.csv), with today's faults."""
        return HospitalModel(name, self.scenario, self._calls, self.log)

    def start_case(self) -> None:
        """Forget the checks logged so far (the scorecard runs one case at a time, and reads the log after each)."""
        self.log.clear()

    @staticmethod
    async def records(case: str) -> str:
        """The patient's conditions, from the records system (a lookup, not a model): 0.2 s."""
        await asyncio.sleep(0.2)
        fields = dict(line.split(": ", 1) for line in case.splitlines()[1:] if ": " in line)
        return f"{fields.get('Condition', 'unknown condition.')} Also: {fields.get('History', 'none recorded.')}"

    def __repr__(self) -> str:
        return f"Hospital({self.scenario.name!r})"


def new_cases(seed: int, prefix: str = "x") -> list[dict[str, Any]]:
    """48 fresh fictional cases from the course's generator (data/generate_datasets.py), with their ground truth.

    The same written rules as the shipped cases, another seed; ids and texts say ``x001`` ... (``prefix``),
    so no new case looks like a shipped one. The checks grade on such cases.
    """
    import random

    from ..data.generate_datasets import healthcare_cases

    rows = healthcare_cases(random.Random(seed))
    for number, row in enumerate(rows, 1):
        row["text"] = row["text"].replace(f"Case {row['id']}", f"Case {prefix}{number:03d}")
        row["id"] = f"{prefix}{number:03d}"
    return rows


def care_protocol(findings: Iterable[Any], missing: Iterable[str]) -> dict[str, Any]:
    """The written care protocol over the checks' JSON findings: a missing check or a critical value escalates.

    The one copy the capstone's checks and the LangGraph bridge both follow. A finding that is not text
    (a default, say) adds nothing.

    >>> care_protocol(['{"flags": ["lab:potassium"], "recommendation": "repeat_tests"}'], [])["recommendation"]
    'repeat_tests'
    """
    flags: set[str] = set()
    said = []
    for text in findings:
        found = parse_json(text) if isinstance(text, str) else {}
        flags |= set(found.get("flags", []))
        said.append(found.get("recommendation"))
    if "urgent_review" in said:
        recommendation = "urgent_review"
    elif any(flag.startswith("contra:") for flag in flags):
        recommendation = "medication_review"
    else:
        recommendation = "repeat_tests" if flags else "routine_follow_up"
    escalate = bool(missing) or recommendation == "urgent_review"
    return {"status": "escalate" if escalate else "ok", "recommendation": recommendation, "flags": sorted(flags),
            "missing": sorted(missing)}
