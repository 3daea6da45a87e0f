"""SimulatedModel.with_profile(): the same model with some catalog figures changed, for "what if" questions."""

from __future__ import annotations

import pytest

from orchestration_kit import Ask, ConfigurationError, SimulatedModel, datasets, run
from orchestration_kit.models.skills import parse_label

BILLING = SimulatedModel("billing-specialist")


def billing_desk(model: SimulatedModel) -> Ask:
    return Ask(model, "Resolve this customer message: {input}", skill="billing", parse=parse_label, name="billing desk")


def billing_messages() -> list[tuple[str, str]]:
    data = datasets.customer_queries("test")
    return [(text, intent) for text, intent, label in zip(data.text, data.intent, data.label) if label == "billing"]


def test_a_changed_figure_changes_that_figure_only_and_shows_in_the_repr():
    cheaper = BILLING.with_profile(accuracy={"billing": 0.8}, price_in_per_1k=0.0006)
    assert cheaper.profile.accuracy_for("billing") == 0.8
    assert cheaper.profile.pricing.input_per_1k == 0.0006
    assert cheaper.profile.pricing.output_per_1k == BILLING.profile.pricing.output_per_1k
    assert cheaper.profile.latency_s == BILLING.profile.latency_s and cheaper.name == BILLING.name
    assert BILLING.profile.accuracy_for("billing") == 0.97  # the original is untouched
    assert repr(cheaper) == "SimulatedModel('billing-specialist', acc_billing=0.8, price_in_per_1k=0.0006)"
    assert repr(cheaper.with_failures(error_rate=0.1)) == repr(cheaper)
    assert repr(cheaper.with_profile(latency_s=0.5)) == (
        "SimulatedModel('billing-specialist', acc_billing=0.8, price_in_per_1k=0.0006, latency_s=0.5)")


def test_unchanged_figures_give_the_same_runs_bit_for_bit():
    same = BILLING.with_profile(accuracy={"billing": 0.97})
    for text, _ in billing_messages()[:10]:
        a, b = run(billing_desk(BILLING), text, seed=3), run(billing_desk(same), text, seed=3)
        assert (a.output, a.trace.latency, a.trace.cost) == (b.output, b.trace.latency, b.trace.cost)


def test_a_less_accurate_specialist_answers_fewer_messages_right():
    messages = billing_messages()

    def correct(model: SimulatedModel) -> int:
        return sum(run(billing_desk(model), text).output.route == intent for text, intent in messages)

    reliable = BILLING.with_failures(error_rate=0.0, spike_rate=0.0)  # no call fails: every message gets an answer
    as_listed, weaker = correct(reliable), correct(reliable.with_profile(accuracy={"billing": 0.6}))
    assert weaker < as_listed


def test_doubled_prices_double_the_cost_and_leave_the_time_alone():
    text = billing_messages()[0][0]
    pricier = BILLING.with_profile(price_in_per_1k=0.0006, price_out_per_1k=0.0024)
    base, double = run(billing_desk(BILLING), text), run(billing_desk(pricier), text)
    assert double.trace.cost == pytest.approx(2 * base.trace.cost, rel=1e-6)
    assert double.trace.latency == base.trace.latency and double.output == base.output


@pytest.mark.parametrize("changes, message", [
    ({"speed": 1.0}, "no catalog figure named speed"),
    ({"accuracy": {"biling": 0.9}}, "no simulated skill named 'biling'"),
    ({"accuracy": {"billing": 1.2}}, "accuracy['billing'] must be a probability from 0 to 1"),
    ({"price_in_per_1k": -0.1}, "price_in_per_1k must be a number of 0 or more"),
    ({"quality": "high"}, "quality must be a probability from 0 to 1"),
])
def test_an_impossible_figure_is_refused_with_what_is_allowed(changes, message):
    with pytest.raises(ConfigurationError, match=message.replace("[", r"\[").replace("]", r"\]")):
        BILLING.with_profile(**changes)
