"""Lesson 1's checks grade on held-out data, and grade behaviour: several designs pass, weak ones fail."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("sklearn")

from orchestration_kit import Ask, KeywordRules, Router, datasets  # noqa: E402
from orchestration_kit.grading import check  # noqa: E402
from orchestration_kit.grading.lesson01 import GIVEN_RULES, hidden_rows  # noqa: E402
from orchestration_kit.grading.lesson01_design import measure_design  # noqa: E402
from orchestration_kit.patterns import MultiRoute, ResultAggregator  # noqa: E402
from orchestration_kit.routing.trained import TrainedClassifier  # noqa: E402

SOLUTION_WORDS = ["account", "password", "email", "user", "users", "admin", "admins", "profile", "delete",
                  "username", "reset", "forgot", "colleague", "name", "address", "erase"]


def words_only_in_account_messages(frame):
    """Memorising rules: every word of the frame's account messages that no other message of it uses."""
    words = lambda text: set(re.findall(r"[a-z0-9']+", text.lower()))  # noqa: E731
    account = set().union(*map(words, frame[frame.label == "account"].text))
    other = set().union(*map(words, frame[frame.label != "account"].text))
    return sorted(account - other)


def test_the_keyword_check_grades_on_messages_that_are_not_in_the_shipped_data_set():
    shipped = {text.lower() for text in datasets.customer_queries().text}
    rows = hidden_rows()
    assert len(rows) > 300 and not [row for row in rows if row["text"].lower() in shipped]
    assert {row["label"] for row in rows} == {"billing", "technical", "product", "account", "general"}


def test_keywords_mined_from_the_test_set_do_not_pass_the_keyword_check():
    test = datasets.customer_queries("test")
    mined = KeywordRules({**GIVEN_RULES, "account": words_only_in_account_messages(test)})
    on_test = [mined(text).route or "general" for text in test.text]
    recall_on_test = sum(r == "account" for r, label in zip(on_test, test.label) if label == "account") / \
        sum(test.label == "account")
    assert recall_on_test > 0.85  # on the messages they were mined from, these rules look excellent
    assert not check("01.keywords", mined).passed  # the old check (all 384 messages) passed them


def test_keywords_that_name_what_account_requests_are_about_pass_the_keyword_check():
    assert check("01.keywords", KeywordRules({**GIVEN_RULES, "account": SOLUTION_WORDS})).passed


def test_the_formats_check_passes_an_aggregator_with_both_formats_and_fails_one_without():
    formats = {"technical": "Steps to try: {reply}", "billing": "{reply}\nReference: {label}"}
    assert check("01.formats", ResultAggregator(formats=formats)).passed
    without = check("01.formats", ResultAggregator())
    assert not without.passed and [c.passed for c in without.cases][:3] == [True, True, True]


def test_the_formats_check_accepts_a_hand_written_aggregator_too():
    def aggregate(outputs):
        route, output = next(iter(outputs.items()))
        shape = ResultAggregator(formats={"technical": "Steps to try: {reply}", "billing": "{reply}\nReference: {label}"})
        return shape({route: output})
    assert check("01.formats", aggregate).passed


@pytest.fixture(scope="module")
def trained():
    train = datasets.customer_queries("train")
    return TrainedClassifier().fit(train.text, train.label)


def _routes(models):
    def handler(model, skill):
        return Ask(model, "Resolve this customer message: {input}", skill=skill, name=f"{skill} ({model.name})")
    routes = {d: handler(models[f"{d}-specialist"], d) for d in ("billing", "technical", "product", "account")}
    routes["general"] = handler(models["generalist-large"], "support")
    return routes, routes["general"]


def test_the_design_check_passes_two_different_multi_route_designs(trained):
    def multi(models, share=0.25):
        routes, generalist = _routes(models)
        return Router(analyzer=MultiRoute(trained.ranked, second_at_least=share), routes=routes, fallback=generalist,
                      aggregator=ResultAggregator())
    assert check("01.design", multi).passed
    assert check("01.design", lambda models: multi(models, share=0.35)).passed


def test_the_design_check_fails_a_single_route_router_on_mixed_messages_and_the_generalist_on_cost(trained):
    def single(models):
        routes, generalist = _routes(models)
        return Router(analyzer=trained, routes=routes, fallback=generalist, threshold=0.6)
    verdict = check("01.design", single)
    assert [c.description for c in verdict.cases if not c.passed] == [
        "at least 80% of the held-out mixed-intent messages get their request answered"]
    assert measure_design(lambda models: _routes(models)[1])["cost_per_1k"] > 0.20
