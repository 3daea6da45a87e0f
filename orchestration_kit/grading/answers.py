"""Which variable holds each answer, which lesson a notebook is, and what a learner changed that they should not have.

The solutions masters are the source: in ``solutions/01_router.ipynb`` the cell
``check("01.keywords", rules)`` says that the answer to 01.keywords is the
variable ``rules``. The grader grades that variable itself, so a notebook whose
check cell was deleted or whose ``check`` was redefined is still graded, and
the change is reported as a flag.

    >>> lesson = Lesson.from_master(Path("solutions/01_router.ipynb"))
    >>> lesson.answers
    {'01.keywords': 'rules', '01.threshold': 'router', '01.dependable': 'dependable_router'}
    >>> inspect(notebook, lesson)   # ["check() is redefined in cell 4 ...", ...]
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .authoring import make_exercise

CHECK_MODULES = ("orchestration_kit", "orchestration_kit.grading")  # where a learner may import check from


@dataclass(frozen=True)
class Lesson:
    """A lesson as its master defines it: its number, file name, answer variables and the exercise's cells."""

    number: str  # "01"
    filename: str  # "01_router.ipynb"
    answers: dict[str, str]  # exercise -> the expression check() is given, usually a variable name
    cells: frozenset[str] = field(default=frozenset(), repr=False)  # the exercise notebook's code cells

    @classmethod
    def from_master(cls, path: Path) -> "Lesson":
        import nbformat

        master = nbformat.read(path, as_version=4)
        answers = dict(check_calls(cell.source for cell in master.cells if cell.cell_type == "code"))
        exercise = make_exercise(master, path.name)
        cells = frozenset(cell.source.strip() for cell in exercise.cells if cell.cell_type == "code" and cell.source.strip())
        return cls(path.name.split("_")[0], path.name, answers, cells)


def load_lessons(solutions: Path) -> dict[str, Lesson]:
    """Every lesson of the course, by number, from the masters in ``solutions``."""
    if not solutions.is_dir():
        raise FileNotFoundError(f"no solutions folder at {solutions}: pass --solutions DIR (the course's solutions/)")
    lessons = [Lesson.from_master(path) for path in sorted(solutions.glob("[0-9][0-9]_*.ipynb"))]
    return {lesson.number: lesson for lesson in lessons}


def check_calls(sources: Any) -> list[tuple[str, str]]:
    """Every ``check("NN.name", answer)`` in some code: (exercise, the answer's source), in order."""
    found = []
    for tree in _trees(sources):
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "check"
                    and len(node.args) >= 2 and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                found.append((node.args[0].value, ast.unparse(node.args[1])))
    return found


def identify(path: Path, notebook: Any, lessons: dict[str, Lesson]) -> tuple[Lesson | None, str]:
    """The lesson a learner's notebook belongs to, and a flag if it was renamed ("" if not).

    By its file name first (``01_...``); a renamed notebook by the exercises it
    checks, else by the exercise cells it still contains.
    """
    number = re.match(r"(\d\d)_", path.name)
    if number and number.group(1) in lessons:
        lesson = lessons[number.group(1)]
        renamed = "" if path.name == lesson.filename else f"renamed: {path.name} is graded as {lesson.filename}"
        return lesson, renamed
    sources = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    checked = Counter(name.split(".")[0] for name, _ in check_calls(sources) if name.split(".")[0] in lessons)
    if checked:
        best = lessons[checked.most_common(1)[0][0]]
    else:
        overlap = {number: len(lesson.cells & {s.strip() for s in sources}) for number, lesson in lessons.items()}
        if not overlap or max(overlap.values()) == 0:
            return None, f"{path.name} is no lesson of this course (no check() calls, no exercise cells)"
        best = lessons[max(overlap, key=overlap.__getitem__)]
    return best, f"renamed: {path.name} is graded as {best.filename}"


def inspect(notebook: Any, lesson: Lesson) -> list[str]:
    """What the learner changed that grading must not depend on: a redefined check(), deleted check cells, ..."""
    flags = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        for tree in _trees([cell.source]):
            if any(_rebinds_check(node) for node in _top_level(tree)):
                flags.append(f"check() is redefined in cell {index}: the notebook's own verdicts are not the grader's")
                break
        if "ORCHESTRATION_KIT_RESULTS" in cell.source:
            flags.append(f"cell {index} touches ORCHESTRATION_KIT_RESULTS, the file of the notebook's own verdicts")
    calls = dict(check_calls(cell.source for cell in notebook.cells if cell.cell_type == "code"))
    for exercise, answer in lesson.answers.items():
        if calls.get(exercise) != answer:
            flags.append(f"the check cell check({exercise!r}, {answer}) was deleted or changed")
    return flags


def _rebinds_check(node: ast.AST) -> bool:
    """Does this node give the name ``check`` a new meaning (def, class, assignment, another import)?"""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name == "check"
    if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
        return node.id == "check"
    if isinstance(node, ast.ImportFrom):
        return any((alias.asname or alias.name) == "check" and (node.module not in CHECK_MODULES or alias.name != "check")
                   for alias in node.names)
    if isinstance(node, ast.Import):
        return any(alias.asname == "check" for alias in node.names)
    if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
        return node.attr in ("check", "grade")  # e.g. orchestration_kit.grading.grade = ...
    return False


def _top_level(tree: ast.AST) -> list[ast.AST]:
    """The nodes that bind names in the notebook's namespace: not those inside functions, lambdas or comprehensions.

    A function's ``global check`` counts: with it, the function rebinds the notebook's check.
    """
    found = []
    todo = [tree]
    while todo:
        node = todo.pop()
        found.append(node)
        local = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef,
                                  ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp))
        if local and not any(isinstance(n, ast.Global) and "check" in n.names for n in ast.walk(node)):
            continue  # its name (if any) is checked; its body binds only its own names
        todo.extend(ast.iter_child_nodes(node))
    return found


def _trees(sources: Any) -> list[ast.Module]:
    trees = []
    for source in sources:
        lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]  # IPython magics
        try:
            trees.append(ast.parse("\n".join(lines)))
        except SyntaxError:
            continue  # a cell that does not parse defines nothing; the run reports its error
    return trees
