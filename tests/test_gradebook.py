"""The gradebook and the grader's bookkeeping, without kernels: points, lateness, rosters, flags, verdict files."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timezone
from pathlib import Path

import nbformat
import pytest

from orchestration_kit.grading.answers import Lesson, check_calls, identify, inspect, load_lessons
from orchestration_kit.grading.classroom import collect, default_jobs, lateness, read_manifest, read_roster
from orchestration_kit.grading.gradebook import Gradebook, NotebookGrade
from orchestration_kit.grading.scoring import read_own_results, read_verdicts
from orchestration_kit.grading.submission import ExerciseGrade

ROOT = Path(__file__).resolve().parents[1]
LESSONS = load_lessons(ROOT / "solutions")


def graded(learner: str, *exercises: ExerciseGrade, late: str = "") -> NotebookGrade:
    return NotebookGrade(f"{learner}/00_start_here.ipynb", exercises, learner=learner, lesson="00_start_here.ipynb", late=late)


ADA = graded("ada", ExerciseGrade("00.sequential", "passed", 5, 5), ExerciseGrade("00.makespan", "failed", 3, 4),
             ExerciseGrade("00.fallback", "unsolved"))
BO = graded("bo", ExerciseGrade("00.sequential", "failed", 1, 5), ExerciseGrade("00.makespan", "passed", 4, 4),
            ExerciseGrade("00.fallback", "not run"), late="late by 2.0 h")


# -- points --------------------------------------------------------------------
def test_points_are_earned_in_proportion_to_the_cases_passed():
    book = Gradebook([ADA], points={"00.makespan": 4})
    assert [row["points"] for row in book.rows()] == [1.0, 3.0, 0.0]
    assert [row["max_points"] for row in book.rows()] == [1.0, 4.0, 1.0]


def test_a_late_notebook_loses_the_late_penalty_and_says_it_is_late():
    book = Gradebook([BO], late_penalty=0.5)
    assert [row["points"] for row in book.rows()] == [0.1, 0.5, 0.0]
    assert {row["late"] for row in book.rows()} == {"late by 2.0 h"}


def test_statistics_count_each_status_per_exercise():
    lines = Gradebook([ADA, BO]).statistics().splitlines()
    assert lines[0].split() == ["exercise", "passed", "failed", "unsolved", "not", "run", "mean", "points"]
    assert lines[1].split() == ["00.fallback", "0", "0", "1", "1", "0.00/1"]
    assert lines[2].split() == ["00.makespan", "1", "1", "0", "0", "0.88/1"]


def test_the_csv_and_json_gradebooks_hold_the_same_rows(tmp_path):
    book = Gradebook([ADA, BO])
    book.write_csv(tmp_path / "grades.csv")
    book.write_json(tmp_path / "grades.json")
    with (tmp_path / "grades.csv").open() as handle:
        from_csv = list(csv.DictReader(handle))
    from_json = json.loads((tmp_path / "grades.json").read_text())["rows"]
    assert [(r["learner"], r["exercise"], r["status"]) for r in from_csv] == [
        (r["learner"], r["exercise"], r["status"]) for r in from_json]
    assert len(from_csv) == 6


def test_the_lms_export_takes_names_and_sections_from_the_roster(tmp_path):
    Gradebook([ADA, BO]).write_lms(tmp_path / "lms.csv", {"ada": {"name": "Ada L.", "sis_id": "S1", "section": "B"}})
    rows = list(csv.reader((tmp_path / "lms.csv").open()))
    assert rows == [["Student", "ID", "SIS User ID", "Section", "00_start_here.ipynb (3)", "Total (3)"],
                    ["Ada L.", "ada", "S1", "B", "1.75", "1.75"], ["bo", "bo", "bo", "", "1.2", "1.2"]]


# -- who and when ---------------------------------------------------------------------
def test_a_roster_needs_an_id_column(tmp_path):
    (tmp_path / "roster.csv").write_text("name\nAda\n")
    with pytest.raises(ValueError, match="a roster needs a header line with an 'id' column"):
        read_roster(tmp_path / "roster.csv")


def test_a_manifest_row_with_a_bad_time_names_its_line(tmp_path):
    (tmp_path / "m.csv").write_text("learner,notebook,submitted_at\nada,00_start_here.ipynb,yesterday\n")
    with pytest.raises(ValueError, match=r"m.csv:2: need learner, notebook and submitted_at \(ISO 8601"):
        read_manifest(tmp_path / "m.csv")


def test_lateness_is_measured_from_the_deadline():
    deadline = datetime(2026, 5, 1, 23, 59, tzinfo=timezone.utc)
    assert lateness(datetime(2026, 5, 1, 23, 0, tzinfo=timezone.utc), deadline) == ""
    assert lateness(datetime(2026, 5, 2, 2, 29, tzinfo=timezone.utc), deadline) == "late by 2.5 h"
    assert lateness(datetime(2026, 5, 5, 23, 59, tzinfo=timezone.utc), deadline) == "late by 4.0 days"
    assert lateness(None, deadline) == "" and lateness(datetime.now(timezone.utc), None) == ""


def test_a_learner_is_their_folder_or_the_rosters_id_for_it(tmp_path):
    master = nbformat.read(ROOT / "exercises" / "00_start_here.ipynb", as_version=4)
    for folder in ("ada-folder", "stranger"):
        (tmp_path / folder).mkdir()
        nbformat.write(master, tmp_path / folder / "00_start_here.ipynb")
    roster = {"ada-folder": {"id": "ada"}, "bo": {"id": "bo"}}
    found = {(s.learner, s.path.name, s.flags) for s in collect([tmp_path], LESSONS, roster=roster)}
    assert found == {("ada", "00_start_here.ipynb", ()), ("stranger", "00_start_here.ipynb", ("stranger/ is not on the roster",)),
                     ("bo", "00_start_here.ipynb", ("not submitted",))}


def test_default_jobs_is_at_least_one_and_at_most_the_cores():
    import os

    assert 1 <= default_jobs() <= (os.cpu_count() or 1)


# -- which answer, which lesson, what was tampered with ----------------------------------
def test_the_masters_name_every_answer_variable():
    assert LESSONS["00"].answers == {"00.sequential": "flow", "00.makespan": "makespan", "00.fallback": "support_router"}
    assert all(len(lesson.answers) >= 3 for lesson in LESSONS.values())


def test_a_renamed_notebook_is_recognised_by_its_check_calls_or_its_cells():
    exercise = nbformat.read(ROOT / "exercises" / "01_router.ipynb", as_version=4)
    lesson, flag = identify(Path("homework.ipynb"), exercise, LESSONS)
    assert lesson.number == "01" and flag == "renamed: homework.ipynb is graded as 01_router.ipynb"
    exercise.cells = [cell for cell in exercise.cells if not check_calls([cell.source])]
    assert identify(Path("homework.ipynb"), exercise, LESSONS)[0].number == "01"
    stranger = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('hello')")])
    assert identify(Path("notes.ipynb"), stranger, LESSONS) == (None, "notes.ipynb is no lesson of this course (no check() calls, no exercise cells)")


@pytest.mark.parametrize("source", [
    "def check(name, answer):\n    pass",
    "check = lambda name, answer: None",
    "from mymodule import check",
    "from orchestration_kit.grading import grade as check",
    "import orchestration_kit.grading as g\ng.grade = print",
])
def test_every_way_of_redefining_check_is_flagged(source):
    lesson = Lesson("99", "99_x.ipynb", {})
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    assert inspect(notebook, lesson) == ["check() is redefined in cell 0: the notebook's own verdicts are not the grader's"]


def test_importing_the_real_check_is_not_flagged():
    notebook = nbformat.read(ROOT / "exercises" / "00_start_here.ipynb", as_version=4)
    assert inspect(notebook, LESSONS["00"]) == []


# -- the verdict files --------------------------------------------------------------------
def test_only_the_graders_lines_count_and_garbage_is_skipped(tmp_path):
    path = tmp_path / "v.jsonl"
    path.write_bytes(b'not json\n[1]\n\xff\xfe\n{"nonce": "other", "kind": "verdict", "exercise": "00.makespan", "status": "passed"}\n'
                     b'{"nonce": "n1", "kind": "start", "exercise": "00.makespan"}\n'
                     b'{"nonce": "n1", "kind": "verdict", "exercise": "00.makespan", "status": "failed"}\n'
                     b'{"nonce": "n1", "kind": "start", "exercise": "00.fallback"}\n')
    verdicts, started, tampered = read_verdicts(path, "n1")
    assert {name: v["status"] for name, v in verdicts.items()} == {"00.makespan": "failed"}
    assert started == ["00.makespan", "00.fallback"] and tampered == []
    assert read_verdicts(tmp_path / "missing.jsonl", "n1") == ({}, [], [])


def test_the_notebooks_own_results_are_read_whatever_else_the_file_holds(tmp_path):
    path = tmp_path / "own.jsonl"
    path.write_text('{"exercise": 5}\n{"exercise": "00.makespan", "status": "passed"}\nnull\n')
    assert read_own_results(path) == {"00.makespan": "passed"}


@pytest.mark.parametrize("source", [
    "left_out = [check for check in CHECKS if check not in report]",  # lesson 6's own master does this
    "def mentions(report):\n    check = report.lower()\n    return check",
    "ok = all(check(x) for check in checks)",
])
def test_a_name_check_local_to_a_function_or_comprehension_is_not_flagged(source):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    assert inspect(notebook, Lesson("99", "99_x.ipynb", {})) == []


def test_a_function_that_rebinds_the_global_check_is_flagged():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "def sneaky():\n    global check\n    check = print")])
    assert inspect(notebook, Lesson("99", "99_x.ipynb", {}))[0].startswith("check() is redefined in cell 0")


def test_every_solutions_master_graded_as_a_learners_notebook_raises_no_flag():
    for lesson in LESSONS.values():
        master = nbformat.read(ROOT / "solutions" / lesson.filename, as_version=4)
        assert inspect(master, lesson) == [], lesson.filename
