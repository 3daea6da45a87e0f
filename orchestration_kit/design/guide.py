"""Choosing a pattern: the chapter's design questions as a small, transparent recommender.

Answer the questions about a process in a ``ProcessDescription``; ``recommend()``
says which patterns fit, how they nest, why (one reason per choice) and how each
one handles errors, and ``build()`` turns that into a flow you can run::

    >>> process = ProcessDescription("support desk", differing_inputs=True, dependent_steps=True,
    ...                              routes=["billing", "technical"], steps=["draft", "review"])
    >>> advice = recommend(process)
    >>> advice.shape
    'router(billing, technical) > sequential(draft, review)'
    >>> run(advice.build(), "a billing question").trace.tree()

The rules, one per question:

- Do inputs differ in kind? -> Router (a specialist per kind, a generalist fallback)
- Are there independent sub-tasks? -> Parallel (they cost the slowest, not the sum)
- Does each step need the previous one's output? -> Sequential (validated stages)
- Are there tiers of responsibility, oversight, escalation? -> Hierarchical

They nest outermost first: Hierarchical (it oversees everything below it), then
Router (one decision per input), then the work: a Sequential whose first stage
is the Parallel of independent sub-tasks. The latency budget, cost sensitivity
and failure tolerance change the settings and the error handling, not the patterns.

Three preferences refine them (every bullet of the chapter's design guidance is
asked by some field: see ``guidance.CHAPTER_GUIDANCE``):

- ``simple_logic`` (default True): decisions are written rules a person can read;
  False lets a model make them (more flexible, harder to explain).
- ``concurrent_capacity`` (default True): False means the sub-tasks take turns
  (``max_concurrency=1``): they still fail apart, but cost the sum, not the slowest.
- ``latency_for_clarity`` (default False): True runs the independent sub-tasks as
  stages one after another, each readable on its own, at the price of their sum.

The guide in small modules: ``process.py`` (the questions, as a
``ProcessDescription``), this one (the rules: ``recommend()`` and its
``Recommendation``), ``settings.py`` (the numbers both use, and what the
constraints change), ``skeleton.py`` (``build()``'s runnable flow) and
``guide_form.py`` (the questions as a form in JupyterLab, ``GuideForm``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ConfigurationError
from ..models import SimulatedModel
from ..steps import Step
from ..pictures.diagrams import Diagram, MermaidChart
from .process import ProcessDescription
from .settings import THRESHOLD, TIMEOUTS, attempts_for, what_constraints_change
from .skeleton import Skeleton


@dataclass(frozen=True)
class Choice:
    """One recommended pattern: its parts, why it was chosen, and how it handles errors."""

    pattern: str  # hierarchical, router, sequential, parallel (or "model call": no pattern needed)
    names: tuple[str, ...]
    reason: str
    on_error: str  # the chapter's FAQ answer for this pattern, as the skeleton sets it up
    backup: str = ""  # who or what takes over when it goes wrong


@dataclass(frozen=True)
class Recommendation:
    """Which patterns, nested how (``shape``), why, and the settings; ``build()`` makes it runnable."""

    process: ProcessDescription
    choices: tuple[Choice, ...]  # outermost first
    settings: tuple[str, ...]  # what the latency budget, cost sensitivity and failure tolerance change

    @property
    def patterns(self) -> list[str]:
        return [choice.pattern for choice in self.choices]

    @property
    def worker(self) -> str:
        """The simulated model that does the work: small when time or money is short, large otherwise."""
        p = self.process
        return "generalist-small" if p.cost_sensitive or p.latency_budget == "tight" else "generalist-large"

    @property
    def shape(self) -> str:
        """How the patterns nest, in the notation of ``skeleton.outline()``."""
        chosen = {choice.pattern: choice.names for choice in self.choices}
        levels = [f"{p}({', '.join(chosen[p])})" for p in ("hierarchical", "router") if p in chosen]
        parallel = f"parallel({', '.join(chosen['parallel'])})" if "parallel" in chosen else ""
        if "sequential" in chosen:
            levels.append(f"sequential({', '.join(([parallel] if parallel else []) + list(chosen['sequential']))})")
        elif parallel:
            levels.append(parallel)
        return " > ".join(levels) or "model call"

    def build(self, *, worker: Any = None, generalist: Any = None, top: Any = None, analyzer: Any = None) -> Step:
        """A runnable skeleton: ``worker`` does the work, ``generalist`` takes over when it goes wrong.

        The skeleton's routing logic picks the tier (``top``) or route (``analyzer``)
        named in the input; pass your own to replace it.
        """
        worker = worker or SimulatedModel(self.worker)
        return Skeleton(self, worker, generalist or SimulatedModel("generalist-large")).flow(top, analyzer)

    def diagram(self) -> Diagram:
        """The architecture at a glance: one node per pattern, and who takes over on error."""
        chart = MermaidChart("LR")  # a chain read left to right fits on a screen; top down it grew taller than one
        previous = chart.node("input", "round")
        for choice in sorted(self.choices, key=lambda c: _DRAWN.index(c.pattern)):  # in the order data flows
            decides = choice.pattern in ("hierarchical", "router")
            joiner = " | " if decides else " → " if choice.pattern == "sequential" else ", "
            label = choice.pattern + (":\n" + joiner.join(choice.names) if choice.names else "")
            node = chart.node(label, "decision" if decides else "box")
            chart.edge(previous, node)
            if choice.backup:
                chart.edge(node, chart.node(choice.backup, "model"), "on error")
            previous = node
        chart.edge(previous, chart.node("output", "round"))
        return Diagram(chart.text())

    def __str__(self) -> str:
        lines = [f"Recommendation for {self.process.name!r}: {self.shape}"]
        for number, choice in enumerate(self.choices, 1):
            lines += [f"{number}. {choice.pattern}" + (f" ({', '.join(choice.names)})" if choice.names else ""),
                      f"   why: {choice.reason}", f"   on error: {choice.on_error}"]
        return "\n".join(lines + ["settings:"] + [f"  - {setting}" for setting in self.settings])

    def __repr__(self) -> str:
        return f"Recommendation({self.process.name!r}, patterns={self.patterns})"


_DRAWN = ["hierarchical", "router", "parallel", "sequential", "model call"]  # data-flow order for the diagram


def recommend(process: ProcessDescription) -> Recommendation:
    """Apply the design questions to ``process``: which patterns, nested how, and why.

    >>> recommend(ProcessDescription(independent_subtasks=True)).shape
    'parallel(task_a, task_b)'
    """
    if not isinstance(process, ProcessDescription):
        raise ConfigurationError(f"recommend() needs a ProcessDescription, got {type(process).__name__}")
    p, low, choices = process, process.failure_tolerance == "low", []
    if p.tiers_of_responsibility:
        backup = "human review" if low else "higher tier (generalist-large)"
        trouble = "anything degraded (a fallback, a skipped task, an error)" if low else "a failed sub-orchestration"
        target = "a person (human review)" if low else "a higher tier (generalist-large)"
        choices.append(Choice(
            "hierarchical", p.names("tiers"),
            "there are tiers of responsibility: a top level picks the tier, reads its feedback and escalates; "
            "it goes outermost because it oversees everything below it",
            f"an unsure top level (confidence < {THRESHOLD}) or {trouble} is escalated to {target}", backup))
    if p.differing_inputs:
        decides = ("written rules decide the route, so anyone can read why" if p.simple_logic else
                   "a model decides the route: more flexible than rules, harder to explain")
        choices.append(Choice(
            "router", p.names("routes"),
            f"inputs differ in kind: an analyzer sends each to the handler for its kind, the one that does it best; "
            f"{decides}",
            f"no route, an unsure decision (confidence < {THRESHOLD}) or a failed handler goes to the generalist",
            "generalist fallback"))
    in_turn = p.independent_subtasks and p.latency_for_clarity  # the sub-tasks become stages, one after another
    if p.dependent_steps or in_turn:
        ending = "raise, so that the tier above can escalate" if low else "roll back to the last good state"
        names = (p.names("tasks") if in_turn else ()) + (p.names("steps") if p.dependent_steps else ())
        why = ("each step needs the previous one's output: stages run in order, each checked before the next starts"
               if p.dependent_steps else "stages run in order, each checked before the next starts")
        if in_turn:
            why += ("; latency is acceptable in exchange for clarity, so the independent sub-tasks run as stages "
                    "too, one at a time, each readable on its own (their latencies add up)")
        choices.append(Choice(
            "sequential", names, why,
            f"each stage's call gets a {TIMEOUTS[p.latency_budget]:g} s timeout and its output is validated; a "
            f"failed, hung or invalid stage takes the generalist's alternative path; if that fails too, {ending}",
            "generalist alternative"))
    if p.independent_subtasks and not in_turn:
        where = "; together they are the first stage, whose results feed the steps" if p.dependent_steps else ""
        speed = ("run at once, they cost the slowest, not the sum" if p.concurrent_capacity else
                 "without the compute to run them at once they take turns (max_concurrency=1) and cost the sum, "
                 "but each still fails on its own")
        choices.append(Choice(
            "parallel", p.names("tasks"), f"the sub-tasks do not depend on one another: {speed}{where}",
            f"each task gets a {TIMEOUTS[p.latency_budget]:g} s timeout and {attempts_for(p)} attempts; one that still "
            "fails is skipped and reported missing, the others' results are kept"))
    if not choices:
        choices.append(Choice("model call", (), "no question called for orchestration: one model call is the "
                              "simplest, fastest and cheapest design", f"{attempts_for(p)} attempts, then the generalist",
                              "generalist fallback"))
    return Recommendation(process, tuple(choices), what_constraints_change(p))
