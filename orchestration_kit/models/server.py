"""The kit's OpenAI-compatible server: the simulated models over HTTP, on 127.0.0.1.

One endpoint for a classroom, or offline practice of the real-backend path::

    $ orchestration-kit serve --port 8000
    >>> from openai import OpenAI
    >>> client = OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="unused")
    >>> client.chat.completions.create(model="generalist-small", messages=[{"role": "user", "content": "Hi"}])

It serves ``POST /v1/chat/completions`` (with ``"stream": true`` too),
``GET /v1/models`` and ``GET /health``. With a ``token`` (a shared secret for a
classroom), the ``/v1`` routes want it as the API key (``Authorization: Bearer
<token>``); ``/health`` stays open for monitoring. Models answer in real time: the time
to the first token comes from the simulated model, then the text streams at
the model's speed per token; ``speed`` scales both (0 answers at once).
Simulated failures become real HTTP errors (429 with ``Retry-After``, 500,
504). An extra body field ``skill`` (and ``skill_args``) runs a simulated skill.

Written on plain asyncio and ``h11`` (the HTTP/1.1 parser httpx itself uses),
so the whole server reads top to bottom: no web framework to learn first (the
reading, limits and JSON replies are in ``server_http.py``).
A shared endpoint meets hostile input, so every bad request gets a clear 4xx
(or, for the hopeless ones, a clean close), a body is refused as soon as it is
too large, and a client that vanishes mid-answer costs nothing but its task.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import math
import re
import time
from dataclasses import replace
from typing import Any

import h11

from ..clock import WallClock
from ..context import Context, _current_context
from ..errors import BackendError, RateLimited, Timeout
from ..skills import SKILLS
from .base import estimate_tokens
from .server_http import MAX_HEAD, Refused, check_json_content_type, linger, read_request, send_json
from .simulated import Failures, SimulatedModel, load_profiles

_SPANS_KEPT = 1000  # the server's own trace keeps only the latest spans
logger = logging.getLogger("orchestration_kit.server")


class ModelServer:
    """Serve simulated models over an OpenAI-compatible HTTP API.

    >>> async with ModelServer(port=0, speed=0) as server:      # port 0: any free port
    ...     model = OpenAICompatible("generalist-small", base_url=server.base_url)
    """

    def __init__(self, models: dict[str, SimulatedModel] | None = None, *, host: str = "127.0.0.1", port: int = 8000,
                 speed: float = 1.0, seed: int = 0, failures: bool = True, token: str | None = None) -> None:
        if speed < 0:
            raise ValueError(f"speed must be >= 0 (1 = real time, 0 = instant), got {speed}")
        if token is not None and not token:
            raise ValueError("token must be a non-empty string, or None for an open server")
        models = models or {name: SimulatedModel(name, seed=seed) for name in load_profiles()}
        # name -> (the model, answering its first token at `speed`; seconds per output token at `speed`)
        self.models = {name: _paced(model, speed, failures) for name, model in models.items()}
        self.host, self.port, self.speed, self.seed = host, port, speed, seed
        self.connections_opened = self.requests = 0
        # Only a digest of the token is kept: the secret itself is in no attribute, repr or log.
        self._token_digest = _digest(token) if token is not None else None
        self._connections: set[asyncio.Task[None]] = set()  # one task per open connection
        self._server: asyncio.AbstractServer | None = None
        self._ctx: Context | None = None

    @property
    def base_url(self) -> str:
        """What an OpenAI client needs as ``base_url``."""
        return f"http://{self.host}:{self.port}/v1"

    async def start(self) -> ModelServer:
        # One context for the server's life: simulated models count calls per prompt in it, so a
        # retried request gets a fresh draw (and rate limits per minute work), as with a real model.
        self._ctx = Context(WallClock(), self.seed)
        self._server = await asyncio.start_server(self._connection, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]  # the real port, if 0 asked for any
        return self

    async def close(self) -> None:
        """Stop listening and end every open connection: no task outlives the server."""
        if self._server is not None:
            self._server.close()
            for task in self._connections:  # idle keep-alive connections would wait forever
                task.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)
            await self._server.wait_closed()

    async def __aenter__(self) -> ModelServer:
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    def __repr__(self) -> str:
        guarded = ", token required" if self._token_digest else ""
        return f"ModelServer({self.base_url!r}, models={len(self.models)}, speed={self.speed:g}{guarded})"

    # -- HTTP/1.1 with h11: read a request, write a response, repeat (keep-alive) -------------
    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One client connection's life: counted while open, always closed, whatever happens."""
        task = asyncio.current_task()
        self._connections.add(task)
        self.connections_opened += 1
        _current_context.set(self._ctx)  # this connection's task runs in the server's context
        try:
            await self._serve_requests(reader, writer)
        except ConnectionError:
            pass  # the client went away: nothing left to answer
        except asyncio.CancelledError:
            pass  # close() ended us; ending quietly, as Python 3.11's asyncio logs a cancelled connection task
        finally:
            writer.close()
            self._connections.discard(task)

    async def _serve_requests(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD)
        try:
            while (request := await read_request(conn, reader)) is not None:
                await self._respond(conn, writer, *request)
                if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                    break  # the client asked to close, the exchange went wrong, or we refused a body early
                conn.start_next_cycle()
        except Refused as refused:  # headers or body too large: refused before the body is read
            await send_json(conn, writer, refused.status, refused.body(), refused.headers)
            await linger(reader, writer)
        except h11.RemoteProtocolError as error:
            if conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):
                status = error.error_status_hint  # 400, or 431 for headers too large
                await send_json(conn, writer, status, Refused(status, f"malformed HTTP request: {error}").body())

    async def _respond(self, conn: h11.Connection, writer: asyncio.StreamWriter, method: str, path: str,
                       headers: dict[str, str], body: bytes) -> None:
        routes = {"/health": ("GET", self._health), "/v1/models": ("GET", self._list_models),
                  "/v1/chat/completions": ("POST", self._chat)}
        try:
            if path not in routes:
                raise Refused(404, f"no route {path}: this server serves POST /v1/chat/completions, GET /v1/models "
                                   "and GET /health", code="not_found")
            allowed, handler = routes[path]
            if method != allowed:
                raise Refused(405, f"{path} accepts {allowed}, not {method}", code="method_not_allowed")
            if path != "/health":
                self._check_token(headers)
            if method == "POST":
                check_json_content_type(headers)
            await handler(conn, writer, body)
        except Refused as refused:
            await send_json(conn, writer, refused.status, refused.body(), refused.headers)
        except Exception as error:  # a bug, not the client's fault: say so, and keep serving everyone else
            if conn.our_state is not h11.SEND_RESPONSE:
                raise  # the answer had begun: closing the connection is all that is left
            logger.exception("%s %s failed", method, path)  # the traceback, for whoever runs the server
            message = f"the server failed on this request ({type(error).__name__}: {error}); please report it"
            await send_json(conn, writer, 500, Refused(500, message, code="server_error").body())

    def _check_token(self, headers: dict[str, str]) -> None:
        if self._token_digest is None:
            return
        scheme, _, given = headers.get("authorization", "").partition(" ")
        # Compare digests of equal length in constant time: how long the reply takes says
        # nothing about how much of a guess was right, nor about the token's length.
        if not (scheme.lower() == "bearer" and hmac.compare_digest(_digest(given.strip()), self._token_digest)):
            raise Refused(401, "missing or wrong token: this server wants its token as the API key "
                               "(header 'Authorization: Bearer <token>'); ask whoever runs it",
                          code="invalid_api_key", headers=[("www-authenticate", "Bearer")])

    async def _health(self, conn: h11.Connection, writer: asyncio.StreamWriter, body: bytes) -> None:
        await send_json(conn, writer, 200, {"status": "ok", "models": len(self.models), "requests": self.requests,
                                             "connections_opened": self.connections_opened,
                                             "connections_open": len(self._connections)})

    async def _list_models(self, conn: h11.Connection, writer: asyncio.StreamWriter, body: bytes) -> None:
        data = [{"id": name, "object": "model", "created": 0, "owned_by": "orchestration-kit"} for name in self.models]
        await send_json(conn, writer, 200, {"object": "list", "data": data})

    # -- chat completions --------------------------------------------------------------------
    async def _chat(self, conn: h11.Connection, writer: asyncio.StreamWriter, body: bytes) -> None:
        self.requests += 1
        request = _parse_chat(body, self.models)
        model, per_token = self.models[request["model"]]
        try:  # the simulated model waits out its time to first token (scaled by speed)
            completion = await model.complete(request["messages"], max_tokens=request["max_tokens"],
                                              skill=request["skill"], **request["skill_args"])
        except RateLimited as error:
            wait = error.retry_after or 1.0
            raise Refused(429, str(error), code="rate_limit_exceeded", headers=[
                ("retry-after", str(math.ceil(wait))), ("retry-after-ms", str(round(wait * 1000)))]) from None
        except Timeout as error:
            raise Refused(504, str(error), code="timeout") from None
        except BackendError as error:
            raise Refused(error.status or 500, str(error), code="server_error") from None
        except TypeError as error:  # skill_args that the skill does not take
            message = f"skill_args do not fit skill {request['skill']!r}: {error}"
            raise Refused(400, message, param="skill_args") from None
        finally:
            del self._ctx.trace.spans[:-_SPANS_KEPT]
        answer = {"id": f"chatcmpl-sim-{self.requests:06d}", "created": int(time.time()), "model": request["model"]}
        usage = {"prompt_tokens": completion.usage.input_tokens, "completion_tokens": completion.usage.output_tokens,
                 "total_tokens": completion.usage.total_tokens}
        if not request["stream"]:
            await asyncio.sleep(per_token * completion.usage.output_tokens)
            message = {"role": "assistant", "content": completion.text}
            choice = {"index": 0, "message": message, "finish_reason": completion.finish_reason, "logprobs": None}
            reply = {**answer, "object": "chat.completion", "choices": [choice], "usage": usage}
            await send_json(conn, writer, 200, reply)
            return
        headers = [("content-type", "text/event-stream"), ("cache-control", "no-cache")]
        writer.write(conn.send(h11.Response(status_code=200, headers=headers)))  # no length: chunked

        async def send(choices: list[dict[str, Any]], **extra: Any) -> None:
            chunk = {**answer, "object": "chat.completion.chunk", "choices": choices, **extra}
            writer.write(conn.send(h11.Data(data=f"data: {json.dumps(chunk)}\n\n".encode())))
            await writer.drain()

        await send([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}])
        for piece in re.findall(r"\s*\S+\s*", completion.text) or [completion.text]:  # word-sized pieces
            await asyncio.sleep(per_token * estimate_tokens(piece))
            await send([{"index": 0, "delta": {"content": piece}, "finish_reason": None}])
        await send([{"index": 0, "delta": {}, "finish_reason": completion.finish_reason}])
        if request["include_usage"]:
            await send([], usage=usage)
        writer.write(conn.send(h11.Data(data=b"data: [DONE]\n\n")) + conn.send(h11.EndOfMessage()))
        await writer.drain()


def _paced(model: SimulatedModel, speed: float, failures: bool) -> tuple[SimulatedModel, float]:
    """The model, answering its first token ``speed`` times its usual delay; and seconds per output token.

    The server pays the per-token time itself while it streams, so a stream's
    pieces arrive at the model's pace rather than all at once at the end.
    """
    profile = model.profile
    fails = profile.failures if failures else Failures()
    first_token = replace(profile, latency_s=profile.latency_s * speed, seconds_per_output_token=0.0,
                          failures=replace(fails, hang_s=fails.hang_s * speed))
    return SimulatedModel(first_token, seed=model.seed), profile.seconds_per_output_token * speed


def _parse_chat(body: bytes, models: dict[str, Any]) -> dict[str, Any]:
    """Check a chat-completions request; refuse it with a clear 4xx if it is not one."""
    try:
        data = json.loads(body)
    except ValueError as error:
        raise Refused(400, f"the body is not valid JSON ({error}); send a JSON object") from None
    except RecursionError:
        raise Refused(400, "the body is not valid JSON (nested too deeply); send a JSON object") from None
    if not isinstance(data, dict):
        raise Refused(400, "the body must be a JSON object with 'model' and 'messages'")
    model = data.get("model")
    if not isinstance(model, str):
        problem = "missing 'model'" if model is None else f"'model' must be a string, not {model!r:.40}"
        raise Refused(400, f"{problem}: name one of GET /v1/models", param="model")
    if model not in models:
        raise Refused(404, f"The model {model!r} does not exist; available: {', '.join(models)}",
                      param="model", code="model_not_found")
    messages = data.get("messages")
    if not isinstance(messages, list) or not messages:
        raise Refused(400, "'messages' must be a non-empty list of {'role': ..., 'content': ...}", param="messages")
    plain = []
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list):  # content parts: keep the text ones
            content = "".join(part["text"] for part in content
                              if isinstance(part, dict) and isinstance(part.get("text"), str))
        if not isinstance(content, str) or not isinstance(message.get("role"), str):
            raise Refused(400, f"each message needs a 'role' and a text 'content', got {message!r:.80}",
                          param="messages")
        plain.append({"role": message["role"], "content": content})
    max_tokens = data.get("max_completion_tokens", data.get("max_tokens"))
    if max_tokens is not None and (not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1):
        raise Refused(400, f"'max_tokens' must be a positive integer, got {max_tokens!r}", param="max_tokens")
    skill, skill_args = data.get("skill", "answer"), data.get("skill_args") or {}
    if not isinstance(skill, str) or skill not in SKILLS:
        raise Refused(400, f"no simulated skill {skill!r}; known skills: {', '.join(sorted(SKILLS))}", param="skill")
    if not isinstance(skill_args, dict):
        raise Refused(400, "'skill_args' must be a JSON object of the skill's arguments", param="skill_args")
    stream_options = data.get("stream_options") or {}
    if not isinstance(stream_options, dict):
        raise Refused(400, "'stream_options' must be a JSON object, e.g. {\"include_usage\": true}",
                      param="stream_options")
    include_usage = bool(stream_options.get("include_usage"))
    return {"model": model, "messages": plain, "max_tokens": max_tokens, "stream": bool(data.get("stream")),
            "include_usage": include_usage, "skill": skill, "skill_args": skill_args}


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


