"""Human review in one place: an escalation, a person's verdict, and resuming the flow after it.

- ``Escalation``: why a flow stopped, the input, what was found so far, and
  where it stopped (the flow, the route). A value: show it, save it as JSON,
  load it in another process on another day.
- ``HumanReview``: the escalation target that is a person. Scripted decisions
  for headless runs; none, and the run returns the pending ``Escalation``.
- ``resolve(escalation, "approve")``: a person's verdict, a ``Review``.
- ``resume(flow, escalation, review)``: the flow carries on from where it
  stopped (after Approve) and returns a new run's result.

    >>> pending = run(triage, request).output          # an Escalation: nothing blocks
    >>> pending.save("claim.json")                     # ... another process, another day:
    >>> later = Escalation.load("claim.json")
    >>> resume(triage, later, resolve(later, "approve", reviewer="finance lead")).output
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

from ..context import Context
from ..errors import ConfigurationError, DataError
from ..steps import Step
from ..trace import Span, Trace
from .feedback import Feedback

_VERDICTS = {"approve": "approved", "reject": "rejected"}
SAVED_AS = "orchestration_kit escalation"  # the marker that says a JSON file is one of ours
VERSION = 2  # 2: the feedback's issues are saved as spans (version 1 saved them as "name: status" text)


class EscalationFileError(DataError):
    """A file that should hold a saved escalation is damaged, or is something else."""


@dataclass(frozen=True)
class Escalation:
    """A case handed to a higher tier or a person: why, the input, the feedback, and where the flow stopped.

    ``flow`` is the name of the Hierarchical that stopped; ``route`` the team the
    top level chose (or proposed, when it was unsure). No ``feedback`` means it
    stopped at the top level, before any team ran.
    """

    reason: str
    input: Any
    feedback: Feedback | None = None
    flow: str = ""
    route: str | None = None

    @property
    def stopped(self) -> str:
        """Where the flow stopped, in words."""
        if self.feedback is None:
            proposed = f" (the top level proposed {self.route!r})" if self.route else ""
            return f"at the top level, before any team ran{proposed}"
        return f"after the {self.feedback.route!r} team ran ({self.feedback.status})"

    def __str__(self) -> str:
        output = self.feedback.output if self.feedback else None
        found = f" Result so far: {output}" if output is not None and output != self.input else ""  # a rolled-back team has none
        return f"Escalated because {self.reason}. Request: {str(self.input).rstrip('.')}. Stopped {self.stopped}.{found}"

    # -- saved as JSON, resumed another day ---------------------------------------
    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; input and outputs must be JSON values (text, numbers, lists, dicts)."""
        data = {"saved": SAVED_AS, "version": VERSION, "reason": self.reason, "input": self.input, "flow": self.flow,
                "route": self.route, "feedback": asdict(self.feedback) if self.feedback else None}
        try:
            json.dumps(data)
        except (TypeError, ValueError) as error:
            raise ConfigurationError(f"this escalation cannot be saved as JSON ({error}): its input and its team's "
                                     "output must be text, numbers, lists or dicts") from None
        return data

    @classmethod
    def from_json(cls, data: Any, *, source: str = "the data") -> Escalation:
        """The escalation ``to_json`` saved; a clear EscalationFileError for anything else."""
        def bad(why: str) -> EscalationFileError:
            return EscalationFileError(f"{source}: not a saved escalation: {why}. Save one with escalation.save(path).")

        if not isinstance(data, dict) or data.get("saved") != SAVED_AS:
            raise bad(f"it has no \"saved\": {SAVED_AS!r} marker")
        if data.get("version") == 1:
            raise bad(f"version 1, from an older kit that saved the feedback's issues as text; this kit reads version "
                      f"{VERSION}: escalate the case again and save it with this kit")
        if data.get("version") != VERSION:
            raise bad(f"version {data.get('version')!r}; this kit reads version {VERSION}")
        if not isinstance(data.get("reason"), str) or "input" not in data or not isinstance(data.get("flow"), str):
            raise bad("it lacks a reason, an input or a flow name")
        feedback = data.get("feedback")
        if feedback is not None:
            try:
                issues = tuple(Span(**issue) for issue in feedback.get("issues", ()))  # saved by asdict: span fields
                feedback = Feedback(**{**feedback, "issues": issues})
            except (TypeError, ValueError) as error:  # ValueError: a bad kind or status, or text issues
                raise bad(f"its feedback does not fit ({error})") from None
        return cls(data["reason"], data["input"], feedback, data["flow"], data.get("route"))

    def save(self, path: str | Path) -> Path:
        """Write this escalation to a JSON file; ``Escalation.load(path)`` reads it back."""
        path = Path(path)
        path.write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> Escalation:
        """Read an escalation that ``save`` wrote (in this process or another)."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise EscalationFileError(f"{path}: not a saved escalation: it is not valid JSON ({error}); "
                                      "it may be damaged or cut short. Save one with escalation.save(path).") from None
        return cls.from_json(data, source=str(path))


@dataclass(frozen=True)
class Review:
    """A reviewer's verdict on an escalation: approved or rejected, and the output that stands."""

    decision: str  # "approved" or "rejected"
    output: Any
    reviewer: str
    reason: str = ""


def resolve(escalation: Escalation, decision: str, *, reviewer: str = "person", reason: str = "") -> Review:
    """A verdict on an escalation: ``"approve"`` keeps the result so far, ``"reject"`` discards it.

    It only records the verdict; ``resume(flow, escalation, review)`` carries the flow on.
    """
    if decision not in _VERDICTS:
        raise ValueError(f"decision must be 'approve' or 'reject', got {decision!r}")
    output = escalation.feedback.output if escalation.feedback and decision == "approve" else None
    return Review(_VERDICTS[decision], output, reviewer, reason or escalation.reason)


class HumanReview(Step):
    """Escalation to a person.

    Headless (tests, CI, nbval) give ``decisions``: a list consumed in order
    (``"approve"``/``"reject"``), one string for all, or a function of the
    Escalation. With no decisions the run returns the ``Escalation`` itself, so a
    notebook widget can show it and ask a person (nothing blocks waiting).
    ``cost_per_review`` (US$) and ``wait`` (seconds on the run's clock) are what
    each scripted review costs in a person's time: the span records them.

    >>> HumanReview(decisions=["approve", "reject"], cost_per_review=4.0, wait=1800)
    """

    def __init__(self, decisions: list[str] | str | Callable[[Escalation], str] | None = None, *,
                 name: str = "human review", cost_per_review: float = 0.0, wait: float = 0.0) -> None:
        if isinstance(decisions, str) and decisions not in _VERDICTS:
            raise ConfigurationError(f"HumanReview's first argument is decisions ('approve', 'reject', a list of them or a "
                                     f"function), got {decisions!r}; to name the step write HumanReview(name={decisions!r})")
        bad = [d for d in decisions if d not in _VERDICTS] if isinstance(decisions, list) else []
        if bad:
            raise ConfigurationError(f"HumanReview decisions are 'approve' or 'reject', got {bad[0]!r}")
        if cost_per_review < 0 or wait < 0:
            raise ConfigurationError(f"HumanReview {name!r}: cost_per_review and wait cannot be negative")
        self.decisions, self.name, self.cost_per_review, self.wait = decisions, name, cost_per_review, wait

    async def __call__(self, escalation: Escalation, ctx: Context) -> Any:
        async with ctx.span(self.name, kind="step") as span:
            decision = self._decision_for(escalation, ctx)
            if decision is None:
                span.status, span.detail = "pending", f"waiting for a person: {escalation.reason}"
                return escalation
            await asyncio.sleep(self.wait)  # the person's time, counted by the run's clock
            span.cost = self.cost_per_review  # a person's time, not a model's: trace.cost leaves it out
            span.detail = f"{_VERDICTS[decision]} by scripted reviewer"
            return resolve(escalation, decision, reviewer="scripted")

    def _decision_for(self, escalation: Escalation, ctx: Context) -> str | None:
        if self.decisions is None or isinstance(self.decisions, str):
            return self.decisions
        if callable(self.decisions):
            return self.decisions(escalation)
        index = ctx.count("human review", self.name)  # counted per run, so reruns repeat exactly
        if index >= len(self.decisions):
            raise ConfigurationError(f"HumanReview {self.name!r} ran out of scripted decisions ({len(self.decisions)} given)")
        return self.decisions[index]

    def __repr__(self) -> str:
        """``<HumanReview 'human review': scripted ['approve'], US$4 and 1800 s a review>``."""
        if self.decisions is None:
            how = "asks a person"
        elif callable(self.decisions):
            how = f"decided by {getattr(self.decisions, '__name__', 'a function')}"
        else:
            how = f"scripted {self.decisions!r}"
        price = f", US${self.cost_per_review:g} and {self.wait:g} s a review" if self.cost_per_review or self.wait else ""
        return f"<HumanReview {self.name!r}: {how}{price}>"


def people_cost(trace: Trace, name: str = "human review") -> float:
    """What the people's reviews in a run cost (US$): the ``cost_per_review`` of every ``name`` span."""
    return round(sum(span.cost for span in trace.find(name)), 10)


def resume(flow: Any, escalation: Escalation, review: Review, *, clock: str = "virtual", seed: int = 0) -> Any:
    """Carry ``flow`` on from where ``escalation`` stopped, now that ``review`` settled it; a new RunResult.

    ``flow`` is the Hierarchical that escalated, built again from the same code
    (in another process, say). Approved: the flow continues (see
    ``Hierarchical``'s ``on_approve``); rejected: nothing runs and the output is
    the Review.

    >>> resume(triage, pending, resolve(pending, "approve", reviewer="finance lead")).output
    """
    from ..runner import run  # here: the runner imports the patterns' package, not the other way round
    if getattr(flow, "pattern", None) != "hierarchical":  # (hierarchical.py imports this module, so no isinstance)
        raise ConfigurationError(f"resume needs the Hierarchical flow that escalated, got {type(flow).__name__}")
    if not isinstance(escalation, Escalation):
        raise ConfigurationError(f"resume needs an Escalation (a pending run's output, or Escalation.load(path)), "
                                 f"got {type(escalation).__name__}")
    if not isinstance(review, Review):
        raise ConfigurationError(f"resume needs a Review: resolve(escalation, 'approve', reviewer=...), got {type(review).__name__}")
    if escalation.flow != flow.name:
        raise ConfigurationError(f"this escalation stopped in the flow {escalation.flow!r}, not in {flow.name!r}: "
                                 "resume it with the flow it came from")
    if escalation.route is not None and escalation.route not in flow.sub:
        raise ConfigurationError(f"this escalation's route {escalation.route!r} is not a team of {flow.name!r} "
                                 f"(its teams: {', '.join(flow.sub)}): resume it with the flow it came from")
    return run(_Resumed(flow, escalation, review), escalation.input, clock=clock, seed=seed)


class _Resumed(Step):
    """The rest of an escalated flow, as a step of its own run."""

    def __init__(self, flow: Any, escalation: Escalation, review: Review) -> None:
        self.flow, self.escalation, self.review, self.name = flow, escalation, review, flow.name

    async def __call__(self, input: Any, ctx: Context) -> Any:
        return await self.flow.resume_in(self.escalation, self.review, ctx)
