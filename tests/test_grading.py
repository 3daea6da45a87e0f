"""check(): a verdict and a hint per hidden case, whatever the learner's answer does."""

from __future__ import annotations

import json

import pytest

from orchestration_kit import Ask, KeywordRules, Router, Sequential, SimulatedModel
from orchestration_kit.grading import (
    EXERCISES,
    RESULTS_ENV,
    STRICT_ENV,
    Case,
    CheckFailed,
    check,
    exercise,
    grade,
    lesson_exercises,
    solved,
)


@pytest.fixture
def square_exercise():
    """A throwaway exercise, "99.square": the answer is a function returning x * x."""

    @exercise("99.square", "Square a number", start="write the body of square(x)")
    def cases(square):
        yield Case("square(3) is 9", solved(square(3)) == 9, "multiply x by itself")
        yield Case("square(-2) is 4", square(-2) == 4, "a negative number squared is positive")

    yield "99.square"
    del EXERCISES["99.square"]


# -- verdicts ------------------------------------------------------------------
def test_a_correct_answer_passes_every_case_and_prints_a_tick_per_case(square_exercise, capsys):
    result = check(square_exercise, lambda x: x * x)
    assert result.passed and result.score == (2, 2)
    printed = capsys.readouterr().out
    assert printed.splitlines() == [
        "99.square: Square a number",
        "  ✓ square(3) is 9",
        "  ✓ square(-2) is 4",
        "  score 2/2: solved",
    ]


def test_a_failed_case_prints_its_hint_under_it(square_exercise, capsys):
    result = check(square_exercise, abs)
    assert result.status == "failed" and result.score == (0, 2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[1:3] == ["  ✗ square(3) is 9", "      hint: multiply x by itself"]
    assert lines[-1].startswith("  score 0/2: not yet")


@pytest.mark.parametrize("placeholder", [None, ...])
def test_a_placeholder_answer_is_not_yet_solved_with_the_starting_hint(square_exercise, placeholder, capsys):
    result = check(square_exercise, placeholder)
    assert result.status == "unsolved" and not result.passed
    assert "not yet solved" in capsys.readouterr().out
    assert result.hint == "write the body of square(x)"


def test_a_function_still_returning_none_is_not_yet_solved(square_exercise):
    def untouched(x):
        ...

    assert grade(square_exercise, untouched).status == "unsolved"


def test_learner_code_that_raises_gets_a_one_line_verdict_not_a_traceback(square_exercise, capsys):
    def broken(x):
        raise ZeroDivisionError("division by zero\nsecond line of detail")

    result = check(square_exercise, broken)
    printed = capsys.readouterr().out
    assert result.status == "failed"
    assert result.cases[-1].hint == "it raised ZeroDivisionError: division by zero"
    assert "Traceback" not in printed and "second line" not in printed


def test_an_answer_whose_repr_raises_still_gets_a_hint():
    class Hostile:
        def __repr__(self):
            raise RuntimeError("no repr for you")

    result = grade("00.sequential", Hostile())
    assert result.status == "failed"
    assert "Hostile" in result.cases[0].hint


def test_the_wrong_type_is_named_in_the_hint():
    result = grade("00.sequential", "Sequential(stages=[draft, polish])")
    assert result.status == "failed" and result.score == (0, 1)
    assert "str" in result.cases[0].hint and "Sequential(stages=" in result.cases[0].hint


def test_an_unknown_exercise_name_lists_the_known_ones():
    result = grade("00.sequentail", "anything")
    assert result.status == "failed"
    assert "00.sequential" in result.cases[0].hint


def test_a_non_string_name_is_explained_not_raised():
    result = grade(Sequential, "00.sequential")  # arguments swapped
    assert result.status == "failed"
    assert "the name first" in result.cases[0].hint


def test_the_report_and_repr_are_the_same_on_every_call():
    def makespan(stages):
        return sum(sum(stage) for stage in stages)  # a classic mistake: parallel tasks added up

    first, second = grade("00.makespan", makespan), grade("00.makespan", makespan)
    assert first.report() == second.report()
    assert repr(first) == "CheckResult('00.makespan', failed, 4/7 cases)"
    assert "0x" not in first.report()


# -- strict mode and the results file -------------------------------------------
def test_strict_mode_raises_on_a_failed_or_unsolved_answer(square_exercise, monkeypatch, capsys):
    monkeypatch.setenv(STRICT_ENV, "1")
    with pytest.raises(CheckFailed, match="99.square is failed"):
        check(square_exercise, abs)
    with pytest.raises(CheckFailed, match="unsolved"):
        check(square_exercise, None)
    assert check(square_exercise, lambda x: x * x).passed  # a correct answer never raises
    assert "✗ square(3) is 9" in capsys.readouterr().out  # the verdict is printed before raising


def test_strict_false_lets_a_deliberate_mistake_through(square_exercise, monkeypatch):
    monkeypatch.setenv(STRICT_ENV, "1")
    assert check(square_exercise, abs, strict=False).status == "failed"


def test_strict_is_off_when_the_variable_is_zero_or_empty(square_exercise, monkeypatch):
    for value in ("0", ""):
        monkeypatch.setenv(STRICT_ENV, value)
        assert check(square_exercise, abs).status == "failed"


def test_each_check_appends_one_json_line_to_the_results_file(square_exercise, monkeypatch, tmp_path):
    results = tmp_path / "results.jsonl"
    monkeypatch.setenv(RESULTS_ENV, str(results))
    check(square_exercise, lambda x: x * x)
    check(square_exercise, None)
    lines = [json.loads(line) for line in results.read_text().splitlines()]
    assert [(r["exercise"], r["status"], r["passed"], r["total"]) for r in lines] == [
        ("99.square", "passed", 2, 2),
        ("99.square", "unsolved", 0, 0),
    ]


# -- lesson 0's checks: right answers pass, typical mistakes fail the right case --
small, large = SimulatedModel("generalist-small"), SimulatedModel("generalist-large")
draft = Ask(small, "Draft a reply to this customer message: {input}", name="draft")
polish = Ask(large, "Polish this draft reply: {input}", name="polish")
rules = KeywordRules({"billing": ["invoice", "refund", "charged"], "technical": ["error", "crash", "login"]})


def failed_cases(result):
    return [case.description for case in result.cases if not case.passed]


def test_lesson_0_has_three_graded_exercises_in_order():
    assert lesson_exercises("00") == ["00.sequential", "00.makespan", "00.fallback"]


def test_sequential_stages_in_the_wrong_order_fail_on_order():
    assert grade("00.sequential", Sequential(stages=[draft, polish])).passed
    wrong = grade("00.sequential", Sequential(stages=[polish, draft]))
    assert "draft runs first, then polish" in failed_cases(wrong)


def test_makespan_that_adds_parallel_tasks_fails_only_where_tasks_overlap():
    assert grade("00.makespan", lambda stages: sum(max(stage) for stage in stages)).passed
    wrong = grade("00.makespan", lambda stages: sum(sum(stage) for stage in stages))
    assert all("parallel" in name or "many" in name for name in failed_cases(wrong))
    assert "three stages in sequence: [[0.3], [1.0], [2.0]]" not in failed_cases(wrong)


def test_makespan_that_returns_text_is_told_to_return_a_number():
    result = grade("00.makespan", lambda stages: "2.5 s")
    assert failed_cases(result) == ["it returns a number of seconds"]


def test_a_router_without_fallback_fails_on_the_off_topic_question_with_the_routing_error():
    def with_fallback(routes):
        return Router(analyzer=rules, routes=routes, fallback=Ask(large, "Answer: {input}"))

    def without_fallback(routes):
        return Router(analyzer=rules, routes=routes)

    assert grade("00.fallback", with_fallback).passed
    result = grade("00.fallback", without_fallback)
    assert failed_cases(result) == [
        "an off-topic question goes to the fallback, not to a RoutingError",
        "the fallback is a generalist model",
        "when the billing specialist is down, the fallback takes over",
    ]
    assert "RoutingError" in result.cases[4].hint


def test_a_fallback_that_is_not_a_model_fails_only_the_generalist_case():
    def canned(routes):
        return Router(analyzer=rules, routes=routes, fallback=lambda question: "Sorry, I cannot help.")

    assert failed_cases(grade("00.fallback", canned)) == ["the fallback is a generalist model"]
