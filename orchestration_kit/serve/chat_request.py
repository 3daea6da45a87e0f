"""A chat-completions request, checked as OpenAI checks it: a ``ChatRequest``, or a clear 400.

The server supports the options that are cheap to simulate (``n``, ``stop``,
``seed``, ``max_tokens``, ``stream``, ``user``), accepts the sampling knobs a
simulated model has no use for (``temperature``, ``top_p``, the penalties) once
they are in OpenAI's ranges, and refuses the rest by name rather than ignore
them: an agent loop that sends ``tools`` must hear that no tool will be called::

    >>> parse_chat(b'{"model": "generalist-small", "messages": [{"role": "user", "content": "Hi"}], "n": 2}', models)
    ChatRequest(model='generalist-small', ..., n=2, ...)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..models.skills import SKILLS
from .http11 import Refused
from .skill_args import check_skill_args

ROLES = ("system", "developer", "user", "assistant", "tool")
RANGES = {"temperature": (0, 2), "top_p": (0, 1), "presence_penalty": (-2, 2), "frequency_penalty": (-2, 2)}
MAX_N, MAX_STOPS, MAX_USER_CHARS = 128, 4, 256
SEED_RANGE = (-2**63, 2**63 - 1)
# Known to OpenAI, not simulated here: fine when off (the value on the right), refused otherwise.
OFF = {"tools": None, "tool_choice": "none", "parallel_tool_calls": None, "functions": None, "function_call": "none",
       "response_format": {"type": "text"}, "logprobs": False, "top_logprobs": None, "logit_bias": {}}
KNOWN = {"model", "messages", "max_tokens", "max_completion_tokens", "n", "stop", "seed", "stream", "stream_options",
         "user", "skill", "skill_args", *RANGES, *OFF}


@dataclass(frozen=True)
class ChatRequest:
    """What a client asked for, checked."""

    model: str
    messages: list[dict[str, str]]
    max_tokens: int | None = None
    n: int = 1
    stop: tuple[str, ...] = ()
    seed: int | None = None
    stream: bool = False
    include_usage: bool = False
    user: str | None = None
    skill: str = "answer"
    skill_args: dict[str, Any] = field(default_factory=dict)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _bad(param: str, message: str) -> Refused:
    return Refused(400, message, param=param, code="invalid_value")


def parse_chat(body: bytes, models: dict[str, Any]) -> ChatRequest:
    """Check a chat-completions request; refuse it with a clear 4xx if it is not one."""
    try:
        data = json.loads(body)
    except ValueError as error:
        raise Refused(400, f"the body is not valid JSON ({error}); send a JSON object") from None
    except RecursionError:
        raise Refused(400, "the body is not valid JSON (nested too deeply); send a JSON object") from None
    if not isinstance(data, dict):
        raise Refused(400, "the body must be a JSON object with 'model' and 'messages'")
    for name in data:
        if name not in KNOWN:
            raise Refused(400, f"Unrecognized request argument supplied: {name:.60}", param=name,
                          code="unrecognized_argument")
    for name, off in OFF.items():
        if data.get(name) not in (None, off):
            raise Refused(400, f"'{name}' is not supported by this server's simulated models (they call no tools, "
                               "return plain text and no logprobs); leave it out, or use a real model for that",
                          param=name, code="unsupported_parameter")
    model = data.get("model")
    if not isinstance(model, str):
        problem = "missing 'model'" if model is None else f"'model' must be a string, not {model!r:.40}"
        raise Refused(400, f"{problem}: name one of GET /v1/models", param="model")
    if model not in models:
        raise Refused(404, f"The model {model!r:.80} does not exist; available: {', '.join(models)}",
                      param="model", code="model_not_found")
    for name, (low, high) in RANGES.items():
        value = data.get(name)
        if value is not None and not (_number(value) and low <= value <= high):
            raise _bad(name, f"'{name}' must be a number from {low} to {high}, got {value!r:.40}")
    max_tokens = data.get("max_completion_tokens", data.get("max_tokens"))
    if max_tokens is not None and not (_whole(max_tokens) and max_tokens >= 1):
        raise _bad("max_tokens", f"'max_tokens' must be a positive integer, got {max_tokens!r:.40}")
    n = 1 if data.get("n") is None else data["n"]
    if not (_whole(n) and 1 <= n <= MAX_N):
        raise _bad("n", f"'n' must be a whole number from 1 to {MAX_N}, got {n!r:.40}")
    seed = data.get("seed")
    if seed is not None and not (_whole(seed) and SEED_RANGE[0] <= seed <= SEED_RANGE[1]):
        raise _bad("seed", f"'seed' must be a 64-bit integer, got {seed!r:.40}")
    stream, user = data.get("stream") or False, data.get("user")
    if not isinstance(stream, bool):
        raise _bad("stream", f"'stream' must be true or false, got {stream!r:.40}")
    if user is not None and not (isinstance(user, str) and len(user) <= MAX_USER_CHARS):
        raise _bad("user", f"'user' must be a string of at most {MAX_USER_CHARS} characters naming the end user")
    skill = data.get("skill", "answer")
    if not isinstance(skill, str) or skill not in SKILLS:
        raise Refused(400, f"no simulated skill {skill!r:.60}; known skills: {', '.join(sorted(SKILLS))}",
                      param="skill")
    return ChatRequest(model, _messages(data.get("messages")), max_tokens, n, _stops(data.get("stop")), seed, stream,
                       _include_usage(data.get("stream_options"), stream), user, skill,
                       check_skill_args(skill, data.get("skill_args") or {}))


def _messages(messages: Any) -> list[dict[str, str]]:
    if not isinstance(messages, list) or not messages:
        raise Refused(400, "'messages' must be a non-empty list of {'role': ..., 'content': ...}", param="messages")
    plain = []
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list):  # content parts: text ones only
            if not all(isinstance(part, dict) and part.get("type", "text") == "text"
                       and isinstance(part.get("text"), str) for part in content):
                raise Refused(400, "content parts must be {'type': 'text', 'text': ...}: the simulated models read "
                                   "text only", param="messages")
            content = "".join(part["text"] for part in content)
        if not isinstance(content, str) or message.get("role") not in ROLES:
            raise Refused(400, f"each message needs a 'role' (one of {', '.join(ROLES)}) and a text 'content', "
                               f"got {message!r:.80}", param="messages")
        plain.append({"role": message["role"], "content": content})
    return plain


def _stops(stop: Any) -> tuple[str, ...]:
    stops = [stop] if isinstance(stop, str) else stop if stop is not None else []
    if not (isinstance(stops, list) and len(stops) <= MAX_STOPS and all(isinstance(s, str) and s for s in stops)):
        raise _bad("stop", f"'stop' must be a non-empty string or a list of up to {MAX_STOPS} of them, "
                           f"got {stop!r:.60}")
    return tuple(stops)


def _include_usage(options: Any, stream: bool) -> bool:
    if options is None:
        return False
    if not isinstance(options, dict) or not isinstance(options.get("include_usage", False), bool):
        raise Refused(400, "'stream_options' must be a JSON object, e.g. {\"include_usage\": true}",
                      param="stream_options")
    if not stream:
        raise _bad("stream_options", "'stream_options' is only allowed when 'stream' is true")
    return options.get("include_usage", False)
