"""Cassettes: record real model calls once, then replay them offline, exactly, on the virtual clock.

A real model is slow, costs money, needs a server or a key, and answers
differently every time. A cassette records every call a model makes (the
request without secrets, the answer, the streamed pieces and when they
arrived, the tokens, each attempt and retry, the error if it failed) in a
file. Replaying answers the same calls from that file, with no server and no
key, re-enacting each call's recorded timing on the virtual clock: the same
outputs, traces and charts on every replay, in no time::

    >>> tape = Cassette("data/cassettes/07_real_backends.jsonl", mode="replay")
    >>> writer = tape.wrap(config.model("writer"))     # any model, real or simulated
    >>> run(Ask(writer, "Say hi to {input}"), "Ada", clock=tape.clock).output

Modes: ``"record"`` calls the model and writes every call to a new file;
``"replay"`` answers from the file; ``"replay_or_live"`` replays and, for a call
that is not recorded, calls the model and appends the call; ``"live"`` steps
aside (every call goes to the model, nothing is written). The environment
variable ORCHESTRATION_KIT_CASSETTE_MODE, when set, overrides every cassette's
mode: ``make cassettes`` re-records the lessons by running them that way.

**Matching.** A call is answered by a recorded call with the same backend (its
class, e.g. OpenAICompatible), model ID, kind of call (complete or stream),
messages (every role and content) and options (max_tokens, temperature and any
other keyword given), with secrets removed as when written (so a prompt that
held a key still finds its recording). The base URL, API keys and time do not
count. An option the backend does not take is refused, in a replay too. Identical
calls within one run get their recorded answers in recording order. A call
that is not recorded raises ``CassetteMiss``, naming the first field that
differs from the nearest recorded call.

**What is not recorded**: a call that failed because no answer came back at
all (the server was down, the connection broke: ``ConnectionFailed``) is the
network's state at that moment, not the model's answer; it raises and leaves
no line, so the next run calls the model again. A slow answer (``Timeout``),
an HTTP error or a refusal is the model's doing, and is recorded.

**The file** is JSON Lines: a header ``{"format": "orchestration-kit-cassette",
"version": 2, ...}``, then one call per line, with times in whole
microseconds (see ``cassette_file.py``). Only messages and options are
written, never headers; the backend's key and anything shaped like a key are
replaced by ``[redacted]`` in every string written (``orchestration_kit.models.redaction``).
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable

from .calls import CassetteMiss, Playback, Watch, secrets_of
from .matching import MATCHED, call_key, first_difference, likeness  # noqa: F401 (MATCHED: read from here too)
from .file import FORMAT, VERSION, CassetteError, file_version, microseconds, read_calls, write_calls
from ..context import current_context
from ..errors import BackendError, ConfigurationError
from ..models.base import Completion, as_messages, stream_from
from ..models.redaction import scrub

__all__ = ["Cassette", "CassetteModel", "CassetteError", "CassetteMiss", "FORMAT", "VERSION", "MODES", "MODE_ENV",
           "read_calls", "scrub", "first_difference"]
MODES = ("replay", "record", "replay_or_live", "live")
MODE_ENV = "ORCHESTRATION_KIT_CASSETTE_MODE"


class Cassette:
    """A file of recorded model calls; ``wrap(model)`` sends a model's calls through it (see the module docs)."""

    def __init__(self, path: str | Path, mode: str = "replay") -> None:
        mode = os.environ.get(MODE_ENV) or mode
        if mode not in MODES:
            raise CassetteError(f"Cassette mode must be one of {MODES}, got {mode!r}")
        self.path, self.mode = Path(path), mode
        self.calls: list[dict[str, Any]] = []
        self._by_request: dict[str, list[dict[str, Any]]] = {}  # the recorded calls of each request, in order
        self._played: dict[str, int] = {}  # replays per request made outside a run (inside one: per run)
        if mode == "record" or (mode == "replay_or_live" and not self.path.exists()):  # a fresh file, header first
            write_calls(self.path, [])
        elif mode != "live":
            for call in read_calls(self.path):
                self._keep(call)
            if mode == "replay_or_live" and file_version(self.path) != VERSION:  # new calls will be appended:
                write_calls(self.path, self.calls)  # first bring the older file to the current format
        self._started = max((call["call"] for call in self.calls), default=0)

    @property
    def clock(self) -> str:
        """The clock to run with: "virtual" when every answer comes from the file, else "wall"."""
        return "virtual" if self.mode == "replay" else "wall"

    @property
    def calls_live(self) -> bool:
        """True if calls may go to the real model (in every mode but "replay")."""
        return self.mode != "replay"

    def wrap(self, model: Any) -> CassetteModel:
        """``model``, with its calls recorded to, or replayed from, this cassette."""
        return CassetteModel(model, self)

    def lookup(self, request: dict[str, Any]) -> dict[str, Any] | None:
        """The recorded call that answers ``request``, or None if the model itself should answer."""
        if self.mode in ("record", "live"):
            return None
        key, ctx = call_key(request), current_context()
        played = ctx.state.setdefault(("cassette", str(self.path)), {}) if ctx is not None else self._played
        same = self._by_request.get(key, [])
        played[key] = times = played.get(key, 0) + 1
        if times <= len(same):
            return same[times - 1]
        if self.mode == "replay_or_live":
            return None
        raise self._miss(request, len(same), times)

    def add(self, call: dict[str, Any], secrets: list[str]) -> None:
        """Append a finished call to the file, secrets removed from every string, and keep it for replays."""
        call = scrub(call, secrets)
        line = json.dumps(call, ensure_ascii=False)  # made whole before the file is touched: no half-written line
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
        self._keep(json.loads(line))

    def _keep(self, call: dict[str, Any]) -> None:
        self.calls.append(call)
        self._by_request.setdefault(call_key(call), []).append(call)

    def start_call(self) -> int:
        """Number a call that starts now: identical calls replay in the order they started."""
        self._started += 1
        return self._started

    def _miss(self, request: dict[str, Any], recorded: int, times: int) -> CassetteMiss:
        where = f"{request['model']} ({request['backend']}) in {self.path.name}"
        fix = ("Change the call back, re-record the cassette (make cassettes, or mode='record'), or open it with "
               "mode='replay_or_live' to call the model and add this call to the cassette.")
        if recorded:
            return CassetteMiss(f"this call to {where} was recorded {recorded} time(s), and this run makes it "
                                f"{times} times. {fix}", field="count")
        if not self.calls:
            return CassetteMiss(f"no call to {where}: the cassette is empty. {fix}")
        call = max(self.calls, key=lambda recorded_call: likeness(recorded_call, request))
        field, how = first_difference(call, request)
        return CassetteMiss(f"no recorded call matches this call to {where}. The nearest recorded call "
                            f"(#{call.get('call')}) differs in {field}: {how}. {fix}", field=field)

    def __repr__(self) -> str:
        return f"Cassette({self.path.name!r}, mode={self.mode!r}, calls={len(self.calls)})"


class CassetteModel:
    """A model whose calls go through a cassette: recorded, replayed, or passed through (see ``Cassette``)."""

    def __init__(self, model: Any, cassette: Cassette) -> None:
        if not callable(getattr(model, "complete", None)):
            raise ConfigurationError(f"Cassette.wrap needs a model with a complete() method, got {type(model).__name__}")
        self.inner, self.cassette = model, cassette
        self.name = model.name
        self.model = getattr(model, "model", model.name)  # the model ID (for a simulated model, its name)
        self.backend = type(model).__name__

    async def complete(self, messages: Any, **options: Any) -> Completion:
        """Like the model's ``complete()``: answered from the cassette, or by the model (and recorded)."""
        request = self._request(messages, options, stream=False)
        recorded = self.cassette.lookup(request)
        if recorded is not None:
            return await Playback(recorded).run()
        return await self._live(request, lambda: self.inner.complete(messages, **options))

    def stream(self, messages: Any, **options: Any) -> AsyncIterator[str]:
        """Like the model's ``stream()``; replayed pieces arrive at their recorded moments.

        >>> async for piece in writer.stream("Tell me a story"):
        ...     print(piece, end="")
        """
        request = self._request(messages, options, stream=True)

        async def produce(emit: Callable[[str], None]) -> None:
            recorded = self.cassette.lookup(request)
            if recorded is not None:
                await Playback(recorded, emit).run()
                return
            chunks: list[list[Any]] = []  # [when, piece]

            async def read() -> None:
                async for piece in self.inner.stream(messages, **options):
                    chunks.append([_now(), piece])
                    emit(piece)

            await self._live(request, read, chunks)

        return stream_from(produce)

    async def _live(self, request: dict[str, Any], call: Callable[[], Awaitable[Any]],
                    chunks: list[list[Any]] | None = None) -> Any:
        """Call the real model; unless the mode is "live", write down what happened."""
        if self.cassette.mode == "live":
            return await call()
        number, started, watch = self.cassette.start_call(), _now(), Watch(current_context())
        try:
            with watch.active():
                result = await call()
        except (BackendError, asyncio.CancelledError) as outcome:  # the model's doing: recorded. Bad settings are not,
            if not _no_answer(outcome):  # nor a server that was down or a connection that broke
                self._write(number, request, started, watch, chunks, outcome)
            raise
        self._write(number, request, started, watch, chunks, result)
        return result

    def _write(self, number: int, request: dict[str, Any], started: float, watch: Watch,
               chunks: list[list[Any]] | None, outcome: Any) -> None:
        call: dict[str, Any] = {"call": number, **request, "endpoint": _endpoint(self.inner), "outcome": "ok"}
        if not call["endpoint"]:
            del call["endpoint"]  # a simulated model: no endpoint
        if isinstance(outcome, Completion):
            call["completion"] = {"text": outcome.text, "model": outcome.model, "input_tokens": outcome.usage.input_tokens,
                                  "output_tokens": outcome.usage.output_tokens, "cost": outcome.cost,
                                  "latency": outcome.latency, "finish_reason": outcome.finish_reason}
        elif isinstance(outcome, BackendError):
            call["outcome"] = "error"
            call["error"] = {"type": type(outcome).__name__, "message": str(outcome), "status": outcome.status,
                             "retry_after": outcome.retry_after}
        elif isinstance(outcome, asyncio.CancelledError):
            call["outcome"] = "cancelled"
        if chunks is not None:
            call["chunks"] = [[microseconds(when - started), piece] for when, piece in chunks]
        call["duration_us"] = microseconds(_now() - started)
        call["spans"] = watch.spans(started)
        self.cassette.add(call, secrets_of(self.inner))

    def _request(self, messages: Any, options: dict[str, Any], *, stream: bool) -> dict[str, Any]:
        """The fields a call is matched on (MATCHED), as JSON would give them back, secrets removed as when written."""
        if callable(getattr(self.inner, "split_options", None)):
            self.inner.split_options(options)  # an option the backend does not take is refused here too, in replay
        request = {"backend": self.backend, "model": self.model, "stream": stream,
                   "messages": as_messages(messages), "options": options}
        return scrub(json.loads(json.dumps(request, default=str)), secrets_of(self.inner))

    def __repr__(self) -> str:
        return f"CassetteModel({self.inner!r}, cassette={self.cassette.path.name!r}, mode={self.cassette.mode!r})"


# -- small helpers ------------------------------------------------------------------------------


def _no_answer(outcome: BaseException) -> bool:
    """True for a failure in which no answer came back at all: not recorded (see the module docs)."""
    if not isinstance(outcome, BackendError):
        return False
    from ..models.http import ConnectionFailed  # imported here: it needs httpx, which simulated-only sessions skip

    return isinstance(outcome, ConnectionFailed)


def _now() -> float:
    """Seconds on the run's clock (or the event loop's, outside a run)."""
    ctx = current_context()
    return ctx.now() if ctx is not None else asyncio.get_running_loop().time()


def _endpoint(model: Any) -> str:
    """Where the calls went, for the file's reader (not matched): the base URL without credentials."""
    base_url = getattr(model, "base_url", "")
    if not base_url:
        return ""
    from ..models.http import safe_url  # imported here: it needs httpx, which simulated-only sessions skip

    return safe_url(base_url)
