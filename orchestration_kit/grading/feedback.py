"""Feedback for each learner: their executed notebook with the grader's verdicts, and a short Markdown report.

    feedback/ada/01_router.ipynb    the notebook as it ran, its own ✓/✗ kept, the grader's verdicts appended
    feedback/ada/feedback.md        one section per notebook: points, verdicts with hints, cells that failed
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .gradebook import Gradebook, NotebookGrade

HEADING = "## The grader's verdict"


def safe_name(text: str) -> str:
    """A learner id or file name usable as one path component."""
    cleaned = "".join(ch if ch.isalnum() or ch in "-_.@ " else "_" for ch in text).strip(". ")
    return cleaned or "unnamed"


def write_notebook(folder: Path, grade: NotebookGrade, notebook: Any) -> Path:
    """Save the executed notebook with a last markdown cell holding the grader's verdict on each exercise."""
    import nbformat

    verdicts = "\n\n".join(f"```\n{e.report}\n```" for e in grade.exercises if e.report)
    notes = "".join(f"\n- ⚑ {flag}" for flag in grade.flags) + "".join(f"\n- ! {error}" for error in grade.errors)
    notebook.cells.append(nbformat.v4.new_markdown_cell(f"{HEADING}\n\n{verdicts}\n{notes}".rstrip() + "\n"))
    target = folder / safe_name(grade.learner) / safe_name(Path(grade.path).name)
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)
    return target


def write_reports(folder: Path, book: Gradebook) -> list[Path]:
    """One ``feedback.md`` per learner: every notebook's points, verdicts and hints."""
    written = []
    for learner in book.learners():
        lines = [f"# Feedback for {learner}", ""]
        mine = [grade for grade in book.grades if grade.learner == learner]
        total = sum(book.earned(g, e) for g in mine for e in g.exercises)
        possible = sum(book.worth(e.exercise) for g in mine for e in g.exercises)
        lines += [f"**Total: {total:g} of {possible:g} points**", ""]
        for grade in mine:
            points = sum(book.earned(grade, e) for e in grade.exercises)
            worth = sum(book.worth(e.exercise) for e in grade.exercises)
            lines += [f"## {grade.lesson}: {points:g} of {worth:g} points" + (f" ({grade.late})" if grade.late else ""), ""]
            for e in grade.exercises:
                lines.append(f"- **{e.exercise}**: {e.status}" + (f", {e.passed}/{e.total} cases" if e.total else ""))
            lines += [f"- ⚑ {flag}" for flag in grade.flags] + [f"- ! {error}" for error in grade.errors]
            lines += ["", *[f"```\n{e.report}\n```\n" for e in grade.exercises if e.report and e.status != "passed"]]
        target = folder / safe_name(learner) / "feedback.md"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
        written.append(target)
    return written
