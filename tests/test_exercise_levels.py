"""The difficulty curve: every exercise says how hard it is and how long it takes, and gets no easier.

Each exercise heading in a solutions master (and so in its generated exercise notebook) reads

    ## Exercise 2 ★★ · Catch totals that do not add up (about 15 minutes)

with a level from ★ to ★★★ and an expected time, "about N minutes" or "about N to M
minutes", at the end. Within a lesson the levels never go down from one exercise to
the next, unless the heading's cell says why, in a line starting ``> **A step down.**``.
Each lesson's "Your turn" list (in notebooks/) shows the same levels, in the same order.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestration_kit.grading import all_exercises

ROOT = Path(__file__).resolve().parents[1]
MASTERS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
HEADING = re.compile(r"^## Exercise (\d+) (★+) · (.+)$", re.MULTILINE)
TIME = re.compile(r"about (\d+)(?: to (\d+))? minutes\)$")
STEP_DOWN = "> **A step down.**"
CHECK = re.compile(r"""check\(\s*["'](\d\d\.\w+)["']""")


@dataclass(frozen=True)
class Heading:
    """One exercise heading: its number, level (1 to 3 stars), title, minutes, and why it steps down (if it says)."""

    number: int
    level: int
    title: str
    minutes: int | None
    step_down: str


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def headings(cells: list[dict]) -> list[Heading]:
    """The exercise headings of a notebook's markdown cells, in order."""
    found = []
    for cell in cells:
        if cell["cell_type"] != "markdown":
            continue
        text = "".join(cell["source"])
        why = next((line for line in text.splitlines() if line.startswith(STEP_DOWN)), "")
        for match in HEADING.finditer(text):
            time = TIME.search(match.group(3))
            found.append(Heading(int(match.group(1)), len(match.group(2)), match.group(3),
                                 int(time.group(1)) if time else None, why))
    return found


def steps_down_unexplained(found: list[Heading]) -> list[str]:
    """Each exercise whose level is below the one before it, without a step-down line saying why."""
    return [f"exercise {later.number} ({'★' * later.level}) after exercise {earlier.number} ({'★' * earlier.level})"
            for earlier, later in zip(found, found[1:])
            if later.level < earlier.level and not later.step_down[len(STEP_DOWN):].strip()]


def exercises_in_order(cells: list[dict]) -> list[tuple[Heading, list[str]]]:
    """Each exercise heading with the check names called between it and the next heading."""
    sections: list[tuple[Heading, list[str]]] = []
    for cell in cells:
        text = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            sections += [(heading, []) for heading in headings([cell])]
        elif sections:
            sections[-1][1].extend(CHECK.findall(text))
    return sections


def your_turn_levels(lesson: Path) -> list[tuple[int, str]]:
    """The (level, text) of each numbered item in the lesson's "Your turn" section."""
    for cell in _cells(lesson):
        text = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and "## Your turn" in text:
            section = text.split("## Your turn", 1)[1]
            items = re.findall(r"^\d+\. (★+)(.*(?:\n   .*)*)", section, flags=re.MULTILINE)
            return [(len(stars), rest) for stars, rest in items]
    return []


# -- the rule itself, on headings written for the test ----------------------------------------------
def _heading_cell(line: str, *extra: str) -> dict:
    return {"cell_type": "markdown", "source": [line + "\n", *extra]}


def test_a_heading_gives_its_level_and_its_expected_time():
    [one, two] = headings([_heading_cell("## Exercise 1 ★★ · A pipeline (about 15 minutes)"),
                           _heading_cell("## Exercise 2 ★★★ · A design (about 30 to 45 minutes)")])
    assert (one.level, one.minutes, two.level, two.minutes) == (2, 15, 3, 30)
    [untimed] = headings([_heading_cell("## Exercise 1 ★ · A pipeline (10 min)")])
    assert untimed.minutes is None


def test_a_level_that_goes_down_needs_a_reason_in_its_cell():
    rising = headings([_heading_cell("## Exercise 1 ★ · a (about 5 minutes)"),
                       _heading_cell("## Exercise 2 ★★★ · b (about 30 minutes)")])
    assert steps_down_unexplained(rising) == []
    falling = rising + headings([_heading_cell("## Exercise 3 ★ · c (about 5 minutes)")])
    assert steps_down_unexplained(falling) == ["exercise 3 (★) after exercise 2 (★★★)"]
    explained = rising + headings([_heading_cell("## Exercise 3 ★ · c (about 5 minutes)\n",
                                                 "> **A step down.** A short reading break before the next design.")])
    assert steps_down_unexplained(explained) == []
    empty_reason = rising + headings([_heading_cell("## Exercise 3 ★ · c (about 5 minutes)\n", "> **A step down.**")])
    assert steps_down_unexplained(empty_reason) != []


# -- the course's own exercises ----------------------------------------------------------------------
@pytest.mark.parametrize("master", MASTERS, ids=lambda path: path.stem)
def test_every_exercise_heading_gives_a_level_and_about_how_many_minutes(master):
    found = headings(_cells(master))
    assert found, f"{master.name} has no '## Exercise N ★ · title (about N minutes)' heading"
    assert [h.number for h in found] == list(range(1, len(found) + 1)), f"{master.name}: exercises out of order"
    untimed = [h.title for h in found if h.minutes is None]
    assert not untimed, f"{master.name}: these headings do not end in '(about N minutes)': {untimed}"
    assert all(1 <= h.level <= 3 for h in found)


@pytest.mark.parametrize("master", MASTERS, ids=lambda path: path.stem)
def test_within_a_lesson_the_levels_never_go_down_unless_the_lesson_says_why(master):
    assert steps_down_unexplained(headings(_cells(master))) == []


@pytest.mark.parametrize("master", MASTERS, ids=lambda path: path.stem)
def test_every_exercise_ends_in_a_registered_check_of_its_own_lesson(master):
    lesson, registered = master.name[:2], all_exercises()
    for heading, checks in exercises_in_order(_cells(master)):
        assert checks, f"{master.name}, exercise {heading.number}: no check(...) cell before the next exercise"
        for name in checks:
            assert name.startswith(lesson + ".") and name in registered, f"{master.name}: check {name!r} is not a " \
                                                                        f"registered exercise of lesson {lesson}"


@pytest.mark.parametrize("master", MASTERS, ids=lambda path: path.stem)
def test_the_exercise_notebook_shows_the_same_headings(master):
    learner = ROOT / "exercises" / master.name
    assert headings(_cells(learner)) == headings(_cells(master)), f"regenerate {learner.name} from its master"


@pytest.mark.parametrize("master", MASTERS, ids=lambda path: path.stem)
def test_the_lessons_your_turn_list_shows_the_same_levels_and_times(master):
    lesson = ROOT / "notebooks" / master.name
    listed = your_turn_levels(lesson)
    found = headings(_cells(master))
    assert [level for level, _ in listed] == [h.level for h in found], \
        f"{lesson.name}'s 'Your turn' list does not show the exercises' levels {[h.level for h in found]}"
    for (_, text), heading in zip(listed, found):
        assert re.search(rf"\b{heading.minutes}\b", text), \
            f"{lesson.name}'s 'Your turn' item {heading.number} does not say its time ({heading.minutes} minutes)"
