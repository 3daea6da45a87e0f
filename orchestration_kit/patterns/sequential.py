"""Sequential: stages in order, each one's output the next one's input (the state).

The course's components:

- ``stages``: steps run in order; the state is threaded from one to the next.
- error detection at each stage: a ``Stage`` can ``validate`` its output (return
  True when good, or False / a message saying what is wrong); an exception counts
  as a failure too.
- recovery: a stage's ``alternative`` path is tried on the same state; if that
  fails too, ``on_error="rollback"`` stops and returns the last good state
  (the span says where and why), ``on_error="raise"`` raises ``StageError``
  (``"fail"`` is accepted as another name for ``"raise"``, as in Parallel).
- compensation: a stage that changes the world can declare an ``undo``; when a
  later stage fails, the undos of the finished stages run newest first, whichever
  the ``on_error`` (see ``compensation.py``).

A stage fails when its step raises a failure (a back-end error, a timeout, a
``ValueError``...) or its output does not validate. A mistake in the code (a
``TypeError`` in a step or in ``validate``, a ``ConfigurationError``,
``RealTimeRequired``: ``errors.is_usage_error``) is not a failed stage: the
alternative is not tried and no rollback hides it.

    >>> Sequential(stages=[
    ...     Stage(classify, name="classify"),
    ...     Stage(extract, validate=lambda fields: "total" in fields, alternative=extract_with_big_model),
    ...     Stage(check_totals, name="validate"),
    ... ], on_error="rollback")
"""

from __future__ import annotations

from typing import Any, Callable

from ..context import Context
from ..errors import ConfigurationError, StageError, is_usage_error, note_where
from ..resilience import check_on_error
from ..steps import Step, as_step
from .compensation import Done, UndoFailed, needs_undo, undo_completed

ON_ERROR = ("raise", "rollback")


class Stage(Step):
    """One stage: a step, an optional ``validate(output)`` check, an ``alternative`` step and an ``undo``.

    >>> Stage(reserve_room, validate=has_room_number, alternative=reserve_elsewhere, undo=release_room)
    """

    def __init__(
        self,
        step: Any,
        *,
        validate: Callable[[Any], Any] | None = None,
        alternative: Any = None,
        undo: Any = None,
        name: str | None = None,
    ) -> None:
        self.step = as_step(step, "Stage step")
        if validate is not None and not callable(validate):
            raise ConfigurationError(f"Stage {self.step.name!r}: validate must be a function output -> True/False/message")
        self.validate = validate
        self.alternative = as_step(alternative, f"Stage {self.step.name!r} alternative") if alternative is not None else None
        self.name = name or self.step.name
        self.undo = as_step(undo, f"Stage {self.name!r} undo") if undo is not None else None

    async def __call__(self, state: Any, ctx: Context) -> Any:
        """Run the stage (and its alternative if needed); raise StageError if both fail."""
        if self.validate is None and self.alternative is None and not ctx.needs_span(self.name, inside=self.step.name):
            return await self._run(state, ctx, None)  # the step's own span says it all (Context.needs_span)
        async with ctx.span(self.name, kind="stage") as span:
            return await self._run(state, ctx, span)

    async def _run(self, state: Any, ctx: Context, span: Any) -> Any:
        output, problem = await self._attempt(self.step, state, ctx)
        if problem is not None and self.alternative is not None:
            first_problem = problem
            output, problem = await self._attempt(self.alternative, state, ctx)
            if problem is None:
                span.status, span.detail = "alternative", f"took the alternative path after: {first_problem}"
        if problem is not None:
            if span is not None:
                span.status, span.error = "failed", problem
            raise StageError(f"stage {self.name!r} failed: {problem}", stage=self.name, state=state)
        return output

    async def _attempt(self, step: Step, state: Any, ctx: Context) -> tuple[Any, str | None]:
        try:
            output = await step(state, ctx)
        except Exception as error:
            if is_usage_error(error):
                note_where(error, f"stage {self.name!r}")
                raise
            return None, f"{type(error).__name__}: {error}"
        return output, self._check(output)

    def _check(self, output: Any) -> str | None:
        """None if the output is good, otherwise what is wrong with it."""
        if self.validate is None:
            return None
        try:
            verdict = self.validate(output)
        except Exception as error:
            if is_usage_error(error):
                note_where(error, f"the validate function of stage {self.name!r}")
                raise
            return f"validation raised {type(error).__name__}: {error}"
        if verdict is True or verdict is None:
            return None
        return verdict if isinstance(verdict, str) and verdict else "validation failed"

    def children(self) -> list[Step]:
        """The steps directly inside this one, in order: the stage's step, its alternative path, its undo."""
        return [part for part in [self.step, self.alternative, self.undo] if part is not None]

    def draw(self, chart: Any) -> tuple[str, str]:
        entry, exit_ = self.step.draw(chart)
        if self.undo is not None:
            chart.edge(entry, self.undo.draw(chart)[0], "undo on rollback")
        if self.alternative is not None:
            alt_in, alt_out = self.alternative.draw(chart)
            chart.edge(entry, alt_in, "invalid")
            join = chart.node(f"{self.name} ok", shape="round")
            chart.edge(exit_, join)
            chart.edge(alt_out, join)
            return entry, join
        return entry, exit_

    def __repr__(self) -> str:
        """``<Stage 'extract': extract, validate has_fields, alternative careful_reader>`` (and ``, undo ...``)."""
        validate = f"validate {getattr(self.validate, '__name__', 'check')}" if self.validate else "no validation"
        alternative = f", alternative {self.alternative.name}" if self.alternative else ""
        undo = f", undo {self.undo.name}" if self.undo else ""
        return f"<Stage {self.name!r}: {self.step.name}, {validate}{alternative}{undo}>"


class Sequential(Step):
    """Run stages in order, threading the state; detect errors and recover (see module docs)."""

    pattern = "sequential"

    def __init__(self, stages: list[Any], *, on_error: str = "raise", name: str = "sequential") -> None:
        if not isinstance(stages, (list, tuple)) or not stages:
            raise ConfigurationError(f"Sequential {name!r}: stages must be a non-empty list of steps")
        on_error = check_on_error(on_error, ON_ERROR, f"Sequential {name!r}")
        self.stages = [s if isinstance(s, Stage) else Stage(as_step(s, f"Sequential {name!r} stage")) for s in stages]
        self.on_error = on_error
        self.name = name

    async def __call__(self, input: Any, ctx: Context) -> Any:
        async with ctx.span(self.name, kind="flow", pattern=self.pattern) as span:
            state, last_good, done = input, "the input", []
            for stage in self.stages:
                try:
                    output = await stage(state, ctx)
                except StageError as error:
                    return await self._stopped(error, stage, state, last_good, done, ctx, span)
                done.append(Done(stage.name, stage.undo, state, output))
                state, last_good = output, f"stage {stage.name!r}"
            span.detail = f"completed {len(self.stages)} stages"
            return state

    async def _stopped(self, error: StageError, stage: Stage, state: Any, last_good: str, done: list[Done],
                       ctx: Context, span: Any) -> Any:
        """A stage failed: undo the finished stages' side effects, then raise or return the state rolled back to."""
        undid = ""  # what undoing did, for the span and the message
        if needs_undo(done):
            rollback = await undo_completed(done, ctx)
            if rollback.failed:
                span.status, span.error = "failed", f"undo failed: {rollback.problems()}"
                undone = f" Undone: {', '.join(rollback.undone)}." if rollback.undone else " Nothing was undone."
                raise UndoFailed(
                    f"Sequential {self.name!r}: {error} Undoing the finished stages failed too, so their side effects "
                    f"are still in place: {rollback.problems()}.{undone} error.state is the last good state "
                    f"(after {last_good}); undo by hand what is left, or give the undo a retry "
                    "(Resilient(undo, retry=RetryPolicy(...))).",
                    stage=error.stage, state=state, undone=rollback.undone,
                    not_undone=tuple(stage for stage, _ in rollback.failed)) from error
            state, last_good = rollback.state, rollback.after
            undid = rollback.summary()
        if self.on_error == "raise":
            kept = f"It {undid}, which is in error.state" if undid else \
                f"The last good state (after {last_good}) is in error.state"
            raise StageError(
                f"Sequential {self.name!r}: {error} {kept}; add "
                "validate/alternative to the stage or use on_error='rollback'.",
                stage=error.stage,
                state=state,
            ) from error
        span.status = "rolled_back"
        span.detail = f"stopped at stage {stage.name!r} ({error}); {undid or f'rolled back to the state after {last_good}'}"
        return state

    def children(self) -> list[Step]:
        """The stages, in order."""
        return list(self.stages)

    def draw(self, chart: Any) -> tuple[str, str]:
        with chart.group(self.name, "sequential") as group:
            ends = [stage.draw(chart) for stage in self.stages]
            for (_, previous_exit), (next_entry, _) in zip(ends, ends[1:]):
                chart.edge(previous_exit, next_entry)
        return group, ends[-1][1]  # arrows into a group stop at its frame, not across its title

    def __repr__(self) -> str:
        """``<Sequential 'sequential': extract → validate → store, on_error raise>``."""
        return f"<Sequential {self.name!r}: {' → '.join(s.name for s in self.stages)}, on_error {self.on_error}>"
