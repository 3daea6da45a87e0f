"""The explorer: Parallel against Sequential, re-run and redrawn as sliders move.

Both flows do the same ``branches`` model calls; the sliders set how many, how
much their latencies spread, and how often a call fails (with retries)::

    >>> explore = explorer()          # sliders: branches, latency spread, failure rate (JupyterLab)
    >>> explore.update(branches=5)    # the same, from code: re-runs the comparison and redraws
    >>> explore.data                  # one row per run: pattern, latency, cost, failed
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..models.base import Pricing
from ..models.simulated import Failures, ModelProfile, SimulatedModel
from ..patterns import Parallel, Sequential
from ..resilience import Resilient, RetryPolicy
from ..runner import run
from ..steps import Ask
from ..pictures.charts import keep_inside
from .tradeoffs import draw_box
from ..course.widgets import png_picture, stand_in

if TYPE_CHECKING:
    import pandas as pd

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
        draw_box(axes[0], row, data.loc[data["pattern"] == name, "latency_s"], colour)
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
    axes[0].figure.subplots_adjust(left=0.09, right=0.98, bottom=0.17, top=0.78, wspace=0.32)  # fixed: quicker than tight_layout
    keep_inside(axes[1])  # the "% complete" labels stay inside the frame
    return axes


class Explorer:
    """Sliders that re-run ``parallel_vs_sequential`` and redraw its chart (see ``explorer()``).

    A chart is redrawn when a slider is let go (not at every step of a drag), the
    runs of settings seen before are reused, and "re-running..." shows meanwhile.
    """

    def __init__(self, branches: int, latency_spread: float, failure_rate: float, runs: int) -> None:
        import ipywidgets as widgets

        self.runs = runs
        once = {"continuous_update": False}  # one redraw when the slider is released
        self.sliders = {
            "branches": widgets.IntSlider(branches, min=1, max=8, description="branches", **once),
            "latency_spread": widgets.FloatSlider(latency_spread, min=0.0, max=1.0, step=0.1, description="spread σ", **once),
            "failure_rate": widgets.FloatSlider(failure_rate, min=0.0, max=0.5, step=0.05, description="failure rate", **once),
        }
        self.status = widgets.HTML("")
        self.image = widgets.Image(format="png")
        self.widget = widgets.VBox([widgets.HBox(list(self.sliders.values())), self.status, self.image])
        self.data: pd.DataFrame | None = None
        self.figure: Any = None
        self._seen: dict[tuple[Any, ...], pd.DataFrame] = {}  # settings -> runs: the same settings give the same runs
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
        self.status.value = "<i>re-running the flows and redrawing…</i>"  # the busy state, shown while this works
        settings = {name: slider.value for name, slider in self.sliders.items()}
        key = (*settings.values(), self.runs)
        if key not in self._seen:
            self._seen[key] = parallel_vs_sequential(**settings, runs=self.runs)
        self.data = self._seen[key].copy()
        self.figure = Figure(figsize=(10, 3.4))
        axes = self.figure.subplots(1, 2, gridspec_kw={"width_ratios": [2, 1]})
        plot_parallel_vs_sequential(self.data, axes, title=self.title)
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=80)
        self.image.value = buffer.getvalue()
        self.status.value = ""

    @property
    def title(self) -> str:
        s = {name: slider.value for name, slider in self.sliders.items()}
        return (f"{s['branches']} calls of ~0.5 s, spread σ={s['latency_spread']:.1f}, "
                f"failure rate {s['failure_rate']:.0%}, 3 attempts each, {self.runs} runs")

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        picture = png_picture(self.image.value, f"Parallel vs Sequential chart: {self.title}")
        return stand_in(self.widget, what="Explorer: Parallel against Sequential", picture=picture,
                        shows=f"latency per run and mean cost of each arrangement ({self.title})",
                        use="move the sliders (branches, spread σ, failure rate) and the chart redraws from fresh runs")

    def __repr__(self) -> str:
        return f"Explorer({self.title})"


def explorer(branches: int = 3, latency_spread: float = 0.3, failure_rate: float = 0.0, *, runs: int = 40) -> Explorer:
    """Sliders for branch count, latency spread and failure rate over a Parallel vs Sequential chart.

    >>> box = explorer()                 # shows the sliders and the chart in JupyterLab
    >>> box.update(failure_rate=0.2)     # the same as moving a slider; returns the new data
    """
    return Explorer(branches, latency_spread, failure_rate, runs)
