"""AnthropicMessages: a chat model behind Anthropic's Messages API (``/v1/messages``).

The same protocol on the kit's side as ``OpenAICompatible``; only the wire
format differs: the system prompt travels apart from the messages,
``max_tokens`` is required, the key goes in ``x-api-key``, and a stream is a
sequence of typed events (``message_start`` … ``content_block_delta`` …
``message_stop``)::

    >>> claude = AnthropicMessages("claude-haiku-4-5", pricing=Pricing(0.001, 0.005))  # $ANTHROPIC_API_KEY
    >>> local = AnthropicMessages("smollm2", base_url="http://127.0.0.1:8080")   # llama.cpp serves /v1/messages too
"""

from __future__ import annotations

from typing import Any

from .base import Message, Usage
from .http import event_error
from .http_model import HTTPModel, StreamState
from .replies import MalformedReply, count, field, json_object

ANTHROPIC_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
# Anthropic's stop reasons, in the words the kit uses everywhere ("stop" or "length").
_FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_calls"}


class AnthropicMessages(HTTPModel):
    """A model served over Anthropic's Messages API (see the module docs).

    A call takes the API's own options (``options`` below), e.g.
    ``model.complete(prompt, max_tokens=200, stop_sequences=["\\n\\n"], top_k=40)``.
    ``default_max_tokens`` is sent when a call gives no ``max_tokens``: the API requires one.
    """

    path = "/v1/messages"
    key_env = "ANTHROPIC_API_KEY"
    options = ("max_tokens", "temperature", "top_p", "top_k", "stop_sequences", "metadata")
    renamed = {"stop": "stop_sequences", "max_completion_tokens": "max_tokens", "max_output_tokens": "max_tokens"}

    def __init__(self, model: str, *, base_url: str = ANTHROPIC_URL, default_max_tokens: int = 1024,
                 **settings: Any) -> None:
        super().__init__(model, base_url=base_url, **settings)
        self.default_max_tokens = default_max_tokens

    def _headers(self, key: str | None) -> dict[str, str]:
        headers = {"anthropic-version": API_VERSION}
        if key:
            headers["x-api-key"] = key
        return headers

    def _body(self, messages: list[Message], options: dict[str, Any], stream: bool,
              hints: dict[str, Any]) -> dict[str, Any]:
        system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [m for m in messages if m["role"] != "system"],
            **options,
            "max_tokens": options.get("max_tokens") or self.default_max_tokens,
        }
        if system:
            body["system"] = system
        if stream:
            body["stream"] = True
        return body  # hints (skill=...) are for simulated models: a real model reads the prompt

    def _read_answer(self, data: dict[str, Any]) -> tuple[str, Usage | None, str]:
        blocks = field(data, "content", kind=list)
        for index, block in enumerate(blocks):
            field(data, "content", index, "type", kind=str)  # every block says what it is
        text = "".join(field(data, "content", index, "text", kind=str)
                       for index, block in enumerate(blocks) if block["type"] == "text")
        usage = None
        if field(data, "usage", kind=dict, optional=True) is not None:
            usage = Usage(_input_tokens(data, "usage"), count(data, "usage", "output_tokens") or 0)
        stop = field(data, "stop_reason", kind=str, optional=True)
        return text, usage, _FINISH.get(stop or "", stop or "stop")

    def _read_event(self, event: str, data: str, state: StreamState) -> str:
        payload = json_object(data, "the event")
        kind = payload.get("type", event)
        if kind == "message_start":
            field(payload, "message", kind=dict)
            state.input_tokens = _input_tokens(payload, "message", "usage")
        elif kind == "content_block_delta" and field(payload, "delta", "type", kind=str) == "text_delta":
            return field(payload, "delta", "text", kind=str)
        elif kind == "message_delta":
            stop = field(payload, "delta", "stop_reason", kind=str, optional=True)
            state.finish_reason = _FINISH.get(stop or "", stop) or state.finish_reason
            state.output_tokens = count(payload, "usage", "output_tokens") or 0
        elif kind == "message_stop":
            state.done = True
        elif kind == "error":
            raise event_error(payload.get("error"), model=self.name, url=self._url(), secret=self._key())
        elif not isinstance(kind, str):
            raise MalformedReply(f"the event's type is {kind!r}, expected a string such as 'message_start'")
        return ""  # ping, content_block_start/stop: nothing to add


def _input_tokens(data: dict[str, Any], *usage: str) -> int:
    """Every input token, whether read fresh or from the prompt cache."""
    fields = ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")
    return sum(count(data, *usage, name) or 0 for name in fields)
