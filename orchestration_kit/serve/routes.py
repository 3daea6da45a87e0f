"""What the classroom server answers on each route: health, models, usage, and chat completions.

Each handler gets the server and one ``Exchange`` (the request, and a way to
answer it) and sends exactly one answer::

    await exchange.send(200, {"status": "ok"})

A chat completion runs the simulated model in the asking learner's own
context (their call counts and rate limits), ``n`` times, cut at ``stop``.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Awaitable, Callable

import h11

from ..context import _current_context
from ..errors import BackendError, RateLimited, Timeout
from ..models.base import Completion, estimate_tokens
from .chat_request import ChatRequest, parse_chat
from .http11 import Refused, Request, check_json_content_type, send_json
from .learners import INSTRUCTOR, Learner
from ..models.simulated import Failures, SimulatedModel

if TYPE_CHECKING:
    from .server import ModelServer

_SPANS_KEPT = 100  # a learner's trace on the server keeps only its latest spans
_UNAUTHORISED = ("missing or wrong token: this server wants its token as the API key "
                 "(header 'Authorization: Bearer <token>'); ask whoever runs it")


@dataclass
class Exchange:
    """One request and its answer, with what the access log and the usage counts need."""

    conn: h11.Connection
    writer: asyncio.StreamWriter
    request: Request
    learner: Learner | None = None
    status: int = 0
    model: str = ""
    user: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0

    async def send(self, status: int, body: Any, headers: list[tuple[str, str]] | None = None) -> None:
        self.status = status
        await send_json(self.conn, self.writer, status, body, headers, head_only=self.request.method == "HEAD")


Handler = Callable[["ModelServer", Exchange, str], Awaitable[None]]


def route(server: ModelServer, method: str, path: str, exchange: Exchange) -> Handler:
    """The handler for ``method path``, once the asker may use it; else ``Refused`` (404, 405, 401, 415)."""
    if path.startswith("/v1/models/") and path.count("/") == 3:
        allowed, handler, who = ("GET", "HEAD"), _one_model, "learner"
    else:
        allowed, handler, who = {"/health": (("GET", "HEAD"), _health, "anyone"),
                                 "/v1/models": (("GET", "HEAD"), _list_models, "learner"),
                                 "/v1/chat/completions": (("POST",), chat, "learner"),
                                 "/usage": (("GET", "HEAD"), _usage, "instructor")}.get(path, (None, None, None))
    if handler is None:
        raise Refused(404, f"no route {path:.80}: this server serves POST /v1/chat/completions, GET /v1/models, "
                           "GET /v1/models/{id}, GET /health and GET /usage", code="not_found")
    if method not in allowed:
        raise Refused(405, f"{path:.80} accepts {' or '.join(allowed)}, not {method:.20}", code="method_not_allowed",
                      headers=[("allow", ", ".join(allowed))])
    if who != "anyone":
        exchange.learner = server.who(exchange.request.headers)
        if exchange.learner is None:
            server.unauthorised += 1
            raise Refused(401, _UNAUTHORISED, code="invalid_api_key", headers=[("www-authenticate", "Bearer")])
        if who == "instructor" and exchange.learner.name != INSTRUCTOR:
            raise Refused(403, "the usage view wants the instructor's token (ORCHESTRATION_KIT_INSTRUCTOR_TOKEN)",
                          code="forbidden")
    if method == "POST":
        check_json_content_type(exchange.request.headers)
    return handler


async def _health(server: ModelServer, exchange: Exchange, path: str) -> None:
    await exchange.send(200, server.health())


def _model_card(name: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": 0, "owned_by": "orchestration-kit"}


async def _list_models(server: ModelServer, exchange: Exchange, path: str) -> None:
    await exchange.send(200, {"object": "list", "data": [_model_card(name) for name in server.models]})


async def _one_model(server: ModelServer, exchange: Exchange, path: str) -> None:
    name = path.removeprefix("/v1/models/")
    if name not in server.models:
        raise Refused(404, f"The model {name!r:.80} does not exist; available: {', '.join(server.models)}",
                      param="model", code="model_not_found")
    await exchange.send(200, _model_card(name))


async def _usage(server: ModelServer, exchange: Exchange, path: str) -> None:
    rows = [learner.row() for learner in server.learners.values() if learner.usage.requests]
    await exchange.send(200, {"object": "usage", "learners": rows, "unauthorised": server.unauthorised})


# -- chat completions --------------------------------------------------------------------------

def paced(model: SimulatedModel, speed: float, failures: bool) -> tuple[SimulatedModel, float]:
    """The model, answering its first token ``speed`` times its usual delay; and seconds per output token.

    The server pays the per-token time itself while it streams, so a stream's
    pieces arrive at the model's pace rather than all at once at the end.
    """
    profile = model.profile
    fails = profile.failures if failures else Failures()
    first_token = replace(profile, latency_s=profile.latency_s * speed, seconds_per_output_token=0.0,
                          failures=replace(fails, hang_s=fails.hang_s * speed))
    return SimulatedModel(first_token, seed=model.seed), profile.seconds_per_output_token * speed


async def chat(server: ModelServer, exchange: Exchange, path: str) -> None:
    number = next(server.ids)  # taken now: concurrent requests each get their own
    server.requests += 1
    request = parse_chat(exchange.request.body, server.models)
    learner = exchange.learner
    exchange.model, exchange.user = request.model, request.user
    wait = learner.wait_before_next(asyncio.get_running_loop().time())
    if wait:
        raise _rate_limited(f"{learner.name}: the server allows {learner.requests_per_minute} requests a minute "
                            "per learner; wait, then retry", wait)
    answers = await _complete(server, learner, request)
    exchange.prompt_tokens = answers[0].usage.input_tokens
    exchange.completion_tokens = sum(a.usage.output_tokens for a in answers)
    exchange.cost = sum(a.cost for a in answers)
    answer = {"id": f"chatcmpl-sim-{number:06d}", "created": int(time.time()), "model": request.model}
    usage = {"prompt_tokens": exchange.prompt_tokens, "completion_tokens": exchange.completion_tokens,
             "total_tokens": exchange.prompt_tokens + exchange.completion_tokens}
    per_token = server.models[request.model][1]
    if request.stream:
        await _stream(exchange, request, answers, answer, usage, per_token)
        return
    await asyncio.sleep(per_token * exchange.completion_tokens)
    choices = [{"index": i, "message": {"role": "assistant", "content": a.text}, "finish_reason": a.finish_reason,
                "logprobs": None} for i, a in enumerate(answers)]
    await exchange.send(200, {**answer, "object": "chat.completion", "choices": choices, "usage": usage})


async def _complete(server: ModelServer, learner: Learner, request: ChatRequest) -> list[Completion]:
    """``n`` answers, one after another, in the learner's context; each cut at the first ``stop`` string."""
    model = server.models[request.model][0]
    ctx = learner.context(request.seed)
    entered = _current_context.set(ctx)
    try:
        answers = [await model.complete(request.messages, max_tokens=request.max_tokens, skill=request.skill,
                                        **request.skill_args) for _ in range(request.n)]
    except RateLimited as error:
        raise _rate_limited(str(error), error.retry_after or 1.0) from None
    except Timeout as error:
        raise Refused(504, str(error), code="timeout") from None
    except BackendError as error:
        raise Refused(error.status or 500, str(error), code="server_error") from None
    finally:
        _current_context.reset(entered)
        del ctx.trace.spans[:-_SPANS_KEPT]
    return [_cut_at_stop(a, request.stop) for a in answers]


def _cut_at_stop(completion: Completion, stops: tuple[str, ...]) -> Completion:
    cuts = [i for i in (completion.text.find(s) for s in stops) if i >= 0]
    if not cuts:
        return completion
    text = completion.text[:min(cuts)]
    return replace(completion, text=text, finish_reason="stop",
                   usage=replace(completion.usage, output_tokens=estimate_tokens(text)))


def _rate_limited(message: str, wait: float) -> Refused:
    return Refused(429, message, code="rate_limit_exceeded", headers=[
        ("retry-after", str(math.ceil(wait))), ("retry-after-ms", str(round(wait * 1000)))])


async def _stream(exchange: Exchange, request: ChatRequest, answers: list[Completion], answer: dict[str, Any],
                  usage: dict[str, int], per_token: float) -> None:
    """Server-sent events: each choice's pieces in turn, its finish_reason, the usage if asked, then [DONE]."""
    conn, writer = exchange.conn, exchange.writer
    exchange.status = 200
    headers = [("content-type", "text/event-stream"), ("cache-control", "no-cache")]
    writer.write(conn.send(h11.Response(status_code=200, headers=headers)))  # no length: chunked

    async def send(choices: list[dict[str, Any]], **extra: Any) -> None:
        chunk = {**answer, "object": "chat.completion.chunk", "choices": choices, **extra}
        writer.write(conn.send(h11.Data(data=f"data: {json.dumps(chunk)}\n\n".encode())))
        await writer.drain()

    for index, completion in enumerate(answers):
        await send([{"index": index, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}])
        for piece in re.findall(r"\s*\S+\s*", completion.text) or [completion.text]:  # word-sized pieces
            await asyncio.sleep(per_token * estimate_tokens(piece))
            await send([{"index": index, "delta": {"content": piece}, "finish_reason": None}])
        await send([{"index": index, "delta": {}, "finish_reason": completion.finish_reason}])
    if request.include_usage:
        await send([], usage=usage)
    writer.write(conn.send(h11.Data(data=b"data: [DONE]\n\n")) + conn.send(h11.EndOfMessage()))
    await writer.drain()
