"""Measuring flows: run a flow over a data set, score it against the ground truth.

Each item is its own run, so its latency is that run's makespan and its cost
that run's bill. Accuracy, latency percentiles, cost and tokens then come as
tables, ready to compare designs::

    >>> from orchestration_kit import datasets
    >>> from orchestration_kit.measure.evaluate import evaluate, compare, route_taken, plot_cost_vs_accuracy
    >>> test = datasets.customer_queries("test")
    >>> routed = evaluate(router, test, label_column="intent")           # end to end: the right answer?
    >>> routing = evaluate(router, test, predict=lambda r: route_taken(r, fallback="general"))
    >>> routed.summary                     # accuracy, latency p50/p95 (s), cost (US$), tokens
    >>> compare([routed, evaluate(generalist, test, label_column="intent")])
    >>> plot_cost_vs_accuracy([routed, ...])

A run that raises becomes an error row (status "error", the message, the
cost spent before it failed): one bad item never stops an evaluation.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Callable

from ..clock import get_clock
from ..driver import drive
from ..patterns.router import Decision
from ..runner import RunResult, run_in_loop
from ..models.skills.base import read_json
from ..steps import as_step
from ..trace import Trace

if TYPE_CHECKING:
    import pandas as pd


def default_prediction(result: RunResult) -> Any:
    """The label in a run's output: a Decision's route, a JSON answer's "label", else the output itself."""
    output = result.output
    if isinstance(output, Decision):
        return output.route
    found = read_json(output) if isinstance(output, str) else output
    return found["label"] if isinstance(found, dict) and "label" in found else output


def route_taken(result: RunResult, router: str | None = None, fallback: str = "fallback") -> str | None:
    """The route a Router (or Hierarchical top level) took, read from the trace; ``fallback``
    names the fallback route (e.g. ``"general"`` to compare with a data set's label)."""
    for span in result.trace:  # in start order: the outermost router comes first
        if span.route and (router is None or span.name == router):
            return fallback if span.route == "fallback" else span.route
    return None


def exact(prediction: Any, label: Any) -> float:
    """1.0 if the prediction is the label, else 0.0 (the default score)."""
    return float(prediction == label)


def overlap_f1(prediction: Any, label: Any) -> float:
    """F1 of two collections (flags, keywords, entities): 1.0 = the same items, 0.0 = none shared.

    Two empty collections agree perfectly. Use it as ``evaluate(..., score=overlap_f1)``.
    """
    key = lambda item: json.dumps(item, sort_keys=True) if isinstance(item, dict) else str(item).lower()  # noqa: E731
    predicted, expected = {key(i) for i in prediction or []}, {key(i) for i in label or []}
    if not predicted and not expected:
        return 1.0
    return 2 * len(predicted & expected) / (len(predicted) + len(expected))


@dataclass(frozen=True, eq=False)  # eq=False: comparing DataFrames with == is ambiguous
class EvaluationResult:
    """One flow's results: ``items`` (a row per item) and the ``summary``, ``confusion`` tables.

    ``traces`` holds each item's Trace, in item order, if ``evaluate(..., keep_traces=True)``
    (None otherwise: an evaluation keeps only what its tables need, so its memory stays small).
    """

    name: str
    items: pd.DataFrame
    traces: list[Trace | None] | None = field(default=None, repr=False)

    @property
    def accuracy(self) -> float:
        """Mean score over all items (an error scores 0)."""
        return float(self.items["score"].mean()) if len(self.items) else 0.0

    @property
    def summary(self) -> pd.DataFrame:
        """One row: items, errors, accuracy, latency p50/p95 (s), cost (US$) and tokens."""
        import pandas as pd

        return pd.DataFrame([self._totals()], index=pd.Index([self.name], name="flow"))

    def _totals(self) -> dict[str, Any]:
        items = self.items
        return {"items": len(items), "errors": int((items["status"] == "error").sum()), "accuracy": round(self.accuracy, 4),
                "latency_p50_s": round(float(items["latency_s"].quantile(0.5)), 3),
                "latency_p95_s": round(float(items["latency_s"].quantile(0.95)), 3),
                "cost_usd": round(float(items["cost_usd"].sum()), 6),
                "cost_per_1k_items_usd": round(float(items["cost_usd"].mean()) * 1000, 4),
                "tokens": int(items["tokens"].sum()), "calls": int(items["calls"].sum())}

    @property
    def confusion(self) -> pd.DataFrame:
        """Counts of true label (rows) against predicted label (columns); errors show as "(error)"."""
        import pandas as pd

        labels, predicted = self.items["label"], self.items["prediction"]
        if not all(isinstance(v, (str, int, bool)) for v in labels):
            raise ValueError(f"{self.name}: a confusion matrix needs one simple label per item, not lists or dicts")
        predicted = ["(error)" if s == "error" else "(none)" if p is None else str(p)
                     for p, s in zip(predicted, self.items["status"])]
        return pd.crosstab(labels.astype(str).rename("true label"), pd.Series(predicted, name="predicted label"))

    def __repr__(self) -> str:
        s = self._totals()
        return (f"EvaluationResult({self.name!r}: {s['items']} items, accuracy {s['accuracy']:.1%}, "
                f"p50 {s['latency_p50_s']:.3f} s, p95 {s['latency_p95_s']:.3f} s, cost ${s['cost_usd']:.6f}, "
                f"errors {s['errors']})")


def evaluate(flow: Any, data: Any, *, input_column: str = "text", label_column: str = "label",
             predict: Callable[[RunResult], Any] | None = None, score: Callable[[Any, Any], float] = exact,
             clock: Any = "virtual", seed: int = 0, concurrency: int = 8, progress: bool = True,
             name: str | None = None, executor: Any = None, keep_traces: bool = False) -> EvaluationResult:
    """Run ``flow`` on every row of ``data`` (a DataFrame) and score its predictions.

    ``predict`` turns a RunResult into the predicted label (default: ``default_prediction``);
    ``score(prediction, label)`` gives 0..1 (default: exact match). On the virtual clock
    items run one after another (each run is instant); on the wall clock up to
    ``concurrency`` run at once. ``keep_traces=True`` keeps every item's trace in
    ``result.traces`` (memory grows with the number of items).

    ``executor`` shares the items out among the workers of a Dask cluster: a
    ``dask.distributed.Client``, a scheduler address (``"tcp://10.0.0.5:8786"``) or
    ``"local"`` (a cluster on this machine). The results are the same, item for item;
    see ``orchestration_kit.measure.distributed``.
    """
    import pandas as pd

    frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
    for column in (input_column, label_column):
        if column not in frame.columns:
            raise ValueError(f"evaluate: the data has no column {column!r} (it has: {', '.join(map(str, frame.columns))}); "
                             f"pass input_column= / label_column=")
    if concurrency < 1:
        raise ValueError("evaluate: concurrency must be at least 1")
    predict = predict or default_prediction
    name = name or getattr(flow, "name", None) or getattr(flow, "__name__", type(flow).__name__)
    ids = frame["id"].tolist() if "id" in frame.columns else list(range(len(frame)))
    items = list(zip(ids, frame[input_column].tolist(), frame[label_column].tolist()))  # lists: quick to walk
    work = partial(_score_items, flow, predict=predict, score=score, clock=clock, seed=seed, concurrency=concurrency,
                   keep_traces=keep_traces)
    bar = _progress_bar(len(items), progress, name)
    table = _Table(len(items))
    try:
        if executor is None:
            work(items, bar=bar, into=table)  # each row goes into the table as soon as it is made
        else:  # the same work, a chunk of items per task on the cluster's workers
            from .distributed import map_chunks

            rows = map_chunks(work, items, executor, bar=bar,
                              on_lost=lambda item, error: _row(*item, error, predict, score, keep_traces))
            for i, row in enumerate(rows):
                table.put(i, row)
            del rows
    finally:
        if bar is not None:
            bar.close()
    traces = table.columns.pop("trace", None)  # only there with keep_traces=True
    return EvaluationResult(name, pd.DataFrame(table.columns), traces)


class _Table:
    """The items table while it fills: one list per column, with a slot for each item.

    A row is spread into the columns as it arrives and is not kept, so an evaluation
    holds the values its report needs and nothing per row besides (a dict per row
    would cost about 600 bytes more per item).

    >>> table = _Table(2)
    >>> table.put(1, {"id": 7, "score": 1.0}); table.columns
    {'id': [None, 7], 'score': [None, 1.0]}
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.columns: dict[str, list[Any]] = {}

    def put(self, i: int, row: dict[str, Any]) -> None:
        """Item ``i``'s row (items may finish in any order)."""
        for column, value in row.items():
            if column not in self.columns:  # a new column's slots, made once (not a spare list on every row)
                self.columns[column] = [None] * self.size
            self.columns[column][i] = value


def _score_items(flow: Any, items: list[tuple[Any, Any, Any]], *, predict: Callable, score: Callable, clock: Any,
                 seed: int, concurrency: int, keep_traces: bool = False, bar: Any = None,
                 into: _Table | None = None) -> list[dict[str, Any]]:
    """Run the flow on each (id, input, label) item and score it: a row per item, in order.

    All the items share one event loop (each run still has its own clock starting at 0,
    its own context and its own tasks); a row is made as soon as its run ends, so only
    the rows are kept, and the traces only when asked. With ``into`` each row goes into
    that table at once and the list returned is empty (a cluster's worker returns the rows).
    """
    chosen, step = get_clock(clock), as_step(flow, "the flow")
    rows: list[Any] = [] if into is not None else [None] * len(items)
    put = into.put if into is not None else rows.__setitem__

    async def score_item(i: int, item: tuple[Any, Any, Any]) -> None:
        try:
            outcome: Any = await run_in_loop(step, item[1], chosen, seed)
        except Exception as error:
            outcome = error
        if bar is not None:
            bar.update(1)
        put(i, _row(*item, outcome, predict, score, keep_traces))

    async def one_after_another() -> None:  # virtual time: each run is instant anyway
        for i, item in enumerate(items):
            await score_item(i, item)

    async def concurrently() -> None:  # wall time: ``concurrency`` workers share the items
        todo = iter(enumerate(items))

        async def worker() -> None:
            for i, item in todo:  # one shared iterator: each worker takes the next item
                await score_item(i, item)

        await asyncio.gather(*(worker() for _ in range(min(concurrency, len(items)))))

    drive(chosen, one_after_another if chosen.is_virtual else concurrently)
    return rows


def _row(item_id: Any, x: Any, label: Any, outcome: Any, predict: Callable, score: Callable,
         keep_trace: bool = False) -> dict[str, Any]:
    """One item's result. ``outcome`` is a RunResult or the exception the run raised."""
    failed = isinstance(outcome, BaseException)
    trace = getattr(outcome, "trace", None)
    prediction, status, error = None, "ok", ""
    if failed:
        status, error = "error", f"{type(outcome).__name__}: {outcome}"
    else:
        try:
            prediction = predict(outcome)
        except Exception as problem:  # a predict that cannot read this output: an error row, not a crash
            status, error = "error", f"predict failed: {type(problem).__name__}: {problem}"
    totals = trace.totals() if trace is not None else {"latency_s": 0.0, "cost_usd": 0.0, "tokens": 0, "calls": 0}
    row = {"id": item_id, "input": x, "label": label, "prediction": prediction,
           "score": float(score(prediction, label)) if status == "ok" else 0.0, "status": status, "error": error,
           **totals, "output": None if failed else outcome.output}
    if keep_trace:
        row["trace"] = trace
    return row


def _progress_bar(total: int, enabled: bool, name: str) -> Any:
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is optional: no bar, same results
        return None
    return tqdm(total=total, desc=f"evaluating {name}", leave=False)


def compare(results: list[EvaluationResult] | dict[str, EvaluationResult]) -> pd.DataFrame:
    """The trade-off table: one summary row per flow."""
    import pandas as pd

    named = results.items() if isinstance(results, dict) else ((r.name, r) for r in results)
    return pd.concat([r.summary.rename(index={r.name: label}) for label, r in named])


def plot_confusion(result: EvaluationResult, ax: Any = None) -> Any:
    """The confusion matrix as a heat map with counts. Returns the axes."""
    import matplotlib.pyplot as plt

    table = result.confusion
    if ax is None:
        _, ax = plt.subplots(figsize=(1.1 * len(table.columns) + 2.5, 0.8 * len(table.index) + 1.8))
    image = ax.imshow(table.to_numpy(), cmap="Blues")
    for (i, j), count in zip(((i, j) for i in range(len(table.index)) for j in range(len(table.columns))), table.to_numpy().ravel()):
        ax.text(j, i, str(count), ha="center", va="center", color="white" if count > table.to_numpy().max() / 2 else "black")
    ax.set_xticks(range(len(table.columns)), labels=table.columns, rotation=30, ha="right")
    ax.set_yticks(range(len(table.index)), labels=table.index)
    ax.set_xlabel("predicted label")
    ax.set_ylabel("true label")
    ax.figure.colorbar(image, ax=ax, label="items (count)")
    ax.set_title(f"{result.name}: accuracy {result.accuracy:.1%} on {len(result.items)} items")
    return ax


def plot_cost_vs_accuracy(results: list[EvaluationResult] | dict[str, EvaluationResult], ax: Any = None) -> Any:
    """Each flow as a point: cost per 1,000 items against accuracy, labelled with its p95 latency."""
    import matplotlib.pyplot as plt

    table = compare(results)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5))
    ax.scatter(table["cost_per_1k_items_usd"], table["accuracy"] * 100, s=60, color="#3182bd", zorder=3)
    for i, (flow, row) in enumerate(table.iterrows()):  # labels alternate above/below so neighbours stay readable
        ax.annotate(f"{flow} (p95 {row['latency_p95_s']:.2f} s)", (row["cost_per_1k_items_usd"], row["accuracy"] * 100),
                    textcoords="offset points", xytext=(7, 5 if i % 2 == 0 else -12), fontsize="small")
    ax.margins(x=0.25, y=0.15)
    ax.set_xlim(left=0)  # costs are never negative
    ax.set_xlabel("cost per 1,000 items (US$)")
    ax.set_ylabel("accuracy (% of items)")
    ax.set_title("Cost against accuracy: up and to the left is better")
    ax.grid(alpha=0.3)
    from ..pictures.charts import keep_inside

    return keep_inside(ax)  # every label inside the frame
