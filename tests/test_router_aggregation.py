"""The result aggregator, multi-route for mixed-intent messages, and an LLM as the analyzer."""

from __future__ import annotations

import pytest

from orchestration_kit import Ask, ConfigurationError, Decision, Router, SimulatedModel, run
from orchestration_kit.patterns import MultiRoute, ResultAggregator
from orchestration_kit.patterns.aggregator import FIELDS, read_answer
from orchestration_kit.routing.llm_analyzer import llm_analyzer

JSON_ANSWER = '{"label": "app_crash", "confidence": 0.9, "reply": "Update the app."}'


def crash_tool(message):
    return "Ticket T-1 opened for: " + message  # a Python tool: prose, no JSON


def test_the_aggregator_gives_every_handlers_answer_the_same_five_keys():
    aggregate = ResultAggregator()
    shapes = [JSON_ANSWER, "Please restart.", {"intent": "refund", "answer": "Refunded."}, 42]
    answers = [aggregate({"r": shape}) for shape in shapes]
    assert all(tuple(answer) == FIELDS for answer in answers)
    assert [a["label"] for a in answers] == ["app_crash", None, "refund", None]
    assert [a["reply"] for a in answers] == ["Update the app.", "Please restart.", "Refunded.", "42"]


def test_each_category_gets_its_own_response_format():
    aggregate = ResultAggregator(formats={"technical": "Steps to try: {reply}",
                                          "billing": lambda answer: f"{answer['reply']}\nReference: {answer['label']}"})
    assert aggregate({"technical": JSON_ANSWER})["reply"] == "Steps to try: Update the app."
    billing = aggregate({"billing": '{"label": "refund", "reply": "Refund opened."}'})
    assert billing["reply"] == "Refund opened.\nReference: refund"
    assert aggregate({"product": JSON_ANSWER})["reply"] == "Update the app."  # the default format


def test_a_format_with_an_unknown_field_is_refused_when_built():
    with pytest.raises(ConfigurationError, match=r"\{intent\}.*\{reply\}"):
        ResultAggregator(formats={"billing": "{intent}: {reply}"})


def test_the_aggregators_repr_is_stable_and_readable():
    assert repr(ResultAggregator(formats={"technical": "Steps: {reply}"})) == \
        "<ResultAggregator 'result aggregator': formats for technical, default '{reply}'>"


def test_a_router_with_an_aggregator_normalises_its_routes_and_its_fallback():
    model = SimulatedModel("technical-specialist")
    router = Router(analyzer=lambda text: "technical" if "crash" in text else None,
                    routes={"technical": Ask(model, "Resolve: {input}", skill="technical")},
                    fallback=crash_tool, aggregator=ResultAggregator(formats={"fallback": "[generalist] {reply}"}))
    routed, fell_back = run(router, "the app crashes").output, run(router, "hello").output
    assert routed["route"] == "technical" and routed["label"] == "app_crash"
    assert fell_back == {"route": "fallback", "label": None, "labels": [None], "confidence": None,
                         "reply": "[generalist] Ticket T-1 opened for: hello"}
    assert repr(router).endswith(", fallback crash_tool, aggregator result aggregator>")


def test_without_an_aggregator_a_routes_output_is_returned_as_it_is():
    router = Router(analyzer=lambda text: "r", routes={"r": lambda text: JSON_ANSWER})
    assert run(router, "x").output == JSON_ANSWER


def ranked(text):
    if "and" in text:
        return [Decision("billing", 0.55), Decision("technical", 0.4), Decision("general", 0.05)]
    return [Decision("general", 0.6), Decision("billing", 0.35), Decision("technical", 0.05)]


def test_multi_route_takes_the_runner_up_only_when_it_is_likely_enough():
    assert [d.route for d in MultiRoute(ranked, second_at_least=0.3)("refund and crash")] == ["billing", "technical"]
    assert [d.route for d in MultiRoute(ranked, second_at_least=0.5)("refund and crash")] == ["billing"]


def test_multi_route_never_combines_general_with_a_department():
    assert [d.route for d in MultiRoute(ranked, second_at_least=0.3)("hello")] == ["general"]


def test_a_multi_routed_message_gets_both_answers_in_one_reply():
    routes = {"billing": lambda text: '{"label": "refund", "reply": "Refund opened."}',
              "technical": lambda text: '{"label": "app_crash", "reply": "Update the app."}', "general": str}
    router = Router(analyzer=MultiRoute(ranked), routes=routes, aggregator=ResultAggregator())
    answer = run(router, "refund and crash").output
    assert answer["route"] == "billing+technical" and answer["labels"] == ["refund", "app_crash"]
    assert answer["reply"] == "Refund opened.\n\nUpdate the app."


def test_multi_route_refuses_bad_settings():
    with pytest.raises(ConfigurationError, match="ranked"):
        MultiRoute(["billing"])
    with pytest.raises(ConfigurationError, match="second_at_least"):
        MultiRoute(ranked, second_at_least=0.0)
    assert repr(MultiRoute(ranked)) == "<MultiRoute 'multi-route (ranked)': a second route at 0.25 or more, never with general>"


def test_the_llm_analyzer_asks_for_one_label_and_constrains_a_small_model_to_the_labels():
    analyzer = llm_analyzer(SimulatedModel("generalist-small"))
    grammar = analyzer.options["extra_body"]["grammar"]
    assert grammar == 'root ::= "billing" | "technical" | "product" | "account" | "general"'
    assert analyzer.options["max_tokens"] == 5 and "extra_body" not in llm_analyzer(SimulatedModel("generalist-small"),
                                                                                     constrained=False).options
    assert analyzer.parse("account") == Decision("account", 1.0, "the model said account (no confidence given)")


def test_read_answer_reads_prose_as_a_reply_without_a_label():
    assert read_answer("  Please restart the app. ") == (None, None, "Please restart the app.")
