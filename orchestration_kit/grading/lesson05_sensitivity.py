"""Checks for lesson 5's fourth and fifth exercises: when does the router stop winning?

``05.sensitivity`` compares lesson 5's router with the large generalist when the
specialists are less accurate or dearer (``with_profile``); ``05.break_even``
asks for the price factor at which the router's cost per correct answer meets
the generalist's. The expected figures come from fresh runs on the virtual clock.
"""

from __future__ import annotations

import math
from typing import Any, Iterator

from ..models import SimulatedModel
from ..patterns import Router
from ..runner import run
from ..steps import Ask
from . import Case, describe, exercise, solved
from .lesson05_numbers import is_number


# -- exercise 4: when does the router stop winning? ---------------------------------------------
DEPARTMENTS = ("billing", "technical", "product", "account")
RESOLVE = "Resolve this customer message: {input}"
_SENSITIVITY_KEYS = ("router_accuracy", "generalist_accuracy", "router_cost_per_1k_correct_usd",
                     "generalist_cost_per_1k_correct_usd")


def support_router(specialist_models: dict[str, Any]) -> Router:
    """Lesson 5's router with the given specialist models (the same analyzer, threshold and fallback)."""
    from ..models.skills import parse_label

    small, large = SimulatedModel("generalist-small"), SimulatedModel("generalist-large")
    generalist = Ask(large, RESOLVE, skill="support", name="generalist")
    desks = {d: Ask(specialist_models[d], RESOLVE, skill=d, name=f"{d} desk") for d in DEPARTMENTS}
    analyzer = Ask(small, "Route this customer message: {input}", skill="classify", parse=parse_label, name="analyzer")
    return Router(analyzer=analyzer, routes={**desks, "general": generalist}, fallback=generalist, threshold=0.7,
                  name="router")


def _specialists(accuracy: float, price_factor: float) -> dict[str, Any]:
    models = {}
    for department in DEPARTMENTS:
        model = SimulatedModel(f"{department}-specialist")
        price = model.profile.pricing
        models[department] = model.with_profile(accuracy={department: accuracy},
                                                price_in_per_1k=price.input_per_1k * price_factor,
                                                price_out_per_1k=price.output_per_1k * price_factor)
    return models


def _accuracy_and_cost(flow: Any, messages: Any) -> tuple[float, float]:
    """Share answered right and US$ per 1,000 correct answers; a failed run is wrong and still paid for."""
    from ..measure.evaluate import default_prediction

    correct, cost = 0, 0.0
    for text, intent in zip(messages["text"], messages["intent"]):
        try:
            result = run(flow, text)
        except Exception as error:
            cost += error.trace.cost  # type: ignore[attr-defined]
            continue
        correct += default_prediction(result) == intent
        cost += result.trace.cost
    return correct / len(messages), (cost / correct * 1000 if correct else math.inf)


def _reference(messages: Any, accuracy: float, price_factor: float) -> dict[str, float]:
    router = _accuracy_and_cost(support_router(_specialists(accuracy, price_factor)), messages)
    generalist = _accuracy_and_cost(Ask(SimulatedModel("generalist-large"), RESOLVE, skill="support",
                                        name="generalist"), messages)
    return dict(zip(_SENSITIVITY_KEYS, (router[0], generalist[0], router[1], generalist[1])))


def _break_even(messages: Any, accuracy: float) -> float:
    """The price factor at which the router's cost per correct answer reaches the generalist's.

    The router's cost per correct answer is a straight line in the price factor (only the
    specialists' share of the bill grows), so two points give it exactly.
    """
    one, two = _reference(messages, accuracy, 1.0), _reference(messages, accuracy, 2.0)
    slope = two["router_cost_per_1k_correct_usd"] - one["router_cost_per_1k_correct_usd"]
    base = one["router_cost_per_1k_correct_usd"] - slope
    return (one["generalist_cost_per_1k_correct_usd"] - base) / slope


SENSITIVITY_SETTINGS = ((0.97, 1.0, "the catalog's specialists"), (0.8, 1.0, "specialists only 0.8 accurate"),
                        (0.97, 6.0, "specialists six times dearer"))


@exercise("05.sensitivity", "The router against the large generalist, with other specialists",
          start="write the body of router_vs_generalist(messages, accuracy, price_factor) with with_profile()")
def _sensitivity(router_vs_generalist: Any) -> Iterator[Case]:
    yield Case("router_vs_generalist is a function", callable(router_vs_generalist),
               f"got a {describe(router_vs_generalist)}; define it with def router_vs_generalist(messages, accuracy, "
               "price_factor): ...")
    if not callable(router_vs_generalist):
        return
    from ..course.datasets import customer_queries

    messages = customer_queries("train")[["text", "intent"]].reset_index(drop=True)  # held out from the lesson's runs
    first = solved(router_vs_generalist(messages, 0.97, 1.0))
    is_dict = isinstance(first, dict) and all(key in first for key in _SENSITIVITY_KEYS)
    yield Case(f"it returns a dict with {', '.join(_SENSITIVITY_KEYS)}", is_dict,
               f"it returned a {describe(first)}; return a dict with those four keys")
    if not is_dict:
        return
    for accuracy, factor, label in SENSITIVITY_SETTINGS:
        expected = _reference(messages, accuracy, factor)
        answer = first if (accuracy, factor) == (0.97, 1.0) else router_vs_generalist(messages, accuracy, factor)
        wrong = [key for key in _SENSITIVITY_KEYS
                 if not isinstance(answer, dict) or not is_number(answer.get(key))
                 or abs(answer[key] - expected[key]) > 1e-9 * max(1.0, abs(expected[key]))]
        hint = ""
        if wrong:
            key = wrong[0]
            given = answer.get(key) if isinstance(answer, dict) else answer
            hint = (f"{key}: you gave {given!r}, expected {expected[key]:.6g}\n" +
                    ("change each specialist with with_profile(accuracy={department: accuracy}) on its own "
                     "department's skill, and multiply both of its prices by price_factor"
                     if key.startswith("router") else "the generalist is the catalog's generalist-large, unchanged") +
                    "; a run that raises counts as wrong, and what it spent (error.trace.cost) still counts")
        yield Case(f"{label} ({accuracy:g} accurate, prices x{factor:g}), on 269 held-out messages", not wrong, hint)


@exercise("05.break_even", "The price at which the router stops winning",
          start="set break_even = {0.97: factor, 0.8: factor}: the price factors where the costs per correct answer meet")
def _break_even_answer(break_even: Any) -> Iterator[Case]:
    from ..course.datasets import customer_queries

    is_dict = isinstance(break_even, dict) and all(is_number(break_even.get(a)) for a in (0.97, 0.8))
    yield Case("break_even is a dict {0.97: factor, 0.8: factor}", is_dict,
               f"got a {describe(break_even)}; e.g. break_even = {{0.97: 5.0, 0.8: 3.0}}")
    if not is_dict:
        return
    messages = customer_queries("test")
    for accuracy in (0.97, 0.8):
        expected = _break_even(messages, accuracy)
        answer = break_even[accuracy]
        yield Case(f"specialists {accuracy:g} accurate: within 0.25 of the break-even price factor",
                   abs(answer - expected) <= 0.25,
                   f"you gave x{answer:g}; at that factor the router is still "
                   f"{'cheaper' if answer < expected else 'dearer'} per correct answer than the generalist\n"
                   "the router's cost per correct answer grows in a straight line with the price factor: measure it "
                   "at two factors and find where the line crosses the generalist's")

