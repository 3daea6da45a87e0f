"""Pictures of flows: Mermaid diagrams (the run timeline lives in charts.py).

    >>> flow.diagram()              # JupyterLab renders the Mermaid flowchart
    >>> result.trace.timeline()     # bars per span; parallel branches overlap (see charts.py)
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:
    from ..trace import Trace

_SHAPES = {"box": '["{}"]', "decision": '{{"{}"}}', "round": '("{}")', "model": '(["{}"])'}


class MermaidChart:
    """A tiny builder for Mermaid flowchart text: nodes, edges, subgraphs.

    ``direction`` is "TD" (top down) or "LR" (left to right: for long chains, so they fit a screen).
    """

    def __init__(self, direction: str = "TD") -> None:
        self.lines = [f"flowchart {direction}"]
        self.direction = direction
        self._count = 0
        self._depth = 1

    def node(self, label: str, shape: str = "box") -> str:
        self._count += 1
        node_id = f"n{self._count}"
        text = "\n".join(_wrap(line) for line in label.split("\n"))
        text = text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;").replace("\n", "<br/>")
        self.lines.append("    " * self._depth + node_id + _SHAPES[shape].format(text))
        return node_id

    def edge(self, a: str, b: str, label: str = "") -> None:
        arrow = f" -->|{label.replace('|', '/')}| " if label else " --> "
        self.lines.append("    " * self._depth + a + arrow + b)

    @contextmanager
    def subgraph(self, title: str) -> Iterator[str]:
        """A group of nodes under a title; yields the group's id, which edges may point at."""
        self._count += 1
        group = f"s{self._count}"
        self.lines.append("    " * self._depth + f'subgraph {group}["{title}"]')
        self._depth += 1
        inside = "TB" if self.direction == "TD" else self.direction  # a group's direction: TB, not TD
        self.lines.append("    " * self._depth + f"direction {inside}")  # else Mermaid turns some groups sideways
        yield group
        self._depth -= 1
        self.lines.append("    " * self._depth + "end")

    def group(self, name: str, pattern: str) -> Any:
        """The subgraph of a flow: titled with its name, plus its pattern unless the name already says it.

        >>> chart = MermaidChart()
        >>> with chart.group("keyword router", "router"):
        ...     _ = chart.node("keyword_rules")
        >>> chart.lines[1]
        'subgraph s1["keyword router"]'
        """
        return self.subgraph(name if pattern in name else f"{name} ({pattern})")

    def text(self) -> str:
        return "\n".join(self.lines)


class Diagram:
    """Mermaid text that JupyterLab shows as a picture (``str()`` gives the text)."""

    def __init__(self, mermaid: str) -> None:
        self.mermaid = mermaid

    @classmethod
    def of(cls, step: Any) -> Diagram:
        chart = MermaidChart()
        start = chart.node("input", "round")  # first, so that it is drawn above everything
        entry, exit_ = step.draw(chart)  # the entry of a pattern is its group: the arrow stops at the group's frame
        end = chart.node("output", "round")
        chart.edge(start, entry)
        chart.edge(entry if entry.startswith("s") else exit_, end)  # a group: from its frame, so output sits below it
        return cls(chart.text())

    def _repr_markdown_(self) -> str:
        return f"```mermaid\n{self.mermaid}\n```"

    def __str__(self) -> str:
        return self.mermaid

    def __repr__(self) -> str:
        return f"Diagram({self.mermaid.count(chr(10)) + 1} lines of Mermaid)"


def _wrap(line: str, width: int = 36) -> str:
    """Break a long label line at spaces (never inside a word), so a node stays narrow."""
    words, lines = line.split(" "), [""]
    for word in words:
        if lines[-1] and len(lines[-1]) + 1 + len(word) > width:
            lines.append(word)
        else:
            lines[-1] = f"{lines[-1]} {word}" if lines[-1] else word
    return "\n".join(lines)


def plot_timeline(trace: Trace, ax: Any = None, title: str = "Run timeline") -> Any:
    """The run timeline (see ``charts.plot_timeline``)."""
    from .charts import plot_timeline as draw

    return draw(trace, ax=ax, title=title)
