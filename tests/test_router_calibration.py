"""The trained router's confidence: calibrated by a method that fits 269 examples, and measured."""

from __future__ import annotations

import pytest

pytest.importorskip("sklearn")

from orchestration_kit import datasets  # noqa: E402
from orchestration_kit.routing.trained import TrainedClassifier, _wilson, reliability  # noqa: E402


@pytest.fixture(scope="module")
def split():
    return datasets.customer_queries("train"), datasets.customer_queries("test")


def test_isotonic_calibration_on_269_examples_gives_many_messages_a_confidence_of_exactly_one(split):
    train, test = split
    decisions = TrainedClassifier(calibration="isotonic").fit(train.text, train.label).predict(test.text)
    assert sum(d.confidence == 1.0 for d in decisions) >= 50  # the step function's top step: 57 of 115 here


def test_sigmoid_calibration_the_default_gives_no_message_a_certain_confidence(split):
    train, test = split
    router = TrainedClassifier().fit(train.text, train.label)
    assert router.calibration == "sigmoid"
    assert max(d.confidence for d in router.predict(test.text)) < 1.0


def test_the_reliability_table_counts_every_decision_once_by_band(split):
    train, test = split
    decisions = TrainedClassifier().fit(train.text, train.label).predict(test.text)
    table = reliability(decisions, test.label, bins=5)
    assert table.decisions.sum() == len(test)
    right = sum(d.route == label for d, label in zip(decisions, test.label))
    assert (table.decisions * table.right).sum() == pytest.approx(right, abs=0.01)
    assert (table["right (95% low)"] <= table.right).all() and (table.right <= table["right (95% high)"]).all()


def test_what_lesson_1_claims_for_the_top_band_holds_on_the_held_out_messages(split):
    train, test = split
    table = reliability(TrainedClassifier().fit(train.text, train.label).predict(test.text), test.label).set_index("band")
    assert table.loc["0.8-1.0", "decisions"] >= 70 and table.loc["0.8-1.0", "right"] >= 0.95
    assert table.loc["0.4-0.6", "right"] < 0.6  # below 0.6 it is no better than a coin


def test_wilsons_interval_is_sensible_at_the_extremes():
    assert _wilson(10, 10) == pytest.approx((0.722, 1.0), abs=0.001)
    assert _wilson(0, 10)[0] == 0.0
    assert _wilson(5, 10) == pytest.approx((0.237, 0.763), abs=0.001)


def test_an_unknown_calibration_method_is_refused():
    with pytest.raises(Exception, match="sigmoid"):
        TrainedClassifier(calibration="platt")
