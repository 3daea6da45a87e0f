"""Strategic decisions against tactical execution, counted from a Hierarchical run's trace.

The top level decides *which* work happens (a route, a send-back, an
escalation); the teams decide *how* (their stages, checks and model calls).
``count_tiers`` counts each, so a lesson can show how little the top level
does and how much it delegates.

    >>> count_tiers(triage, run(triage, request).trace)
    {'routing decisions': 1, 'send-backs': 0, 'escalations': 0, 'team steps': 3, 'team model calls': 1}
"""

from __future__ import annotations

from typing import Any

from ..trace import Trace
from .hierarchical import Hierarchical, subtree


def count_tiers(flow: Hierarchical, trace: Trace) -> dict[str, int]:
    """Per tier, what ``flow`` did in one run: the top level's decisions, the teams' steps and model calls."""
    if not isinstance(flow, Hierarchical):
        raise TypeError(f"count_tiers needs the Hierarchical that ran, got {type(flow).__name__}")
    tops = [span for span in trace.find(flow.name) if span.pattern == "hierarchical"]
    if not tops:
        raise ValueError(f"no span of the flow {flow.name!r} in this trace: pass the trace of a run of this flow")
    top = tops[0]
    children = trace.children(top)
    teams = {step.name for step in [*flow.sub.values(), *flow.on_approve.values()]}
    work = subtree(list(trace), [span for span in children if span.name in teams])
    return {
        "routing decisions": sum(span.name == flow.top.name for span in children),
        "send-backs": sum(span.name == "checker" and span.detail.startswith("sent back") for span in children),
        "escalations": int(top.status == "escalated"),
        "team steps": sum(span.kind != "model" for span in work),
        "team model calls": sum(span.kind == "model" for span in work),
    }


def tiers_table(flow: Hierarchical, traces: list[Trace]) -> Any:
    """``count_tiers`` over many runs: a DataFrame with the total and the mean per run of each count."""
    import pandas as pd  # only when a table is asked for: the kit imports fast

    counts = pd.DataFrame([count_tiers(flow, trace) for trace in traces])
    return pd.DataFrame({"total": counts.sum(), "per request": counts.mean().round(2)})
