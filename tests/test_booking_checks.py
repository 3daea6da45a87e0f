"""Lesson 3's booking checks: undo and the open design grade behaviour, so different designs pass."""

from __future__ import annotations

import pytest

from orchestration_kit import Resilient, RetryPolicy, Sequential, Stage
from orchestration_kit.grading import grade, lesson_exercises


def failed(result):
    return [case.description for case in result.cases if not case.passed]


def booking(services, *, undo=True, on_error="rollback"):
    return Sequential(stages=[
        Stage(services["reserve_seat"], undo=services["release_seat"] if undo else None, name="seat"),
        Stage(services["reserve_room"], undo=services["release_room"] if undo else None, name="room"),
        services["charge"]], on_error=on_error)


def test_lesson_3_has_five_exercises_the_booking_ones_last():
    assert lesson_exercises("03") == ["03.pipeline", "03.totals", "03.recover", "03.undo", "03.design"]


def test_03_undo_passes_a_pipeline_whose_reservations_have_undos():
    assert grade("03.undo", booking).passed


@pytest.mark.parametrize("mistake, fails", [
    ({"undo": False}, ["a declined card: nothing stays held", "the room is released before the seat (newest first)",
                       "a declined card: the state returned holds no reservation number",
                       "a release that fails is reported, not hidden"]),
    ({"on_error": "raise"}, ["a declined card: the run ends without an exception"]),
])
def test_03_undo_fails_exactly_what_a_mistake_breaks(mistake, fails):
    assert failed(grade("03.undo", lambda services: booking(services, **mistake))) == fails


def test_03_undo_does_not_accept_an_undo_that_swallows_its_failure():
    def quiet(release):
        async def release_quietly(state):
            try:
                await release(state)
            except Exception:
                pass
        return release_quietly

    def hides(services):
        return Sequential(stages=[Stage(services["reserve_seat"], undo=quiet(services["release_seat"]), name="seat"),
                                  Stage(services["reserve_room"], undo=quiet(services["release_room"]), name="room"),
                                  services["charge"]], on_error="rollback")

    assert failed(grade("03.undo", hides)) == ["a release that fails is reported, not hidden"]


# -- the open design: several designs pass --------------------------------------------------
def reserve_then_pay(services, *, backup=True, retry=True, undo=True):
    room = Resilient(services["reserve_room"], retry=RetryPolicy(attempts=2, initial_delay=0.1)) if retry \
        else services["reserve_room"]
    pay = Stage(services["charge"], alternative=services["charge_backup"] if backup else None,
                undo=services["refund"], name="pay")
    return Sequential(stages=[Stage(services["reserve_seat"], undo=services["release_seat"] if undo else None, name="seat"),
                              Stage(room, undo=services["release_room"] if undo else None, name="room"), pay],
                      on_error="rollback")


def pay_first(services):
    """Another order: take the payment first (refunded if a reservation fails), then reserve."""
    pay = Resilient(services["charge"], fallback=services["charge_backup"])
    room = Resilient(services["reserve_room"], retry=RetryPolicy(attempts=3, initial_delay=0.2))
    return Sequential(stages=[Stage(pay, undo=services["refund"], name="pay"),
                              Stage(services["reserve_seat"], undo=services["release_seat"], name="seat"),
                              Stage(room, undo=services["release_room"], name="room")], on_error="raise")


@pytest.mark.parametrize("design", [reserve_then_pay, pay_first], ids=["reserve, then pay", "pay first"])
def test_different_designs_pass_03_design(design):
    result = grade("03.design", design)
    assert result.passed, failed(result)


@pytest.mark.parametrize("missing, fails", [
    ({"backup": False}, ["the main payment provider down: trips are still booked and paid"]),
    ({"retry": False}, ["a room service that fails once per trip: trips are still booked"]),
    ({"undo": False}, ["declined cards: nothing stays held or charged for them",
                       "a release that fails is reported (an error or an escalation), never hidden"]),
])
def test_03_design_names_the_property_each_missing_piece_breaks(missing, fails):
    assert failed(grade("03.design", lambda services: reserve_then_pay(services, **missing))) == fails


def test_03_design_catches_a_design_that_charges_twice_and_is_slow():
    def both_providers(services):
        return Sequential(stages=[booking(services), services["charge_backup"]])
    result = failed(grade("03.design", both_providers))
    assert "no trip is charged twice" in result
    assert "every service working: p95 latency within 1.5 s" in result
