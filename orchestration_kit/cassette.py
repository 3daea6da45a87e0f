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
other keyword given). The base URL, API keys and time do not count. Identical
calls within one run get their recorded answers in recording order. A call
that is not recorded raises ``CassetteMiss``, naming the first field that
differs from the nearest recorded call.

**The file** is JSON Lines: a header ``{"format": "orchestration-kit-cassette",
"version": 1, ...}``, then one call per line. Only messages and options are
written, never headers; the backend's key and anything shaped like a key are
replaced by ``[redacted]``.
"""

from __future__ import annotations

import asyncio
import difflib
import json
import os
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable

from .cassette_calls import CassetteError, CassetteMiss, Playback, Watch, scrub, secrets_of
from .context import current_context
from .errors import BackendError, ConfigurationError
from .models.base import Completion, as_messages

FORMAT, VERSION = "orchestration-kit-cassette", 1
MODES = ("replay", "record", "replay_or_live", "live")
MODE_ENV = "ORCHESTRATION_KIT_CASSETTE_MODE"
MATCHED = ("backend", "model", "stream", "messages", "options")  # what a replayed call must agree on
_END = object()  # marks the end of a stream's queue of pieces


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
            self.path.parent.mkdir(parents=True, exist_ok=True)
            header = {"format": FORMAT, "version": VERSION, "about": "one model call per line: orchestration_kit/cassette.py"}
            self.path.write_text(json.dumps(header) + "\n", encoding="utf-8")
        elif mode != "live":
            for call in read_calls(self.path):
                self._keep(call)
        self._started = max((call.get("call", 0) for call in self.calls), default=0)

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
        key, ctx = _key(request), current_context()
        played = ctx.state.setdefault(("cassette", str(self.path)), {}) if ctx is not None else self._played
        same = self._by_request.get(key, [])
        played[key] = times = played.get(key, 0) + 1
        if times <= len(same):
            return same[times - 1]
        if self.mode == "replay_or_live":
            return None
        raise self._miss(request, len(same), times)

    def add(self, call: dict[str, Any], secrets: list[str]) -> None:
        """Append a finished call to the file, secrets removed, and keep it for replays."""
        line = scrub(json.dumps(call, ensure_ascii=False), secrets)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
        self._keep(json.loads(line))

    def _keep(self, call: dict[str, Any]) -> None:
        self.calls.append(call)
        self._by_request.setdefault(_key(call), []).append(call)

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
        call = max(self.calls, key=lambda recorded_call: _likeness(recorded_call, request))
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

        return _pieces(produce)

    async def _live(self, request: dict[str, Any], call: Callable[[], Awaitable[Any]],
                    chunks: list[list[Any]] | None = None) -> Any:
        """Call the real model; unless the mode is "live", write down what happened."""
        if self.cassette.mode == "live":
            return await call()
        number, started, watch = self.cassette.start_call(), _now(), Watch(current_context())
        try:
            with watch.active():
                result = await call()
        except (BackendError, asyncio.CancelledError) as outcome:  # the model's doing: recorded. Bad settings are not.
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
            call["chunks"] = [[round(when - started, 3), piece] for when, piece in chunks]
        call["duration"] = round(_now() - started, 3)
        call["spans"] = watch.spans(started)
        self.cassette.add(call, secrets_of(self.inner))

    def _request(self, messages: Any, options: dict[str, Any], *, stream: bool) -> dict[str, Any]:
        """The fields a call is matched on (MATCHED), as JSON would give them back."""
        request = {"backend": self.backend, "model": self.model, "stream": stream,
                   "messages": as_messages(messages), "options": options}
        return json.loads(json.dumps(request, default=str))

    def __repr__(self) -> str:
        return f"CassetteModel({self.inner!r}, cassette={self.cassette.path.name!r}, mode={self.cassette.mode!r})"


# -- the file --------------------------------------------------------------------------------


def read_calls(path: Path) -> list[dict[str, Any]]:
    """The calls of a cassette file, in the order they started; a clear error for a bad file."""
    if not path.exists():
        raise CassetteError(f"no cassette at {path}; record one first: Cassette(path, mode='record')")
    lines = path.read_text(encoding="utf-8").splitlines()
    try:
        header = json.loads(lines[0]) if lines else {}
    except ValueError:
        header = {}
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise CassetteError(f"{path.name} is not a cassette: its first line must be the header "
                            f'{{"format": "{FORMAT}", "version": {VERSION}}}')
    if header.get("version") != VERSION:
        raise CassetteError(f"{path.name} is a version {header.get('version')} cassette, and this kit reads version "
                            f"{VERSION}. Re-record it: make cassettes (or open it with mode='record').")
    calls = []
    for number, line in enumerate(lines[1:], 2):
        if line.strip():
            try:
                calls.append(json.loads(line))
            except ValueError as error:
                raise CassetteError(f"{path.name}, line {number}: not valid JSON ({error}); re-record it") from None
    return sorted(calls, key=lambda call: call.get("call", 0))


# -- explaining a miss -------------------------------------------------------------------------


def first_difference(recorded: dict[str, Any], request: dict[str, Any]) -> tuple[str, str]:
    """The first matched field where a recorded call and a new request differ, and how."""
    for field in ("backend", "model", "stream"):
        if recorded.get(field) != request[field]:
            return field, f"recorded {recorded.get(field)!r}, now {request[field]!r}"
    old, new = recorded.get("messages") or [], request["messages"]
    for index, (was, now) in enumerate(zip(old, new)):
        for part in ("role", "content"):
            if was.get(part) != now.get(part):
                return f"messages[{index}].{part}", _text_difference(str(was.get(part)), str(now.get(part)))
    if len(old) != len(new):
        return "messages", f"recorded {len(old)} messages, now {len(new)}"
    before, after = recorded.get("options") or {}, request["options"]
    for name in sorted(set(before) | set(after)):
        if before.get(name, _END) != after.get(name, _END):
            shown = [repr(options[name]) if name in options else "not given" for options in (before, after)]
            return f"options.{name}", f"recorded {shown[0]}, now {shown[1]}"
    return "count", "the same call"


def _text_difference(was: str, now: str) -> str:
    """Where two texts part ways: whole if short, else from a little before the first different character."""
    common = len(os.path.commonprefix([was, now]))
    start = 0 if max(len(was), len(now)) <= 70 else max(0, common - 20)

    def excerpt(text: str) -> str:
        piece = text[start:start + 70]
        return ("..." if start else "") + piece + ("..." if start + 70 < len(text) else "")

    return f"recorded {excerpt(was)!r}, now {excerpt(now)!r}"


def _likeness(call: dict[str, Any], request: dict[str, Any]) -> tuple[int, float]:
    """How alike a recorded call and a request are: matched fields in common, then similar message text."""
    same = sum(call.get(field) == request[field] for field in MATCHED)
    texts = ["\n".join(str(m.get("content")) for m in c.get("messages") or []) for c in (call, request)]
    return same, difflib.SequenceMatcher(None, *texts).ratio()


# -- small helpers ------------------------------------------------------------------------------


async def _pieces(produce: Callable[[Callable[[str], None]], Awaitable[None]]) -> AsyncIterator[str]:
    """Run ``produce(emit)`` as a task and yield what it emits; when the reader stops, the task stops too."""
    queue: asyncio.Queue[Any] = asyncio.Queue()

    async def producer() -> None:
        try:
            await produce(queue.put_nowait)
        finally:
            queue.put_nowait(_END)

    task = asyncio.ensure_future(producer())
    try:
        while (piece := await queue.get()) is not _END:
            yield piece
        await task  # raises the producer's error, if it failed
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def _key(call: dict[str, Any]) -> str:
    return json.dumps([call.get(field) for field in MATCHED], sort_keys=True)


def _now() -> float:
    """Seconds on the run's clock (or the event loop's, outside a run)."""
    ctx = current_context()
    return ctx.now() if ctx is not None else asyncio.get_running_loop().time()


def _endpoint(model: Any) -> str:
    """Where the calls went, for the file's reader (not matched): the base URL without credentials."""
    base_url = getattr(model, "base_url", "")
    if not base_url:
        return ""
    from .models.http import safe_url  # imported here: it needs httpx, which simulated-only sessions skip

    return safe_url(base_url)
