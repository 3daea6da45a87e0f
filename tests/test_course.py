"""The course as a whole: notebooks are valid and clean, exercises match their masters, checks grade.

The nbval run (see the Makefile) compares stored outputs with fresh ones; these
tests cover what nbval does not: generated exercises that drifted from their
solutions master, checks that pass on the solutions and report "not yet
solved" on the untouched exercises, and stored outputs that leak paths,
secrets or memory addresses.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import nbformat
import pytest

from orchestration_kit.grading import lesson_exercises
from orchestration_kit.grading.authoring import AuthoringError, make_exercise, stale, strip_solutions
from orchestration_kit.grading.shell import grade_notebook, main

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted(ROOT.glob("notebooks/*.ipynb"))
SOLUTIONS = sorted(ROOT.glob("solutions/*.ipynb"))
EXERCISES = sorted(ROOT.glob("exercises/*.ipynb"))
STORED = LESSONS + SOLUTIONS  # executed, outputs kept
ALL = STORED + EXERCISES


def label(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def read(path: Path):
    return nbformat.read(path, as_version=4)


def code_cells(path: Path):
    return [cell for cell in read(path).cells if cell.cell_type == "code"]


def output_texts(cell) -> list[str]:
    """Every text a cell's outputs show (images excluded)."""
    texts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            texts.append(output.text)
        elif output.output_type == "error":
            texts += [output.ename, output.evalue, *output.traceback]
        else:
            texts += [v for k, v in output.get("data", {}).items() if not k.startswith("image/") and isinstance(v, str)]
    return texts


# -- authoring: solutions master -> exercise ------------------------------------
def test_a_marked_region_becomes_your_code_here_at_the_same_indentation():
    source = "def f(x):\n    ### BEGIN SOLUTION\n    y = x * 2\n    return y\n    ### END SOLUTION\n\nf(1)"
    assert strip_solutions(source) == "def f(x):\n    # YOUR CODE HERE\n    ...\n\nf(1)"


@pytest.mark.parametrize(
    "source",
    ["### BEGIN SOLUTION\nx = 1", "x = 1\n### END SOLUTION", "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION"],
)
def test_unbalanced_markers_are_refused_with_the_cell_named(source):
    with pytest.raises(AuthoringError, match="lesson.ipynb, cell 3"):
        strip_solutions(source, "lesson.ipynb, cell 3")


def test_an_exercise_has_no_outputs_and_no_solution_only_cells():
    master = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = None\n### BEGIN SOLUTION\nx = 42\n### END SOLUTION", execution_count=3,
                                  outputs=[nbformat.v4.new_output("stream", text="42\n")]),
        nbformat.v4.new_markdown_cell("Why 42: ...", metadata={"tags": ["solution-only"]}),
    ])
    exercise = make_exercise(master)
    assert [cell.source for cell in exercise.cells] == ["x = None\n# YOUR CODE HERE\n..."]
    assert exercise.cells[0].outputs == [] and exercise.cells[0].execution_count is None
    assert master.cells[0].execution_count == 3  # the master itself is untouched


def test_committed_exercises_equal_a_fresh_generation_from_solutions():
    out_of_date = [label(path) for path in stale(ROOT)]
    assert out_of_date == [], "run: python -m orchestration_kit.grading.authoring"


# -- the shape of the course ------------------------------------------------------
def test_every_lesson_has_a_solutions_master_and_at_least_three_graded_exercises():
    assert LESSONS, "no lesson notebooks found"
    for lesson in LESSONS:
        assert (ROOT / "solutions" / lesson.name).exists(), f"{label(lesson)} has no solutions/{lesson.name}"
        number = lesson.name.split("_")[0]
        assert len(lesson_exercises(number)) >= 3, f"lesson {number} registers fewer than 3 graded exercises"


@pytest.mark.parametrize("lesson", LESSONS, ids=label)
def test_a_lesson_ends_by_pointing_to_its_exercise_notebook(lesson):
    markdown = [cell.source for cell in read(lesson).cells if cell.cell_type == "markdown"]
    assert f"exercises/{lesson.name}" in markdown[-1]


@pytest.mark.parametrize("solution", SOLUTIONS, ids=label)
def test_every_graded_exercise_is_checked_in_its_solutions_notebook(solution):
    source = "\n".join(cell.source for cell in code_cells(solution))
    checked = re.findall(r"""check\(\s*["']([^"']+)["']""", source)
    expected = lesson_exercises(solution.name.split("_")[0])
    assert [name for name in expected if name not in checked] == []


@pytest.mark.parametrize("path", ALL, ids=label)
def test_notebooks_are_valid_nbformat(path):
    nbformat.validate(read(path))


@pytest.mark.parametrize("path", STORED, ids=label)
def test_stored_notebooks_are_executed_without_unexpected_errors(path):
    for cell in code_cells(path):
        assert cell.source.strip() == "" or cell.execution_count is not None, f"cell never run: {cell.source[:60]!r}"
        expected = "raises-exception" in cell.metadata.get("tags", [])
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        assert expected or not errors, f"error stored in cell {cell.source[:60]!r}: {errors[0].ename}"


@pytest.mark.parametrize("path", EXERCISES, ids=label)
def test_exercise_notebooks_store_no_outputs(path):
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code_cells(path))


LEAKS = {
    "an absolute local path": re.compile(r"(?<![\w.])(/home/|/Users/|/root/|/tmp/|/work/|/private/var/|[A-Z]:\\\\)"),
    "a memory address": re.compile(r"\bat 0x[0-9a-fA-F]{6,}"),
    "an API key": re.compile(r"\b(sk-[A-Za-z0-9_-]{16,}|sk-ant-[A-Za-z0-9_-]{16,}|AKIA[0-9A-Z]{16})"),
    "a bearer token": re.compile(r"(?i)bearer\s+[A-Za-z0-9._-]{16,}"),
}


@pytest.mark.parametrize("path", STORED, ids=label)
def test_stored_outputs_leak_no_paths_secrets_or_addresses(path):
    for cell in code_cells(path):
        for text in output_texts(cell):
            assert str(ROOT) not in text, f"the repository's path in the output of cell {cell.source[:50]!r}"
            for what, pattern in LEAKS.items():
                found = pattern.search(text)
                assert not found, f"{what} in the output of cell {cell.source[:50]!r}: {found.group(0)!r}"


def is_chart(cell) -> bool:
    has_image = any("image/png" in o.get("data", {}) for o in cell.get("outputs", []))
    return has_image or any(call in cell.source for call in ("plt.show(", "plt.subplots(", ".timeline(", ".plot("))


@pytest.mark.parametrize("path", ALL, ids=label)
def test_every_chart_cell_ends_with_plt_show_and_is_followed_by_a_takeaway(path):
    cells = read(path).cells
    for index, cell in enumerate(cells):
        if cell.cell_type != "code" or not is_chart(cell):
            continue
        lines = [line.strip() for line in cell.source.splitlines() if line.strip() and not line.strip().startswith("#")]
        assert lines[-1] == "plt.show()", f"chart cell does not end with plt.show(): {cell.source[:60]!r}"
        after = cells[index + 1] if index + 1 < len(cells) else None
        assert after is not None and after.cell_type == "markdown" and "Takeaway" in after.source, (
            f"chart cell {cell.source[:60]!r} needs a markdown cell with a **Takeaway:** line right after it"
        )


@pytest.mark.parametrize("path", STORED, ids=label)
def test_few_cells_have_their_output_ignored_by_nbval(path):
    ignored = [c for c in code_cells(path) if "nbval-ignore-output" in c.metadata.get("tags", [])]
    assert len(ignored) <= 2, "only genuinely wall-clock cells may be tagged nbval-ignore-output"


# -- grading whole notebooks, through the same machinery as `orchestration-kit check`
@pytest.mark.slow
@pytest.mark.parametrize("solution", SOLUTIONS, ids=label)
def test_every_check_passes_on_the_solutions_and_none_on_the_untouched_exercises(solution):
    solved = grade_notebook(solution)
    assert solved.errors == () and solved.total >= 3
    assert [status for _, status, _ in solved.rows] == ["passed"] * solved.total, solved.table()

    untouched = grade_notebook(ROOT / "exercises" / solution.name)
    assert untouched.errors == (), untouched.table()
    assert [status for _, status, _ in untouched.rows] == ["unsolved"] * untouched.total, untouched.table()


def test_the_check_command_fails_for_a_missing_notebook_and_lists_its_exercises(capsys):
    code = main(argparse.Namespace(notebooks=[ROOT / "exercises" / "00_no_such_lesson.ipynb"], timeout=10))
    printed = capsys.readouterr().out
    assert code == 1
    assert "no such notebook" in printed and "00.sequential        not run" in printed
    assert "total: 0 of 3 exercises passed in 1 notebook" in printed
