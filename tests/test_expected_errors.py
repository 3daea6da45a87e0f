"""An expected error looks live exactly as the stored notebook shows it: one tidy line, no traceback.

A cell tagged ``raises-exception`` shows an error on purpose (lesson 0 runs a
real model on the virtual clock). The kit's errors draw themselves short in
IPython (``OrchestrationError._render_traceback_``), so a fresh run shows what
the stored notebook shows, with nothing cleaned afterwards.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from orchestration_kit.errors import FULL_TRACEBACK_HINT, OrchestrationError, RealTimeRequired, StageError, short_traceback
from orchestration_kit.grading import RESULTS_ENV, STRICT_ENV
from orchestration_kit.grading.authoring import execute

ROOT = Path(__file__).resolve().parents[1]
TAG = "raises-exception"


def expected_error_notebooks() -> list[Path]:
    paths = sorted(ROOT.glob("notebooks/*.ipynb")) + sorted(ROOT.glob("solutions/*.ipynb"))
    return [path for path in paths if any(TAG in cell.metadata.get("tags", []) for cell in nbformat.read(path, 4).cells)]


def errors_of(cell) -> list[dict]:
    return [{"ename": o.ename, "evalue": o.evalue, "traceback": list(o.traceback)}
            for o in cell.get("outputs", []) if o.output_type == "error"]


# -- how a kit error draws itself ---------------------------------------------------------
def test_a_kit_error_shows_its_name_message_and_how_to_see_the_full_traceback():
    error = RealTimeRequired("Run this flow with clock='wall'.")
    assert short_traceback(error, shell=None) == ["RealTimeRequired: Run this flow with clock='wall'.", FULL_TRACEBACK_HINT]
    assert "%tb verbose" in FULL_TRACEBACK_HINT


def test_the_cause_of_a_kit_error_is_named_on_its_own_line():
    try:
        try:
            int("twelve")
        except ValueError as cause:
            raise StageError("stage 'parse' failed", stage="parse") from cause
    except OrchestrationError as error:
        lines = error._render_traceback_()
    assert lines[:2] == ["StageError: stage 'parse' failed", "caused by ValueError: invalid literal for int() with base 10: 'twelve'"]


def test_verbose_mode_gives_the_full_traceback_the_shell_draws():
    drawn = []

    def structured_traceback(kind, error, tb):
        drawn.append((kind, error, tb))
        return ["full", "traceback"]

    shell = SimpleNamespace(InteractiveTB=SimpleNamespace(mode="Verbose", structured_traceback=structured_traceback))
    error = RealTimeRequired("no")
    assert short_traceback(error, shell=shell) == ["full", "traceback"]
    assert drawn == [(RealTimeRequired, error, None)]
    shell.InteractiveTB.mode = "Context"  # IPython's default: the short form
    assert short_traceback(error, shell=shell)[-1] == FULL_TRACEBACK_HINT


# -- live output equals stored output ---------------------------------------------------------
def test_the_course_has_expected_error_cells_to_check():
    assert any(path.name == "00_start_here.ipynb" for path in expected_error_notebooks())


@pytest.mark.slow
@pytest.mark.parametrize("path", expected_error_notebooks(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_fresh_run_shows_each_expected_error_exactly_as_stored(path: Path):
    stored = nbformat.read(path, as_version=4)
    last = max(i for i, cell in enumerate(stored.cells) if TAG in cell.metadata.get("tags", []))
    fresh = nbformat.read(path, as_version=4)
    fresh.cells = fresh.cells[: last + 1]  # no need to run the rest of the lesson
    execute(fresh, cwd=path.parent, env={STRICT_ENV: "1", RESULTS_ENV: ""})  # other cells must not fail
    for index, cell in enumerate(stored.cells[: last + 1]):
        if TAG in cell.metadata.get("tags", []):
            live = errors_of(fresh.cells[index])
            assert live, f"cell {index} is tagged {TAG} but raised nothing"
            assert live == errors_of(cell), f"cell {index}: the live error differs from the stored one"
            assert len(live[0]["traceback"]) <= 3  # the message, maybe its cause, the hint: no wall of red
