"""One vocabulary for spans: a Kind and a Status, the trouble set defined once, one rule for a failed call's status."""

from __future__ import annotations

import pytest

from orchestration_kit import Hierarchical, RateLimited, Resilient, RetryPolicy, run
from orchestration_kit.pictures.charts import status_group
from orchestration_kit.status import DEGRADED, FAILED, TROUBLE, Kind, Status
from orchestration_kit.trace import Span, trouble


def flaky(times: int, error: Exception):
    """A step that raises ``error`` on its first ``times`` calls, then answers "done"."""
    calls = {"n": 0}

    def step(x):
        calls["n"] += 1
        if calls["n"] <= times:
            raise error
        return "done"

    return step


def test_a_429_is_rate_limited_in_a_flows_retry_as_in_a_backends():
    flow = Resilient(flaky(1, RateLimited("429 from the server")), retry=RetryPolicy(attempts=2, initial_delay=0.1))
    attempts = [s for s in run(flow, "x").trace if s.kind == Kind.ATTEMPT]
    assert [s.status for s in attempts] == ["rate_limited", "ok"]


def test_a_span_refuses_a_status_outside_the_vocabulary():
    with pytest.raises(ValueError, match="not one of ok, pending, error"):
        Span(1, None, "triage", "step", status="broken")
    span = Span(1, None, "triage", "step", status="fallback")
    assert span.status is Status.FALLBACK and span.kind is Kind.STEP and repr(span.status) == "'fallback'"


def test_a_retry_that_recovered_is_no_issue_in_the_feedback():
    seen = {}

    def escalate_when(feedback):
        seen["feedback"] = feedback
        return None if feedback.ok else "degraded"

    sub = Resilient(flaky(1, RateLimited("429")), retry=RetryPolicy(attempts=2, initial_delay=0.1), name="team")
    result = run(Hierarchical(top=lambda x: "a", sub={"a": sub}, escalate_when=escalate_when), "x")
    assert seen["feedback"].issues == () and seen["feedback"].ok
    assert result.output == "done"
    assert any(s.status == "rate_limited" for s in result.trace)  # the trace still shows the failed attempt


def test_a_retry_that_ran_out_is_an_issue():
    seen = {}

    def escalate_when(feedback):
        seen["feedback"] = feedback
        return None

    sub = Resilient(flaky(5, RateLimited("429")), retry=RetryPolicy(attempts=2, initial_delay=0.1), name="team")
    run(Hierarchical(top=lambda x: "a", sub={"a": sub}, escalate_when=escalate_when), "x")
    issues = seen["feedback"].issues  # spans: the last attempt only; the first was retried
    assert [(s.name, s.kind, s.status, s.attempt) for s in issues] == [("team", "attempt", "rate_limited", 2)]
    assert issues[0].error and seen["feedback"].summary() == "team: rate_limited"


def test_trouble_leaves_out_attempts_that_were_retried_and_what_they_hold():
    spans = [Span(1, None, "call", "step"), Span(2, 1, "call", "attempt", status="error", attempt=1),
             Span(3, 2, "model", "model", status="error"), Span(4, 1, "call", "attempt", attempt=2),
             Span(5, None, "other", "task", status="skipped"),
             Span(6, None, "last", "attempt", status="timeout", attempt=1)]  # no retry followed: it counts
    assert [s.id for s in trouble(spans)] == [5, 6]


def test_the_pictures_group_statuses_by_the_same_sets():
    assert TROUBLE == FAILED | {Status.SKIPPED} | DEGRADED and Status.OK not in TROUBLE
    assert {status_group(s) for s in FAILED} == {"failed"} and {status_group(s) for s in DEGRADED} == {"degraded"}
    assert status_group("skipped") == "skipped" and status_group("pending") == "ok"


def test_an_analyzer_object_names_its_step_by_its_name():
    from orchestration_kit import KeywordRules, Router

    class Rules:
        name = "my_rules"

        def __call__(self, text):
            return "a"

    assert Router(analyzer=Rules(), routes={"a": lambda x: x}).analyzer.name == "my_rules"
    rules = KeywordRules({"a": ["x"]})
    assert not hasattr(rules, "__name__") and Router(analyzer=rules, routes={"a": str}).analyzer.name == "keyword_rules"


def test_every_status_the_kit_writes_is_a_word_of_the_vocabulary():
    import re
    from pathlib import Path

    import orchestration_kit

    written = set()
    for path in Path(orchestration_kit.__file__).parent.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        written |= set(re.findall(r"span\.status(?:, [\w.]+)* = \"(\w+)\"", text))  # span.status, span.detail = "..."
        for table in re.findall(r"_BRANCH_STATUS = \{([^}]*)\}", text):  # Parallel's policy -> branch status
            written |= set(re.findall(r": \"(\w+)\"", table))
    assert {"fallback", "partial", "unresolved", "skipped"} <= written  # the scan finds them
    assert written - {s.value for s in Status} == set()


def test_every_kind_of_span_has_its_own_colour_in_the_timeline():
    from orchestration_kit.pictures.charts import KIND_COLOURS
    from orchestration_kit.status import Kind

    assert set(KIND_COLOURS) == {kind.value for kind in Kind}
    assert len(set(KIND_COLOURS.values())) == len(KIND_COLOURS)
