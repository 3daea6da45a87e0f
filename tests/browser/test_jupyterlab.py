"""The course as a learner meets it: JupyterLab in Chromium, clicking through the lessons.

Each test opens a lesson (a fresh copy, outputs cleared) and does what a learner
does: run every cell and read the outputs; move a slider of the trade-off
explorer and watch the chart change; approve an escalation by clicking. Screenshots
of each are saved (see conftest.py). Run it with ``make browser-test``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook on show
IDLE = f'{PANEL} .jp-Notebook-ExecutionIndicator[data-status="idle"]'
RUN_SECONDS = 120  # the longest a lesson's cells may take to run, all together (about 10 s on an idle machine)

# True once every code cell has run, or once the kernel is idle and nothing is queued
# (which is also how it looks when an error stopped "Run All" part way).
FINISHED = """([panel, wanted]) => {
    const prompts = [...document.querySelectorAll(panel + ' .jp-CodeCell .jp-InputArea-prompt')].map(p => p.textContent);
    const ran = prompts.filter(p => /\\[\\d+\\]/.test(p)).length;
    const idle = document.querySelector(panel + ' .jp-Notebook-ExecutionIndicator[data-status="idle"]') !== null;
    return ran === wanted || (idle && ran > 0 && !prompts.some(p => p.includes('*')));
}"""


def _stored_errors(name: str) -> dict[int, str]:
    """The committed notebook's expected errors, as the text a person reads: cell index -> lines."""
    cells = json.loads((Path(__file__).resolve().parents[2] / "notebooks" / name).read_text(encoding="utf-8"))["cells"]
    return {i: "\n".join(o["traceback"]) for i, c in enumerate(cells) for o in c.get("outputs", []) if o["output_type"] == "error"}


STORED_ERRORS = {"00_start_here.ipynb": _stored_errors("00_start_here.ipynb")}


def lesson(lab, name: str) -> dict:
    """The lesson's notebook as the server has it, or a skip if it is not written yet."""
    path = Path(lab.root) / name
    if not path.exists():
        pytest.skip(f"notebooks/{name} does not exist yet")
    return json.loads(path.read_text(encoding="utf-8"))


def code_cells(notebook: dict) -> list[dict]:
    return [cell for cell in notebook["cells"] if cell["cell_type"] == "code" and "".join(cell["source"]).strip()]


def open_notebook(browser, lab, name: str):
    page = browser.new_page()
    page.goto(lab.notebook_url(name))
    # The status bar says "| Idle" once the kernel has started and connected; the toolbar's indicator
    # already says idle before that, and cells run then are silently dropped.
    page.locator(".jp-StatusBar-Widget", has_text="| Idle").first.wait_for(timeout=60_000)
    return page


def menu(page, *labels: str) -> None:
    """Click through the menu bar, e.g. menu(page, "Run", "Run All Cells")."""
    page.locator(".lm-MenuBar-itemLabel", has_text=labels[0]).first.click()
    for label in labels[1:]:
        page.locator(".lm-Menu-itemLabel", has_text=label).first.click()


def wait_until_run(page, expected: int, screenshots: Path) -> None:
    """Wait until ``expected`` code cells have run (or an error stopped the run); on a time-out, say where it stuck."""
    from playwright.sync_api import TimeoutError

    try:
        page.wait_for_function(FINISHED, arg=[PANEL, expected], timeout=RUN_SECONDS * 1000, polling=250)
        page.wait_for_selector(IDLE, timeout=RUN_SECONDS * 1000)
    except TimeoutError:
        page.screenshot(path=str(screenshots / "timed-out.png"))
        prompts = page.locator(f"{PANEL} .jp-CodeCell .jp-InputArea-prompt").all_inner_texts()
        pytest.fail(f"the cells did not finish within {RUN_SECONDS} s; their prompts: {' '.join(prompts)}")


def shown_problems(page, notebook: dict, upto: int | None = None) -> list[str]:
    """Every cell (before ``upto``) that shows an error or stderr output, or never ran.

    A cell tagged raises-exception is the opposite: it must show its error.
    """
    cells = page.locator(f"{PANEL} .jp-Cell")
    assert cells.count() == len(notebook["cells"]), "the page does not show every cell"
    problems = []
    for index, cell in enumerate(notebook["cells"][:upto]):
        if cell["cell_type"] != "code" or not "".join(cell["source"]).strip():
            continue
        shown = cells.nth(index)
        first_line = "".join(cell["source"]).strip().splitlines()[0][:50]
        errors = shown.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
        expected = "raises-exception" in cell.get("metadata", {}).get("tags", [])
        prompt = shown.locator(".jp-InputArea-prompt").inner_text()
        if "[ ]" in prompt or prompt.strip() in ("", "[]:"):
            problems.append(f"cell {index} ({first_line}) never ran")
        elif errors.count() and not expected:
            problems.append(f"cell {index} ({first_line}) shows: {errors.first.inner_text()[:300]}")
        elif expected and not errors.count():
            problems.append(f"cell {index} ({first_line}) is tagged raises-exception but shows no error")
    return problems


# -- lesson 0: every cell runs, none shows an error ------------------------------------------------
def test_start_here_runs_every_cell_without_an_error(browser, lab, screenshots):
    notebook = lesson(lab, "00_start_here.ipynb")
    page = open_notebook(browser, lab, "00_start_here.ipynb")
    menu(page, "Run", "Run All Cells")
    wait_until_run(page, len(code_cells(notebook)), screenshots)
    page.screenshot(path=str(screenshots / "00_start_here.png"))
    page.locator(f"{PANEL} .jp-RenderedImage img").first.screenshot(path=str(screenshots / "00_timeline.png"))
    assert shown_problems(page, notebook) == []
    # the expected error reads as the stored notebook shows it: the message and a hint, no traceback
    expected = [i for i, c in enumerate(notebook["cells"]) if "raises-exception" in c.get("metadata", {}).get("tags", [])]
    for index in expected:
        shown = page.locator(f"{PANEL} .jp-Cell").nth(index).locator(
            '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').inner_text()
        stored = STORED_ERRORS["00_start_here.ipynb"][index]
        assert shown.strip() == stored, f"cell {index} shows {shown[:300]!r}"
        assert "Traceback" not in shown and ".py" not in shown and len(shown.strip().splitlines()) <= 3
    page.locator(f"{PANEL} .jp-Cell").nth(expected[0]).screenshot(path=str(screenshots / "00_expected_error.png"))
    # each check's verdict: one output, ✓ and ✗ in colour, the score line once, no CheckResult(...) after it
    checks = [i for i, c in enumerate(notebook["cells"]) if c["cell_type"] == "code" and 'check("00.' in "".join(c["source"])]
    assert checks, "lesson 00 has check cells"
    for index in checks:
        verdict = page.locator(f"{PANEL} .jp-Cell").nth(index).locator(".jp-OutputArea-output")
        text = "\n".join(verdict.all_inner_texts())
        assert text.count("score ") == 1 and "CheckResult(" not in text, f"cell {index} shows {text[:300]!r}"
        marks = verdict.locator("b[style*=color]")
        assert marks.count() >= 1 and set(marks.all_inner_texts()) <= {"✓", "✗", "…"}
    page.locator(f"{PANEL} .jp-Cell").nth(checks[0]).screenshot(path=str(screenshots / "00_check_verdict.png"))
    # what the lesson shows, drawn by this browser: the trace table, the Mermaid diagram, the timeline
    assert page.locator(f"{PANEL} .jp-RenderedHTMLCommon table").count() >= 1
    assert page.locator(f"{PANEL} .jp-RenderedMermaid svg, {PANEL} .jp-RenderedImage img").count() >= 2
    assert browser.outside == []
    page.close()


# -- lesson 5: the trade-off explorer redraws when a slider moves --------------------------------
SLIDER = ".jupyter-widgets [role=slider], .jupyter-widgets input[type=range]"  # ipywidgets 8 draws its own


def test_tradeoff_explorer_redraws_its_chart_when_a_slider_moves(browser, lab, screenshots):
    notebook = lesson(lab, "05_tradeoffs.ipynb")
    page = open_notebook(browser, lab, "05_tradeoffs.ipynb")
    menu(page, "Run", "Run All Cells")
    wait_until_run(page, len(code_cells(notebook)), screenshots)
    assert shown_problems(page, notebook) == []
    explorer = page.locator(f"{PANEL} .jp-OutputArea-output").filter(has=page.locator(SLIDER)).first
    slider, chart = explorer.locator(SLIDER).first, explorer.locator("img").first
    chart.scroll_into_view_if_needed()
    before = chart.get_attribute("src")
    explorer.screenshot(path=str(screenshots / "05_explorer_before.png"))
    value = slider.get_attribute("aria-valuenow") or slider.input_value()

    slider.focus()
    started = time.perf_counter()
    slider.press("ArrowRight")  # one step, as a learner nudging it with the keyboard

    page.wait_for_function("([img, src]) => img.getAttribute('src') !== src", arg=[chart.element_handle(), before],
                           timeout=30_000)
    print(f"explorer: {1000 * (time.perf_counter() - started):.0f} ms from the key press to the new chart")  # see benchmarks
    assert (slider.get_attribute("aria-valuenow") or slider.input_value()) != value
    page.wait_for_selector(IDLE)
    explorer.screenshot(path=str(screenshots / "05_explorer_after.png"))
    assert browser.outside == []
    page.close()


# -- lesson 4: after Run All, a person's click still settles the escalation ------------------------
def test_hierarchical_escalation_is_approved_by_a_click_after_run_all(browser, lab, screenshots):
    notebook = lesson(lab, "04_hierarchical.ipynb")
    shows_box = [index for index, cell in enumerate(notebook["cells"])
                 if cell["cell_type"] == "code" and "review_box(" in "".join(cell["source"])]
    if not shows_box:
        pytest.skip("notebooks/04_hierarchical.ipynb shows no review_box yet")
    box_cell = shows_box[0]
    page = open_notebook(browser, lab, "04_hierarchical.ipynb")
    menu(page, "Run", "Run All Cells")  # the whole lesson first, as a learner does: no later cell may use up the box
    wait_until_run(page, len(code_cells(notebook)), screenshots)
    assert shown_problems(page, notebook) == []
    cell = page.locator(f"{PANEL} .jp-Cell").nth(box_cell)
    approve = cell.locator(".jupyter-widgets button", has_text="Approve")
    approve.scroll_into_view_if_needed()
    assert "Waiting for a decision" in cell.locator(".jp-OutputArea-output").inner_text()
    assert approve.is_enabled()

    approve.click()

    verdict = cell.locator(".jupyter-widgets", has_text="output:").last
    verdict.wait_for(timeout=30_000)  # the kernel resolved the escalation and sent the verdict back
    assert "Approve" in verdict.inner_text() and approve.is_disabled()
    cell.locator(".jp-OutputArea-output").screenshot(path=str(screenshots / "04_escalation_approved.png"))
    assert browser.outside == []
    page.close()


# -- the check itself: it sees what a broken notebook shows ----------------------------------------
def test_the_check_reports_an_error_a_missing_error_and_cells_that_never_ran(browser, lab, screenshots):
    import nbformat

    cells = [nbformat.v4.new_code_cell('print("fine")'),
             nbformat.v4.new_code_cell("x = 1  # tagged, yet it raises nothing", metadata={"tags": ["raises-exception"]}),
             nbformat.v4.new_code_cell("1 / 0"),
             nbformat.v4.new_code_cell('print("never reached")')]
    python3 = {"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}}
    nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata=python3), lab.root / "zz_broken.ipynb")
    notebook = lesson(lab, "zz_broken.ipynb")
    page = open_notebook(browser, lab, "zz_broken.ipynb")
    menu(page, "Run", "Run All Cells")
    wait_until_run(page, len(code_cells(notebook)), screenshots)
    problems = shown_problems(page, notebook)
    assert [problem.split(" (")[0] for problem in problems] == ["cell 1", "cell 2", "cell 3"]
    assert "tagged raises-exception but shows no error" in problems[0]
    assert "ZeroDivisionError" in problems[1] and problems[2].endswith("never ran")
    page.close()
