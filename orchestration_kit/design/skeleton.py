"""Skeleton flows: a recommendation from ``guide.recommend()`` turned into runnable code.

``Skeleton`` builds the recommended nesting bottom-up (the work, a router around
it, tiers around that) from simulated models, with each pattern's error
handling from the chapter's FAQ already in place. ``outline()`` reads the
nesting back from any flow, so a hand-built flow can be compared with advice::

    >>> outline(recommend(process).build()) == recommend(process).shape
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .settings import THRESHOLD, TIMEOUTS, attempts_for
from ..patterns import Hierarchical, HumanReview, KeywordRules, Parallel, Router, Sequential, Stage
from ..patterns.hierarchical import Feedback, default_escalate_when
from ..resilience import Resilient, RetryPolicy
from ..models.skills import parse_label
from ..steps import Ask, Step

if TYPE_CHECKING:
    from .guide import Recommendation


class Skeleton:
    """Builds a recommendation bottom-up: the work, a router around it, tiers around that."""

    def __init__(self, advice: Recommendation, worker: Any, generalist: Any) -> None:
        self.chosen = {choice.pattern: choice.names for choice in advice.choices}
        self.worker, self.generalist, p = worker, generalist, advice.process
        self.low, self.rules = p.failure_tolerance == "low", p.simple_logic
        self.one_at_a_time = not p.concurrent_capacity
        self.retry, self.timeout = RetryPolicy(attempts=attempts_for(p), initial_delay=0.5), TIMEOUTS[p.latency_budget]

    def flow(self, top: Any, analyzer: Any) -> Step:
        if "hierarchical" not in self.chosen:
            return self.routed("", analyzer)
        tiers = self.chosen["hierarchical"]
        if self.low:
            escalate, when = HumanReview(name="human review"), _degraded
        else:
            escalate = Ask(self.generalist, "As the higher tier, settle this escalated case: {input}",
                           name="higher tier")
            when = default_escalate_when
        return Hierarchical(top=top or self.decider(tiers, "which tier"), escalate=escalate, escalate_when=when,
                            sub={t: self.routed(t, analyzer) for t in tiers}, threshold=THRESHOLD)

    def routed(self, tier: str, analyzer: Any) -> Step:
        if "router" not in self.chosen:
            return self.work(tier)
        routes = self.chosen["router"]
        fallback = Ask(self.generalist, "As a generalist, handle this request: {input}", name="generalist fallback")
        return Router(analyzer=analyzer or self.decider(routes, "which route"), threshold=THRESHOLD, fallback=fallback,
                      routes={r: self.work(f"{tier} {r}".strip()) for r in routes})

    def work(self, role: str) -> Step:
        """What one tier's route does: the parallel sub-tasks, then the steps (or a single call)."""
        lead = f"As the {role} handler, " if role else ""
        parallel = None
        if "parallel" in self.chosen:
            tasks = {t: Ask(self.worker, f"{lead}do the sub-task {t}: {{input}}", name=t)
                     for t in self.chosen["parallel"]}
            combine = None if "sequential" in self.chosen else Ask(  # with steps, the first step combines the results
                self.worker, "Combine these results:\n{input}", skill="synthesize", name="synthesizer")
            parallel = Parallel(tasks=tasks, synthesizer=combine, retry=self.retry, timeout=self.timeout,
                                on_error="skip", max_concurrency=1 if self.one_at_a_time else None)
        if "sequential" in self.chosen:
            stages = [self.stage(step, lead) for step in self.chosen["sequential"]]
            on_error = "raise" if self.low else "rollback"
            return Sequential(stages=([parallel] if parallel else []) + stages, on_error=on_error)
        if parallel:
            return parallel
        call = Ask(self.worker, f"{lead}handle this request: {{input}}", name=role or "model call")
        if role:  # a route or tier of its own: its router or top level handles the errors
            return call
        generalist = Ask(self.generalist, "Handle this request: {input}", name="generalist")
        return Resilient(call, retry=self.retry, fallback=generalist)

    def decider(self, names: tuple[str, ...], label: str) -> Step:
        """Who decides the tier or route: written rules (simple logic), or the worker model choosing a label."""
        if self.rules:
            return _mentions(names, label)
        return Ask(self.worker, f"{label.capitalize()} fits this request ({' or '.join(names)}): {{input}}",
                   skill="classify", labels=list(names), parse=parse_label, name=label)

    def stage(self, step: str, lead: str) -> Stage:
        """One step under the budget's timeout, validated, with the generalist as its alternative path."""
        call = Resilient(Ask(self.worker, f"{lead}do the step {step}: {{input}}", name=step), timeout=self.timeout)
        redo = Ask(self.generalist, f"Redo the step {step} carefully: {{input}}", name=f"{step} (generalist)")
        return Stage(call, name=step, validate=_has_output, alternative=redo)


def _mentions(names: tuple[str, ...], label: str) -> KeywordRules:
    """Skeleton routing logic: the name mentioned in the input wins ("real_time" also matches "real time")."""
    rules = KeywordRules({name: [name.replace("_", " ")] for name in names})
    rules.name = label  # the analyzer's name in traces and diagrams
    return rules


def _has_output(output: Any) -> bool | str:
    """The skeleton's validation: a stage must produce something (write your own domain check)."""
    return bool(str(output).strip()) or "the stage produced nothing"


def _degraded(feedback: Feedback) -> str | None:
    """Low failure tolerance: escalate a sub-orchestration that failed or had to degrade anything."""
    if feedback.ok:  # a retried attempt that recovered is not an issue (trace.trouble)
        return None
    return str(feedback)  # "sub-orchestration 'team' ended partial (compliance: skipped, team: partial)"


def outline(flow: Any) -> str:
    """How a flow's patterns nest, e.g. ``'router(a, b) > sequential(parallel(x, y), z)'``.

    Routes and tiers whose handlers share one outline are written once after ``>``.
    """
    step = _unwrap(flow)
    kind = getattr(step, "pattern", "")
    if kind in ("router", "hierarchical"):
        handlers = step.routes if kind == "router" else step.sub
        inner = {name: outline(h) for name, h in handlers.items() if _is_pattern(h)}
        if not inner:
            return f"{kind}({', '.join(handlers)})"
        if len(inner) == len(handlers) and len(set(inner.values())) == 1:
            return f"{kind}({', '.join(handlers)}) > {next(iter(inner.values()))}"
        return f"{kind}({', '.join(f'{n} > {inner[n]}' if n in inner else n for n in handlers)})"
    if kind == "parallel":
        return f"parallel({', '.join(outline(t) if _is_pattern(t) else n for n, t in step.tasks.items())})"
    if kind == "sequential":
        return f"sequential({', '.join(outline(s) if _is_pattern(s) else s.name for s in step.stages)})"
    if kind:  # a pattern of your own: its children, as it lists them
        return f"{kind}({', '.join(outline(c) if _is_pattern(c) else c.name for c in step.children())})"
    return getattr(step, "name", type(step).__name__)


def _unwrap(step: Any) -> Any:
    """A Stage or Resilient wrapper stands for the step inside it (its first child)."""
    while isinstance(step, (Stage, Resilient)):
        step = step.children()[0]
    return step


def _is_pattern(step: Any) -> bool:
    return bool(getattr(_unwrap(step), "pattern", ""))
