"""Bar charts read at a glance: the kit's one bar palette, dark enough on white, and a number on every bar."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from orchestration_kit.pictures.charts import BAR_COLOURS, keep_inside, label_bars  # noqa: E402


def contrast_with_white(colour: str) -> float:
    """The WCAG contrast ratio of ``colour`` against white (1 = invisible, 21 = black)."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return 1.05 / (luminance + 0.05)


def test_the_first_four_bar_colours_stand_out_from_white_at_three_to_one():
    assert all(contrast_with_white(colour) >= 3.0 for colour in BAR_COLOURS[:4])
    assert len(set(BAR_COLOURS)) == len(BAR_COLOURS)


def test_a_bar_of_length_zero_still_shows_its_value_inside_the_frame():
    fig, ax = plt.subplots(figsize=(5, 2))
    names = ["hierarchical", "router", "parallel", "sequential"]
    labels = label_bars(ax, ax.barh(names, [0.45, 0.0, 1.06, 1.83], color=BAR_COLOURS[:4]), "{:.2f} s")
    keep_inside(ax)
    fig.draw_without_rendering()
    assert [label.get_text() for label in labels] == ["0.45 s", "0.00 s", "1.06 s", "1.83 s"]
    frame = ax.get_window_extent()
    assert all(label.get_window_extent().x1 <= frame.x1 + 0.5 for label in labels)
    plt.close(fig)


def test_the_explorers_cost_bars_use_the_kits_bar_colours():
    from orchestration_kit.measure.explorer import parallel_vs_sequential, plot_parallel_vs_sequential

    axes = plot_parallel_vs_sequential(parallel_vs_sequential(branches=4, latency_spread=0.6, failure_rate=0.1, runs=10))
    assert [to_hex(bar.get_facecolor()) for bar in axes[1].patches] == BAR_COLOURS[:2]
    plt.close(axes[0].figure)
