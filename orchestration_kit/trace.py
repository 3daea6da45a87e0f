"""Traces: what happened in a run, span by span, as data you can analyse.

Every step, pattern and model call in a run records one ``Span`` (when it
started and ended, which model, tokens, cost, status). The spans of one run
form a ``Trace``::

    >>> result = run(flow, "my invoice is wrong")
    >>> result.trace.latency, result.trace.cost      # the makespan and the bill
    >>> result.trace.to_dataframe()                   # one row per span (pandas)
    >>> result.trace.timeline()                       # a Gantt chart (matplotlib)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from .status import DEGRADED, FAILED, TROUBLE, Kind, Status, status_of  # noqa: F401 (the trace's words, read from here too)

if TYPE_CHECKING:
    import pandas as pd


def trouble(spans: Iterable[Span]) -> list[Span]:
    """The spans among ``spans`` whose status is trouble, once retries are accounted for.

    A failed attempt that another attempt followed is not trouble: the retry took
    over, and whether it recovered shows in the later attempts. So an attempt span
    counts only if it was the last try of its call, and nothing inside an attempt
    that was retried counts either.

    >>> [f"{s.name}: {s.status}" for s in trouble(result.trace)]
    ['compliance: skipped', 'analysis: partial']
    """
    spans = list(spans)
    if not any(s.status in TROUBLE for s in spans):
        return []  # the usual case: nothing went wrong, nothing to look up
    by_id: dict[int, Span] = {}
    last_try: dict[tuple[int | None, str], int] = {}
    for s in spans:
        by_id[s.id] = s
        if s.kind == "attempt":  # a Kind equals its word; comparing with the word skips a look-up in Kind
            key = (s.parent, s.name)
            last_try[key] = max(last_try.get(key, 0), s.attempt)

    def retried(span: Span) -> bool:
        return span.kind == "attempt" and span.attempt < last_try[(span.parent, span.name)]

    def inside_retried(span: Span) -> bool:
        parent = by_id.get(span.parent) if span.parent is not None else None
        while parent is not None:
            if retried(parent):
                return True
            parent = by_id.get(parent.parent) if parent.parent is not None else None
        return False

    return [s for s in spans if s.status in TROUBLE and not retried(s) and not inside_retried(s)]


# How times are kept: a run's clock counts whole nanoseconds (ints, exact); a span
# stores readable float seconds made from them (``start = start_ns / 1e9``) and
# gives the integers back exactly (``start_ns``), so sums and comparisons of
# durations done in nanoseconds never flip on rounding. Exact below 2**51 ns (26 days).
NS = 1_000_000_000  # nanoseconds per second


def seconds(ns: int) -> float:
    """Nanoseconds as float seconds, e.g. ``seconds(73_000_000) == 0.073``."""
    return ns / NS


def nanoseconds(s: float) -> int:
    """Float seconds made by ``seconds()`` back to the exact nanoseconds."""
    return round(s * NS)


KIND_OF = {kind.value: kind for kind in Kind}  # "model" -> Kind.MODEL: a dict lookup, much quicker than Kind("model")
STATUS_OF = {status.value: status for status in Status}


@dataclass(frozen=True, slots=True)  # slots: a run records many spans; each is smaller and quicker to build
class Span:
    """One timed piece of a run: a flow, a step, or a model call."""

    id: int
    parent: int | None
    name: str
    kind: Kind  # what the span times (see Kind); a plain string is read as one
    pattern: str = ""  # "router", "parallel", "sequential", "hierarchical" for flows
    model: str = ""
    start: float = 0.0
    end: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0
    status: Status = Status.OK  # how it ended (see Status); a plain string is read as one
    error: str = ""
    detail: str = ""
    attempt: int = 1
    route: str = ""  # the route a router or hierarchical top level chose ("" if none)
    confidence: float | None = None  # how sure that routing decision was

    def __post_init__(self) -> None:
        # the vocabulary's own members, even when given as plain strings; a word outside it is refused
        object.__setattr__(self, "kind", as_kind(self.kind, self.name))
        object.__setattr__(self, "status", as_status(self.status, self.name))

    @property
    def start_ns(self) -> int:
        """When the span started, in whole nanoseconds since the run began (exact)."""
        return nanoseconds(self.start)

    @property
    def end_ns(self) -> int:
        return nanoseconds(self.end)

    @property
    def duration_ns(self) -> int:
        """The span's duration in whole nanoseconds: add these up, not float seconds."""
        return self.end_ns - self.start_ns

    @property
    def duration(self) -> float:
        """The span's duration in seconds, e.g. 0.073 (made from ``duration_ns``)."""
        return seconds(self.duration_ns)


# A run records thousands of spans, so a recorder builds each one the quick way:
# Span(...) checks its kind and status and sets every field through the frozen
# dataclass's __init__; recorded_span() takes values already checked and sets the
# slots directly (about 40 % less work per span). The Span is the same either way.
_SLOT_SETTERS = tuple(Span.__dict__[f.name].__set__ for f in fields(Span))  # in field order


def recorded_span(values: tuple[Any, ...]) -> Span:
    """A Span from its 17 field values in field order, ``kind`` and ``status`` already members of Kind/Status.

    >>> recorded_span((1, None, "triage", Kind.STEP, "", "", 0.0, 0.2, 0, 0, 0.0, Status.OK, "", "", 1, "", None))
    Span(id=1, parent=None, name='triage', kind='step', ...)
    """
    span = object.__new__(Span)
    for set_slot, value in zip(_SLOT_SETTERS, values):
        set_slot(span, value)
    return span


def as_kind(word: Any, name: str = "") -> Kind:
    """The Kind member for ``word`` (a Kind or its string), or a clear error."""
    kind = KIND_OF.get(word)
    if kind is None:
        _refuse(name, "kind", word, Kind)
    return kind


def as_status(word: Any, name: str = "") -> Status:
    """The Status member for ``word`` (a Status or its string), or a clear error."""
    status = STATUS_OF.get(word)
    if status is None:
        _refuse(name, "status", word, Status)
    return status


def _refuse(span_name: str, field_name: str, value: Any, vocabulary: type) -> None:
    known = ", ".join(v.value for v in vocabulary)
    raise ValueError(f"span {span_name!r}: {field_name} {value!r} is not one of {known} "
                     f"(add it to trace.{vocabulary.__name__} with what it means)")


_START_ORDER = attrgetter("start", "id")  # a span's (start, id): the order a trace is read in


class Trace:
    """The spans of one run, with totals, a DataFrame and a timeline chart."""

    def __init__(self, spans: list[Span] | None = None) -> None:
        self.spans: list[Span] = list(spans or [])

    def add(self, span: Span) -> None:
        self.spans.append(span)

    def __iter__(self) -> Iterator[Span]:
        return iter(sorted(self.spans, key=_START_ORDER))

    def __len__(self) -> int:
        return len(self.spans)

    # -- totals -------------------------------------------------------------
    @property
    def latency_ns(self) -> int:
        """The makespan in whole nanoseconds (exact)."""
        if not self.spans:
            return 0
        return nanoseconds(max(s.end for s in self.spans)) - nanoseconds(min(s.start for s in self.spans))

    @property
    def latency(self) -> float:
        """The makespan: from the first span's start to the last span's end, in seconds."""
        return seconds(self.latency_ns)

    @property
    def model_calls(self) -> list[Span]:
        """The model-call spans in start order (picked out first, then sorted: the same list, far fewer to sort)."""
        return sorted([s for s in self.spans if s.kind == "model"], key=_START_ORDER)

    @property
    def cost(self) -> float:
        """Total cost of every model call, in US dollars."""
        return round(sum(s.cost for s in self.model_calls), 10)

    @property
    def tokens(self) -> int:
        return sum(s.tokens_in + s.tokens_out for s in self.model_calls)

    @property
    def calls(self) -> int:
        return len(self.model_calls)

    def totals(self) -> dict[str, Any]:
        """Latency (s), cost ($), tokens and model calls of the whole run (as the properties above give them)."""
        calls = self.model_calls  # found once, not once per total: evaluate() asks this of every item
        return {"latency_s": self.latency, "cost_usd": round(sum(s.cost for s in calls), 10),
                "tokens": sum(s.tokens_in + s.tokens_out for s in calls), "calls": len(calls)}

    # -- looking things up --------------------------------------------------
    def find(self, name: str) -> list[Span]:
        """Every span with this name, in start order."""
        return [s for s in self if s.name == name]

    def children(self, span: Span) -> list[Span]:
        return [s for s in self if s.parent == span.id]

    def tree(self) -> str:
        """The span tree as indented text, e.g. for printing or comparing."""
        lines: list[str] = []

        def walk(parent: int | None, depth: int) -> None:
            for span in self:
                if span.parent == parent:
                    label = span.name + (f" [{span.status}]" if span.status != "ok" else "")
                    lines.append("  " * depth + label)
                    walk(span.id, depth + 1)

        walk(None, 0)
        return "\n".join(lines)

    def to_dataframe(self) -> pd.DataFrame:
        """One row per span, in start order, with a ``duration`` column (seconds)."""
        import pandas as pd  # imported here: the package itself stays quick to import

        columns = [f.name for f in fields(Span)]
        rows = [asdict(s) | {"kind": str(s.kind), "status": str(s.status), "duration": s.duration} for s in self]
        frame = pd.DataFrame(rows, columns=columns + ["duration"])
        frame["parent"] = frame["parent"].astype("Int64")  # the root has no parent: <NA>, not NaN
        order = ["id", "parent", "name", "kind", "pattern", "model", "start", "end", "duration"]
        return frame[order + [c for c in frame.columns if c not in order]]

    def timeline(self, ax: Any = None, title: str = "Run timeline") -> Any:
        """A Gantt chart of the spans (parallel branches visibly overlap). Returns the axes."""
        from .pictures.diagrams import plot_timeline

        return plot_timeline(self, ax=ax, title=title)

    def __repr__(self) -> str:
        return (
            f"Trace({len(self.spans)} spans, latency={self.latency:.3f} s, "
            f"cost=${self.cost:.6f}, tokens={self.tokens}, calls={self.calls})"
        )
