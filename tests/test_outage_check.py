"""08.outage: a desk must survive any one model down; sharing one model across roles cannot."""

from __future__ import annotations

import pytest

from orchestration_kit import Ask, KeywordRules, Resilient, Router
from orchestration_kit.grading import grade, lesson_exercises
from orchestration_kit.models.skills import parse_label

DEPTS = ["billing", "technical", "product", "account"]


def failed(result):
    return [case.description for case in result.cases if not case.passed]


def desk(models, *, analyzer="small", handlers=None, fallback=("large",)):
    """A router over the four departments; ``fallback`` is a chain of model roles, tried in order."""
    if analyzer == "rules":
        decide = KeywordRules({"billing": ["invoice", "refund", "charged", "bill"], "technical": ["error", "crash"],
                               "product": ["plan", "price", "discount"], "account": ["password", "account", "email"]})
    else:
        decide = Ask(models[analyzer], "Which department handles this: {input}", skill="classify",
                     labels=DEPTS + ["general"], parse=parse_label, name="department")
    routes = {d: Ask(models[(handlers or {}).get(d, d)], f"Answer this {d} question: {{input}}", skill=d, name=d)
              for d in DEPTS}
    answer = Ask(models[fallback[-1]], "Answer this question: {input}", skill="support", name=fallback[-1])
    for role in reversed(fallback[:-1]):
        answer = Resilient(Ask(models[role], "Answer this question: {input}", skill="support", name=role),
                           fallback=answer)
    return Router(analyzer=decide, routes=routes, fallback=answer, threshold=0.6)


def test_lesson_8_lists_the_open_design_exercise_last():
    assert lesson_exercises("08") == ["08.describe", "08.map", "08.errors", "08.outage"]


@pytest.mark.parametrize("design", [
    pytest.param({"fallback": ("large", "small")}, id="a model analyzer, a fallback chain large then small"),
    pytest.param({"analyzer": "small", "fallback": ("small", "large")}, id="the small model twice, the large behind it"),
])
def test_several_designs_pass(design):
    result = grade("08.outage", lambda models: desk(models, **design))
    assert result.passed, failed(result)


def test_one_model_in_every_role_fails_only_the_outage_case():
    everywhere = {d: "small" for d in DEPTS}
    result = grade("08.outage", lambda models: desk(models, handlers=everywhere, fallback=("small",)))
    assert failed(result) == ["every model up: at least 70% of department messages answered by their specialist",
                              "any one model down: at least 95% of messages still answered"]
    hint = next(case.hint for case in result.cases if case.description.startswith("any one model down"))
    assert "'small': 40" in hint  # the one shared model down: all 40 messages lost


def test_a_single_fallback_model_is_itself_a_shared_point_of_failure():
    result = grade("08.outage", lambda models: desk(models, fallback=("large",)))
    assert failed(result) == ["any one model down: at least 95% of messages still answered"]
    assert "'large'" in next(case.hint for case in result.cases if not case.passed)


def test_the_large_model_everywhere_misses_the_budget():
    result = grade("08.outage", lambda models: desk(models, analyzer="large", handlers={d: "large" for d in DEPTS},
                                                    fallback=("large", "small")))
    assert "every model up: at most $0.25 per 1,000 messages" in failed(result)
