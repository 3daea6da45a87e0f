"""Trade-offs, measured: latency, cost, accuracy and complexity of flows doing the same job.

Run every flow over one data set with several seeds, then summarise; count
each flow's moving parts by walking its objects (the slider explorer of
Parallel against Sequential is in ``explorer.py``)::

    >>> runs = measure({"router": router, "parallel": panel}, datasets.customer_queries("test"),
    ...                seeds=[0, 1, 2], label_column="intent")
    >>> compare_patterns(runs, {"router": router, "parallel": panel})   # the measured trade-off table
    >>> complexity(router)            # {'steps': 7, 'models': 6, 'decisions': 1, 'joins': 0, ...}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from .evaluate import default_prediction, exact
from ..patterns import Hierarchical, Parallel, Router, Sequential, Stage
from ..resilience import Resilient
from ..runner import run
from ..steps import Ask, Step, as_step
from ..trace import Trace

if TYPE_CHECKING:
    import pandas as pd

# The chapter's trade-off table, word for word (tests/test_chapter_quotes.py compares it with the chapter).
COLUMNS = ("Latency", "Complexity", "Cost Efficiency", "Best For")
CHAPTER = {
    "router": {"Latency": "Fast", "Complexity": "Low", "Cost Efficiency": "High",
               "Best For": "Categorizable inputs with specialized handlers"},
    "parallel": {"Latency": "Medium (slowest task)", "Complexity": "Medium", "Cost Efficiency": "Medium",
                 "Best For": "Independent analyses that benefit from diversity"},
    "sequential": {"Latency": "Slow (sum of all stages)", "Complexity": "Low-Medium", "Cost Efficiency": "Medium",
                   "Best For": "Workflows where later stages depend on earlier results"},
    "hierarchical": {"Latency": "Variable", "Complexity": "High", "Cost Efficiency": "Variable",
                     "Best For": "Complex systems with multiple decision layers"},
}


def chapter_table() -> pd.DataFrame:
    """The chapter's trade-off table as a DataFrame: one row per pattern, the chapter's own words in each cell.

    >>> chapter_table().loc["Sequential", "Latency"]
    'Slow (sum of all stages)'
    """
    import pandas as pd

    rows = {name.capitalize(): [CHAPTER[name][column] for column in COLUMNS] for name in CHAPTER}
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(COLUMNS)).rename_axis("Pattern")


PATTERNS = (Router, Parallel, Sequential, Hierarchical)


# -- complexity: counted from the flow's objects ----------------------------------
def children(step: Step) -> list[Step]:
    """The steps directly inside ``step``, in order (none for a model call or a plain function).

    The same as ``step.children()``: each pattern lists its own parts, so a new pattern
    needs no change here.
    """
    return step.children()


def complexity(flow: Any) -> dict[str, int]:
    """Count a flow's moving parts by walking its objects.

    - ``steps``: places where work is done (model calls, functions), a reused step once per place;
    - ``models``: distinct models the flow can call;
    - ``decisions``: points that choose at run time what runs next (a router's or a
      hierarchy's choice, an escalation rule, a stage's validation, a fallback);
    - ``joins``: points that wait for concurrent branches and merge them;
    - ``patterns`` and ``depth``: how many patterns, nested how deep;
    - ``score``: steps + models + decisions + joins, one number to rank flows by.

    >>> complexity(Sequential(stages=[Ask(small, "Draft: {input}"), Ask(large, "Polish: {input}")]))["score"]
    4
    """
    counts = {"steps": 0, "decisions": 0, "joins": 0, "patterns": 0, "depth": 0}
    models: set[str] = set()

    def walk(step: Step, depth: int) -> None:
        inner = children(step)
        if getattr(step, "pattern", ""):  # Router, Parallel, Sequential, Hierarchical, or a pattern of your own
            counts["patterns"] += 1
            depth += 1
            counts["depth"] = max(counts["depth"], depth)
        elif not inner:
            counts["steps"] += 1
        if isinstance(step, Ask):
            models.add(getattr(step.model, "name", "model"))
        counts["decisions"] += _decisions(step)
        counts["joins"] += int(isinstance(step, Parallel) or (isinstance(step, Router) and step.aggregator is not None))
        for child in inner:
            walk(child, depth)

    walk(as_step(flow, "the flow"), 0)
    counts["models"] = len(models)
    counts["score"] = counts["steps"] + counts["models"] + counts["decisions"] + counts["joins"]
    return {key: counts[key] for key in ("steps", "models", "decisions", "joins", "patterns", "depth", "score")}


def _decisions(step: Step) -> int:
    if isinstance(step, Router):
        return 1
    if isinstance(step, Hierarchical):
        return 1 + (step.escalate is not None)  # the top level's choice, and the escalation rule
    if isinstance(step, Stage):
        return int(step.validate is not None or step.alternative is not None)
    if isinstance(step, Resilient):
        return int(step.fallback is not None)
    return 0


# -- measuring flows on one workload ------------------------------------------------
def peak_concurrency(trace: Trace) -> int:
    """The most model calls in flight at the same moment of a run."""
    events = sorted((time, delta) for span in trace.model_calls for time, delta in ((span.start, 1), (span.end, -1)))
    peak = now = 0
    for _, delta in events:  # at equal times an end (-1) sorts before a start (+1): touching calls do not overlap
        now += delta
        peak = max(peak, now)
    return peak


def measure(flows: dict[str, Any], data: pd.DataFrame, *, seeds: list[int] | tuple[int, ...] = (0, 1, 2),
            input_column: str = "text", label_column: str = "label",
            predict: Callable[[Any], Any] = default_prediction,
            score: Callable[[Any, Any], float] = exact) -> pd.DataFrame:
    """Run every flow on every row of ``data`` once per seed: one row per run.

    Columns: pattern, seed, id, latency_s, cost_usd, calls, peak_calls, score, status.
    A run that raises is kept as an error row with what it spent before failing.
    """
    import pandas as pd

    for column in (input_column, label_column):
        if column not in data.columns:
            raise ValueError(f"measure: the data has no column {column!r}; pass input_column= / label_column=")
    ids = list(data["id"]) if "id" in data.columns else list(range(len(data)))
    rows = []
    for name, flow in flows.items():
        for seed in seeds:
            for item, x, label in zip(ids, data[input_column], data[label_column]):
                trace, status, value = Trace(), "error", 0.0
                try:
                    result = run(flow, x, seed=seed)
                    trace = result.trace
                    value, status = float(score(predict(result), label)), "ok"
                except Exception as error:  # a failed run is a data point, not the end of the measurement
                    trace = getattr(error, "trace", trace)  # what it spent before failing
                rows.append({"pattern": name, "seed": seed, "id": item, "latency_s": trace.latency,
                             "cost_usd": trace.cost, "calls": trace.calls, "peak_calls": peak_concurrency(trace),
                             "score": value, "status": status})
    return pd.DataFrame(rows)


def compare_patterns(runs: pd.DataFrame, flows: dict[str, Any]) -> pd.DataFrame:
    """The measured trade-off table: one row per flow, from ``measure()``'s runs and the flows' structure."""
    import pandas as pd

    table = {}
    for name, group in runs.groupby("pattern", sort=False):
        latency, cost = group["latency_s"], group["cost_usd"]
        correct = group["score"].sum()
        table[name] = {
            "runs": len(group), "errors": int((group["status"] == "error").sum()),
            "accuracy": round(group["score"].mean(), 3),
            "latency_p50_s": round(latency.quantile(0.5), 3), "latency_p95_s": round(latency.quantile(0.95), 3),
            "latency_spread": _spread(latency),
            "cost_per_1k_usd": round(cost.mean() * 1000, 4),
            "cost_per_1k_correct_usd": round(cost.sum() / correct * 1000, 4) if correct else float("inf"),
            "cost_spread": _spread(cost),
            "calls_per_run": round(group["calls"].mean(), 2), "peak_calls": int(group["peak_calls"].max()),
            **{f"complexity_{k}": v for k, v in complexity(flows[name]).items() if k in ("steps", "models", "decisions", "joins", "score")},
        }
    return pd.DataFrame.from_dict(table, orient="index").rename_axis("pattern")


def _spread(values: pd.Series) -> float:
    """p95 / p50: 1.0 when every run is alike, larger the longer the tail (NaN if the median is 0)."""
    median = values.quantile(0.5)
    return round(values.quantile(0.95) / median, 2) if median > 0 else float("nan")


def plot_latency(runs: pd.DataFrame, ax: Any = None) -> Any:
    """Each flow's latency distribution as a box (p25-p75, median line) with whiskers at p5 and p95."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.8))
    names = list(dict.fromkeys(runs["pattern"]))
    for row, name in enumerate(names):
        values = runs.loc[runs["pattern"] == name, "latency_s"]
        draw_box(ax, row, values, "#9ecae1")
        ax.annotate(f"p50 {values.quantile(0.5):.2f} s · p95 {values.quantile(0.95):.2f} s", (values.quantile(0.95), row),
                    xytext=(6, 6), textcoords="offset points", fontsize="small")
    ax.set_yticks(range(len(names)), labels=names)
    ax.invert_yaxis()
    ax.set_xlim(left=0)
    ax.margins(x=0.3)
    ax.set_xlabel("latency per request (s, virtual time)")
    ax.set_ylabel("pattern")
    ax.set_title(f"Latency over {len(runs) // len(names)} runs each (box: p25-p75, whiskers: p5-p95)")
    from ..pictures.charts import keep_inside

    return keep_inside(ax)  # the p50/p95 labels inside the frame


def draw_box(ax: Any, y: float, values: pd.Series, colour: str) -> None:
    """A horizontal box plot drawn from percentiles, so what each part means is plain to see."""
    p5, p25, p50, p75, p95 = (values.quantile(q) for q in (0.05, 0.25, 0.5, 0.75, 0.95))
    ax.hlines(y, p5, p95, color="#555555", linewidth=1)
    ax.vlines([p5, p95], y - 0.12, y + 0.12, color="#555555", linewidth=1)
    ax.barh(y, max(p75 - p25, 1e-3), left=p25, height=0.45, color=colour, edgecolor="#555555")
    ax.vlines(p50, y - 0.22, y + 0.22, color="#000000", linewidth=2)  # black: it shows on every bar colour
