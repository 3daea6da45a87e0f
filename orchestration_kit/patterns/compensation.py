"""Compensation: undoing what finished stages did, when a later stage fails (as in a saga).

A stage that changes the world (reserves a seat, charges a card, sends a
message) can declare its **undo**: ``Stage(reserve_seat, undo=release_seat)``.
When a later stage fails, the ``Sequential`` runs the undos of the stages that
completed, newest first, each in a span of its own (``undo <stage>``), and
returns (or, with ``on_error="raise"``, puts in ``error.state``) the state from
before the oldest stage it undid: the state whose side effects still stand.

An undo gets the state its stage produced (so it can read, say, the reservation
number) and its return value is not used. An undo that fails is never hidden:
the others still run, then ``UndoFailed`` is raised, saying which side effects
are still in place.

    >>> booking = Sequential(stages=[
    ...     Stage(reserve_seat, undo=release_seat),
    ...     Stage(reserve_room, undo=release_room),
    ...     charge_card,                     # fails: the room, then the seat, are released
    ... ], on_error="rollback")

What is not undone: the stage that failed (it must clean up after itself, or
do nothing until it succeeds), and anything when the run stops for a mistake in
the code (a ``TypeError``...) or is cancelled from outside (a timeout around
the whole pipeline).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..context import Context
from ..errors import StageError, is_usage_error, note_where
from ..steps import Step


@dataclass(frozen=True)
class Done:
    """A stage that completed: its name, its undo (or None), the state before it and the state it produced."""

    stage: str
    undo: Step | None
    before: Any
    after: Any


@dataclass(frozen=True)
class Rollback:
    """What undoing did: the stages undone (newest first), the undos that failed, and the state rolled back to."""

    undone: tuple[str, ...]
    failed: tuple[tuple[str, str], ...]  # (stage, what went wrong), one per failed undo
    state: Any  # the state before the oldest stage with an undo
    after: str  # where that state comes from, e.g. "stage 'quote'" or "the input"

    def summary(self) -> str:
        """One line for the trace, e.g. "undid 'room', 'seat' (newest first); rolled back to the state after the input"."""
        undid = f"undid {', '.join(repr(name) for name in self.undone)} (newest first); " if self.undone else ""
        return f"{undid}rolled back to the state after {self.after}"

    def problems(self) -> str:
        """The failed undos as one line, e.g. "room: BackendError: ...; seat: Timeout: ..."."""
        return "; ".join(f"{stage}: {what}" for stage, what in self.failed)


class UndoFailed(StageError):
    """A stage failed, and undoing the finished stages failed too: some side effects are still in place.

    ``state`` is the last good state (it still holds what could not be undone),
    ``undone`` the stages whose undo worked, ``not_undone`` the ones whose undo failed.
    """

    def __init__(self, message: str, *, stage: str, state: object, undone: tuple[str, ...],
                 not_undone: tuple[str, ...]) -> None:
        super().__init__(message, stage=stage, state=state)
        self.undone, self.not_undone = undone, not_undone


async def undo_completed(done: list[Done], ctx: Context) -> Rollback:
    """Run the undos of ``done`` newest first, each in its own span; report what worked and what did not.

    Call it only when ``needs_undo(done)``: the state rolled back to is the one before the oldest stage with an undo.
    """
    undone, failed = [], []
    for finished in reversed(done):
        if finished.undo is None:
            continue
        async with ctx.span(f"undo {finished.stage}", kind="undo") as span:
            try:
                await finished.undo(finished.after, ctx)
            except Exception as error:
                if is_usage_error(error):
                    note_where(error, f"the undo of stage {finished.stage!r}")
                    raise
                span.status, span.error = "failed", f"{type(error).__name__}: {error}"
                failed.append((finished.stage, span.error))
                continue
            span.detail = f"undid what stage {finished.stage!r} did"
        undone.append(finished.stage)
    oldest = next(index for index, finished in enumerate(done) if finished.undo is not None)
    after = f"stage {done[oldest - 1].stage!r}" if oldest else "the input"
    return Rollback(tuple(undone), tuple(failed), done[oldest].before, after)


def needs_undo(done: list[Done]) -> bool:
    """True if any finished stage declared an undo."""
    return any(finished.undo is not None for finished in done)
