"""Hierarchical: a top-level router that delegates to whole sub-orchestrations.

The course's components, as constructor arguments:

- ``top``: the top-level routing logic (like a Router's analyzer): returns a
  route name, ``(route, confidence)`` or a ``Decision``.
- ``sub``: the sub-orchestrations by route, each any pattern (or a plain step).
- feedback: after a sub-orchestration runs, the top level gets a ``Feedback``
  (its status such as ok / fallback / partial / rolled_back / error, what went
  wrong inside it, its output, latency and cost).
- the feedback loop: ``checker(feedback)`` accepts (None) or sends the work
  back with a critique (``SendBack(critique, to=route)``: the same team again,
  or another one), at most ``max_rounds`` runs in all; still not accepted, it
  escalates.
- ``escalate``: who takes over when ``escalate_when(feedback)`` says so, or when
  the top level is unsure (confidence under ``threshold``) or the sub-run fails:
  a person (``HumanReview``) or a higher tier (any flow). It receives an
  ``Escalation`` (reason, input, feedback, where it stopped).
- after an approval (a ``Review`` approved, in the run or later through
  ``resume``), the flow carries on: ``on_approve[route]`` runs on the result so
  far; without one, a team the top level was unsure about now runs, and a team
  that already ran keeps its output.

The feedback is read from the sub-orchestration's own spans (its subtree of
the trace), so two Hierarchical flows side by side in a Parallel never see each
other's trouble. The top level's decision follows a Router's rules
(``choose_routes``). A failure inside the sub-run is feedback; a mistake
(``errors.is_usage_error``) is raised, not escalated.

    >>> Hierarchical(top=triage, sub={"automated": pipeline, "manual_review": review_flow},
    ...              escalate=HumanReview(decisions=["approve"]), threshold=0.7)
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import Any, Callable

from ..context import Context
from ..errors import ConfigurationError, is_usage_error, note_where
from ..steps import Step, as_step
from ..trace import Span, trouble
from .escalation import Escalation, HumanReview, Review, resolve, resume  # noqa: F401 (public names kept here too)
from .feedback import Feedback, SendBack, as_send_back  # noqa: F401
from .router import Choice, Decision, choose_routes


def subtree(spans: list[Span], roots: list[Span]) -> list[Span]:
    """The ``roots`` and every span under them, found by following parent links (in the order of ``spans``).

    >>> subtree(trace.spans, trace.find("triage"))   # a flow's own spans, none of its siblings'
    """
    children: defaultdict[int | None, list[Span]] = defaultdict(list)
    for span in spans:
        children[span.parent].append(span)
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
        checker: Callable[[Feedback], str | SendBack | None] | None = None,
        max_rounds: int = 3,
        on_approve: dict[str, Any] | None = None,
        name: str = "hierarchical",
    ) -> None:
        where = f"Hierarchical {name!r}"
        if not isinstance(sub, dict) or not sub:
            raise ConfigurationError(f"{where}: sub must be a non-empty dict {{route: sub-orchestration}}")
        if not 0.0 <= threshold <= 1.0:
            raise ConfigurationError(f"{where}: threshold is a confidence between 0 and 1, got {threshold}")
        if not callable(escalate_when):
            raise ConfigurationError(f"{where}: escalate_when must be a function feedback -> reason or None")
        if checker is not None and not callable(checker):
            raise ConfigurationError(f"{where}: checker must be a function feedback -> None, a critique or SendBack")
        if not isinstance(max_rounds, int) or max_rounds < 1:
            raise ConfigurationError(f"{where}: max_rounds is how many times a team may run (1 or more), got {max_rounds!r}")
        unknown = [route for route in on_approve or {} if route not in sub]
        if unknown:
            raise ConfigurationError(f"{where}: on_approve names {unknown[0]!r}, which is not a route (routes: {', '.join(sub)})")
        self.top = as_step(top, f"{where} top")
        self.sub = {route: as_step(flow, f"{where} sub {route!r}") for route, flow in sub.items()}
        self.escalate = as_step(escalate, f"{where} escalate") if escalate is not None else None
        self.on_approve = {route: as_step(step, f"{where} on_approve {route!r}") for route, step in (on_approve or {}).items()}
        self.escalate_when, self.threshold, self.name = escalate_when, threshold, name
        self.checker, self.max_rounds = checker, max_rounds

    async def __call__(self, input: Any, ctx: Context) -> Any:
        async with ctx.span(self.name, kind="flow", pattern=self.pattern) as span:
            choice, proposed = await self._decide(input, ctx)
            feedback, reason = None, choice.problem
            if choice.ok:
                feedback, reason = await self._delegate(choice.decisions[0], input, ctx, span)
                if reason is None:
                    return feedback.output
            escalation = Escalation(reason, input, feedback, self.name, feedback.route if feedback else proposed)
            if self.escalate is None:
                span.status, span.detail = "unresolved", f"needs escalation ({reason}) but no escalate= is set"
                return escalation
            span.status, span.detail = "escalated", f"escalated: {reason}"
            outcome = await self.escalate(escalation, ctx)
            if isinstance(outcome, Review) and outcome.decision == "approved":
                return await self._carry_on(escalation, outcome, ctx, span.id)
            return outcome

    async def _decide(self, input: Any, ctx: Context) -> tuple[Choice, str | None]:
        """Ask the top level: its choice (one sure decision, or why there is none) and the route it proposed."""
        try:
            raw = await self.top(input, ctx)
        except Exception as error:
            if is_usage_error(error):
                note_where(error, f"the top level of Hierarchical {self.name!r}")
                raise
            return Choice(problem=f"the top-level router failed ({type(error).__name__}: {error})"), None
        choice = choose_routes(raw, self.sub, self.threshold)  # the same rules as a Router's
        if not choice.ok:
            known = choose_routes(raw, self.sub, 0.0)  # what it would have chosen, for a person to approve
            proposed = known.most_confident().routes[0] if known.ok else None
            return Choice(problem=f"at the top level, {choice.problem}"), proposed
        best = choice.most_confident()
        return best, best.routes[0]

    async def _delegate(self, decision: Decision, input: Any, ctx: Context, span: Any) -> tuple[Feedback, str | None]:
        """The feedback loop: run the team, let the checker accept or send it back, at most max_rounds runs."""
        route, story = str(decision.route), f"{decision.route} ({decision.confidence:.2f})"
        for round_ in range(1, self.max_rounds + 1):
            feedback = await self._run_sub(route, self.sub[route], decision.confidence, input, ctx, span.id, round_)
            story += f" -> {feedback.status}"
            back = await self._check(feedback, ctx) if self.checker is not None else None
            if back is None:
                break
            if round_ == self.max_rounds:
                span.route, span.confidence, span.detail = route, decision.confidence, story
                return feedback, f"the checker still sent the work back after {self.max_rounds} rounds ({back.critique})"
            route = back.to or route
            story += f"; sent back to {route}"
        span.route, span.confidence, span.detail = route, decision.confidence, story  # the team that did the work
        verdict = self.escalate_when(feedback)
        return feedback, (verdict if isinstance(verdict, str) else "escalate_when said so") if verdict else None

    async def _check(self, feedback: Feedback, ctx: Context) -> SendBack | None:
        """One verdict of the checker, in a span of its own: the top level's decision to accept or send back."""
        async with ctx.span("checker", kind="step") as span:
            back = as_send_back(self.checker(feedback), f"the checker of Hierarchical {self.name!r}")  # type: ignore[misc]
            if back is not None and back.to is not None and back.to not in self.sub:
                raise ConfigurationError(f"the checker of Hierarchical {self.name!r} sent the work to {back.to!r}, "
                                         f"which is not a route (routes: {', '.join(self.sub)})")
            span.detail = "accepted" if back is None else f"sent back to {back.to or feedback.route}: {back.critique}"
            return back

    async def _run_sub(self, route: str, team: Step, confidence: float, input: Any, ctx: Context, parent_id: int,
                       round_: int = 1) -> Feedback:
        """Run one sub-orchestration and summarise how it went, from its own spans only."""
        first_new, start = len(ctx.trace.spans), ctx.now()  # the top level's spans are all closed by now
        try:
            output, status = await team(input, ctx), "ok"
        except Exception as error:  # a failure: the failing step's span already holds the message
            if is_usage_error(error):
                note_where(error, f"sub-orchestration {route!r} of Hierarchical {self.name!r}")
                raise
            output, status = None, "error"
        new = ctx.trace.spans[first_new:]  # every span of the sub-run closed after it began, among others'
        roots = [s for s in new if s.parent == parent_id]  # what the sub-run opened directly under us
        own = subtree(new, roots)  # followed by parent chain: a sibling's spans are never ours
        named = [s for s in roots if s.name == team.name]
        if named and status == "ok":
            status = named[-1].status
        issues = tuple(trouble(own))  # the spans themselves; a retry that recovered does not count
        cost = round(sum(s.cost for s in own if s.kind == "model"), 10)
        return Feedback(route, status, output, issues, confidence, round(ctx.now() - start, 9), cost, round_)

    # -- after a person approved ------------------------------------------------------
    async def _carry_on(self, escalation: Escalation, review: Review, ctx: Context, parent_id: int) -> Any:
        """The work an approval lets go ahead (see the module docs); a Review whose output is its result."""
        route, feedback = escalation.route, escalation.feedback
        if route in self.on_approve:
            team, given = self.on_approve[route], feedback.output if feedback and feedback.output is not None else escalation.input
        elif feedback is None and route is not None:
            team, given = self.sub[route], escalation.input  # the unsure top level's choice, now approved
        else:
            return review  # the team already ran: its output stands
        after = await self._run_sub(route, team, 1.0, given, ctx, parent_id)  # type: ignore[arg-type]
        failed = default_escalate_when(after)
        if failed:  # pending again, for a person: never back to escalate= in the same run, so this cannot loop
            return Escalation(f"after {review.reviewer}'s approval, {failed}", escalation.input, after, self.name, route)
        return replace(review, output=after.output)

    async def resume_in(self, escalation: Escalation, review: Review, ctx: Context) -> Any:
        """The body of ``resume()``: this flow's span, the person's verdict, then the work it lets go ahead."""
        async with ctx.span(self.name, kind="flow", pattern=self.pattern) as span:
            span.status, span.route = "resumed", escalation.route or ""
            span.detail = f"resumed after {review.decision} by {review.reviewer}, stopped {escalation.stopped}"
            name = self.escalate.name if isinstance(self.escalate, HumanReview) else "human review"
            async with ctx.span(name, kind="step") as verdict:
                verdict.detail = f"{review.decision} by {review.reviewer}"
            if review.decision != "approved":
                return review
            return await self._carry_on(escalation, review, ctx, span.id)

    def children(self) -> list[Step]:
        """The steps directly inside this one, in order: the top level, each sub-orchestration, the work an
        approval lets go ahead (``on_approve``), the escalation."""
        parts = [self.top, *self.sub.values(), *self.on_approve.values(), self.escalate]
        return [part for part in parts if part is not None]

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
        checker = getattr(self.checker, "__name__", "checker")
        loop = f", checker {checker} (at most {self.max_rounds} rounds)" if self.checker else ""
        return f"<Hierarchical {self.name!r}: {self.top.name} → {' | '.join(self.sub)}, {escalate}{loop}>"
