"""The model protocol every backend speaks, simulated or real.

    completion = await model.complete([{"role": "user", "content": "Hi"}], max_tokens=50)
    completion.text, completion.usage.output_tokens, completion.cost, completion.latency

A model call made during a run records a span of kind "model" by itself
(model name, tokens in and out, cost, status), so every flow is traced
without extra code.
"""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, AsyncIterator, Awaitable, Callable, Protocol, Union, runtime_checkable

from ..context import SpanRecorder, current_context
from ..errors import ConfigurationError

_END = object()  # marks the end of a stream's queue of pieces
Message = dict[str, str]  # {"role": "user" | "system" | "assistant", "content": "..."}
Prompt = Union[str, list[Message]]


@dataclass(frozen=True)
class Usage:
    """Tokens read and written by one call."""

    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True)
class Pricing:
    """US dollars per 1,000 input and output tokens."""

    input_per_1k: float = 0.0
    output_per_1k: float = 0.0

    def cost(self, usage: Usage) -> float:
        """>>> Pricing(0.5, 1.5).cost(Usage(1000, 2000))  ->  3.5"""
        return round(usage.input_tokens / 1000 * self.input_per_1k + usage.output_tokens / 1000 * self.output_per_1k, 10)


@dataclass(frozen=True)
class Completion:
    """What a model returns: the text, and what it cost in tokens, dollars and seconds."""

    text: str
    model: str
    usage: Usage
    cost: float = 0.0
    latency: float = 0.0
    finish_reason: str = "stop"


@runtime_checkable
class ChatModel(Protocol):
    """Anything with a ``name`` and ``async complete(messages, **options) -> Completion``."""

    name: str

    async def complete(self, messages: Prompt, **options: Any) -> Completion: ...


def as_messages(prompt: Prompt) -> list[Message]:
    """Accept a plain string or a list of chat messages; check the shape."""
    if isinstance(prompt, str):
        return [{"role": "user", "content": prompt}]
    if not isinstance(prompt, list) or not prompt:
        raise ConfigurationError("messages must be a string or a non-empty list of {'role': ..., 'content': ...} dicts")
    for message in prompt:
        if not isinstance(message, dict) or "role" not in message or "content" not in message:
            raise ConfigurationError(f"each message needs 'role' and 'content', got {message!r:.80}")
    return prompt


def estimate_tokens(text: str) -> int:
    """Roughly 4 characters per token, as for English text with common tokenizers."""
    return max(1, round(len(text) / 4))


def model_span(model: str) -> AbstractAsyncContextManager[SpanRecorder | None]:
    """Record a "model" span if this call is part of a run (``async with model_span(name) as span``); None otherwise."""
    ctx = current_context()
    if ctx is None:
        return nullcontext()  # ``as span`` gives None
    return ctx.span(model, kind="model", model=model)


def record_completion(span: SpanRecorder | None, completion: Completion) -> None:
    """Copy tokens and cost of a finished call onto its span."""
    if span is not None:
        span.tokens_in = completion.usage.input_tokens
        span.tokens_out = completion.usage.output_tokens
        span.cost = completion.cost


async def stream_from(produce: Callable[[Callable[[str], None]], Awaitable[None]]) -> AsyncIterator[str]:
    """Run ``produce(emit)`` as a task of its own and yield each piece it emits, as it emits it.

    Every streaming model (a real download, a cassette's replay) works this way:
    the producer opens and closes its model span in one place whatever the
    reader does, and when the reader stops early, or fails, the producer is
    cancelled, so no download outlives its reader::

        >>> async def produce(emit):
        ...     for word in ("Hello ", "there"):
        ...         emit(word)
        >>> [piece async for piece in stream_from(produce)]
        ['Hello ', 'there']
    """
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
        task.cancel()  # the reader stopped early, or failed: stop producing too
        await asyncio.gather(task, return_exceptions=True)
