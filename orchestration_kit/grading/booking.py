"""Lesson 3's booking checks: undoing side effects (03.undo) and an open booking design (03.design).

The hidden ``Desk`` is a travel desk whose services keep a ledger: which seats
and rooms are held, which payments stand. Each case builds the learner's flow
from a fresh desk, with one fault injected (a declined card, the main payment
provider down, a room service that fails once, a release service down), runs
it on hidden trips and reads the ledger: behaviour, not the flow's shape.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Iterator

from ..errors import BackendError
from ..patterns import Escalation, Sequential
from . import Case, describe, exercise, solved, try_run


class Declined(BackendError):
    """The card was declined (HTTP 402): every payment provider says the same."""


class Desk:
    """Hidden booking services for one case, and the ledger they keep.

    ``declined``: cards every provider declines; ``primary_down``: the main payment
    provider answers HTTP 503; ``room_flaky``: each trip's first room request fails;
    ``release_down``: releasing a room fails.
    """

    def __init__(self, *, declined: tuple[str, ...] = (), primary_down: bool = False, room_flaky: bool = False,
                 release_down: bool = False) -> None:
        self.declined, self.primary_down, self.room_flaky, self.release_down = declined, primary_down, room_flaky, release_down
        self.held: dict[str, dict[str, str]] = {"seat": {}, "room": {}}  # kind -> number -> trip
        self.paid: dict[str, list[str]] = {}  # trip -> payment ids that stand
        self.log: list[str] = []
        self._tries: dict[str, int] = {}

    def services(self) -> dict[str, Callable[..., Any]]:
        """The steps a learner composes: each takes the state (a dict) and returns a new one (or nothing)."""
        found = {"reserve_seat": self._reserve("seat", 0.3), "release_seat": self._release("seat"),
                 "reserve_room": self._reserve("room", 0.5), "release_room": self._release("room"),
                 "charge": self._charge("main", 0.4), "charge_backup": self._charge("backup", 0.6),
                 "refund": self._refunder()}
        for name, step in found.items():
            step.__name__ = name
        return found

    def _reserve(self, kind: str, seconds: float) -> Callable[..., Any]:
        async def reserve(state: dict[str, Any]) -> dict[str, Any]:
            await asyncio.sleep(seconds)
            trip = state["trip"]
            self._tries[kind + trip] = tries = self._tries.get(kind + trip, 0) + 1
            if kind == "room" and self.room_flaky and tries == 1:
                raise BackendError("the room service is busy (HTTP 503)", status=503)
            number = f"{kind}-{trip}-{tries}"
            self.held[kind][number] = trip
            self.log.append(f"reserve {number}")
            return {**state, kind: number}
        return reserve

    def _release(self, kind: str) -> Callable[..., Any]:
        async def release(state: dict[str, Any]) -> None:
            await asyncio.sleep(0.1)
            if kind == "room" and self.release_down:
                raise BackendError("the room service cannot release now (HTTP 503)", status=503)
            number = state[kind]
            self.held[kind].pop(number, None)
            self.log.append(f"release {number}")
        return release

    def _charge(self, provider: str, seconds: float) -> Callable[..., Any]:
        async def charge(state: dict[str, Any]) -> dict[str, Any]:
            await asyncio.sleep(seconds)
            if provider == "main" and self.primary_down:
                raise BackendError("the payment provider is down (HTTP 503)", status=503)
            if state["card"] in self.declined:
                raise Declined(f"card {state['card']} declined (HTTP 402)", status=402)
            payment = f"{provider}-{state['trip']}-{len(self.paid.get(state['trip'], [])) + 1}"
            self.paid.setdefault(state["trip"], []).append(payment)
            self.log.append(f"charge {payment}")
            return {**state, "payment": payment}
        return charge

    def _refunder(self) -> Callable[..., Any]:
        async def refund(state: dict[str, Any]) -> None:
            await asyncio.sleep(0.2)
            standing = self.paid.get(state["trip"], [])
            if state.get("payment") in standing:
                standing.remove(state["payment"])
                self.log.append(f"refund {state['payment']}")
        return refund

    def holds(self, trip: str) -> list[str]:
        """What the desk still holds or has charged for ``trip``."""
        return ([n for kind in self.held.values() for n, t in kind.items() if t == trip]
                + list(self.paid.get(trip, [])))

    def booked(self, trip: str) -> bool:
        """A seat, a room and exactly one payment."""
        return all(trip in kind.values() for kind in self.held.values()) and len(self.paid.get(trip, [])) == 1


TRIPS = [{"trip": f"t{n}", "card": f"card-{n}", "nights": 1 + n % 3} for n in range(1, 9)]
DECLINED = ("card-2", "card-5")


def _build(make: Any, desk: Desk) -> Any:
    return make(desk.services())


# -- exercise 4: undo what was done --------------------------------------------------------
@exercise("03.undo", "A booking pipeline that releases what it reserved when the card is declined",
          start="write the body of make_booking(services): reserve a seat, a room, then charge, with undos")
def _undo(make_booking: Any) -> Iterator[Case]:
    yield Case("make_booking is a function", callable(make_booking),
               f"got a {describe(make_booking)}; define it with def make_booking(services): ...")
    if not callable(make_booking):
        return
    desk = Desk(declined=DECLINED)
    flow = solved(_build(make_booking, desk))
    yield Case("make_booking(services) returns a Sequential", isinstance(flow, Sequential),
               f"it returned a {describe(flow)}; the three steps depend on each other: a pipeline")
    if not isinstance(flow, Sequential):
        return
    good, bad = TRIPS[0], TRIPS[1]
    output, _, error = try_run(flow, good)
    yield Case("a good card: the seat and the room are held and the trip is paid", not error and desk.booked("t1"),
               f"it raised {error}" if error else f"the desk holds {desk.holds('t1')} for it; keep the three steps")
    output, _, error = try_run(flow, bad)
    yield Case("a declined card: the run ends without an exception", not error,
               f"it raised {error}\nthe declined card should end the run with a state, not an exception")
    yield Case("a declined card: nothing stays held", not desk.holds("t2"),
               f"the desk still holds {desk.holds('t2')}; a stage that reserves something can say how to undo it")
    released = [line for line in desk.log if line.startswith("release") and "t2" in line]
    yield Case("the room is released before the seat (newest first)",
               [line.split()[1].split("-")[0] for line in released] == ["room", "seat"],
               f"the releases ran as {released}; undo in the reverse order of what was done")
    state_kept = isinstance(output, dict) and "seat" not in output and "room" not in output
    if not error:  # (a run that raised has no state to look at: the case above says so)
        yield Case("a declined card: the state returned holds no reservation number", state_kept,
                   f"the output is {describe(output)}; after undoing, the state should be from before the "
                   "reservations")
    broken = Desk(declined=DECLINED, release_down=True)
    output, _, error = try_run(_build(make_booking, broken), bad)
    yield Case("a release that fails is reported, not hidden", bool(error),
               f"the room could not be released, yet the run ended normally with {describe(output)}; "
               "let the undo's failure show instead of catching it")


# -- exercise 5: an open design -------------------------------------------------------------
BUDGET_P95 = 1.5  # seconds, with every service working


def _run_all(make: Any, desk: Desk, trips: list[dict[str, Any]]) -> tuple[list[Any], list[str], list[float]]:
    outputs, errors, latencies = [], [], []
    flow = _build(make, desk)
    for trip in trips:
        output, trace, error = try_run(flow, trip)
        outputs.append(output)
        errors.append(error)
        latencies.append(trace.latency if trace is not None and not error else float("inf"))
    return outputs, errors, latencies


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]  # nearest rank


@exercise("03.design", "Design a booking flow from a spec: faults to survive, a latency budget",
          start="write the body of make_trip(services): return a flow built from the services")
def _design(make_trip: Any) -> Iterator[Case]:
    yield Case("make_trip is a function", callable(make_trip),
               f"got a {describe(make_trip)}; define it with def make_trip(services): ...")
    if not callable(make_trip):
        return
    solved(make_trip(Desk().services()))
    good = [t for t in TRIPS if t["card"] not in DECLINED]

    desks = [Desk(), Desk(declined=DECLINED), Desk(primary_down=True), Desk(room_flaky=True)]
    desk = desks[0]
    _, errors, latencies = _run_all(make_trip, desk, TRIPS)
    booked = sum(desk.booked(t["trip"]) for t in TRIPS)
    yield Case(f"every service working: all {len(TRIPS)} trips booked and paid once", booked == len(TRIPS),
               f"{booked} of {len(TRIPS)} were; first error: {next((e for e in errors if e), 'none')}. "
               "A booked trip has a seat, a room and one payment")
    p95 = _p95(latencies)
    yield Case(f"every service working: p95 latency within {BUDGET_P95:g} s", p95 <= BUDGET_P95,
               f"p95 was {p95:.3f} s; which steps must wait for each other, and which need not?")

    desk = desks[1]
    _, errors, _ = _run_all(make_trip, desk, TRIPS)
    left = {t["card"]: desk.holds(t["trip"]) for t in TRIPS if t["card"] in DECLINED}
    yield Case("declined cards: nothing stays held or charged for them", not any(left.values()),
               f"still held or charged: {left}; what was done before the payment failed must be undone")
    yield Case("declined cards: the other trips are still booked", all(desk.booked(t["trip"]) for t in good),
               "a declined card must only stop its own trip")

    desk = desks[2]
    _, errors, _ = _run_all(make_trip, desk, TRIPS)
    booked = sum(desk.booked(t["trip"]) for t in TRIPS)
    yield Case("the main payment provider down: trips are still booked and paid", booked == len(TRIPS),
               f"{booked} of {len(TRIPS)} were; services has a second way to take a payment")

    desk = desks[3]
    _, errors, _ = _run_all(make_trip, desk, TRIPS)
    booked = sum(desk.booked(t["trip"]) for t in TRIPS)
    yield Case("a room service that fails once per trip: trips are still booked", booked == len(TRIPS),
               f"{booked} of {len(TRIPS)} were; a busy service often answers the second time")
    twice = {trip: payments for d in desks for trip, payments in d.paid.items() if len(payments) > 1}
    yield Case("no trip is charged twice", not twice, f"charged more than once: {twice}; "
               "if you try the payment again, make sure the first one did not go through")

    desk = Desk(declined=DECLINED, release_down=True)
    outputs, errors, _ = _run_all(make_trip, desk, [TRIPS[1]])
    loud = bool(errors[0]) or isinstance(outputs[0], Escalation)
    yield Case("a release that fails is reported (an error or an escalation), never hidden", loud,
               f"the room could not be released, yet the run ended normally with {describe(outputs[0])}")
