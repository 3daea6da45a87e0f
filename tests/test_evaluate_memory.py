"""evaluate() keeps what its report needs and nothing per row besides: no row dicts, no traces.

Structure only (what is alive while and after it runs); the memory it takes is
measured in benchmarks/runtime.py, not here.
"""

from __future__ import annotations

import asyncio
import gc

import pandas as pd

from orchestration_kit import Ask, Failures, SimulatedModel
from orchestration_kit.measure.evaluate import default_prediction, evaluate
from orchestration_kit.trace import Trace

ITEMS = 200
DATA = pd.DataFrame({"text": [f"where is parcel {i}?" for i in range(ITEMS)], "label": ["x"] * ITEMS})
FLOW = Ask(SimulatedModel("generalist-small", failures=Failures()), "Resolve this customer message: {input}", skill="support")


def live(kind: type) -> int:
    gc.collect()
    return sum(1 for obj in gc.get_objects() if type(obj) is kind)


def is_row(obj: object) -> bool:
    return type(obj) is dict and {"prediction", "score", "latency_s"} <= obj.keys() and isinstance(obj["score"], float)


def rows_alive() -> int:
    """Row dicts of an evaluation (one per item, with every column of the items table) held in a list right now.

    A dict of plain values is not tracked by the garbage collector, so the rows are
    looked for inside the lists that are.
    """
    gc.collect()
    return sum(1 for obj in gc.get_objects() if type(obj) is list for item in obj if is_row(item))


def test_evaluate_holds_no_row_of_the_items_before_while_it_runs():
    seen = {"items": 0}

    def predict_and_look_at_the_last_item(result):
        seen["items"] += 1
        if seen["items"] == ITEMS:
            seen["rows alive"] = rows_alive()
        return default_prediction(result)

    evaluate(FLOW, DATA, predict=predict_and_look_at_the_last_item, progress=False)
    assert seen["rows alive"] == 0  # the 199 rows before it are already spread into the table's columns


def test_evaluate_without_keep_traces_holds_no_trace_after_it_returns():
    before = live(Trace)
    result = evaluate(FLOW, DATA, progress=False)
    assert live(Trace) == before and result.traces is None
    assert len(result.items) == ITEMS and set(result.items["status"]) == {"ok"}


def test_keep_traces_keeps_exactly_one_trace_per_item():
    before = live(Trace)
    result = evaluate(FLOW, DATA, progress=False, keep_traces=True)
    assert live(Trace) == before + ITEMS
    assert [trace.calls for trace in result.traces] == list(result.items["calls"]) == [1] * ITEMS


def test_rows_that_finish_out_of_order_land_in_their_items_place():
    async def slower_for_earlier_items(text):
        await asyncio.sleep(0.01 * (5 - int(text)))  # on the wall clock item 4 finishes first, item 0 last
        return f"done {text}"

    data = pd.DataFrame({"text": [str(i) for i in range(5)], "label": [f"done {i}" for i in range(5)]})
    result = evaluate(slower_for_earlier_items, data, clock="wall", concurrency=5, progress=False)
    assert list(result.items["id"]) == [0, 1, 2, 3, 4]
    assert list(result.items["prediction"]) == list(data["label"]) and result.accuracy == 1.0
