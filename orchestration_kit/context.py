"""The run context: the clock, the trace and the seed every step can reach.

Each step is called as ``await step(input, ctx)``. Through ``ctx`` it can read
the time, record spans and draw seeded random numbers::

    async def my_step(text, ctx):
        async with ctx.span("lookup") as span:
            await asyncio.sleep(0.2)
            span.detail = "found 3 rows"
        return text
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import random
import time
from typing import Any

from .clock import Clock
from .trace import KIND_OF, NS, STATUS_OF, Trace, as_kind, as_status, recorded_span, status_of

# The id of the span that is open in the current task; asyncio copies it into child
# tasks, so spans started inside parallel branches get the right parent. The open
# span itself (its name and kind, for needs_span) is the run's: ``Context._open[id]``.
_current_span: contextvars.ContextVar[int | None] = contextvars.ContextVar("current_span", default=None)

# Spans that wrap a single step and record its time under the name that matters (see needs_span).
_WRAPPERS = ("task", "attempt", "stage", "undo")


def stable_hash(*parts: object) -> int:
    """A hash that is the same in every process (unlike ``hash()``, which is salted)."""
    text = "\x1f".join(map(repr, parts))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


class Context:
    """Per-run state: clock, trace, seed, and per-run counters."""

    def __init__(self, clock: Clock, seed: int = 0) -> None:
        self.clock = clock
        self.seed = seed
        self.trace = Trace()
        self._next_id = 0
        self._counters: dict[tuple[Any, ...], int] = {}
        # A run lives on one loop: look its clock up once. The virtual loop counts whole
        # nanoseconds; a wall-clock loop runs on time.monotonic, whose exact form is monotonic_ns.
        self._time_ns = getattr(asyncio.get_running_loop(), "time_ns", time.monotonic_ns)
        self._t0_ns = self._time_ns()
        self._open: dict[int, SpanRecorder] = {}  # the spans open right now, by id
        self.state: dict[str, Any] = {}  # per-run scratch space (e.g. a model's rate-limit window)

    def now_ns(self) -> int:
        """Whole nanoseconds since the run started (exact: add and compare these)."""
        return self._time_ns() - self._t0_ns

    def now(self) -> float:
        """Seconds since the run started (virtual or real, depending on the clock), e.g. 0.073."""
        return (self._time_ns() - self._t0_ns) / NS  # trace.seconds(), written out: every span reads the time twice

    def waiting(self) -> str:
        """The innermost open spans with their chain of parents, e.g. "'slow' (step, since 0 s) in 'parallel'"."""
        spans = {span.id: span for span in self._open.values()}
        parents = {span.parent for span in spans.values()}
        found = []
        for leaf in sorted((s for s in spans.values() if s.id not in parents), key=lambda s: s.id)[:5]:
            chain, up = [], spans.get(leaf.parent)
            while up is not None:
                chain.append(f"{up.name!r}")
                up = spans.get(up.parent)
            found.append(f"{leaf.name!r} ({leaf.kind}, since {leaf.start:g} s)" + "".join(f" in {name}" for name in chain))
        return "; ".join(found) or "the flow itself (no span is open)"

    def rng(self, *key: object) -> random.Random:
        """A random generator seeded by the run's seed and ``key``.

        Seeding by key (not by call order) keeps results identical however the
        scheduler interleaves concurrent tasks.
        """
        return random.Random(stable_hash(self.seed, *key))

    def count(self, *key: object) -> int:
        """How many times ``key`` has been counted in this run before (0, 1, 2, ...)."""
        n = self._counters.get(key, 0)
        self._counters[key] = n + 1
        return n

    def span(self, name: str, *, kind: str = "step", pattern: str = "", model: str = "", attempt: int = 1) -> SpanRecorder:
        """Record a span around a block: ``async with ctx.span("name") as span: ...``."""
        self._next_id += 1
        return SpanRecorder(self, self._next_id, name, kind, pattern, model, attempt)

    def needs_span(self, name: str, *, inside: str | None = None, plain: bool = False) -> bool:
        """The one rule for which step gets a span of its own.

        A step records a span unless that span would only repeat another one, the
        same time under the same name:

        - the innermost open span already has this name (it wraps this step);
        - the span the step opens inside has this name (``inside``: an ``Ask`` named
          as its model has the model's span, a bare ``Stage`` named as its step has the step's);
        - the step is a plain function (``plain``) and the whole body of a task,
          attempt, stage or undo: that wrapper records its time under the name that matters.

        Patterns always record their span: they set its status, route and detail.
        """
        innermost = self._open.get(_current_span.get())  # None at the top of a run
        open_name, open_kind = (innermost.name, innermost.kind) if innermost is not None else ("", "")
        if name == open_name or name == inside:
            return False
        return not (plain and open_kind in _WRAPPERS)

    def __repr__(self) -> str:
        return f"Context(clock={self.clock.name}, seed={self.seed}, spans={len(self.trace)})"


class SpanRecorder:
    """An open span. Set ``status``, ``detail``, tokens or ``cost`` before it closes."""

    # Only these attributes (a misspelt ``span.detial = ...`` raises instead of vanishing), and a quicker object.
    __slots__ = ("_ctx", "id", "name", "kind", "pattern", "model", "attempt", "status", "detail", "error",
                 "tokens_in", "tokens_out", "cost", "route", "confidence", "parent", "start", "_token")

    def __init__(self, ctx: Context, span_id: int, name: str, kind: str = "step", pattern: str = "",
                 model: str = "", attempt: int = 1) -> None:
        self._ctx = ctx
        self.id, self.name, self.kind, self.pattern, self.model, self.attempt = span_id, name, kind, pattern, model, attempt
        self.status, self.detail, self.error = "ok", "", ""
        self.tokens_in, self.tokens_out, self.cost = 0, 0, 0.0
        self.route = ""
        self.confidence: float | None = None
        self.parent: int | None = None
        self.start = 0.0
        self._token: contextvars.Token[int | None] | None = None

    @property
    def fields(self) -> dict[str, Any]:
        """The span's kind, pattern and attempt (as given to ``ctx.span()``)."""
        return {"kind": self.kind, "pattern": self.pattern, "attempt": self.attempt}

    async def __aenter__(self) -> SpanRecorder:
        self.parent = _current_span.get()
        self.start = self._ctx.now()
        self._ctx._open[self.id] = self
        self._token = _current_span.set(self.id)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        self._ctx._open.pop(self.id, None)
        if self._token is not None:
            _current_span.reset(self._token)
        if exc is not None:
            if self.status == "ok":  # keep a status the step chose itself (e.g. "failed")
                self.status = status_of(exc)
            self.error = self.error or f"{type(exc).__name__}: {exc}"
        kind, status = KIND_OF.get(self.kind), STATUS_OF.get(self.status)  # the vocabulary's members, by word
        if kind is None or status is None:
            as_kind(self.kind, self.name), as_status(self.status, self.name)  # say which word is not one
        self._ctx.trace.add(recorded_span((  # Span(...) built the quick way (see trace.recorded_span)
            self.id, self.parent, self.name, kind, self.pattern, self.model, self.start, self._ctx.now(),
            self.tokens_in, self.tokens_out, self.cost, status, self.error, self.detail, self.attempt, self.route,
            self.confidence)))


_current_context: contextvars.ContextVar[Context | None] = contextvars.ContextVar("current_context", default=None)


def current_context() -> Context | None:
    """The context of the run this code is part of, or None outside a run."""
    return _current_context.get()
