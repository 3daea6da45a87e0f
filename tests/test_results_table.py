"""The results table a class can compare: one row per submitted design, with its numbers and the targets met."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import nbformat
import pytest

from orchestration_kit.grading import grade
from orchestration_kit.grading.gradebook import Gradebook, NotebookGrade
from orchestration_kit.grading.shell import main
from orchestration_kit.grading.submission import ExerciseGrade

ROOT = Path(__file__).resolve().parents[1]
MASTER = ROOT / "solutions" / "09_capstone.ipynb"


def graded(learner: str, *exercises: ExerciseGrade) -> NotebookGrade:
    return NotebookGrade(f"{learner}/09_capstone.ipynb", exercises, learner=learner, lesson="09_capstone.ipynb")


def test_a_check_result_carries_its_measured_numbers_and_which_targets_they_met():
    from capstone_designs import big_model

    record = grade("09.capstone", big_model).to_json()
    assert set(record["measures"]) == {"accuracy", "p95_s", "cost_per_1k_usd", "safety", "needless_share"}
    assert record["met"]["cost_per_1k_usd"] is False and record["met"]["safety"] is True
    assert record["measures"]["cost_per_1k_usd"] > 1.25


def test_the_results_table_has_one_row_per_design_with_its_numbers_sorted_by_learner(tmp_path):
    numbers = {"accuracy": 0.875, "p95_s": 2.5, "cost_per_1k_usd": 0.342, "safety": 0.0, "needless_share": 0.02}
    book = Gradebook([
        graded("bo", ExerciseGrade("09.capstone", "failed", 7, 9, measures=numbers | {"cost_per_1k_usd": 1.55},
                                   met={name: name != "cost_per_1k_usd" for name in numbers})),
        graded("ada", ExerciseGrade("09.decide", "passed", 3, 3),
               ExerciseGrade("09.capstone", "passed", 9, 9, measures=numbers, met={name: True for name in numbers})),
    ])
    book.write_results(tmp_path / "results.csv")
    rows = list(csv.DictReader((tmp_path / "results.csv").open()))
    assert [(row["learner"], row["exercise"], row["targets_met"]) for row in rows] == [
        ("ada", "09.capstone", "5/5"), ("bo", "09.capstone", "4/5")]
    assert rows[1]["cost_per_1k_usd"] == "1.55" and rows[0]["p95_s"] == "2.5"


def test_an_empty_results_table_still_has_its_header(tmp_path):
    Gradebook([graded("ada", ExerciseGrade("09.decide", "passed", 3, 3))]).write_results(tmp_path / "results.csv")
    assert (tmp_path / "results.csv").read_text().splitlines() == ["learner,exercise,targets_met,status"]


BIG_MODEL = '''def build_system(hospital):
    """Every step on the large generalist: careful, and dear."""
    large = hospital.model("generalist-large")
    tasks = {"labs": Ask(large, LABS, skill="clinical", check="labs", name="labs"),
             "contraindications": Ask(large, MEDICINES, skill="clinical", check="medications", name="contraindications")}
    return Parallel(tasks=tasks, synthesizer=decide, timeout=3.0, name="checks")'''


@pytest.mark.slow
def test_the_check_command_writes_a_results_table_for_a_small_class(tmp_path, capsys):
    master = nbformat.read(MASTER, as_version=4)
    dear = nbformat.read(MASTER, as_version=4)
    cell = next(c for c in dear.cells if c.cell_type == "code" and c.source.startswith("HIGH_RISK"))
    cell.source = BIG_MODEL
    for learner, notebook in (("ada", master), ("bo", dear)):
        (tmp_path / "class" / learner).mkdir(parents=True)
        nbformat.write(notebook, tmp_path / "class" / learner / "09_capstone.ipynb")
    results = tmp_path / "results.csv"
    args = argparse.Namespace(notebooks=[tmp_path / "class"], timeout=120, results=results, jobs=1)
    main(args)
    capsys.readouterr()
    rows = {row["learner"]: row for row in csv.DictReader(results.open()) if row["exercise"] == "09.capstone"}
    assert rows["ada"]["targets_met"] == "5/5" and rows["ada"]["status"] == "passed"
    assert rows["bo"]["targets_met"] != "5/5"
    assert float(rows["bo"]["cost_per_1k_usd"]) > 2 * float(rows["ada"]["cost_per_1k_usd"])  # the large model's bill
    assert set(rows["ada"]) >= {"accuracy", "p95_s", "cost_per_1k_usd", "safety", "needless_share"}
