"""A streamed answer from a real backend: server-sent events, read piece by piece inside one model span.

    >>> async for piece in model.stream("Tell me a story"):   # HTTPModel.stream() runs download() as a task
    ...     print(piece, end="")

``download()`` is the streaming call: one "model" span, the attempts of
``with_retries`` (told what was already delivered, so that a stream cut half-way
is not asked again and its start said twice), and ``read_stream()`` for each
attempt. That hands every text piece to ``emit`` and fails unless the stream's
end marker arrives. Each backend's ``_read_event`` reads one event of its own
wire format into a text piece and the ``StreamState``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

import httpx

from ..errors import BackendError
from .attempts import with_retries, within
from .base import Message, model_span, record_completion
from .http import sse_events
from .replies import MalformedReply

if TYPE_CHECKING:
    from .http_model import HTTPModel


@dataclass
class StreamState:
    """What a stream has said so far: text pieces, token counts, finish reason, end marker."""

    text: list[str] = field(default_factory=list)
    input_tokens: int | None = None
    output_tokens: int | None = None
    finish_reason: str | None = None
    done: bool = False  # set by the end marker: [DONE] after a finish_reason, or message_stop


async def read_stream(model: HTTPModel, client: httpx.AsyncClient, body: dict[str, Any], state: StreamState,
                      emit: Callable[[str], None]) -> None:
    """A streaming request: pass each text piece to ``emit``; fail unless the end marker arrives."""
    async with client.stream("POST", model.path, json=body, headers=model._request_headers()) as response:
        if response.status_code >= 400:
            await response.aread()
            raise model._status_error(response)
        async for event, data in sse_events(response.aiter_lines()):
            try:
                piece = model._read_event(event, data, state)
            except MalformedReply as wrong:
                raise model._malformed(f"malformed stream event ({wrong})", data, response.status_code) from None
            if piece:
                state.text.append(piece)
                emit(piece)
    if not state.done:
        raise BackendError(f"{model.name}: the stream from {model._url()} ended before its end marker, so the "
                           f"answer may be cut short ({len(state.text)} pieces received).", model=model.name)


async def download(model: HTTPModel, messages: list[Message], body: dict[str, Any], emit: Callable[[str], None]) -> None:
    """The streaming call, run as a task by ``stream_from``: text pieces go to ``emit``."""
    started, state = time.perf_counter(), StreamState()
    async with model_span(model.name) as span:
        send = lambda client: read_stream(model, client, body, state, emit)  # noqa: E731
        await within(model.deadline, with_retries(model, send, delivered=state.text), model.name)
        text, finish = "".join(state.text), state.finish_reason or "stop"
        tokens = state.input_tokens, state.output_tokens
        record_completion(span, model._completion(messages, text, *tokens, finish, started, span))
