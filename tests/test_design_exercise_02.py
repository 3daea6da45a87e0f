"""Lesson 2's open design exercise (02.design): several designs pass, each property is measured on hidden faults."""

from __future__ import annotations

import pytest

from orchestration_kit import Ask, Parallel, Resilient, RetryPolicy
from orchestration_kit.grading import grade
from orchestration_kit.grading.lesson02_design import DESIGN_FAULTS, p95, read_screen
from orchestration_kit.patterns import BranchResult, Gathered
from orchestration_kit.models.skills.parse import parse_json


def report(gathered):
    values = gathered.values
    return {"sentiment": parse_json(values["sentiment"])["label"] if values.get("sentiment") else None,
            "risk": parse_json(values["risk"])["risk"] if values.get("risk") else None}


def ask(models, name, skill):
    return Ask(models[name], f"{skill} of this document:\n{{input}}", skill=skill)


def fallback_per_branch(models):
    """Each branch guards itself (timeout, retry, fallback); a synthesizer writes the dict."""
    return Parallel(tasks={
        "sentiment": Resilient(ask(models, "sentiment-specialist", "sentiment"), timeout=1.0,
                               fallback=ask(models, "generalist-small", "sentiment")),
        "risk": Resilient(ask(models, "compliance-specialist", "compliance"), timeout=2.0,
                          retry=RetryPolicy(attempts=2, initial_delay=0.2), fallback=ask(models, "generalist-large", "compliance")),
    }, synthesizer=report)


def guarded_parallel(models):
    """Another design: the Parallel times out and retries every branch, skips what still fails, returns the Gathered;
    the sentiment comes from the small generalist, the risk falls back to the large one."""
    return Parallel(tasks={
        "sentiment": ask(models, "generalist-small", "sentiment"),
        "risk": Resilient(ask(models, "compliance-specialist", "compliance"), fallback=ask(models, "generalist-large", "compliance")),
    }, timeout=2.5, retry=RetryPolicy(attempts=2, initial_delay=0.1), on_error="skip")


def all_or_nothing(models):
    """Loses the survivors: one failed branch raises, and the other branch's answer goes with it."""
    return Parallel(tasks={
        "sentiment": ask(models, "sentiment-specialist", "sentiment"),
        "risk": Resilient(ask(models, "compliance-specialist", "compliance"), fallback=ask(models, "generalist-large", "compliance")),
    }, timeout=1.0, on_error="raise")


def large_model_only(models):
    """Sturdy and accurate enough, but the large model answers everything: over the budget."""
    return Parallel(tasks={"sentiment": ask(models, "generalist-large", "sentiment"),
                           "risk": ask(models, "generalist-large", "compliance")},
                    timeout=3.0, retry=RetryPolicy(attempts=2), on_error="skip")


def no_timeout(models):
    return Parallel(tasks={"sentiment": ask(models, "sentiment-specialist", "sentiment"),
                           "risk": Resilient(ask(models, "compliance-specialist", "compliance"), retry=RetryPolicy(attempts=2),
                                             fallback=ask(models, "generalist-large", "compliance"))})


def failed_cases(result):
    return {case.description.split(" (")[0]: case.hint for case in result.cases if not case.passed}


@pytest.mark.parametrize("design", [fallback_per_branch, guarded_parallel])
def test_different_valid_designs_pass(design):
    result = grade("02.design", design)
    assert result.passed, result.report()
    assert result.score == (8, 8)


def test_a_design_that_loses_the_survivors_fails_with_the_survivors_hint():
    failed = failed_cases(grade("02.design", all_or_nothing))
    survivors = failed["survivors kept: when one model fails for good, the other analysis still comes back"]
    assert "'the compliance model is down': the sentiment was lost too" in survivors
    assert "must not cost the others their results" in survivors
    assert "on_error" not in survivors  # the hint guides; it does not give the answer
    assert any(name.startswith("it runs on all 640 hidden cases") for name in failed)


def test_a_large_model_for_everything_misses_only_the_budget():
    result = grade("02.design", large_model_only)
    failed = failed_cases(result)
    assert list(failed) == ["at most $0.40 per 1,000 documents"]
    assert "measured: $0.8" in next(c.description for c in result.cases if not c.passed)


def test_a_design_without_a_timeout_misses_the_latency_limit_and_is_told_where():
    failed = failed_cases(grade("02.design", no_timeout))
    assert "the slowest runs are when the sentiment model hangs" in failed["p95 latency within 3 s on the virtual clock"]
    assert "a call that hangs never answers" in failed["the sentiment is right in at least 67% of the runs of every scenario"]


def test_the_verdict_is_the_same_on_every_run():
    assert grade("02.design", guarded_parallel) == grade("02.design", guarded_parallel)


def test_a_design_that_is_not_a_function_gets_one_clear_case():
    result = grade("02.design", Parallel(tasks={"x": lambda text: text}))
    assert result.status == "failed" and len(result.cases) == 1 and "def screen(models)" in result.cases[0].hint


def test_a_placeholder_design_is_not_yet_solved():
    assert grade("02.design", lambda models: None).status == "unsolved"


def test_every_fault_scenario_is_run_on_the_held_out_documents():
    description = next(c.description for c in grade("02.design", guarded_parallel).cases if c.description.startswith("it runs"))
    assert f"all {len(DESIGN_FAULTS) * 32 * 5} hidden cases" in description  # 40 documents, 8 kept for the learner to try; 5 seeds each


def test_the_output_may_be_a_dict_or_the_gathered_branches():
    gathered = Gathered({"sentiment": BranchResult("sentiment", "ok", '{"label": "negative"}'),
                         "risk": BranchResult("risk", "skipped", None, "BackendError")})
    assert read_screen(gathered) == ("negative", None)
    assert read_screen({"sentiment": "neutral", "risk": "low"}) == ("neutral", "low")
    assert read_screen("a report") == (None, None)


def test_p95_is_the_nearest_rank_percentile():
    assert p95([float(i) for i in range(1, 101)]) == 95.0
    assert p95([1.0, 2.0]) == 2.0 and p95([3.0]) == 3.0
