"""docs/coverage.md cannot rot: every cell and check it cites exists, and every unit of the chapter has its row.

The page maps each unit of the chapter to the lesson cell that teaches it
(``notebooks/NN_name.ipynb#cell-id``) and the check that grades it (``NN.name``),
or says "not graded: why". A renamed check, a deleted cell or a new bullet in the
chapter without a row fails here.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import pytest

from orchestration_kit.grading import all_exercises
from orchestration_kit.measure.tradeoffs import CHAPTER, COLUMNS

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "coverage.md"
CHAPTER_FILE = ROOT.parent / "shared" / "chapter.txt"
CELL = re.compile(r"`((?:notebooks|solutions|exercises)/\d\d_\w+\.ipynb)#([\w-]+)`")
CHECK_NAME = re.compile(r"`(\d\d\.[a-z][a-z0-9_]*)`")
NOT_GRADED = re.compile(r"^not graded: (\S+ ){4,}")


def squeeze(text: str) -> str:
    return " ".join(text.split())


def rows(text: str) -> list[tuple[str, str, str]]:
    """(the chapter, taught and measured, graded by) for every row of the page's tables."""
    found = []
    for line in text.splitlines():
        if not line.startswith("| ") or line.startswith("| the chapter |"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        assert len(cells) == 3, f"a row of {PAGE.name} needs three columns: {line[:80]}"
        found.append((cells[0], cells[1], cells[2]))
    return found


@lru_cache(maxsize=None)
def cell_ids(notebook: str) -> frozenset[str]:
    path = ROOT / notebook
    assert path.exists(), f"{PAGE.name} cites {notebook}, which does not exist"
    return frozenset(cell.get("id", "") for cell in json.loads(path.read_text(encoding="utf-8"))["cells"])


@pytest.fixture(scope="module")
def page() -> str:
    return PAGE.read_text(encoding="utf-8")


# -- the checker itself, on rows written for the test ------------------------------------------------
def test_a_row_citing_a_missing_cell_or_an_unknown_check_is_caught():
    good = "| “Fast” | `notebooks/01_router.ipynb#7b6f8764` the parts | `01.keywords` |"
    bad = "| “Fast” | `notebooks/01_router.ipynb#no-such-cell` the parts | `01.no_such_check` |"
    [(_, taught, graded)] = rows(good)
    assert all(cell in cell_ids(notebook) for notebook, cell in CELL.findall(taught))
    assert set(CHECK_NAME.findall(graded)) <= set(all_exercises())
    [(_, taught, graded)] = rows(bad)
    assert not all(cell in cell_ids(notebook) for notebook, cell in CELL.findall(taught))
    assert not set(CHECK_NAME.findall(graded)) <= set(all_exercises())
    assert NOT_GRADED.match("not graded: no check asks for a splitter here")
    assert not NOT_GRADED.match("not graded")


# -- the page --------------------------------------------------------------------------------------
def test_every_cited_cell_exists_in_its_notebook(page):
    cited = CELL.findall(page)
    assert len(cited) > 50
    missing = [f"{notebook}#{cell}" for notebook, cell in cited if cell not in cell_ids(notebook)]
    assert not missing, f"{PAGE.name} cites cells that no longer exist: {missing}"


def test_every_cited_check_is_a_registered_exercise(page):
    registered = set(all_exercises())
    cited = set(CHECK_NAME.findall(page))
    assert len(cited) > 20
    assert not cited - registered, f"{PAGE.name} cites checks that do not exist: {sorted(cited - registered)}"


def test_every_row_cites_a_cell_and_a_check_or_says_why_it_is_not_graded(page):
    for chapter, taught, graded in rows(page):
        assert "“" in chapter, f"the first column quotes the chapter: {chapter[:60]}"
        assert CELL.search(taught), f"no lesson cell for {chapter[:60]}"
        assert CHECK_NAME.search(graded) or NOT_GRADED.match(graded), \
            f"{chapter[:60]}: name the check that grades it, or write 'not graded: why'"


def test_every_cell_of_the_trade_off_table_has_its_row(page):
    firsts = {chapter for chapter, _, _ in rows(page)}
    for pattern in CHAPTER:
        for column in COLUMNS:
            row = f"{pattern.capitalize()} · {column}: “{CHAPTER[pattern][column]}”"
            assert row in firsts, f"no row for the trade-off table's cell {row}"


def test_every_bullet_of_the_chapter_has_its_row(page):
    if not CHAPTER_FILE.exists():
        pytest.skip(f"the chapter is not at {CHAPTER_FILE} (CI puts it at ../shared/chapter.txt beside the clone)")
    bullets = [squeeze(line.split("•", 1)[1]) for line in CHAPTER_FILE.read_text(encoding="utf-8").splitlines()
               if line.strip().startswith("•")]
    assert len(bullets) == 52  # 16 components, 16 "excels at", 4 healthcare parts, 16 design-guidance bullets
    quoted = {squeeze(quote) for chapter, _, _ in rows(page) for quote in re.findall(r"“([^”]*)”", chapter)}
    missing = [bullet for bullet in bullets if bullet not in quoted]
    assert not missing, f"these bullets of the chapter have no row in {PAGE.name}: {missing}"


def test_the_readme_links_the_page():
    assert "docs/coverage.md" in (ROOT / "README.md").read_text(encoding="utf-8")
