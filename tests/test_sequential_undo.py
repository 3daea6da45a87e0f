"""Compensation: a failed Sequential undoes what its finished stages did, newest first, each in a span."""

from __future__ import annotations

import asyncio

import pytest

from orchestration_kit import BackendError, ConfigurationError, Sequential, Stage, StageError, run
from orchestration_kit.patterns import UndoFailed


class Booking:
    """A fake booking service: what is held, and the log of calls in the order they happened."""

    def __init__(self) -> None:
        self.held: set[str] = set()
        self.log: list[str] = []

    def reserve(self, what: str, seconds: float):
        async def reserve(state):
            await asyncio.sleep(seconds)
            self.held.add(what)
            self.log.append(f"reserve {what}")
            return {**state, what: f"{what}-1"}

        reserve.__name__ = f"reserve_{what}"
        return reserve

    def release(self, what: str, seconds: float = 0.1, *, fails: bool = False):
        async def release(state):
            await asyncio.sleep(seconds)
            self.log.append(f"release {what} {state[what]}")
            if fails:
                raise BackendError(f"the {what} service is down", status=503)
            self.held.discard(what)

        release.__name__ = f"release_{what}"
        return release


async def charge_fails(state):
    await asyncio.sleep(0.05)
    raise BackendError("card declined", status=402)


async def charge_ok(state):
    await asyncio.sleep(0.05)
    return {**state, "paid": True}


def booking(service: Booking, charge=charge_fails, *, on_error="rollback", room_undo_fails=False) -> Sequential:
    return Sequential(stages=[
        Stage(service.reserve("seat", 0.2), undo=service.release("seat"), name="seat"),
        Stage(service.reserve("room", 0.3), undo=service.release("room", fails=room_undo_fails), name="room"),
        Stage(charge, name="charge"),
    ], on_error=on_error, name="booking")


def test_when_a_later_stage_fails_the_undos_run_newest_first():
    service = Booking()
    result = run(booking(service), {"trip": 7})
    assert service.log == ["reserve seat", "reserve room", "release room room-1", "release seat seat-1"]
    assert service.held == set()
    assert result.output == {"trip": 7}  # the state from before the oldest undone stage: the input


def test_each_undo_has_its_own_span_after_the_failed_stage_in_virtual_time():
    result = run(booking(Booking()), {"trip": 7})
    rows = [(s.name, s.kind, s.start, s.end, s.status) for s in result.trace if s.parent is not None]
    assert rows == [("seat", "stage", 0.0, 0.2, "ok"), ("room", "stage", 0.2, 0.5, "ok"),
                    ("charge", "stage", 0.5, 0.55, "failed"),
                    ("undo room", "undo", 0.55, 0.65, "ok"), ("undo seat", "undo", 0.65, 0.75, "ok")]
    flow = result.trace.find("booking")[0]
    assert flow.status == "rolled_back" and flow.end == 0.75
    assert flow.detail.endswith("undid 'room', 'seat' (newest first); rolled back to the state after the input")


def test_nothing_is_undone_when_every_stage_succeeds():
    service = Booking()
    result = run(booking(service, charge_ok), {"trip": 7})
    assert result.output == {"trip": 7, "seat": "seat-1", "room": "room-1", "paid": True}
    assert service.held == {"seat", "room"} and not any("release" in line for line in service.log)
    assert not [s for s in result.trace if s.kind == "undo"]
    assert result.trace.find("booking")[0].status == "ok"


def test_an_undo_that_fails_is_reported_and_the_other_undos_still_run():
    service = Booking()
    with pytest.raises(UndoFailed) as caught:
        run(booking(service, room_undo_fails=True), {"trip": 7})
    error = caught.value
    assert service.held == {"room"}  # the seat was still released
    assert (error.undone, error.not_undone, error.stage) == (("seat",), ("room",), "charge")
    assert error.state == {"trip": 7, "seat": "seat-1", "room": "room-1"}  # what is still in effect
    assert "still in place: room: BackendError: the room service is down" in str(error)
    assert "Undone: seat" in str(error) and "retry" in str(error)
    assert isinstance(error, StageError)
    statuses = {s.name: s.status for s in error.trace}
    assert statuses["undo room"] == "failed" and statuses["undo seat"] == "ok" and statuses["booking"] == "failed"


def test_on_error_raise_also_undoes_and_keeps_the_rolled_back_state():
    service = Booking()
    with pytest.raises(StageError) as caught:
        run(booking(service, on_error="raise"), {"trip": 7})
    assert service.held == set()
    assert caught.value.state == {"trip": 7}
    assert "undid 'room', 'seat' (newest first)" in str(caught.value)


def test_rollback_returns_the_state_before_the_oldest_stage_with_an_undo():
    service = Booking()
    flow = Sequential(stages=[
        Stage(lambda trip: {**trip, "quote": 120}, name="quote"),  # no side effect: nothing to undo
        Stage(service.reserve("seat", 0.2), undo=service.release("seat"), name="seat"),
        Stage(lambda state: {**state, "summary": "seat held"}, name="summary"),
        Stage(charge_fails, name="charge"),
    ], on_error="rollback", name="booking")
    result = run(flow, {"trip": 7})
    assert result.output == {"trip": 7, "quote": 120}
    assert result.trace.find("booking")[0].detail.endswith("rolled back to the state after stage 'quote'")


def test_without_any_undo_rollback_still_returns_the_last_good_state():
    flow = Sequential(stages=[lambda x: x + 1, lambda x: x * 10, charge_fails], on_error="rollback")
    result = run(flow, 1)
    assert result.output == 20 and not [s for s in result.trace if s.kind == "undo"]
    assert result.trace.find("sequential")[0].detail.endswith("rolled back to the state after stage '<lambda>'")


def test_the_failing_stage_itself_is_not_undone():
    service = Booking()
    flow = Sequential(stages=[Stage(service.reserve("seat", 0.2), undo=service.release("seat"), name="seat"),
                              Stage(charge_fails, undo=service.release("card"), name="charge")], on_error="rollback")
    run(flow, {"trip": 7})
    assert service.log == ["reserve seat", "release seat seat-1"]


def test_a_stage_rescued_by_its_alternative_undoes_nothing():
    service = Booking()
    flow = Sequential(stages=[Stage(service.reserve("seat", 0.2), undo=service.release("seat"), name="seat"),
                              Stage(charge_fails, alternative=charge_ok, name="charge")], on_error="rollback")
    result = run(flow, {"trip": 7})
    assert result.output["paid"] is True and service.held == {"seat"}
    assert not [s for s in result.trace if s.kind == "undo"]


def test_an_undo_is_given_the_state_its_own_stage_produced():
    seen = []
    flow = Sequential(stages=[Stage(lambda x: x + ["a"], undo=lambda state: seen.append(list(state)), name="a"),
                              Stage(lambda x: x + ["b"], undo=lambda state: seen.append(list(state)), name="b"),
                              charge_fails], on_error="rollback")
    run(flow, [])
    assert seen == [["a", "b"], ["a"]]


def test_a_mistake_in_an_undo_is_raised_as_a_mistake_with_where_it_happened():
    flow = Sequential(stages=[Stage(lambda x: x, undo=lambda state: state + 1, name="reserve"), charge_fails],
                      on_error="rollback")
    with pytest.raises(TypeError) as caught:
        run(flow, {"trip": 7})
    assert any("the undo of stage 'reserve'" in note for note in caught.value.__notes__)


def test_an_undo_that_is_not_a_step_is_refused_clearly():
    with pytest.raises(ConfigurationError, match="Stage 'reserve' undo must be a function, a model or a flow"):
        Stage(lambda x: x, undo="release", name="reserve")


def test_a_nested_pipeline_undoes_its_own_stages_first_then_the_outer_ones():
    service = Booking()
    inner = Sequential(stages=[Stage(service.reserve("room", 0.3), undo=service.release("room"), name="room"),
                               Stage(charge_fails, name="charge")], name="hotel")  # raises after undoing
    outer = Sequential(stages=[Stage(service.reserve("seat", 0.2), undo=service.release("seat"), name="seat"),
                               inner], on_error="rollback", name="trip")
    result = run(outer, {"trip": 7})
    assert service.log == ["reserve seat", "reserve room", "release room room-1", "release seat seat-1"]
    assert result.output == {"trip": 7} and service.held == set()


def test_the_diagram_shows_each_undo():
    text = str(booking(Booking()).diagram())
    assert text.count("|undo on rollback|") == 2 and '["release_room"]' in text


def test_the_same_rollback_gives_the_same_trace_twice():
    first, second = run(booking(Booking()), {"trip": 7}), run(booking(Booking()), {"trip": 7})
    assert first.trace.tree() == second.trace.tree()
    assert [(s.start, s.end) for s in first.trace] == [(s.start, s.end) for s in second.trace]
