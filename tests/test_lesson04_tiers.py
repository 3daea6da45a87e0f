"""04.hierarchy grades the chapter's "strategic decisions from tactical execution": the top level decides, the teams work."""

from __future__ import annotations

from pathlib import Path

import nbformat

from orchestration_kit import Hierarchical, HumanReview, Sequential
from orchestration_kit.grading import grade

MASTER = Path(__file__).resolve().parents[1] / "solutions" / "04_hierarchical.ipynb"


def lesson_namespace() -> dict:
    """The solution master's first cells run as a learner would: the set-up and exercise 1's answer."""
    namespace: dict = {}
    cells = [c for c in nbformat.read(MASTER, as_version=4).cells if c.cell_type == "code"]
    for cell in cells:
        if "check(" in cell.source and "04.hierarchy" in cell.source:
            break
        if "run(" in cell.source and "triage is not None" in cell.source:
            continue  # a cell that only prints
        exec(compile(cell.source, str(MASTER), "exec"), namespace)
    return namespace


def test_the_worked_hierarchy_passes_with_its_top_level_only_deciding():
    ns = lesson_namespace()
    result = grade("04.hierarchy", ns["triage"])
    assert result.passed, result.report()
    assert any("the top level only decides" in case.description and case.passed for case in result.cases)


def test_a_top_level_that_does_the_teams_work_itself_fails_with_a_hint_that_says_so():
    ns = lesson_namespace()
    busy_top = Sequential(stages=[ns["automated"], ns["manager"]], name="manager does it all")  # works, then routes
    lazy_teams = {route: (lambda request: request) for route in ("automated", "manual_review", "escalation")}
    flow = Hierarchical(top=busy_top, sub=lazy_teams, escalate=HumanReview(decisions="approve"),
                        escalate_when=ns["needs_a_person"], threshold=0.7)
    result = grade("04.hierarchy", flow)
    [case] = [case for case in result.cases if "the top level only decides" in case.description]
    assert not case.passed and "0 model call(s)" in case.hint and "top= should only choose a team" in case.hint
