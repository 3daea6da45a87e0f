"""Reprs tell the truth: httpx-style ``<Kind 'name': parts>``, never a constructor call that would not run, never an address."""

from __future__ import annotations

import re

from orchestration_kit import (
    Ask, Hierarchical, HumanReview, KeywordRules, Parallel, Resilient, RetryPolicy, Router, Sequential, SimulatedModel,
    Stage,
)

small = SimulatedModel("generalist-small")
generalist = Ask(small, "Answer: {input}", name="generalist")


def has_fields(output):
    return True


def test_a_router_shows_its_analyzer_routes_and_fallback():
    router = Router(analyzer=KeywordRules({"billing": ["refund"], "technical": ["error"]}),
                    routes={"billing": Ask(small, "B: {input}"), "technical": Ask(small, "T: {input}")},
                    fallback=generalist, threshold=0.6)
    assert repr(router) == "<Router 'router': keyword_rules → billing | technical, fallback generalist, threshold 0.6>"


def test_a_stage_and_a_resilient_show_what_they_add():
    stage = Stage(Ask(small, "Extract: {input}", name="extract"), validate=has_fields, alternative=generalist)
    assert repr(stage) == "<Stage 'extract': extract, validate has_fields, alternative generalist>"
    resilient = Resilient(Ask(small, "x: {input}", name="x"), timeout=5, retry=RetryPolicy(attempts=3), fallback=generalist)
    assert repr(resilient) == "<Resilient 'x': timeout 5 s → retry 3 attempts → fallback generalist>"


def test_the_other_patterns_and_an_ask():
    assert repr(Parallel(tasks={"a": str.upper, "b": str.lower}, on_error="skip")) == "<Parallel 'parallel': a | b, on_error skip>"
    assert repr(Sequential(stages=[str.upper, str.lower])) == "<Sequential 'sequential': upper → lower, on_error raise>"
    assert repr(Hierarchical(top=str.strip, sub={"a": str.upper}, escalate=HumanReview())) == (
        "<Hierarchical 'hierarchical': strip → a, escalate human review>")
    assert repr(Ask(small, "Draft: {input}", name="draft")) == "<Ask 'draft' → generalist-small: 'Draft: {input}'>"


def test_no_repr_looks_like_a_constructor_call_or_holds_an_address():
    flows = [Router(analyzer=lambda x: "a", routes={"a": str.upper}), Parallel(tasks={"a": str.upper}),
             Sequential(stages=[str.upper]), Stage(str.upper), Resilient(str.upper, timeout=1), HumanReview(),
             Ask(small, "{input}")]
    for flow in flows:
        text = repr(flow)
        assert text.startswith(f"<{type(flow).__name__} ") and text.endswith(">"), text
        assert not re.search(r"0x[0-9a-f]+", text), text
