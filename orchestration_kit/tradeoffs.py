"""Trade-offs, measured: latency, cost, accuracy and complexity of flows doing the same job.

Run every flow over one data set with several seeds, then summarise; count
each flow's moving parts by walking its objects; explore Parallel against
Sequential with sliders::

    >>> runs = measure({"router": router, "parallel": panel}, datasets.customer_queries("test"),
    ...                seeds=[0, 1, 2], label_column="intent")
    >>> compare_patterns(runs, {"router": router, "parallel": panel})   # the measured trade-off table
    >>> complexity(router)            # {'steps': 7, 'models': 6, 'decisions': 1, 'joins': 0, ...}
    >>> explorer()                    # sliders: branches, latency spread, failure rate (JupyterLab)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from .analysis import default_prediction, exact
from .models.base import Pricing
from .models.simulated import Failures, ModelProfile, SimulatedModel
from .patterns import Hierarchical, Parallel, Router, Sequential, Stage
from .resilience import Resilient, RetryPolicy
from .runner import run
from .steps import Ask, Step, as_step
from .trace import Trace

if TYPE_CHECKING:
    import pandas as pd

# The chapter's trade-off table, word for word, to set beside the measurements.
CHAPTER = {
    "router": {"latency": "low", "complexity": "medium", "cost efficiency": "high", "best for": "diverse input types"},
    "parallel": {"latency": "low (parallel)", "complexity": "high", "cost efficiency": "medium",
                 "best for": "multi-faceted analysis"},
    "sequential": {"latency": "high (cumulative)", "complexity": "low", "cost efficiency": "high",
                   "best for": "step-by-step processes"},
    "hierarchical": {"latency": "variable", "complexity": "very high", "cost efficiency": "variable",
                     "best for": "complex enterprise systems"},
}
PATTERNS = (Router, Parallel, Sequential, Hierarchical)


# -- complexity: counted from the flow's objects ----------------------------------
def children(step: Step) -> list[Step]:
    """The steps directly inside ``step``, in order (none for a model call or a plain function)."""
    if isinstance(step, Router):
        parts = [step.analyzer, *step.routes.values(), step.fallback, step.aggregator]
    elif isinstance(step, Parallel):
        parts = [step.splitter, *step.tasks.values(), step.synthesizer]
    elif isinstance(step, Sequential):
        parts = list(step.stages)
    elif isinstance(step, Hierarchical):
        parts = [step.top, *step.sub.values(), step.escalate]
    elif isinstance(step, Stage):
        parts = [step.step, step.alternative]
    elif isinstance(step, Resilient):
        parts = [step.step, step.fallback]
    else:
        parts = []
    return [part for part in parts if part is not None]


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
        if isinstance(step, PATTERNS):
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
        _box(ax, row, values, "#9ecae1")
        ax.annotate(f"p50 {values.quantile(0.5):.2f} s · p95 {values.quantile(0.95):.2f} s", (values.quantile(0.95), row),
                    xytext=(6, 6), textcoords="offset points", fontsize="small")
    ax.set_yticks(range(len(names)), labels=names)
    ax.invert_yaxis()
    ax.set_xlim(left=0)
    ax.margins(x=0.3)
    ax.set_xlabel("latency per request (s, virtual time)")
    ax.set_ylabel("pattern")
    ax.set_title(f"Latency over {len(runs) // len(names)} runs each (box: p25-p75, whiskers: p5-p95)")
    return ax


def _box(ax: Any, y: float, values: pd.Series, colour: str) -> None:
    """A horizontal box plot drawn from percentiles, so what each part means is plain to see."""
    p5, p25, p50, p75, p95 = (values.quantile(q) for q in (0.05, 0.25, 0.5, 0.75, 0.95))
    ax.hlines(y, p5, p95, color="#555555", linewidth=1)
    ax.vlines([p5, p95], y - 0.12, y + 0.12, color="#555555", linewidth=1)
    ax.barh(y, max(p75 - p25, 1e-3), left=p25, height=0.45, color=colour, edgecolor="#555555")
    ax.vlines(p50, y - 0.22, y + 0.22, color="#cb181d", linewidth=2)


# -- the explorer: Parallel against Sequential, with sliders ---------------------------
RETRY = RetryPolicy(attempts=3, initial_delay=0.5, factor=2.0)


def parallel_vs_sequential(branches: int = 3, latency_spread: float = 0.3, failure_rate: float = 0.0, *,
                           runs: int = 40, seed: int = 0) -> pd.DataFrame:
    """The same ``branches`` model calls run side by side and one after another, ``runs`` times each.

    Each call takes about 0.5 s (log-normal spread ``latency_spread``) and fails with
    probability ``failure_rate``; failed calls are retried (3 attempts, 0.5 s then 1 s
    apart). One row per run: pattern, run, latency_s, cost_usd, calls, complete.
    """
    import pandas as pd

    if not 1 <= branches <= 20:
        raise ValueError(f"branches must be between 1 and 20, got {branches}")
    if not 0 <= latency_spread <= 2 or not 0 <= failure_rate <= 0.9:
        raise ValueError("latency_spread must be in 0..2 and failure_rate in 0..0.9 (a probability per call)")
    steps = [Ask(_worker(i, latency_spread, failure_rate), f"Check part {i} of: {{input}}") for i in range(1, branches + 1)]
    flows = {"parallel": Parallel(tasks={step.name: step for step in steps}, retry=RETRY),
             "sequential": Sequential(stages=[Resilient(step, retry=RETRY) for step in steps])}
    rows = []
    for name, flow in flows.items():
        for k in range(runs):
            try:
                result = run(flow, f"request {k}", seed=seed + k)
                trace, complete = result.trace, not (name == "parallel" and result.output.missing)
            except Exception as error:  # a sequential run stops at a step that failed three times
                trace, complete = error.trace, False
            rows.append({"pattern": name, "run": k, "latency_s": trace.latency, "cost_usd": trace.cost,
                         "calls": trace.calls, "complete": complete})
    return pd.DataFrame(rows)


def _worker(i: int, spread: float, failure_rate: float) -> SimulatedModel:
    profile = ModelProfile(f"worker-{i}", latency_s=0.5, latency_sigma=spread, seconds_per_output_token=0.0,
                           pricing=Pricing(0.001, 0.002))
    return SimulatedModel(profile, failures=Failures(error_rate=failure_rate))


def plot_parallel_vs_sequential(data: pd.DataFrame, axes: Any = None, title: str = "") -> Any:
    """Latency distribution (left) and mean cost per run (right) of the two arrangements."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.4), gridspec_kw={"width_ratios": [2, 1]})
    names, colours = ["parallel", "sequential"], ["#9ecae1", "#fd8d3c"]
    for row, (name, colour) in enumerate(zip(names, colours)):
        _box(axes[0], row, data.loc[data["pattern"] == name, "latency_s"], colour)
    axes[0].set_yticks([0, 1], labels=names)
    axes[0].invert_yaxis()
    axes[0].set_xlim(left=0)
    axes[0].set_xlabel("latency per run (s, virtual time)")
    axes[0].set_ylabel("arrangement")
    axes[0].set_title("Latency (box: p25-p75, whiskers: p5-p95)")
    cost = [data.loc[data["pattern"] == name, "cost_usd"].mean() * 1000 for name in names]
    complete = [data.loc[data["pattern"] == name, "complete"].mean() for name in names]
    axes[1].bar(names, cost, color=colours)
    for x, (dollars, share) in enumerate(zip(cost, complete)):
        axes[1].text(x, dollars, f"{share:.0%} complete", ha="center", va="bottom", fontsize="small")
    axes[1].set_ylabel("mean cost per 1,000 runs (US$)")
    axes[1].set_xlabel("arrangement")
    axes[1].set_title("Cost")
    axes[1].margins(y=0.15)
    axes[0].figure.suptitle(title or "Parallel vs Sequential")
    axes[0].figure.tight_layout()
    return axes


class Explorer:
    """Sliders that re-run ``parallel_vs_sequential`` and redraw its chart (see ``explorer()``)."""

    def __init__(self, branches: int, latency_spread: float, failure_rate: float, runs: int) -> None:
        import ipywidgets as widgets

        self.runs = runs
        self.sliders = {
            "branches": widgets.IntSlider(branches, min=1, max=8, description="branches"),
            "latency_spread": widgets.FloatSlider(latency_spread, min=0.0, max=1.0, step=0.1, description="spread σ"),
            "failure_rate": widgets.FloatSlider(failure_rate, min=0.0, max=0.5, step=0.05, description="failure rate"),
        }
        self.image = widgets.Image(format="png")
        self.widget = widgets.VBox([widgets.HBox(list(self.sliders.values())), self.image])
        self.data: pd.DataFrame | None = None
        self.figure: Any = None
        self._quiet = False  # True while update() sets several sliders: redraw once, not once per slider
        for slider in self.sliders.values():
            slider.observe(lambda _: self._redraw(), names="value")
        self._redraw()

    def update(self, **values: float) -> pd.DataFrame:
        """Set sliders (``branches=``, ``latency_spread=``, ``failure_rate=``), re-run, redraw; return the data."""
        unknown = [name for name in values if name not in self.sliders]
        if unknown:
            raise ValueError(f"unknown slider {unknown[0]!r}; the sliders are {', '.join(self.sliders)}")
        for name, value in values.items():
            slider = self.sliders[name]
            if not slider.min <= value <= slider.max:
                raise ValueError(f"{name} must be between {slider.min} and {slider.max}, got {value}")
        self._quiet = True
        try:
            for name, value in values.items():
                self.sliders[name].value = value
        finally:
            self._quiet = False
        self._redraw()
        return self.data

    def _redraw(self) -> None:
        import io

        from matplotlib.figure import Figure  # not pyplot: the picture goes into the widget, not the notebook

        if self._quiet:
            return
        settings = {name: slider.value for name, slider in self.sliders.items()}
        self.data = parallel_vs_sequential(**settings, runs=self.runs)
        self.figure = Figure(figsize=(10, 3.4))
        axes = self.figure.subplots(1, 2, gridspec_kw={"width_ratios": [2, 1]})
        plot_parallel_vs_sequential(self.data, axes, title=self.title)
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=80)
        self.image.value = buffer.getvalue()

    @property
    def title(self) -> str:
        s = {name: slider.value for name, slider in self.sliders.items()}
        return (f"{s['branches']} calls of ~0.5 s, spread σ={s['latency_spread']:.1f}, "
                f"failure rate {s['failure_rate']:.0%}, 3 attempts each, {self.runs} runs")

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = self.widget._repr_mimebundle_(**kwargs)  # the live sliders in JupyterLab
        bundle["text/plain"] = repr(self)  # a stable text elsewhere (no widget ids)
        return bundle

    def __repr__(self) -> str:
        return f"Explorer({self.title})"


def explorer(branches: int = 3, latency_spread: float = 0.3, failure_rate: float = 0.0, *, runs: int = 40) -> Explorer:
    """Sliders for branch count, latency spread and failure rate over a Parallel vs Sequential chart.

    >>> box = explorer()                 # shows the sliders and the chart in JupyterLab
    >>> box.update(failure_rate=0.2)     # the same as moving a slider; returns the new data
    """
    return Explorer(branches, latency_spread, failure_rate, runs)
