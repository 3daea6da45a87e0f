"""Charts that read at a glance: the run timeline, and helpers every chart of the course uses.

    >>> result.trace.timeline()               # one bar per span; an instant is a diamond
    >>> label_bars(ax, bars, "{:.2f} s")      # the value at the end of each bar
    >>> keep_inside(ax)                       # widen the axes until every label fits in the frame

Colours are the Okabe-Ito palette, told apart with every kind of colour blindness;
trouble is drawn with edges and hatching, so it survives printing in grey.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..status import DEGRADED, FAILED, Status

if TYPE_CHECKING:
    from ..trace import Span, Trace

KIND_COLOURS = {  # one distinct colour per span kind (status.Kind), from the colour-blind-safe Okabe-Ito set
    "flow": "#bbbbbb", "task": "#56b4e9", "stage": "#009e73", "attempt": "#cc79a7", "step": "#0072b2", "model": "#e69f00",
    "undo": "#f0e442",
}
# For the bars of a chart, in order: the darkest Okabe-Ito colours first, so the first four stand out
# from white at 3:1 or more (the contrast WCAG asks of a graphic); orange and sky blue come last.
BAR_COLOURS = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9"]
STATUS_STYLES = {  # how a span that did not end "ok" is drawn, and what the legend calls it
    "failed": ({"edgecolor": "#d55e00", "linewidth": 2, "hatch": "xx"}, "failed (error, timeout, rate limited)"),
    "skipped": ({"edgecolor": "#444444", "linewidth": 1.5, "linestyle": "--", "alpha": 0.45}, "skipped (result left out)"),
    "degraded": ({"edgecolor": "#000000", "linewidth": 2, "hatch": ".."}, "degraded (fallback, partial, rolled back, escalated)"),
}
INSTANT = 1e-9  # a span shorter than this (in seconds) took no time: drawn as a diamond, not a bar


def status_group(status: str) -> str:
    """"ok", or which of STATUS_STYLES a span's status is drawn as (the groups are trace.py's)."""
    if status in FAILED:
        return "failed"
    if status == Status.SKIPPED:
        return "skipped"
    return "degraded" if status in DEGRADED else "ok"  # ok, and pending (waiting for a person)


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
    """One bar per span (nested spans indented), a diamond per instant; edges and hatching mark trouble."""
    import matplotlib.pyplot as plt

    rows = _tree_order(trace)
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 0.35 * len(rows) + 1.2))
    for y, (span, _) in enumerate(rows):
        colour, group = KIND_COLOURS.get(span.kind, "#0072b2"), status_group(span.status)
        style = STATUS_STYLES[group][0] if group != "ok" else {"edgecolor": "#555555", "linewidth": 0.5}
        if span.duration < INSTANT:
            ax.plot(span.start, y, marker="D", markersize=9, color=colour, linestyle="none", clip_on=False, zorder=3,
                    markeredgecolor=style["edgecolor"], markeredgewidth=max(style["linewidth"], 1))
        else:
            ax.barh(y, span.duration, left=span.start, height=0.6, color=colour, **style)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(["· " * depth + span.name + (f" [{span.status}]" if span.status != "ok" else "") for span, depth in rows])
    ax.invert_yaxis()
    ax.set_xlim(0, max(trace.latency, INSTANT) * 1.03)  # room for a diamond at the very end
    if not _has_a_chart_below_sharing_its_x_axis(ax):  # else the lower chart's axis and caption serve both
        ax.set_xlabel("time since start of run (s)")
    ax.set_ylabel("span")
    ax.set_title(f"{title}: {trace.latency:.2f} s, ${trace.cost:.4f}, {trace.calls} model calls")
    _legends(ax, rows)
    return ax


def _legends(ax: Any, rows: list[tuple[Span, int]]) -> None:
    """Two keys right of the chart: the colour of each span kind shown, then each status drawn (if any)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    kinds = [Patch(color=c, label=k) for k, c in KIND_COLOURS.items() if any(s.kind == k for s, _ in rows)]
    if any(s.duration < INSTANT for s, _ in rows):
        kinds.append(Line2D([], [], marker="D", color="#555555", linestyle="none", label="instant (took no time)"))
    first = ax.legend(handles=kinds, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small", title="span kind")
    groups = {status_group(s.status) for s, _ in rows} - {"ok"}
    if groups:
        ax.add_artist(first)
        marks = [Patch(facecolor="white", label=label, **style) for name, (style, label) in STATUS_STYLES.items() if name in groups]
        ax.legend(handles=marks, loc="lower left", bbox_to_anchor=(1.01, 0), fontsize="small", title="status")


def _has_a_chart_below_sharing_its_x_axis(ax: Any) -> bool:
    spec = ax.get_subplotspec() if hasattr(ax, "get_subplotspec") else None
    return spec is not None and not spec.is_last_row() and len(ax.get_shared_x_axes().get_siblings(ax)) > 1


def label_bars(ax: Any, bars: Any, fmt: str = "{:.2f}") -> list[Any]:
    """Write each bar's value at its end (``fmt`` formats it), so even a bar of length 0 shows its number."""
    return ax.bar_label(bars, labels=[fmt.format(v) for v in bars.datavalues], padding=3, fontsize="small")


def keep_inside(ax: Any, texts: list[Any] | None = None, steps: int = 4) -> Any:
    """Widen the axes' limits until every label (``texts``, default: all of them) sits inside the frame.

    Call it last, once the figure has its final size and layout. Works on linear axes.
    """
    texts = list(ax.texts) if texts is None else texts  # ax.texts holds annotations and bar labels too
    for _ in range(steps):
        ax.figure.draw_without_rendering()  # lays the texts out where they will be drawn
        frame = ax.get_window_extent()
        boxes = [t.get_window_extent() for t in texts if t.get_visible() and t.get_text()]
        if all(frame.x0 - 0.5 <= b.x0 and b.x1 <= frame.x1 + 0.5 and frame.y0 - 0.5 <= b.y0 and b.y1 <= frame.y1 + 0.5
               for b in boxes):
            return ax
        _stretch(ax, "x", [(b.x0, b.x1) for b in boxes], frame.x0, frame.x1)
        _stretch(ax, "y", [(b.y0, b.y1) for b in boxes], frame.y0, frame.y1)
    return ax


def _stretch(ax: Any, axis: str, edges: list[tuple[float, float]], lo: float, hi: float, pad: float = 6) -> None:
    """Show more data along one axis, so that labels sticking out of [lo, hi] (pixels) come inside.

    A label's position follows the data, its size does not: showing ``f`` times as much
    data brings its near edge ``f`` times closer to the frame's far end.
    """
    size, new_lo, new_hi = hi - lo, lo, hi
    for near, far in edges:
        room = size - pad - (far - near)
        if room <= 0:  # wider than the axes: no widening helps
            continue
        if far > hi + 0.5:
            new_hi = max(new_hi, lo + (near - lo) * size / room)
        if near < lo - 0.5:
            new_lo = min(new_lo, hi - (hi - far) * size / room)
    if (new_lo, new_hi) == (lo, hi):
        return
    to_data = ax.transData.inverted()
    if axis == "x":
        (a, _), (b, _) = to_data.transform([(new_lo, 0), (new_hi, 0)])
        ax.set_xlim(a, b)  # the value at the left edge first: an inverted axis stays inverted
    else:
        (_, a), (_, b) = to_data.transform([(0, new_lo), (0, new_hi)])
        ax.set_ylim(a, b)
