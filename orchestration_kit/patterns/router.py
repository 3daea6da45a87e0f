"""Router: send each input to the one specialist best suited to it.

The course's components, as constructor arguments:

- ``analyzer``: the input analyzer and routing logic. Any function returning a
  route name, a ``(route, confidence)`` pair or a ``Decision``: keyword rules
  (``KeywordRules``), a trained classifier, or a model.
- ``routes``: the specialized handlers, by route name.
- ``fallback``: the generalist used when routing fails, raises, names an unknown
  route, or is less confident than ``threshold``, or when the handler fails.
  A mistake (a ``TypeError`` in a handler, ``RealTimeRequired``, a ``CassetteMiss``:
  see ``errors.is_usage_error``) is raised instead: the generalist would hide it.
- ``aggregator``: the result aggregator, optional. Given one, every answer goes
  through it as ``{route: output}`` (the fallback's as ``{"fallback": output}``),
  so it can put the outputs of different models in one shape
  (``ResultAggregator`` in ``patterns/aggregator.py``). It also lets the analyzer
  return several routes (a mixed-intent message: ``MultiRoute``): their handlers
  run concurrently and the aggregator combines their outputs.

    >>> router = Router(
    ...     analyzer=KeywordRules({"billing": ["invoice", "refund"], "technical": ["error", "crash"]}),
    ...     routes={"billing": Ask(billing_model), "technical": Ask(tech_model)},
    ...     fallback=Ask(generalist), threshold=0.6)
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any, Iterable

from ..context import Context
from ..errors import ConfigurationError, RoutingError, is_usage_error, note_where
from ..steps import Step, as_step


@dataclass(frozen=True)
class Decision:
    """A routing decision: which route (None = no idea), how sure, and why."""

    route: str | None
    confidence: float = 1.0
    reason: str = ""


@dataclass(frozen=True)
class Choice:
    """What came of asking the routing logic: the decisions to follow, or why there are none.

    >>> choose_routes(("billing", 0.9), ["billing", "technical"], threshold=0.6)
    Choice(decisions=(Decision(route='billing', confidence=0.9, reason=''),), problem=None)
    """

    decisions: tuple[Decision, ...] = ()  # each one a known route, sure enough
    problem: str | None = None  # why nothing can be followed: no route, an unknown one, too unsure, ...

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def routes(self) -> list[str]:
        """The chosen routes' names, in order."""
        return [d.route for d in self.decisions if d.route is not None]

    def most_confident(self) -> Choice:
        """Only the surest decision (a Hierarchical follows one route)."""
        if not self.ok or len(self.decisions) == 1:
            return self  # already one decision (or none): a Choice is a value, so this one will do
        return Choice((max(self.decisions, key=lambda d: d.confidence),))


class KeywordRules:
    """Rule-based routing logic: the route whose keywords appear most often wins.

    Confidence is the winner's share of all keyword hits (1.0 = unambiguous).

    >>> KeywordRules({"billing": ["refund"], "technical": ["crash"]})("refund please")
    Decision(route='billing', confidence=1.0, reason="matched 'refund'")
    """

    def __init__(self, rules: dict[str, list[str]]) -> None:
        if not rules:
            raise ConfigurationError("KeywordRules needs at least one route with keywords")
        self.rules = {route: [k.lower() for k in words] for route, words in rules.items()}
        self.name = "keyword_rules"

    def __call__(self, text: Any) -> Decision:
        words = re.findall(r"[a-z0-9']+", str(text).lower())
        joined = " " + " ".join(words) + " "
        hits = {route: [k for k in keys if f" {k} " in joined] for route, keys in self.rules.items()}
        total = sum(len(found) for found in hits.values())
        if total == 0:
            return Decision(None, 0.0, "no keyword matched")
        route = max(hits, key=lambda r: len(hits[r]))  # ties: the first route listed wins
        found = ", ".join(repr(k) for k in hits[route])
        return Decision(route, round(len(hits[route]) / total, 3), f"matched {found}")

    def __repr__(self) -> str:
        return f"<KeywordRules: {' | '.join(self.rules)}>"


class Router(Step):
    """Analyze the input, pick a route, run that route's handler (see module docs)."""

    pattern = "router"

    def __init__(
        self,
        analyzer: Any,
        routes: dict[str, Any],
        *,
        fallback: Any = None,
        threshold: float = 0.0,
        aggregator: Any = None,
        name: str = "router",
    ) -> None:
        if not isinstance(routes, dict) or not routes:
            raise ConfigurationError(f"Router {name!r}: routes must be a non-empty dict {{route name: handler}}")
        if not 0.0 <= threshold <= 1.0:
            raise ConfigurationError(f"Router {name!r}: threshold is a confidence between 0 and 1, got {threshold}")
        self.analyzer = as_step(analyzer, f"Router {name!r} analyzer")
        self.routes = {route: as_step(handler, f"Router {name!r} route {route!r}") for route, handler in routes.items()}
        self.fallback = as_step(fallback, f"Router {name!r} fallback") if fallback is not None else None
        self.aggregator = as_step(aggregator, f"Router {name!r} aggregator") if aggregator is not None else None
        self.threshold = threshold
        self.name = name

    async def __call__(self, input: Any, ctx: Context) -> Any:
        async with ctx.span(self.name, kind="flow", pattern=self.pattern) as span:
            choice = await self._decide(input, ctx)
            problem = choice.problem
            if choice.ok:
                span.route = "+".join(choice.routes)
                span.confidence = min(d.confidence for d in choice.decisions)
                span.detail = "; ".join(f"{d.route} ({d.confidence:.2f}){': ' + d.reason if d.reason else ''}"
                                        for d in choice.decisions)
                try:
                    return await self._handle(choice.routes, input, ctx)
                except Exception as error:
                    if self.fallback is None:
                        raise
                    if is_usage_error(error):  # a mistake, not a failure: the generalist must not hide it
                        note_where(error, f"a route of Router {self.name!r}")
                        raise
                    problem = f"handler failed ({type(error).__name__}: {error})"
            if self.fallback is None:
                raise RoutingError(
                    f"Router {self.name!r}: {problem}, and there is no fallback. "
                    "Pass fallback=<a generalist> or lower the threshold."
                )
            span.status, span.route, span.detail = "fallback", "fallback", f"fallback: {problem}"
            output = await self.fallback(input, ctx)
            return output if self.aggregator is None else await self.aggregator({"fallback": output}, ctx)

    async def _decide(self, input: Any, ctx: Context) -> Choice:
        """Ask the analyzer; return the usable decisions, or why there are none."""
        try:
            raw = await self.analyzer(input, ctx)
        except Exception as error:
            if is_usage_error(error):
                note_where(error, f"the analyzer of Router {self.name!r}")
                raise
            return Choice(problem=f"the analyzer failed ({type(error).__name__}: {error})")
        choice = choose_routes(raw, self.routes, self.threshold)
        if len(choice.decisions) > 1 and self.aggregator is None:
            return Choice(problem=f"{len(choice.decisions)} routes chosen but no aggregator to combine them")
        return choice

    async def _handle(self, routes: list[str], input: Any, ctx: Context) -> Any:
        if len(routes) == 1:
            output = await self.routes[routes[0]](input, ctx)
            return output if self.aggregator is None else await self.aggregator({routes[0]: output}, ctx)
        tasks = [asyncio.ensure_future(self.routes[route](input, ctx)) for route in routes]
        try:
            outputs = await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:  # one handler failed: stop the others, we fall back anyway
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        aggregator = self.aggregator
        assert aggregator is not None  # _decide refuses several routes when there is no aggregator
        return await aggregator(dict(zip(routes, outputs)), ctx)

    def children(self) -> list[Step]:
        """The steps directly inside this one, in order: the analyzer, each route's handler, the fallback, the aggregator."""
        return [part for part in [self.analyzer, *self.routes.values(), self.fallback, self.aggregator] if part is not None]

    def draw(self, chart: Any) -> tuple[str, str]:
        with chart.group(self.name, "router") as group:
            entry = chart.node(self.analyzer.name, shape="decision")
            if self.aggregator is not None:
                join, exit_ = self.aggregator.draw(chart)
            else:
                join = exit_ = chart.node("result", shape="round")
            branches = list(self.routes.items())
            if self.fallback is not None:
                branches.append(("unsure", self.fallback))
            drawn: dict[int, str] = {}  # a handler that serves two routes (often the fallback) is drawn once
            for label, handler in branches:
                if id(handler) in drawn:
                    chart.edge(entry, drawn[id(handler)], label)
                    continue
                start, end = handler.draw(chart)
                drawn[id(handler)] = start
                chart.edge(entry, start, label)
                chart.edge(end, join)
        return group, exit_  # arrows into a group stop at its frame, not across its title

    def __repr__(self) -> str:
        """``<Router 'router': keyword_rules → billing | technical, fallback generalist>``."""
        extra = [f"fallback {self.fallback.name}" if self.fallback else "no fallback"]
        extra += [f"threshold {self.threshold:g}"] if self.threshold else []
        extra += [f"aggregator {self.aggregator.name}"] if self.aggregator else []
        return f"<Router {self.name!r}: {self.analyzer.name} → {' | '.join(self.routes)}, {', '.join(extra)}>"


def choose_routes(raw: Any, routes: Iterable[str], threshold: float) -> Choice:
    """The routing decision shared by Router and Hierarchical: which routes to take, or why none.

    ``raw`` is what the routing logic returned. Gives the decisions at or above
    ``threshold`` (in the order given), or no decisions and the reason: no route,
    an unknown route, or too little confidence.

    >>> choose_routes(("billing", 0.4), ["billing", "technical"], threshold=0.6).problem
    "confidence 0.40 for 'billing' is below the threshold 0.60"
    """
    known = list(routes)
    decisions = [d for d in _as_decisions(raw) if d.route is not None]
    if not decisions:
        return Choice(problem="no route matched")
    unknown = [d.route for d in decisions if d.route not in known]
    if unknown:
        return Choice(problem=f"unknown route {unknown[0]!r} (known: {', '.join(known)})")
    sure = [d for d in decisions if d.confidence >= threshold]
    if not sure:
        best = max(decisions, key=lambda d: d.confidence)
        return Choice(problem=f"confidence {best.confidence:.2f} for {best.route!r} is below the threshold {threshold:.2f}")
    return Choice(tuple(sure))


def _as_decisions(raw: Any) -> list[Decision]:
    """Accept a Decision, a route name, a (route, confidence) pair, or a list of these."""
    if isinstance(raw, list):
        return [d for item in raw for d in _as_decisions(item)]
    if isinstance(raw, Decision):
        return [raw]
    if raw is None or isinstance(raw, str):
        return [Decision(raw)]
    if isinstance(raw, tuple) and len(raw) == 2:
        return [Decision(raw[0], float(raw[1]))]
    raise TypeError(f"the analyzer must return a route name, (route, confidence) or Decision, got {raw!r:.60}")
