"""OpenAICompatible: a chat model behind an OpenAI-style ``/chat/completions`` endpoint.

Many servers speak this wire format: OpenAI itself, Ollama
(``http://127.0.0.1:11434/v1``), vLLM, llama.cpp's server, LM Studio, most
gateways, and the kit's own server of simulated models::

    >>> gpt = OpenAICompatible("gpt-4o-mini", pricing=Pricing(0.00015, 0.0006))   # key from $OPENAI_API_KEY
    >>> local = OpenAICompatible("smollm2", base_url="http://127.0.0.1:8080/v1")   # orchestration-kit llm
    >>> run(Ask(local, "Say hi to {input}"), "Ada", clock="wall").output

Retries, timeouts, the connection pool and the trace come from ``HTTPModel``;
this module only knows how requests, answers and stream chunks look.
"""

from __future__ import annotations

import json
from typing import Any

from .base import Message, Usage
from .http import event_error
from .http_model import HTTPModel, StreamState

OPENAI_URL = "https://api.openai.com/v1"


class OpenAICompatible(HTTPModel):
    """A model served over the OpenAI chat-completions API (see the module docs).

    ``send_skills=True`` sends the simulated-skill hints (``skill=`` and its
    arguments) in the request body, for the kit's own server; real servers
    would refuse them, so by default they stay at home.
    """

    path = "/chat/completions"
    key_env = "OPENAI_API_KEY"

    def __init__(self, model: str, *, base_url: str = OPENAI_URL, send_skills: bool = False, **settings: Any) -> None:
        super().__init__(model, base_url=base_url, **settings)
        self.send_skills = send_skills

    def _headers(self, key: str | None) -> dict[str, str]:
        return {"authorization": f"Bearer {key}"} if key else {}  # local servers need no key

    def _body(self, messages: list[Message], max_tokens: int | None, temperature: float | None, stream: bool,
              hints: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model, "messages": messages}
        if max_tokens is not None:
            body["max_tokens"] = max_tokens
        if temperature is not None:
            body["temperature"] = temperature
        if stream:  # include_usage: the last chunk reports the tokens used
            body.update(stream=True, stream_options={"include_usage": True})
        if self.send_skills and "skill" in hints:
            body["skill"] = hints.pop("skill")
            body["skill_args"] = hints
        return body

    def _read_answer(self, data: Any) -> tuple[str, Usage | None, str]:
        choice = data["choices"][0]
        return choice["message"].get("content") or "", _usage(data.get("usage")), choice.get("finish_reason") or "stop"

    def _read_event(self, event: str, data: str, state: StreamState) -> str:
        if data == "[DONE]":
            state.done = state.finish_reason is not None  # a complete answer ends with a finish_reason, then [DONE]
            return ""
        chunk = json.loads(data)
        if chunk.get("error"):
            raise event_error(chunk["error"], model=self.name, secret=self._key())
        usage = _usage(chunk.get("usage"))
        if usage is not None:
            state.input_tokens, state.output_tokens = usage.input_tokens, usage.output_tokens
        for choice in chunk.get("choices") or []:
            state.finish_reason = choice.get("finish_reason") or state.finish_reason
            return (choice.get("delta") or {}).get("content") or ""
        return ""


def _usage(usage: dict[str, Any] | None) -> Usage | None:
    if not usage:
        return None
    return Usage(int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0))
