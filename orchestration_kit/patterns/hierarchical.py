"""Hierarchical: a top-level router that delegates to whole sub-orchestrations.

The course's components, as constructor arguments:

- ``top``: the top-level routing logic (like a Router's analyzer): returns a
  route name, ``(route, confidence)`` or a ``Decision``.
- ``sub``: the sub-orchestrations by route, each any pattern (or a plain step).
- feedback: after a sub-orchestration runs, the top level gets a ``Feedback``
  (its status such as ok / fallback / partial / rolled_back / error, what went
  wrong inside it, its output, latency and cost).
- ``escalate``: who takes over when ``escalate_when(feedback)`` says so, or when
  the top level is unsure (confidence under ``threshold``) or the sub-run fails:
  a person (``HumanReview``) or a higher tier (any flow). It receives an
  ``Escalation`` (reason, input, feedback).

The feedback is read from the sub-orchestration's own spans (its subtree of
the trace), so two Hierarchical flows side by side in a Parallel never see each
other's trouble. The top level's decision follows a Router's rules
(``choose_routes``). A failure inside the sub-run is feedback; a mistake
(``errors.is_usage_error``) is raised, not escalated.

    >>> Hierarchical(top=triage, sub={"automated": pipeline, "manual_review": review_flow},
    ...              escalate=HumanReview(decisions=["approve"]), threshold=0.7)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ..context import Context
from ..errors import ConfigurationError, is_usage_error, note_where
from ..steps import Step, as_step
from ..trace import Span, trouble
from .router import Choice, choose_routes

_VERDICTS = {"approve": "approved", "reject": "rejected"}


@dataclass(frozen=True)
class Feedback:
    """What the top level learns from a sub-orchestration's run."""

    route: str
    status: str  # the sub-orchestration's own status: ok, fallback, partial, rolled_back, error ...
    output: Any = None
    issues: tuple[str, ...] = ()  # "span name: status" for each span inside that is trouble (see trace.trouble)
    confidence: float = 1.0
    latency: float = 0.0
    cost: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok" and not self.issues


@dataclass(frozen=True)
class Escalation:
    """A case handed to a higher tier or a person: why, the original input, and the feedback."""

    reason: str
    input: Any
    feedback: Feedback | None = None

    def __str__(self) -> str:
        found = f" Result so far: {self.feedback.output}" if self.feedback and self.feedback.output is not None else ""
        return f"Escalated because {self.reason}. Request: {str(self.input).rstrip('.')}.{found}"


def subtree(spans: list[Span], roots: list[Span]) -> list[Span]:
    """The ``roots`` and every span under them, found by following parent links (in the order of ``spans``).

    >>> subtree(trace.spans, trace.find("triage"))   # a flow's own spans, none of its siblings'
    """
    children: dict[int | None, list[Span]] = {}
    for span in spans:
        children.setdefault(span.parent, []).append(span)
    inside, todo = set(), list(roots)
    while todo:
        span = todo.pop()
        inside.add(span.id)
        todo.extend(children.get(span.id, []))
    return [span for span in spans if span.id in inside]


def default_escalate_when(feedback: Feedback) -> str | None:
    """Escalate when the sub-orchestration failed or had to degrade; say why."""
    if feedback.status in ("error", "failed", "rolled_back"):
        return f"sub-orchestration {feedback.route!r} ended {feedback.status}"
    return None


class Hierarchical(Step):
    """Route to a sub-orchestration, read its feedback, escalate when needed (see module docs)."""

    pattern = "hierarchical"

    def __init__(
        self,
        top: Any,
        sub: dict[str, Any],
        *,
        escalate: Any = None,
        escalate_when: Callable[[Feedback], str | bool | None] = default_escalate_when,
        threshold: float = 0.0,
        name: str = "hierarchical",
    ) -> None:
        if not isinstance(sub, dict) or not sub:
            raise ConfigurationError(f"Hierarchical {name!r}: sub must be a non-empty dict {{route: sub-orchestration}}")
        if not 0.0 <= threshold <= 1.0:
            raise ConfigurationError(f"Hierarchical {name!r}: threshold is a confidence between 0 and 1, got {threshold}")
        if not callable(escalate_when):
            raise ConfigurationError(f"Hierarchical {name!r}: escalate_when must be a function feedback -> reason or None")
        self.top = as_step(top, f"Hierarchical {name!r} top")
        self.sub = {route: as_step(flow, f"Hierarchical {name!r} sub {route!r}") for route, flow in sub.items()}
        self.escalate = as_step(escalate, f"Hierarchical {name!r} escalate") if escalate is not None else None
        self.escalate_when, self.threshold, self.name = escalate_when, threshold, name

    async def __call__(self, input: Any, ctx: Context) -> Any:
        async with ctx.span(self.name, kind="flow", pattern=self.pattern) as span:
            choice = await self._decide(input, ctx)
            feedback, reason = None, choice.problem
            if choice.ok:
                route, confidence = choice.routes[0], choice.decisions[0].confidence
                feedback = await self._run_sub(route, confidence, input, ctx, span.id)
                span.route, span.confidence = route, confidence
                span.detail = f"{route} ({confidence:.2f}) -> {feedback.status}"
                verdict = self.escalate_when(feedback)
                reason = (verdict if isinstance(verdict, str) else "escalate_when said so") if verdict else None
                if reason is None:
                    return feedback.output
            if self.escalate is None:
                span.status, span.detail = "unresolved", f"needs escalation ({reason}) but no escalate= is set"
                return Escalation(reason, input, feedback)
            span.status, span.detail = "escalated", f"escalated: {reason}"
            return await self.escalate(Escalation(reason, input, feedback), ctx)

    async def _decide(self, input: Any, ctx: Context) -> Choice:
        """Ask the top level; return its most confident usable decision, or why there is none."""
        try:
            raw = await self.top(input, ctx)
        except Exception as error:
            if is_usage_error(error):
                note_where(error, f"the top level of Hierarchical {self.name!r}")
                raise
            return Choice(problem=f"the top-level router failed ({type(error).__name__}: {error})")
        choice = choose_routes(raw, self.sub, self.threshold)  # the same rules as a Router's
        if not choice.ok:
            return Choice(problem=f"at the top level, {choice.problem}")
        return choice.most_confident()

    async def _run_sub(self, route: str, confidence: float, input: Any, ctx: Context, parent_id: int) -> Feedback:
        """Run one sub-orchestration and summarise how it went, from its own spans only."""
        first_new, start = len(ctx.trace.spans), ctx.now()  # the top level's spans are all closed by now
        try:
            output, status = await self.sub[route](input, ctx), "ok"
        except Exception as error:  # a failure: the failing step's span already holds the message
            if is_usage_error(error):
                note_where(error, f"sub-orchestration {route!r} of Hierarchical {self.name!r}")
                raise
            output, status = None, "error"
        new = ctx.trace.spans[first_new:]  # every span of the sub-run closed after it began, among others'
        roots = [s for s in new if s.parent == parent_id]  # what the sub-run opened directly under us
        own = subtree(new, roots)  # followed by parent chain: a sibling's spans are never ours
        named = [s for s in roots if s.name == self.sub[route].name]
        if named and status == "ok":
            status = named[-1].status
        issues = tuple(f"{s.name}: {s.status}" for s in trouble(own))  # recovered retries do not count
        cost = round(sum(s.cost for s in own if s.kind == "model"), 10)
        return Feedback(route, status, output, issues, confidence, round(ctx.now() - start, 9), cost)

    def children(self) -> list[Step]:
        """The steps directly inside this one, in order: the top level, each sub-orchestration, the escalation."""
        return [part for part in [self.top, *self.sub.values(), self.escalate] if part is not None]

    def draw(self, chart: Any) -> tuple[str, str]:
        with chart.group(self.name, "hierarchical") as group:
            entry = chart.node(self.top.name, shape="decision")
            exit_ = chart.node("feedback", shape="round")
            for route, flow in self.sub.items():
                start, end = flow.draw(chart)
                chart.edge(entry, start, route)
                chart.edge(end, exit_)
            if self.escalate is not None:
                start, _ = self.escalate.draw(chart)
                chart.edge(exit_, start, "escalate")
        return group, exit_  # arrows into a group stop at its frame, not across its title

    def __repr__(self) -> str:
        """``<Hierarchical 'hierarchical': manager → automated | manual_review, escalate human review>``."""
        escalate = f"escalate {self.escalate.name}" if self.escalate else "no escalation"
        return f"<Hierarchical {self.name!r}: {self.top.name} → {' | '.join(self.sub)}, {escalate}>"


@dataclass(frozen=True)
class Review:
    """A reviewer's verdict on an escalation: approved or rejected, and the output that stands."""

    decision: str  # "approved" or "rejected"
    output: Any
    reviewer: str
    reason: str = ""


class HumanReview(Step):
    """Escalation to a person.

    Headless (tests, CI, nbval) give ``decisions``: a list consumed in order
    (``"approve"``/``"reject"``), one string for all, or a function of the
    Escalation. With no decisions the run returns the ``Escalation`` itself, so a
    notebook widget can show it and ask a person (nothing blocks waiting).

    >>> HumanReview(decisions=["approve", "reject"])
    """

    def __init__(self, decisions: list[str] | str | Callable[[Escalation], str] | None = None, name: str = "human review") -> None:
        scripted = [decisions] if isinstance(decisions, str) else decisions if isinstance(decisions, list) else []
        bad = [d for d in scripted if d not in ("approve", "reject")]
        if bad:
            raise ConfigurationError(f"HumanReview decisions are 'approve' or 'reject', got {bad[0]!r}")
        self.decisions, self.name = decisions, name

    async def __call__(self, escalation: Escalation, ctx: Context) -> Any:
        async with ctx.span(self.name, kind="step") as span:
            decision = self._decision_for(escalation, ctx)
            if decision is None:
                span.status, span.detail = "pending", f"waiting for a person: {escalation.reason}"
                return escalation
            span.detail = f"{_VERDICTS.get(decision, decision)} by scripted reviewer"
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


def resolve(escalation: Escalation, decision: str, *, reviewer: str = "person", reason: str = "") -> Review:
    """Settle an escalation: ``"approve"`` keeps the sub-result, ``"reject"`` discards it."""
    if decision not in _VERDICTS:
        raise ValueError(f"decision must be 'approve' or 'reject', got {decision!r}")
    output = escalation.feedback.output if escalation.feedback and decision == "approve" else None
    return Review(_VERDICTS[decision], output, reviewer, reason or escalation.reason)
