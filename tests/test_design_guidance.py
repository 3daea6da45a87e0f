"""The chapter's design guidance: every bullet asked once by the guide, and the three new answers at work."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from orchestration_kit import ConfigurationError, run
from orchestration_kit.design.guidance import CHAPTER_GUIDANCE, bullets_for, questions_for
from orchestration_kit.design.guide import ProcessDescription, recommend
from orchestration_kit.design.guide_form import GuideForm

CHAPTER = Path(__file__).resolve().parents[2] / "shared" / "chapter.txt"
HEADINGS = {"router": "Use the Router Pattern when:", "parallel": "Use Parallel Execution when:",
            "sequential": "Use Sequential when:", "hierarchical": "Use Hierarchical when:"}


def chapter_bullets() -> dict[str, list[str]]:
    """The chapter's "Use ... when:" bullets, by pattern, read from the chapter itself."""
    if not CHAPTER.exists():
        pytest.skip(f"the chapter is not at {CHAPTER} (CI puts it beside the clone)")
    text = CHAPTER.read_text(encoding="utf-8")
    found = {}
    for pattern, heading in HEADINGS.items():
        after = text.split(heading, 1)[1]
        block = re.split(r"\n\s*\n(?!\s*•)", after.lstrip("\n"), maxsplit=1)[0]
        found[pattern] = [line.strip().lstrip("•").strip() for line in block.splitlines() if "•" in line]
    return found


def test_every_design_guidance_bullet_of_the_chapter_is_in_the_guide_exactly_once():
    ours: dict[str, list[str]] = {}
    for entry in CHAPTER_GUIDANCE:
        ours.setdefault(entry.pattern, []).append(entry.bullet)
    assert ours == chapter_bullets()


def test_the_guide_has_sixteen_different_bullets_four_per_pattern():
    bullets = [entry.bullet for entry in CHAPTER_GUIDANCE]
    assert len(bullets) == len(set(bullets)) == 16
    assert all(sum(e.pattern == p for e in CHAPTER_GUIDANCE) == 4 for p in HEADINGS)


def test_every_bullet_is_asked_by_real_fields_and_every_field_answers_a_bullet():
    names = {f.name for f in fields(ProcessDescription)} - {"name"}
    asked = {field for entry in CHAPTER_GUIDANCE for field in entry.fields}
    assert asked <= names, asked - names
    assert names <= asked, f"fields that no bullet asks: {names - asked}"


@pytest.mark.parametrize("bullet, field", [
    ("You have the compute resources for concurrent execution", "concurrent_capacity"),
    ("You want simple, understandable orchestration logic", "simple_logic"),
    ("Latency is acceptable in exchange for clarity", "latency_for_clarity"),
])
def test_the_three_bullets_the_guide_missed_now_have_their_own_question(bullet, field):
    assert questions_for(bullet) == (field,) and bullets_for(field) == (bullet,)


def test_an_unknown_bullet_is_refused_clearly():
    with pytest.raises(KeyError, match="no design-guidance bullet reads"):
        questions_for("You like graphs")


# -- concurrent_capacity -------------------------------------------------------------------
def task_spans(result):
    return [s for s in result.trace if s.kind == "task"]


@pytest.mark.parametrize("capacity", [True, False])
def test_without_compute_for_concurrency_the_tasks_take_turns_and_cost_the_sum(capacity):
    advice = recommend(ProcessDescription(independent_subtasks=True, dependent_steps=True,
                                          concurrent_capacity=capacity))
    assert advice.shape == "sequential(parallel(task_a, task_b), step_1, step_2)"  # the same patterns either way
    result = run(advice.build(), "a request")
    a, b = task_spans(result)
    parallel = result.trace.find("parallel")[0]
    if capacity:
        assert a.start_ns == b.start_ns and parallel.duration_ns == max(a.duration_ns, b.duration_ns)
    else:
        assert b.start_ns == a.end_ns and parallel.duration_ns == a.duration_ns + b.duration_ns
        assert "take turns (max_concurrency=1)" in advice.choices[1].reason


# -- latency_for_clarity -----------------------------------------------------------------
def test_latency_for_clarity_runs_the_independent_subtasks_as_stages_one_after_another():
    advice = recommend(ProcessDescription(independent_subtasks=True, tasks=["facts", "figures"], dependent_steps=True,
                                          steps=["draft", "check"], latency_for_clarity=True))
    assert advice.patterns == ["sequential"]
    assert advice.shape == "sequential(facts, figures, draft, check)"
    assert "latency is acceptable in exchange for clarity" in advice.choices[0].reason
    result = run(advice.build(), "a request")
    stages = [s for s in result.trace if s.kind == "stage"]
    assert [s.name for s in stages] == ["facts", "figures", "draft", "check"]
    assert all(later.start_ns >= earlier.end_ns for earlier, later in zip(stages, stages[1:]))


def test_latency_for_clarity_alone_turns_independent_tasks_into_a_pipeline():
    clear = recommend(ProcessDescription(independent_subtasks=True, latency_for_clarity=True))
    assert clear.patterns == ["sequential"] and clear.shape == "sequential(task_a, task_b)"
    a, b = [s for s in run(clear.build(), "a request").trace if s.kind == "stage"]
    assert b.start_ns == a.end_ns  # one after the other: the latency is the sum


def test_a_tight_budget_and_latency_for_clarity_are_pointed_out_as_pulling_apart():
    settings = recommend(ProcessDescription(independent_subtasks=True, latency_for_clarity=True,
                                            latency_budget="tight")).settings
    assert "pull apart" in settings[0]


# -- simple_logic ----------------------------------------------------------------------------
@pytest.mark.parametrize("simple, decider_kind", [(True, "step"), (False, "model")])
def test_simple_logic_decides_whether_rules_or_a_model_choose_the_route(simple, decider_kind):
    advice = recommend(ProcessDescription(differing_inputs=True, routes=["billing", "technical"],
                                          tiers_of_responsibility=True, tiers=["routine", "urgent"],
                                          simple_logic=simple))
    assert ("written rules decide the route" in advice.choices[1].reason) == simple
    result = run(advice.build(), "a routine billing question about my invoice")
    model_calls = {s.parent for s in result.trace.model_calls}
    deciders = [s for s in result.trace if s.name in ("which tier", "which route")]
    assert len(deciders) == 2
    assert all((s.id in model_calls) == (not simple) for s in deciders)
    assert [s.route for s in result.trace if s.pattern in ("hierarchical", "router")] == ["routine", "billing"]


@pytest.mark.parametrize("field", ["simple_logic", "concurrent_capacity", "latency_for_clarity"])
def test_the_new_answers_are_yes_or_no(field):
    with pytest.raises(ConfigurationError, match=f"{field} is True or False"):
        ProcessDescription(**{field: "yes"})


def test_the_form_asks_the_three_new_questions_and_follows_them():
    form = GuideForm(ProcessDescription(independent_subtasks=True, dependent_steps=True))
    assert {"simple_logic", "concurrent_capacity", "latency_for_clarity"} <= set(form.questions)
    assert form.update(latency_for_clarity=True).shape == "sequential(task_a, task_b, step_1, step_2)"
    form.update(latency_for_clarity=False, concurrent_capacity=False)
    assert "take turns" in form.report.value
