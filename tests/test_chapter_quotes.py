"""The course quotes its chapter word for word: every “…” quotation, and the trade-off table.

The chapter is ``../shared/chapter.txt`` beside the repository (CI puts it there).
A quotation is text inside typographic double quotes, “like this”; an ellipsis …
inside one marks a cut, so each piece between cuts must appear in the chapter, in
order. Whitespace does not count (the chapter's lines wrap differently from ours),
nor does a capital or small first letter, nor punctuation closing a piece.
Straight quotes "..." are for anything that is not the chapter.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from orchestration_kit.measure.tradeoffs import CHAPTER, COLUMNS

ROOT = Path(__file__).resolve().parents[1]
CHAPTER_FILE = ROOT.parent / "shared" / "chapter.txt"
QUOTE = re.compile(r"“([^“”]*)”")
CUT = "…"
TEXT_FILES = (".md", ".txt", ".py", ".rst", ".cfg", ".toml", ".yml", ".yaml", ".json", ".csv")


def _chapter_text() -> str:
    if not CHAPTER_FILE.exists():
        pytest.skip(f"the chapter is not at {CHAPTER_FILE} (CI puts it at ../shared/chapter.txt beside the clone)")
    return CHAPTER_FILE.read_text(encoding="utf-8")


def squeeze(text: str) -> str:
    """Whitespace runs as one space, ends trimmed: the chapter wraps its lines differently from ours."""
    return " ".join(text.split())


def quoted_in(chapter: str, quote: str) -> bool:
    """True if every piece of ``quote`` (cut at …) appears in ``chapter``, in order."""
    text, at = squeeze(chapter), 0
    pieces = [squeeze(piece).rstrip(".,;:") for piece in quote.split(CUT)]
    pieces = [piece for piece in pieces if piece]
    if not pieces:
        return False
    for piece in pieces:
        found = -1
        for first in {piece[0].lower(), piece[0].upper()}:  # “Reducing latency…” may quote “reducing latency…”
            where = text.find(first + piece[1:], at)
            if where >= 0 and (found < 0 or where < found):
                found = where
        if found < 0:
            return False
        at = found + len(piece)
    return True


# -- where the course speaks: lessons, exercises, docs, the package's strings ---------------------
def _notebook_parts(path: Path) -> list[tuple[str, str]]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [(f"cell {i} ({cell['cell_type']})", "".join(cell["source"])) for i, cell in enumerate(cells)]


def _python_strings(path: Path) -> list[tuple[str, str]]:
    """Every string constant (docstrings, messages, f-string parts) of a module, with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [(f"line {node.lineno}", node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def course_texts() -> list[tuple[str, str, str]]:
    """(file, place in it, text) for every text the course shows a learner."""
    files: list[Path] = []
    for folder in ("notebooks", "solutions", "exercises"):
        files += sorted((ROOT / folder).glob("*.ipynb"))
    files += sorted(p for p in (ROOT / "docs").rglob("*") if p.suffix in TEXT_FILES)
    files += [ROOT / "README.md", ROOT / "data" / "README.md"]
    files += sorted((ROOT / "orchestration_kit").rglob("*.py"))
    texts = []
    for path in files:
        if not path.exists():
            continue
        if path.suffix == ".ipynb":
            parts = _notebook_parts(path)
        elif path.suffix == ".py":
            parts = _python_strings(path)
        else:
            parts = [("", path.read_text(encoding="utf-8"))]
        texts += [(str(path.relative_to(ROOT)), where, text) for where, text in parts]
    return texts


def quotations(text: str) -> list[str]:
    return QUOTE.findall(text)


# -- the checker itself -------------------------------------------------------------------------
SAMPLE = "Each pattern makes different trade-offs. The router pattern is simple and efficient\nbut requires accurate input classification."


@pytest.mark.parametrize("quote", ["The router pattern is simple and efficient but requires accurate input classification",
                                   "the router pattern is simple and efficient",  # a small first letter
                                   "Each pattern … requires accurate input classification.",  # a cut, a full stop
                                   "makes different\n   trade-offs"])  # wrapped differently
def test_a_faithful_quotation_is_found(quote):
    assert quoted_in(SAMPLE, quote)


@pytest.mark.parametrize("quote", ["The router pattern is simple but requires accurate input classification",  # a word left out
                                   "the Router Pattern is simple",  # capitals changed inside
                                   "requires accurate input classification … Each pattern",  # pieces out of order
                                   "…", ""])
def test_an_altered_quotation_is_not_found(quote):
    assert not quoted_in(SAMPLE, quote)


def test_quotations_are_found_across_lines_and_straight_quotes_are_not_quotations():
    text = 'The chapter calls it “simple and\nefficient”; we say "cheap" and “fast”.'
    assert quotations(text) == ["simple and\nefficient", "fast"]


def test_the_package_strings_are_read_docstrings_included(tmp_path):
    module = tmp_path / "m.py"
    module.write_text('"""Doc “one”."""\nX = f"{1} “two”"\n', encoding="utf-8")
    assert [quotations(text) for _, text in _python_strings(module) if quotations(text)] == [["one"], ["two"]]


# -- the course ---------------------------------------------------------------------------------
def test_every_quotation_of_the_chapter_in_the_course_is_word_for_word():
    chapter = _chapter_text()
    wrong = [f"{file}, {where}: “{squeeze(quote)}”" for file, where, text in course_texts()
             for quote in quotations(text) if not quoted_in(chapter, quote)]
    assert not wrong, ("these quotations are not the chapter's words (quote it exactly, cut with …, "
                       "or put our own words in straight quotes):\n" + "\n".join(wrong))


def test_every_opening_quote_is_closed():
    unbalanced = [f"{file}, {where}" for file, where, text in course_texts() if text.count("“") != text.count("”")]
    assert not unbalanced, "a “ without its ” (or the reverse) in:\n" + "\n".join(unbalanced)


def _chapter_row(chapter: str, first: str) -> str:
    rows = [squeeze(line) for line in chapter.splitlines() if squeeze(line).startswith(first + " ")]
    assert rows, f"the chapter has no table row starting {first!r}"
    return rows[-1]


def _first_wrong_cell(row: str, name: str, cells: list[str]) -> str:
    """The first cell whose words do not continue the chapter's row (the row is space-separated)."""
    line = name
    for column, cell in zip(COLUMNS, cells):
        line += " " + squeeze(cell)
        if not row.startswith(line):
            return f"{name} / {column}: we have {cell!r}; the chapter's row is {row!r}"
    return f"{name}: the chapter's row {row!r} has more than {line!r}"


def test_the_kits_trade_off_table_is_the_chapters_cell_by_cell():
    chapter = _chapter_text()
    assert _chapter_row(chapter, "Pattern") == "Pattern " + " ".join(COLUMNS), "the chapter's columns changed"
    assert list(CHAPTER) == ["router", "parallel", "sequential", "hierarchical"]
    for name, cells in CHAPTER.items():
        assert list(cells) == list(COLUMNS), f"CHAPTER[{name!r}] has the columns {list(cells)}"
        row = _chapter_row(chapter, name.capitalize())
        ours = [cells[column] for column in COLUMNS]
        assert row == " ".join([name.capitalize(), *map(squeeze, ours)]), _first_wrong_cell(row, name.capitalize(), ours)
        assert all(quoted_in(chapter, cell) for cell in ours)


def _markdown_tables(text: str) -> list[list[list[str]]]:
    """Every markdown table in ``text``: a list of rows, each a list of cell texts (the separator row left out)."""
    tables, rows = [], []
    for line in [*text.splitlines(), ""]:
        if line.strip().startswith("|"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if not all(re.fullmatch(r":?-+:?", cell) for cell in cells):
                rows.append(cells)
        elif rows:
            tables.append(rows)
            rows = []
    return tables


def test_the_table_lesson_5_shows_is_the_kits_copy_of_the_chapters():
    unquote = str.maketrans("", "", "“”*")
    shown = [table for _, text in _notebook_parts(ROOT / "notebooks" / "05_tradeoffs.ipynb")
             for table in _markdown_tables(text)
             if [c.translate(unquote).lower() for c in table[0][1:5]] == [c.lower() for c in COLUMNS]]
    assert shown, "lesson 5 shows no table with the chapter's columns " + " | ".join(COLUMNS)
    for table in shown:
        rows = {row[0].translate(unquote).lower(): [cell.translate(unquote) for cell in row[1:5]] for row in table[1:]}
        assert rows == {name: [cells[c] for c in COLUMNS] for name, cells in CHAPTER.items()}
