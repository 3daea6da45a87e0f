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

from typing import Any

from .base import Message, Usage
from .http import event_error
from .http_model import HTTPModel, StreamState
from .replies import count, field, json_object

OPENAI_URL = "https://api.openai.com/v1"


class OpenAICompatible(HTTPModel):
    """A model served over the OpenAI chat-completions API (see the module docs).

    A call takes the API's own options (``options`` below), e.g.
    ``model.complete(prompt, max_tokens=50, seed=7, stop=["\\n"], response_format={"type": "json_object"})``.

    ``send_skills=True`` sends the simulated-skill hints (``skill=`` and its
    arguments) in the request body, for the kit's own server; real servers
    would refuse them, so by default they stay at home.
    """

    path = "/chat/completions"
    key_env = "OPENAI_API_KEY"
    options = ("max_tokens", "max_completion_tokens", "temperature", "top_p", "stop", "seed", "presence_penalty",
               "frequency_penalty", "logit_bias", "response_format", "user", "reasoning_effort")
    renamed = {"stop_sequences": "stop", "max_output_tokens": "max_tokens"}

    def __init__(self, model: str, *, base_url: str = OPENAI_URL, send_skills: bool = False, **settings: Any) -> None:
        super().__init__(model, base_url=base_url, **settings)
        self.send_skills = send_skills

    def _headers(self, key: str | None) -> dict[str, str]:
        return {"authorization": f"Bearer {key}"} if key else {}  # local servers need no key

    def _body(self, messages: list[Message], options: dict[str, Any], stream: bool,
              hints: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model, "messages": messages, **options}
        if stream:  # include_usage: the last chunk reports the tokens used
            body.update(stream=True, stream_options={"include_usage": True})
        if self.send_skills and "skill" in hints:
            body["skill"] = hints.pop("skill")
            body["skill_args"] = hints
        return body

    def _read_answer(self, data: dict[str, Any]) -> tuple[str, Usage | None, str]:
        field(data, "choices", 0, "message", kind=dict)  # must be there: it holds the answer
        text = field(data, "choices", 0, "message", "content", kind=str, optional=True)  # null if empty
        finish = field(data, "choices", 0, "finish_reason", kind=str, optional=True)
        return text or "", _usage(data), finish or "stop"

    def _read_event(self, event: str, data: str, state: StreamState) -> str:
        if data == "[DONE]":
            state.done = state.finish_reason is not None  # a complete answer ends with a finish_reason, then [DONE]
            return ""
        chunk = json_object(data, "the event")
        if chunk.get("error"):
            raise event_error(chunk["error"], model=self.name, url=self._url(), secret=self._key())
        usage = _usage(chunk)
        if usage is not None:
            state.input_tokens, state.output_tokens = usage.input_tokens, usage.output_tokens
        if not field(chunk, "choices", kind=list, optional=True):
            return ""  # the usage chunk, or a keep-alive
        finish = field(chunk, "choices", 0, "finish_reason", kind=str, optional=True)
        state.finish_reason = finish or state.finish_reason
        return field(chunk, "choices", 0, "delta", "content", kind=str, optional=True) or ""


def _usage(data: dict[str, Any]) -> Usage | None:
    """The tokens a reply says it used, or None if it did not say."""
    if field(data, "usage", kind=dict, optional=True) is None:
        return None
    return Usage(count(data, "usage", "prompt_tokens") or 0, count(data, "usage", "completion_tokens") or 0)
