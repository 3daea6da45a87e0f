"""Pictures of flows and runs: Mermaid diagrams and timeline (Gantt) charts.

    >>> flow.diagram()              # JupyterLab renders the Mermaid flowchart
    >>> result.trace.timeline()     # bars per span; parallel branches overlap
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:
    from .trace import Span, Trace

_SHAPES = {"box": '["{}"]', "decision": '{{"{}"}}', "round": '("{}")', "model": '(["{}"])'}


class MermaidChart:
    """A tiny builder for Mermaid flowchart text: nodes, edges, subgraphs."""

    def __init__(self) -> None:
        self.lines = ["flowchart TD"]
        self._count = 0
        self._depth = 1

    def node(self, label: str, shape: str = "box") -> str:
        self._count += 1
        node_id = f"n{self._count}"
        text = label.replace('"', "#quot;").replace("\n", "<br/>")
        self.lines.append("    " * self._depth + node_id + _SHAPES[shape].format(text))
        return node_id

    def edge(self, a: str, b: str, label: str = "") -> None:
        arrow = f" -->|{label.replace('|', '/')}| " if label else " --> "
        self.lines.append("    " * self._depth + a + arrow + b)

    @contextmanager
    def subgraph(self, title: str) -> Iterator[None]:
        self._count += 1
        self.lines.append("    " * self._depth + f'subgraph s{self._count}["{title}"]')
        self._depth += 1
        yield
        self._depth -= 1
        self.lines.append("    " * self._depth + "end")

    def text(self) -> str:
        return "\n".join(self.lines)


class Diagram:
    """Mermaid text that JupyterLab shows as a picture (``str()`` gives the text)."""

    def __init__(self, mermaid: str) -> None:
        self.mermaid = mermaid

    @classmethod
    def of(cls, step: Any) -> Diagram:
        chart = MermaidChart()
        entry, exit_ = step._draw(chart)
        start, end = chart.node("input", "round"), chart.node("output", "round")
        chart.edge(start, entry)
        chart.edge(exit_, end)
        return cls(chart.text())

    def _repr_markdown_(self) -> str:
        return f"```mermaid\n{self.mermaid}\n```"

    def __str__(self) -> str:
        return self.mermaid

    def __repr__(self) -> str:
        return f"Diagram({self.mermaid.count(chr(10)) + 1} lines of Mermaid)"


_COLOURS = {"flow": "#d9d9d9", "task": "#9ecae1", "stage": "#9ecae1", "attempt": "#c6dbef", "step": "#6baed6", "model": "#fd8d3c"}
_TROUBLE = {"rate_limited", "error", "failed", "timeout", "cancelled", "skipped", "rolled_back", "fallback", "partial", "escalated"}


def _tree_order(trace: Trace) -> list[tuple[Span, int]]:
    ordered: list[tuple[Span, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for span in trace:
            if span.parent == parent:
                ordered.append((span, depth))
                walk(span.id, depth + 1)

    walk(None, 0)
    return ordered


def plot_timeline(trace: Trace, ax: Any = None, title: str = "Run timeline") -> Any:
    """Draw one bar per span (nested spans indented); red edges mark trouble."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    rows = _tree_order(trace)
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 0.35 * len(rows) + 1.2))
    for y, (span, depth) in enumerate(rows):
        trouble = span.status in _TROUBLE
        ax.barh(
            y, max(span.duration, 1e-9), left=span.start, height=0.6,
            color=_COLOURS.get(span.kind, "#6baed6"), edgecolor="#cb181d" if trouble else "#555555",
            linewidth=2 if trouble else 0.5, hatch="//" if trouble else None,
        )
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(["· " * depth + span.name + (f" [{span.status}]" if span.status != "ok" else "") for span, depth in rows])
    ax.invert_yaxis()
    ax.set_xlabel("time since start of run (s)")
    ax.set_ylabel("span")
    ax.set_title(f"{title}: {trace.latency:.2f} s, ${trace.cost:.4f}, {trace.calls} model calls")
    legend = [Patch(color=c, label=k) for k, c in _COLOURS.items() if any(s.kind == k for s, _ in rows)]
    ax.legend(handles=legend, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small", title="span kind")
    return ax
