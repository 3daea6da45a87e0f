"""Replaying and recording one model call, for cassettes (see ``cassette.py``).

``Playback`` re-enacts one recorded call on the run's clock: the same spans at
the same moments, the same streamed pieces, the same answer or error.
``Watch`` notes which spans one live call opens, so they can be written down.
Times inside a call are whole microseconds since it started (see ``cassette_file.py``).
"""

from __future__ import annotations

import asyncio
from contextlib import contextmanager
from dataclasses import fields
from typing import Any, Callable, Iterator

from .file import CassetteError, microseconds
from ..context import Context, _current_context, current_context
from ..errors import BackendError, RateLimited, Timeout
from ..models.base import Completion, Usage
from ..trace import Span

CANCELLED_WAIT = 3600.0  # seconds a call that was cancelled when recorded waits, on replay, to be cancelled again
_SPAN_DEFAULTS = {f.name: f.default for f in fields(Span)}
_SPAN_FIELDS = ("pattern", "model", "attempt", "tokens_in", "tokens_out", "cost", "status", "error", "detail")


class CassetteMiss(CassetteError):
    """A call the cassette did not record. ``field`` names the first difference, e.g. "messages[0].content"."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


# -- replaying one call --------------------------------------------------------------------


class Playback:
    """Re-enact one recorded call: the same spans at the same moments, the same pieces, the same answer."""

    def __init__(self, call: dict[str, Any], emit: Callable[[str], None] | None = None) -> None:
        self.call, self.emit = call, emit
        self.chunks = list(call.get("chunks") or [])
        self.at = 0  # how far into the call the replay has got, in microseconds

    async def run(self) -> Any:
        ctx = current_context()
        spans = (self.call.get("spans") or []) if ctx is not None else []
        for index, span in enumerate(spans):
            if span.get("parent") is None:
                await self._span(ctx, spans, index)
        await self._until(self.call["duration_us"])
        if self.call.get("outcome") == "cancelled":
            await self._wait_to_be_cancelled()
        if self.call.get("outcome") == "error":
            raise _error(self.call["error"], self.call["model"])
        answer = self.call.get("completion")
        if answer is None:
            return None
        usage = Usage(answer["input_tokens"], answer["output_tokens"])
        return Completion(answer["text"], answer["model"], usage, answer["cost"], answer["latency"], answer["finish_reason"])

    async def _span(self, ctx: Context, spans: list[dict[str, Any]], index: int) -> None:
        """Open a recorded span at its moment, replay its children, close it at its moment."""
        span = spans[index]
        await self._until(span["start_us"])
        async with ctx.span(span["name"], kind=span["kind"], pattern=span.get("pattern", ""),
                            model=span.get("model", ""), attempt=span.get("attempt", 1)) as recorder:
            for child, fields_ in enumerate(spans):
                if fields_.get("parent") == index:
                    await self._span(ctx, spans, child)
            await self._until(span["end_us"])
            for name in ("tokens_in", "tokens_out", "cost", "status", "error", "detail"):
                setattr(recorder, name, span.get(name, _SPAN_DEFAULTS[name]))
            if span.get("status") == "cancelled":
                await self._wait_to_be_cancelled()

    async def _until(self, moment: int) -> None:
        """Move on to ``moment`` (microseconds into the call), handing out the pieces that arrived before it."""
        while self.chunks and self.chunks[0][0] <= moment:
            when, piece = self.chunks.pop(0)
            await self._sleep_until(when)
            if self.emit is not None:
                self.emit(piece)
        await self._sleep_until(moment)

    async def _sleep_until(self, moment: int) -> None:
        if moment > self.at:  # whole microseconds: on the virtual clock the waits add up to the recorded times
            await asyncio.sleep((moment - self.at) / 1_000_000)
            self.at = moment

    async def _wait_to_be_cancelled(self) -> None:
        """The recorded call was cancelled here (a timeout, a reader that stopped): wait for the replay to do the same."""
        await asyncio.sleep(CANCELLED_WAIT)
        when = self.call["duration_us"] / 1e6
        raise CassetteMiss(f"this call to {self.call['model']} was cancelled {when:g} s in when it "
                           "was recorded, but the replay did not cancel it: the flow has changed; re-record the "
                           "cassette.", field="outcome")


def _error(fields_: dict[str, Any], model: str) -> BackendError:
    """The recorded error, as the same kind of exception."""
    kind = {"RateLimited": RateLimited, "Timeout": Timeout}.get(fields_.get("type", ""), BackendError)
    return kind(fields_["message"], model=model, status=fields_.get("status"), retry_after=fields_.get("retry_after"))


# -- recording one call --------------------------------------------------------------------


class Watch:
    """The run's context, seen through a window that notes which spans one model call opens.

    While ``active()``, the model sees this window as its context, so the spans
    it records (its "model" span, one "attempt" span per HTTP request) go into
    the run's trace as usual, and the window knows which ones are this call's.
    """

    def __init__(self, ctx: Context | None) -> None:
        self._ctx = ctx
        self.ids: list[int] = []

    def span(self, name: str, **options: Any) -> Any:
        recorder = self._ctx.span(name, **options)  # type: ignore[union-attr]
        self.ids.append(recorder.id)
        return recorder

    def __getattr__(self, name: str) -> Any:  # everything else (now, rng, count, state, trace) as the run's
        return getattr(self._ctx, name)

    @contextmanager
    def active(self) -> Iterator[None]:
        if self._ctx is None:  # a call outside any run: no trace, no spans
            yield
            return
        token = _current_context.set(self)  # type: ignore[arg-type]
        try:
            yield
        finally:
            _current_context.reset(token)

    def spans(self, started: float) -> list[dict[str, Any]]:
        """This call's spans: times in microseconds since it started, parents as list positions, defaults left out."""
        if self._ctx is None:
            return []
        mine = sorted((s for s in self._ctx.trace.spans if s.id in self.ids), key=lambda s: s.id)
        position = {span.id: index for index, span in enumerate(mine)}
        out = []
        for span in mine:
            fields_ = {"parent": position.get(span.parent), "name": span.name, "kind": span.kind,
                       "start_us": microseconds(span.start - started), "end_us": microseconds(span.end - started)}
            fields_.update({name: getattr(span, name) for name in _SPAN_FIELDS
                            if getattr(span, name) != _SPAN_DEFAULTS[name]})
            out.append(fields_)
        return out


def secrets_of(model: Any) -> list[str]:
    """The API key a backend would send (explicit, or from its environment variable), to keep it out of the file."""
    key = getattr(model, "_key", None)  # HTTPModel._key(): read at call time, never stored in plain sight
    value = key() if callable(key) else None
    return [value] if value else []
