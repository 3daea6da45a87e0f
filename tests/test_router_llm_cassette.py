"""Lesson 1's LLM analyzer: SmolLM2's recorded routing calls replay offline, with no server."""

from __future__ import annotations

from collections import Counter

from orchestration_kit import config, datasets, run
from orchestration_kit.replay.cassette import Cassette
from orchestration_kit.routing.llm_analyzer import llm_analyzer
from orchestration_kit.paths import DATA_DIR

CASSETTE = DATA_DIR / "cassettes" / "01_llm_router.jsonl"


def test_every_held_out_message_replays_its_recorded_llm_routing_call():
    test = datasets.customer_queries("test")
    tape = Cassette(CASSETTE, mode="replay")
    analyzer = llm_analyzer(tape.wrap(config.model("writer")))
    decisions = [run(analyzer, text, clock=tape.clock).output for text in test.text]
    assert len(tape.calls) == len(test) == 115
    assert {d.route for d in decisions} <= {"billing", "technical", "product", "account", "general"}
    right = sum(d.route == label for d, label in zip(decisions, test.label))
    assert right == 30  # as recorded: the small model is right for about a quarter of the messages
    assert Counter(d.route for d in decisions).most_common(1)[0][1] > 50  # it prefers one department


def test_the_llm_routing_cassette_is_small_and_names_only_the_local_model():
    text = CASSETTE.read_text()
    assert len(text) < 200_000
    assert "api.openai.com" not in text and "anthropic.com" not in text
