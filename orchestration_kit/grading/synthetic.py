"""A made-up class to try the grader on: every kind of submission a real class hands in.

    >>> make_class(Path("class"), learners=30, root=Path("."))   # class/learner01/00_start_here.ipynb, ...
    {'learner01': 'correct', 'learner02': 'wrong', ...}

Built from the course's own notebooks: a correct submission is a solutions
master, a blank one is the exercise notebook, and each hostile kind changes a
master the way a learner might (see ``KINDS``).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Callable

from .answers import check_calls

FORGED_CHECK = (
    "import json, os\n"
    "def check(name, answer):  # a learner's own check(): always 'passed'\n"
    "    with open(os.environ['ORCHESTRATION_KIT_RESULTS'], 'a') as f:\n"
    "        f.write(json.dumps({'exercise': name, 'status': 'passed', 'passed': 3, 'total': 3}) + '\\n')"
)


def _cells(notebook: Any) -> list[Any]:
    return notebook.cells


def _check_cells(notebook: Any) -> list[tuple[int, str, str]]:
    """(cell index, exercise, answer variable) of every check cell."""
    found = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            found += [(index, name, answer) for name, answer in check_calls([cell.source])]
    return found


def _before_each_check(make_source: Callable[[str], str]) -> Callable[[Any], Any]:
    """A change that puts a cell redefining the answer before every check cell."""

    def change(notebook: Any) -> Any:
        import nbformat

        for index, _, answer in reversed(_check_cells(notebook)):
            notebook.cells.insert(index, nbformat.v4.new_code_cell(make_source(answer)))
        return notebook

    return change


def _before_first_function_check(source: Callable[[str], str]) -> Callable[[Any], Any]:
    """A change that redefines the first answer that is a function (so that grading calls it)."""

    def change(notebook: Any) -> Any:
        import nbformat

        code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
        checks = _check_cells(notebook)
        index, _, answer = next((c for c in checks if f"def {c[2]}(" in code), checks[0])
        notebook.cells.insert(index, nbformat.v4.new_code_cell(source(answer)))
        return notebook

    return change


def _at_the_top(source: str) -> Callable[[Any], Any]:
    def change(notebook: Any) -> Any:
        import nbformat

        notebook.cells.insert(1, nbformat.v4.new_code_cell(source))
        return notebook

    return change


def _before_first_check_cell(source: str) -> Callable[[Any], Any]:
    """A change that puts a cell before the first check cell (after the notebook's own imports)."""

    def change(notebook: Any) -> Any:
        import nbformat

        notebook.cells.insert(_check_cells(notebook)[0][0], nbformat.v4.new_code_cell(source))
        return notebook

    return change


def _without_first_check_cell(notebook: Any) -> Any:
    del notebook.cells[_check_cells(notebook)[0][0]]
    return notebook


def _keep(notebook: Any) -> Any:
    return notebook


# kind -> (start from "solutions" or "exercises", the change, the file name: None keeps the master's)
KINDS: dict[str, tuple[str, Callable[[Any], Any], str | None]] = {
    "correct": ("solutions", _keep, None),
    "wrong": ("solutions", _before_each_check(lambda answer: f"{answer} = 42"), None),
    "blank": ("exercises", _keep, None),
    "raising": ("solutions", _before_each_check(
        lambda answer: f"def {answer}(*args, **kwargs):\n    raise ValueError('not finished')"), None),
    "endless loop": ("solutions", _at_the_top("while True:\n    pass"), None),
    "sleeps": ("solutions", _before_first_function_check(
        lambda answer: f"import time\ndef {answer}(*args, **kwargs):\n    time.sleep(10000)"), None),
    "deleted check cell": ("solutions", _without_first_check_cell, None),
    "renamed file": ("solutions", _keep, "my_work.ipynb"),
    "redefined check": ("exercises", _before_first_check_cell(FORGED_CHECK), None),
    "os._exit": ("solutions", _before_first_function_check(
        lambda answer: f"import os\ndef {answer}(*args, **kwargs):\n    os._exit(3)"), None),
}


def make_submission(kind: str, master: Path, folder: Path, root: Path) -> Path:
    """Write one learner's notebook of ``kind`` for the lesson of ``master`` (solutions/NN_name.ipynb) into ``folder``."""
    import nbformat

    start, change, filename = KINDS[kind]
    notebook = nbformat.read(root / start / master.name, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    notebook = change(copy.deepcopy(notebook))
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (filename or master.name)
    if filename:
        target = folder / f"{master.stem.split('_', 1)[1]}_{filename}"  # renamed, and unique per lesson
    nbformat.write(notebook, target)
    return target


def make_class(folder: Path, *, learners: int, root: Path, lessons: list[str] | None = None) -> dict[str, str]:
    """``learners`` learner folders, each of one kind (cycling through KINDS), each with every lesson's notebook."""
    masters = sorted((root / "solutions").glob("[0-9][0-9]_*.ipynb"))
    masters = [m for m in masters if lessons is None or m.name[:2] in lessons]
    kinds = list(KINDS)
    made = {}
    for n in range(1, learners + 1):
        learner, kind = f"learner{n:02d}", kinds[(n - 1) % len(kinds)]
        for master in masters:
            make_submission(kind, master, folder / learner, root)
        made[learner] = kind
    return made
