"""05.design, lesson 5's open design exercise: different designs pass, and each failing design misses the
property the spec says it should (a single big model the cost, a design without error handling the survival)."""

import json

import pytest

from orchestration_kit import Ask, Router, SimulatedModel, Stage
from orchestration_kit.grading import grade
from orchestration_kit.grading.support_design import (
    MAX_COST_PER_1K_USD, SCENARIOS, desk_models, desk_runs, scorecard, summarise,
)
from orchestration_kit.models.skills import parse_label

DEPARTMENTS = ("billing", "technical", "product", "account")
RESOLVE = "Resolve this customer message: {input}"


def _analyzer(models):
    return Ask(models["generalist-small"], "Route this customer message: {input}", skill="classify", parse=parse_label,
               name="analyzer")


def _desks(models):
    return {d: Ask(models[f"{d}-specialist"], RESOLVE, skill=d, name=f"{d} desk") for d in DEPARTMENTS}


def lesson_router(models):
    """The lesson's router: specialists, the large generalist for general and unsure messages and failures."""
    generalist = Ask(models["generalist-large"], RESOLVE, skill="support", name="generalist")
    return Router(analyzer=_analyzer(models), routes={**_desks(models), "general": generalist}, fallback=generalist,
                  threshold=0.7)


def router_with_checked_desks(models):
    """A mix: each desk is a Stage whose unsure (or failed) answer goes to the large generalist."""
    generalist = Ask(models["generalist-large"], RESOLVE, skill="support", name="generalist")
    checked = {d: Stage(desk, validate=lambda reply: json.loads(reply)["confidence"] >= 0.7, alternative=generalist,
                        name=f"{d} checked") for d, desk in _desks(models).items()}
    return Router(analyzer=_analyzer(models), routes={**checked, "general": generalist}, fallback=generalist,
                  threshold=0.7)


def big_model_alone(models):
    return Ask(models["generalist-large"], RESOLVE, skill="support", name="generalist")


def router_without_error_handling(models):
    """The lesson's routing logic written by hand, with nothing to catch a failed specialist."""
    analyzer, desks = _analyzer(models), _desks(models)
    generalist = Ask(models["generalist-large"], RESOLVE, skill="support", name="generalist")

    async def desk(text, ctx):
        decision = await analyzer(text, ctx)
        if decision.route in desks and decision.confidence >= 0.7:
            return await desks[decision.route](text, ctx)
        return await generalist(text, ctx)

    return desk


def _failed(result):
    return [case.description for case in result.cases if not case.passed]


@pytest.mark.parametrize("design", [lesson_router, router_with_checked_desks])
def test_different_designs_meet_the_spec(design):
    result = grade("05.design", design)
    assert result.passed, result.report()


def test_a_single_big_model_misses_the_cost_and_nothing_else():
    result = grade("05.design", big_model_alone)
    assert len(_failed(result)) == 1 and "per 1,000 messages" in _failed(result)[0], result.report()
    hint = next(case.hint for case in result.cases if not case.passed)
    assert "large generalist" in hint and "Router" not in hint  # it points at the bill, not at the answer


def test_a_design_without_error_handling_misses_survival():
    result = grade("05.design", router_without_error_handling)
    survival = next(case for case in result.cases if case.description.startswith("every message answered"))
    assert not survival.passed
    assert "the billing specialist is down" in survival.hint and "every model is up" not in survival.hint
    assert any(case.passed for case in result.cases if "per 1,000 messages" in case.description)


def test_without_faults_the_design_without_error_handling_raises_nothing():
    from orchestration_kit.course.datasets import customer_queries

    runs = desk_runs(router_without_error_handling, customer_queries("test"), seeds=(0,))
    raised = {s: sum(bool(r.error) for r in runs if r.scenario == s) for s in SCENARIOS}
    assert raised["every model is up"] == 0 and all(raised[s] > 0 for s in SCENARIOS if s != "every model is up")


def test_a_design_that_builds_its_own_models_is_caught():
    def own_models(models):
        return lesson_router({name: SimulatedModel(name) for name in models})

    result = grade("05.design", own_models)
    assert "it calls the models it is given (the check injects the faults into them)" in _failed(result)


def test_the_try_it_scorecard_is_the_checks_measurement_and_reproducible():
    from orchestration_kit.course.datasets import customer_queries

    messages = customer_queries("test")
    first, second = scorecard(big_model_alone, messages), scorecard(big_model_alone, messages)
    assert first.equals(second)
    card = summarise(desk_runs(big_model_alone, messages))
    assert card.runs == 2 * len(SCENARIOS) * len(messages) and card.cost_per_1k_usd > MAX_COST_PER_1K_USD
    assert not first.loc["cost per 1,000 messages (US$)", "met"]


def test_the_models_given_have_only_the_injected_fault():
    models = desk_models("product-specialist")
    assert models["product-specialist"].profile.failures.error_rate == 1.0
    assert all(m.profile.failures.error_rate == 0.0 for name, m in models.items() if name != "product-specialist")


def test_an_unwritten_design_is_not_yet_solved_and_a_flow_is_not_a_builder():
    assert grade("05.design", lambda models: None).status == "unsolved"
    result = grade("05.design", lesson_router(desk_models()))
    assert not result.passed and "def support_desk(models)" in result.cases[0].hint
