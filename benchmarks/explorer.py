"""How long does lesson 5's explorer take to redraw after a slider is let go? (kernel side)

    python benchmarks/explorer.py          # about 20 s; prints a Markdown table

A slider release runs ``Explorer._redraw``: 2 x 40 simulated runs, the chart, its PNG.
Measured per setting: a first visit (fresh runs) and a return visit (runs reused),
the median of 5 repeats each, plus the old redraw (tight_layout, no reuse) for
comparison. The numbers the chart shows are checked to be those of a fresh
``parallel_vs_sequential`` call. Results: benchmarks/README.md, "Explorer redraw".
"""

from __future__ import annotations

import io
import os
import platform
import statistics
import time

import pandas as pd
from matplotlib.figure import Figure

from orchestration_kit.measure.explorer import explorer, parallel_vs_sequential, plot_parallel_vs_sequential

REPEATS = 5
SETTINGS = [  # (branches, spread, failure rate): the default first
    (3, 0.3, 0.0), (4, 0.3, 0.0), (8, 0.3, 0.0), (3, 1.0, 0.5), (8, 1.0, 0.5),
]


def median_ms(action) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def old_redraw(branches: int, spread: float, failures: float) -> None:
    """What a release cost before: fresh runs every time, tight_layout, the same PNG."""
    data = parallel_vs_sequential(branches, spread, failures, runs=40)
    figure = Figure(figsize=(10, 3.4))
    axes = figure.subplots(1, 2, gridspec_kw={"width_ratios": [2, 1]})
    plot_parallel_vs_sequential(data, axes)
    figure.tight_layout()
    figure.savefig(io.BytesIO(), format="png", dpi=80)


def main() -> None:
    print(f"{os.cpu_count()} cores, {platform.python_version()}, load average {os.getloadavg()[0]:.1f}\n")
    box = explorer()  # warm: imports, fonts, the first chart
    print("| branches, spread, failure rate | first visit (ms) | return visit (ms) | before: every release (ms) |")
    print("|---|---:|---:|---:|")
    for branches, spread, failures in SETTINGS:
        def first_visit() -> None:
            box._seen.clear()
            box.update(branches=branches, latency_spread=spread, failure_rate=failures)

        first = median_ms(first_visit)
        again = median_ms(lambda: box.update(branches=branches, latency_spread=spread, failure_rate=failures))
        before = median_ms(lambda: old_redraw(branches, spread, failures))
        pd.testing.assert_frame_equal(box.data, parallel_vs_sequential(branches, spread, failures, runs=40))
        print(f"| {branches}, {spread:.1f}, {failures:.0%} | {first:.0f} | {again:.0f} | {before:.0f} |")
    print("\nThe chart's numbers equal a fresh parallel_vs_sequential() call for every setting.")


if __name__ == "__main__":
    main()
