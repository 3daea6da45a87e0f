"""AnthropicMessages: a chat model behind Anthropic's Messages API (``/v1/messages``).

The same protocol on the kit's side as ``OpenAICompatible``; only the wire
format differs: the system prompt travels apart from the messages,
``max_tokens`` is required, the key goes in ``x-api-key``, and a stream is a
sequence of typed events (``message_start`` … ``content_block_delta`` …
``message_stop``)::

    >>> claude = AnthropicMessages("claude-3-5-haiku-latest", pricing=Pricing(0.0008, 0.004))  # $ANTHROPIC_API_KEY
    >>> local = AnthropicMessages("smollm2", base_url="http://127.0.0.1:8080")   # llama.cpp serves /v1/messages too
"""

from __future__ import annotations

import json
from typing import Any

from .base import Message, Usage
from .http import event_error
from .http_model import HTTPModel, StreamState

ANTHROPIC_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
# Anthropic's stop reasons, in the words the kit uses everywhere ("stop" or "length").
_FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_calls"}


class AnthropicMessages(HTTPModel):
    """A model served over Anthropic's Messages API (see the module docs).

    ``default_max_tokens`` is sent when a call gives no ``max_tokens``: the API requires one.
    """

    path = "/v1/messages"
    key_env = "ANTHROPIC_API_KEY"

    def __init__(self, model: str, *, base_url: str = ANTHROPIC_URL, default_max_tokens: int = 1024,
                 **settings: Any) -> None:
        super().__init__(model, base_url=base_url, **settings)
        self.default_max_tokens = default_max_tokens

    def _headers(self, key: str | None) -> dict[str, str]:
        headers = {"anthropic-version": API_VERSION}
        if key:
            headers["x-api-key"] = key
        return headers

    def _body(self, messages: list[Message], max_tokens: int | None, temperature: float | None, stream: bool,
              hints: dict[str, Any]) -> dict[str, Any]:
        system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
        body: dict[str, Any] = {
            "model": self.model,
            "max_tokens": max_tokens or self.default_max_tokens,
            "messages": [m for m in messages if m["role"] != "system"],
        }
        if system:
            body["system"] = system
        if temperature is not None:
            body["temperature"] = temperature
        if stream:
            body["stream"] = True
        return body  # hints (skill=...) are for simulated models: a real model reads the prompt

    def _read_answer(self, data: Any) -> tuple[str, Usage | None, str]:
        text = "".join(block["text"] for block in data["content"] if block.get("type") == "text")
        usage = data.get("usage")
        tokens = Usage(_input_tokens(usage), int(usage.get("output_tokens") or 0)) if usage else None
        return text, tokens, _FINISH.get(data.get("stop_reason"), data.get("stop_reason") or "stop")

    def _read_event(self, event: str, data: str, state: StreamState) -> str:
        payload = json.loads(data)
        kind = payload.get("type", event)
        if kind == "message_start":
            state.input_tokens = _input_tokens(payload["message"].get("usage") or {})
        elif kind == "content_block_delta" and payload["delta"].get("type") == "text_delta":
            return payload["delta"]["text"]
        elif kind == "message_delta":
            stop = payload["delta"].get("stop_reason")
            state.finish_reason = _FINISH.get(stop, stop) or state.finish_reason
            state.output_tokens = int((payload.get("usage") or {}).get("output_tokens") or 0)
        elif kind == "message_stop":
            state.done = True
        elif kind == "error":
            raise event_error(payload.get("error"), model=self.name, secret=self._key())
        return ""  # ping, content_block_start/stop: nothing to add


def _input_tokens(usage: dict[str, Any]) -> int:
    """Every input token, whether read fresh or from the prompt cache."""
    fields = ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")
    return sum(int(usage.get(field) or 0) for field in fields)
