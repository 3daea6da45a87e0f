"""What a learner sees when a check runs in a notebook: one verdict, coloured, the score line once."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from orchestration_kit.grading import Case, CheckResult
from orchestration_kit.grading.authoring import execute
from orchestration_kit.grading.display import as_html

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cells():
    """Check cells run in a real kernel, as a learner runs them."""
    sources = [
        'from orchestration_kit.grading import check\ncheck("00.warmup", 3.3, strict=False)',  # the verdict as the last line
        'result = check("00.warmup", 2.0)',  # kept in a variable
        "result",  # shown again in a later cell
        "print(repr(result))",
        'print("before")\ncheck("00.warmup", None)',
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in sources])
    return execute(notebook, cwd=ROOT / "notebooks", timeout=120).cells


def test_a_check_as_a_cells_last_line_shows_one_verdict_with_the_score_once(cells):
    outputs = cells[0].outputs
    assert [o.output_type for o in outputs] == ["display_data"]  # no repr of the result after it
    text, page = outputs[0].data["text/plain"], outputs[0].data["text/html"]
    assert text.count("score 1/2") == 1 and page.count("score 1/2") == 1
    assert "✗ it matches the virtual clock's measurement" in text  # the text fallback keeps the marks
    assert '<b style="color: #cf222e">✗</b>' in page and '<b style="color: #1a7f37">✓</b>' in page


def test_a_kept_result_shows_its_verdict_and_again_when_shown_in_a_later_cell(cells):
    kept, later = cells[1].outputs, cells[2].outputs
    assert [o.output_type for o in kept] == ["display_data"] and "score 2/2: solved" in kept[0].data["text/plain"]
    assert [o.output_type for o in later] == ["display_data"]
    assert later[0].data["text/plain"] == kept[0].data["text/plain"]


def test_the_results_repr_is_unchanged(cells):
    assert cells[3].outputs[0].text == "CheckResult('00.warmup', passed, 2/2 cases)\n"


def test_the_learners_prints_come_before_the_verdict(cells):
    outputs = cells[4].outputs
    assert outputs[0].output_type == "stream" and outputs[0].text == "before\n"
    assert "not yet solved" in outputs[1].data["text/plain"] and len(outputs) == 2


def test_outside_a_notebook_the_verdict_is_printed(capsys):
    from orchestration_kit.grading import check

    result = check("00.warmup", 2.0)
    printed = capsys.readouterr().out
    assert printed.count("score 2/2: solved") == 1 and result.passed


def test_in_html_a_wrapped_line_hangs_under_the_text_after_its_label():
    hint = "Pass fallback=<a generalist> or lower the threshold, then run this check again to see it. " * 2
    page = CheckResult("01.demo", "failed", (Case("it has a fallback", False, hint),), "Demo").report_html()
    lines = [line for line in page.split("<div ")[2:]]
    hint_first = next(line for line in lines if ">hint: " in line)
    assert 'padding-left: 12ch; text-indent: -6ch' in hint_first  # the browser wraps it under "Pass", not "hint:"
    assert "fallback=&lt;a generalist&gt;" in page and "<a generalist>" not in page


def test_in_html_each_line_keeps_its_indentation_and_nothing_is_lost():
    report = "x: t\n  ✓ runs\n  ✗ fails\n      hint: do this\n            and that\n  score 1/2: not yet"
    page = as_html(report)
    assert page.count("<div style=\"padding-left") == 6
    assert "padding-left: 12ch; text-indent: -0ch" in page  # a continuation line of a hint sits under the hint's text
    for word in ("runs", "fails", "do this", "and that", "score 1/2: not yet"):
        assert word in page
