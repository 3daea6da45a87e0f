"""Grading a whole class: hard limits, verdicts the learner cannot forge, a gradebook, feedback, stopping cleanly.

One synthetic class (every kind of submission in grading/synthetic.py, for
lesson 0) is graded once through the `orchestration-kit check` command; the
tests read what it wrote. The others grade small notebooks of their own.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from orchestration_kit import cli
from orchestration_kit.grading.classroom import collect, grade_class
from orchestration_kit.grading.answers import load_lessons
from orchestration_kit.grading.scoring import PACKAGE, GraderCopy
from orchestration_kit.grading.submission import Limits
from orchestration_kit.grading.synthetic import KINDS, make_class, make_submission

ROOT = Path(__file__).resolve().parents[1]
LESSON = ROOT / "solutions" / "00_start_here.ipynb"
pytestmark = pytest.mark.slow


def notebook(path: Path, *sources: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources]), path)
    return path


def kernels_of(process: psutil.Process) -> list[psutil.Process]:
    return [child for child in process.children(recursive=True) if "ipykernel" in " ".join(child.cmdline())]


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """The synthetic class plus a learner whose cell ignores Ctrl-C, graded by the CLI with every output on."""
    folder = tmp_path_factory.mktemp("class")
    kinds = make_class(folder / "class", learners=len(KINDS), root=ROOT, lessons=["00"])
    notebook(folder / "class" / "stubborn" / "00_start_here.ipynb",
             "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass")
    kinds["stubborn"] = "ignores interrupts"
    (folder / "roster.csv").write_text("id,folder,name,section\n" + "".join(
        f"{learner},{learner},Learner {learner},A\n" for learner in kinds) + "absent,absent,Absent Learner,A\n")
    (folder / "points.json").write_text(json.dumps({"00.fallback": 3}))
    (folder / "manifest.csv").write_text("learner,notebook,submitted_at\n" + "".join(
        f"{learner},00_start_here.ipynb,2026-05-0{2 if learner == 'learner02' else 1}T12:00:00+00:00\n" for learner in kinds))
    out = folder / "out"
    args = ["check", str(folder / "class"), "--timeout", "4", "--time-limit", "2", "--jobs", "2",
            "--gradebook", str(out / "grades.csv"), "--feedback", str(out / "feedback"), "--lms", str(out / "lms.csv"),
            "--roster", str(folder / "roster.csv"), "--points", str(folder / "points.json"),
            "--deadline", "2026-05-01T23:59:00+00:00", "--submissions", str(folder / "manifest.csv")]
    out.mkdir()
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = cli.main(args)
    book = json.loads((out / "grades.json").read_text())
    by_kind = {}
    for row in book["rows"]:
        by_kind.setdefault(kinds.get(row["learner"], row["learner"]), {})[row["exercise"]] = row
    notebooks = {kinds.get(n["learner"], n["learner"]): n for n in book["notebooks"]}
    return {"code": code, "printed": printed.getvalue(), "rows": by_kind, "notebooks": notebooks, "out": out, "kinds": kinds}


def statuses(graded_class, kind):
    return [row["status"] for row in graded_class["rows"][kind].values()]


# -- one learner cannot stop the class ---------------------------------------------
def test_a_top_level_endless_loop_is_stopped_at_the_cell_timeout_and_the_answers_still_graded(graded_class):
    assert statuses(graded_class, "endless loop") == ["passed"] * 3
    assert any("was stopped after its 4 s time limit" in e for e in graded_class["notebooks"]["endless loop"]["errors"])


def test_a_cell_that_ignores_the_interrupt_has_its_kernel_killed_and_the_rest_is_graded(graded_class):
    assert any("its kernel was killed" in e for e in graded_class["notebooks"]["ignores interrupts"]["errors"])
    assert statuses(graded_class, "ignores interrupts") == ["not run"] * 3  # it defines no answers
    assert statuses(graded_class, "correct") == ["passed"] * 3  # graded by the same workers, after it


def test_an_answer_that_kills_the_kernel_fails_alone_and_the_others_are_graded_in_a_fresh_kernel(graded_class):
    rows = graded_class["rows"]["os._exit"]
    assert rows["00.makespan"]["status"] == "failed"
    assert (rows["00.sequential"]["status"], rows["00.fallback"]["status"]) == ("passed", "passed")
    assert any("ended the kernel" in e for e in graded_class["notebooks"]["os._exit"]["errors"])


def test_an_answer_that_sleeps_for_hours_fails_at_the_case_time_limit(graded_class):
    rows = graded_class["rows"]["sleeps"]
    assert rows["00.makespan"]["status"] == "failed" and rows["00.fallback"]["status"] == "passed"


def test_plain_wrong_blank_and_raising_answers_get_their_verdicts(graded_class):
    assert statuses(graded_class, "correct") == ["passed"] * 3
    assert statuses(graded_class, "wrong") == ["failed"] * 3
    assert statuses(graded_class, "blank") == ["unsolved"] * 3
    assert statuses(graded_class, "raising") == ["failed"] * 3
    assert graded_class["code"] == 1  # not every exercise passed


# -- verdicts the learner cannot forge ---------------------------------------------------
def test_a_redefined_check_that_writes_passed_gets_no_points_and_is_flagged(graded_class):
    assert statuses(graded_class, "redefined check") == ["unsolved"] * 3
    flags = graded_class["notebooks"]["redefined check"]["flags"]
    assert any("check() is redefined" in flag for flag in flags)
    assert any("own check() said 00.makespan passed; the grader's re-run says unsolved" in flag for flag in flags)
    assert all(row["points"] == 0 for row in graded_class["rows"]["redefined check"].values())


def test_a_deleted_check_cell_and_a_renamed_file_are_graded_and_flagged(graded_class):
    assert statuses(graded_class, "deleted check cell") == ["passed"] * 3
    assert "the check cell check('00.sequential', flow) was deleted or changed" in graded_class["notebooks"]["deleted check cell"]["flags"]
    assert statuses(graded_class, "renamed file") == ["passed"] * 3
    assert any(f.startswith("renamed: start_here_my_work.ipynb is graded as 00_start_here.ipynb")
               for f in graded_class["notebooks"]["renamed file"]["flags"])
    assert graded_class["notebooks"]["correct"]["flags"] == []


def test_checks_replaced_in_the_learners_memory_do_not_change_the_grade(tmp_path):
    path = notebook(tmp_path / "ada" / "00_start_here.ipynb",
                    "from orchestration_kit.grading import EXERCISES, Case, Exercise\n"
                    "always = lambda answer: iter([Case('anything goes', True)])\n"
                    "for name, found in list(EXERCISES.items()):\n"
                    "    EXERCISES[name] = Exercise(name, found.title, found.start, always)",
                    "def makespan(stages):\n    return 42")
    submissions = collect([path], load_lessons(ROOT / "solutions"))
    [grade], _ = grade_class(submissions, GraderCopy.take(), Limits(cell=30, case=5))
    assert grade.rows[1] == ("00.makespan", "failed", "2/7")  # the real checks: a number, but the wrong one


def test_checks_edited_on_disk_by_the_learner_change_nothing_and_are_flagged(tmp_path):
    lesson = PACKAGE / "lesson00.py"
    original = lesson.read_text()
    always = ("\n\n@exercise('00.makespan', 'anything', start='')\n"
              "def _anything(answer):\n    yield Case('anything goes', True)\n")
    path = notebook(tmp_path / "ada" / "00_start_here.ipynb",
                    f"open({str(lesson)!r}, 'a').write({always!r})",
                    "import importlib, orchestration_kit.grading.lesson00 as checks\nimportlib.reload(checks)",
                    "def makespan(stages):\n    return 42")
    try:
        [grade], _ = grade_class(collect([path], load_lessons(ROOT / "solutions")), GraderCopy.take(), Limits(cell=30, case=5))
    finally:
        lesson.write_text(original)
    assert grade.rows[1] == ("00.makespan", "failed", "2/7")
    assert "orchestration_kit/grading/lesson00.py was changed on disk while this notebook ran" in grade.flags


def test_a_grading_module_a_check_imports_is_built_from_the_graders_copy_too(tmp_path):
    # lesson03.py imports booking.py (its open design exercise): a learner who breaks that file on disk
    # must not break, or change, the grading; the notebook is flagged.
    helper = PACKAGE / "booking.py"
    original = helper.read_text()
    path = notebook(tmp_path / "ada" / "03_sequential.ipynb",
                    f"open({str(helper)!r}, 'a').write('\\nraise RuntimeError(\"edited on disk\")\\n')")
    try:
        [grade], _ = grade_class(collect([path], load_lessons(ROOT / "solutions")), GraderCopy.take(), Limits(cell=30, case=5))
    finally:
        helper.write_text(original)
    assert not any("grader's cell raised" in error for error in grade.errors), grade.errors
    assert {status for _, status, _ in grade.rows} == {"not run"}  # every exercise graded: none has an answer
    assert "orchestration_kit/grading/booking.py was changed on disk while this notebook ran" in grade.flags


def test_the_notebook_time_limit_stops_the_cells_left_and_the_answers_defined_are_still_graded(tmp_path):
    # No race with the clock: the quick cells finish far inside their limits, and the endless one can only
    # end by the notebook's limit, so the outcome is the same however loaded the machine is.
    quick = notebook(tmp_path / "ada" / "00_start_here.ipynb",
                     "def makespan(stages):\n    return sum(max(stage) for stage in stages)",
                     "import time\ntime.sleep(0.2)", "flow = None")
    [grade], _ = grade_class(collect([quick], load_lessons(ROOT / "solutions")), GraderCopy.take(),
                             Limits(cell=60, notebook=120, case=30))
    assert grade.rows[1] == ("00.makespan", "passed", "7/7") and not grade.errors, grade.errors
    endless = notebook(tmp_path / "bob" / "00_start_here.ipynb",
                       "def makespan(stages):\n    return sum(max(stage) for stage in stages)",
                       "import time\ntime.sleep(10000)", "flow = None")
    [short], _ = grade_class(collect([endless], load_lessons(ROOT / "solutions")), GraderCopy.take(),
                             Limits(cell=600, notebook=12, case=30))
    stopped, ran_out = short.errors
    assert stopped.startswith("cell [1] (import time) was stopped after its ") and "600 s" not in stopped, stopped
    assert ran_out == "the notebook's 12 s time limit ran out: cell [2] on did not run"
    assert short.rows[:2] == (("00.sequential", "not run", "-"), ("00.makespan", "passed", "7/7"))  # flow never defined


def test_garbage_in_the_results_file_does_not_stop_the_grading(tmp_path):
    path = notebook(tmp_path / "ada" / "00_start_here.ipynb",
                    "import os\nwith open(os.environ['ORCHESTRATION_KIT_RESULTS'], 'a') as f:\n"
                    "    f.write('not json\\n[1, 2]\\n{\"exercise\": 5}\\n\\x00\\xff\\n')",
                    "def makespan(stages):\n    return sum(max(stage) for stage in stages)")
    [grade], _ = grade_class(collect([path], load_lessons(ROOT / "solutions")), GraderCopy.take(), Limits(cell=30, case=5))
    assert grade.rows[1] == ("00.makespan", "passed", "7/7")


# -- one kernel per worker, shut down after each notebook -------------------------------------
def test_each_notebooks_kernel_is_shut_down_before_the_next_notebook_starts(tmp_path):
    paths = [make_submission("correct", LESSON, tmp_path / f"l{n}", ROOT) for n in range(3)]
    me, seen = psutil.Process(), []
    grades, _ = grade_class(collect(paths, load_lessons(ROOT / "solutions")), GraderCopy.take(), Limits(cell=60),
                            jobs=1, progress=lambda done, total, grade: seen.append(len(kernels_of(me))))
    assert [g.passed for g in grades] == [3, 3, 3]
    assert seen == [0, 0, 0]


# -- stopping cleanly -----------------------------------------------------------------------
def test_sigterm_shuts_every_kernel_down_and_writes_what_was_graded(tmp_path):
    for learner in ("ada", "bo", "cy"):
        notebook(tmp_path / "class" / learner / "00_start_here.ipynb", "while True:\n    pass")
    command = [sys.executable, "-m", "orchestration_kit.cli", "check", str(tmp_path / "class"), "--timeout", "600",
               "--jobs", "2", "--gradebook", str(tmp_path / "grades.csv")]
    grader = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    process, kernels = psutil.Process(grader.pid), []
    for _ in range(600):  # until both workers' kernels are busy (at most 60 s on a loaded machine)
        kernels = kernels_of(process)
        if len(kernels) == 2 and all(k.cpu_percent(0.05) > 10 for k in kernels):
            break
        time.sleep(0.1)
    assert len(kernels) == 2
    os.kill(grader.pid, signal.SIGTERM)
    out, err = grader.communicate(timeout=60)  # before: still running 661 s after a SIGTERM
    assert grader.returncode == 143, err
    assert "stopped by SIGTERM" in err
    assert not any(kernel.is_running() and kernel.status() != psutil.STATUS_ZOMBIE for kernel in kernels)
    with (tmp_path / "grades.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 9 and {row["status"] for row in rows} == {"not run"}


# -- the gradebook, the LMS export and the feedback -----------------------------------------
def test_the_gradebook_has_a_row_per_learner_and_exercise_with_points_and_partial_credit(graded_class):
    with (graded_class["out"] / "grades.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["learner", "notebook", "exercise", "status", "cases_passed", "cases_total", "points",
                             "max_points", "late", "flags"]
    assert len(rows) == 3 * (len(graded_class["kinds"]) + 1)  # every learner on the roster, "absent" too
    correct = graded_class["rows"]["correct"]
    assert [correct[e]["points"] for e in ("00.sequential", "00.makespan", "00.fallback")] == [1.0, 1.0, 3.0]
    sleeps = graded_class["rows"]["sleeps"]["00.makespan"]
    assert sleeps["points"] == round(sleeps["cases_passed"] / sleeps["cases_total"], 2) > 0  # partial credit


def test_a_learner_without_a_notebook_is_listed_as_not_run(graded_class):
    assert statuses(graded_class, "absent") == ["not run"] * 3
    assert "not submitted" in graded_class["notebooks"]["absent"]["flags"]


def test_a_notebook_submitted_after_the_deadline_is_marked_late(graded_class):
    assert graded_class["notebooks"]["wrong"]["late"] == "late by 12.0 h"  # learner02, per the manifest
    assert graded_class["notebooks"]["correct"]["late"] == ""


def test_the_lms_export_has_one_row_per_learner_with_canvas_columns(graded_class):
    with (graded_class["out"] / "lms.csv").open() as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["Student", "ID", "SIS User ID", "Section", "00_start_here.ipynb (5)", "Total (5)"]
    correct = next(row for row in rows if row[1] == "learner01")
    assert correct == ["Learner learner01", "learner01", "learner01", "A", "5", "5"]


def test_each_learner_gets_the_executed_notebook_with_the_graders_verdicts_and_a_report(graded_class):
    folder = graded_class["out"] / "feedback" / "learner04"  # raising answers
    executed = nbformat.read(folder / "00_start_here.ipynb", as_version=4)
    assert any(cell.get("outputs") for cell in executed.cells if cell.cell_type == "code")
    assert executed.cells[-1].source.startswith("## The grader's verdict")
    assert "it raised ValueError: not finished" in executed.cells[-1].source
    report = (folder / "feedback.md").read_text()
    assert report.startswith("# Feedback for learner04") and "it raised ValueError: not finished" in report


def test_the_statistics_per_exercise_are_printed_at_the_end(graded_class):
    lines = graded_class["printed"].splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("exercise ") and "not run" in line)
    makespan = next(line for line in lines[header:] if line.startswith("00.makespan"))
    assert makespan.split()[1:5] == ["4", "4", "2", "2"]  # passed, failed, unsolved, not run
