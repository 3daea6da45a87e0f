"""The kit's OpenAI-compatible server: the simulated models over HTTP, on 127.0.0.1.

One endpoint for a classroom, or offline practice of the real-backend path::

    $ orchestration-kit serve --port 8000
    >>> from openai import OpenAI
    >>> client = OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="unused")
    >>> client.chat.completions.create(model="generalist-small", messages=[{"role": "user", "content": "Hi"}])

It serves ``POST /v1/chat/completions`` (streamed too; the options are checked in
``server_chat.py``), ``GET /v1/models`` and ``/v1/models/{id}``, ``GET /health``
(open, for monitoring) and ``GET /usage`` (the instructor's view). Who may ask:
a shared ``token``, or each learner's own from a ``roster`` (``server_learners.py``);
a server open to the network without either refuses to start.
Models answer in real time: the time to the first token comes from the
simulated model, then the text streams at the model's speed per token;
``speed`` scales both (0 answers at once). Simulated failures become real HTTP
errors (429 with ``Retry-After``, 500, 504). An extra body field ``skill`` (and
``skill_args``) runs a simulated skill.

Written on plain asyncio and ``h11`` (the HTTP/1.1 parser httpx itself uses),
so the whole server reads top to bottom: no web framework to learn first (the
reading, refusals and JSON replies are in ``server_http.py``, the deadlines and
connection cap in ``server_limits.py``). Every bad request gets a clear 4xx, a
client too slow or too many gets a 408 or 503, and a client that vanishes
mid-answer costs nothing but its task.
"""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
import logging
import socket
import time
from typing import Any

import h11

from .routes import Exchange, paced, route
from .http11 import MAX_HEAD, Idle, Refused, linger, read_request, response_head, send_json
from .learners import ANONYMOUS, INSTRUCTOR, SHARED, Learner, Roster
from .limits import Connections, Limits
from ..models.simulated import SimulatedModel, load_profiles

logger = logging.getLogger("orchestration_kit.server")
access_log = logging.getLogger("orchestration_kit.server.access")


class ModelServer:
    """Serve simulated models over an OpenAI-compatible HTTP API.

    >>> async with ModelServer(port=0, speed=0) as server:      # port 0: any free port
    ...     model = OpenAICompatible("generalist-small", base_url=server.base_url)
    """

    def __init__(self, models: dict[str, SimulatedModel] | None = None, *, host: str = "127.0.0.1", port: int = 8000,
                 speed: float = 1.0, seed: int = 0, failures: bool = True, token: str | None = None,
                 roster: dict[str, str] | None = None, instructor_token: str | None = None,
                 requests_per_minute: int = 0, limits: Limits | None = None, no_auth: bool = False,
                 prefix: str = "") -> None:
        if speed < 0:
            raise ValueError(f"speed must be >= 0 (1 = real time, 0 = instant), got {speed}")
        for name, secret in (("token", token), ("instructor_token", instructor_token)):
            if secret is not None and not secret:
                raise ValueError(f"{name} must be a non-empty string, or None")
        if requests_per_minute < 0:
            raise ValueError(f"requests_per_minute must be 0 (no limit) or more, got {requests_per_minute}")
        self.guarded = token is not None or bool(roster)
        if not self.guarded and not no_auth and not _is_loopback(host):
            raise ValueError(f"refusing to serve {host} without a token: anyone on the network could use it. "
                             "Set ORCHESTRATION_KIT_TOKEN (or give a --roster of learner tokens), or pass --no-auth "
                             "if an open endpoint is really what you want")
        models = models or {name: SimulatedModel(name, seed=seed) for name in load_profiles()}
        # name -> (the model, answering its first token at `speed`; seconds per output token at `speed`)
        self.models = {name: paced(model, speed, failures) for name, model in models.items()}
        self.host, self.port, self.speed, self.seed = host, port, speed, seed
        self.prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
        self.limits = limits or Limits()
        self.connections = Connections(self.limits.max_connections)
        # Only digests of the tokens are kept: no secret is in any attribute, repr or log.
        holders = {**(roster or {}), **({SHARED: token} if token else {}),
                   **({INSTRUCTOR: instructor_token} if instructor_token else {})}
        self.roster = Roster(holders)
        names = [*(roster or {}), SHARED, INSTRUCTOR, ANONYMOUS]
        self.learners = {name: Learner(name, seed, requests_per_minute) for name in names}
        self.connections_opened = self.requests = self.unauthorised = 0
        self.ids = itertools.count(1)  # one answer id each, taken when the request arrives
        self._listener: socket.socket | None = None
        self._accepting: asyncio.Task[None] | None = None  # the loop taking new connections

    @property
    def base_url(self) -> str:
        """What an OpenAI client needs as ``base_url``."""
        return f"http://{self.host}:{self.port}{self.prefix}/v1"

    async def start(self) -> ModelServer:
        family = socket.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)[0][0]
        self._listener = socket.create_server((self.host, self.port), family=family, backlog=128)
        self._listener.setblocking(False)
        self.port = self._listener.getsockname()[1]  # the real port, if 0 asked for any
        self._accepting = asyncio.create_task(self._accept())
        return self

    async def _accept(self) -> None:
        """Take connections one at a time, so the server never holds more than its cap (and its files)."""
        loop = asyncio.get_running_loop()
        while True:
            try:
                client, _ = await loop.sock_accept(self._listener)
            except OSError as error:  # e.g. out of files, for a moment: wait, then carry on
                logger.warning("cannot accept a connection (%s); retrying", error.strerror)
                await asyncio.sleep(0.1)
                continue
            reader, writer = await asyncio.open_connection(sock=client)
            asyncio.create_task(self._connection(reader, writer))
            await asyncio.sleep(0)  # let it take its place (or make room) before the next one comes in

    async def close(self) -> None:
        """Stop listening and end every open connection: no task outlives the server."""
        if self._accepting is not None:
            self._accepting.cancel()
            await asyncio.gather(self._accepting, return_exceptions=True)
            self._listener.close()
            for task in self.connections.tasks:  # idle keep-alive connections would wait for their timeout
                task.cancel()
            await asyncio.gather(*self.connections.tasks, return_exceptions=True)
            self._accepting = None

    async def __aenter__(self) -> ModelServer:
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    def __repr__(self) -> str:
        guarded = f", {len(self.roster)} tokens" if len(self.roster) > 1 else ", token required" if self.guarded else ""
        return f"ModelServer({self.base_url!r}, models={len(self.models)}, speed={self.speed:g}{guarded})"

    def health(self) -> dict[str, Any]:
        return {"status": "ok", "models": len(self.models), "requests": self.requests,
                "connections_opened": self.connections_opened, "connections_open": len(self.connections.tasks),
                "connections_refused": self.connections.refused, "connections_dropped": self.connections.dropped}

    def who(self, headers: dict[str, str]) -> Learner | None:
        """The learner whose token came with the request (anonymous on an open server), or None."""
        scheme, _, given = headers.get("authorization", "").partition(" ")
        holder = self.roster.who(given.strip()) if scheme.lower() == "bearer" else None
        if holder is None and not self.guarded:
            holder = ANONYMOUS
        return self.learners.get(holder) if holder else None

    # -- HTTP/1.1 with h11: read a request, write a response, repeat (keep-alive) -------------
    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One client connection's life: counted while open, always closed, whatever happens."""
        task = asyncio.current_task()
        if not self.connections.admit(task):  # full, and everyone is being answered: come back in a second
            writer.write(h11.Connection(h11.SERVER).send(response_head(503, [
                ("retry-after", "1"), ("content-length", "0"), ("connection", "close")])))
            writer.close()
            return
        self.connections_opened += 1
        try:
            await self._serve_requests(task, reader, writer)
        except (ConnectionError, Idle):
            pass  # the client went away, or stayed silent past the idle timeout
        except asyncio.CancelledError:
            pass  # close() ended us, or a newcomer needed our place; Python 3.11's asyncio would log it
        except h11.ProtocolError as error:  # the exchange broke off mid-way: this connection only
            logger.warning("closed a connection after an HTTP protocol error: %s", error)
        finally:
            writer.close()
            self.connections.leave(task)

    async def _serve_requests(self, task: asyncio.Task[None], reader: asyncio.StreamReader,
                              writer: asyncio.StreamWriter) -> None:
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD)
        try:
            while True:
                self.connections.waiting(task)
                request = await read_request(conn, reader, self.limits)
                if request is None:
                    break
                self.connections.busy(task)
                await self._respond(Exchange(conn, writer, request))
                if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                    break  # the client asked to close, the exchange went wrong, or we refused a body early
                conn.start_next_cycle()
        except Refused as refused:  # too large, too slow or not framed by a length: refused, then closed
            if conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):
                await send_json(conn, writer, refused.status, refused.body(), refused.headers)
                await linger(reader, writer)
        except h11.RemoteProtocolError as error:
            if conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):
                status = error.error_status_hint  # 400, or 431 for headers too large
                await send_json(conn, writer, status, Refused(status, f"malformed HTTP request: {error}").body())

    async def _respond(self, exchange: Exchange) -> None:
        request, started = exchange.request, time.perf_counter()
        path = request.path.removeprefix(self.prefix) if self.prefix else request.path
        try:
            handler = route(self, request.method, path, exchange)
            await handler(self, exchange, path)
        except Refused as refused:
            await exchange.send(refused.status, refused.body(), refused.headers)
        except Exception as error:  # a bug, not the client's fault: say so, and keep serving everyone else
            if exchange.conn.our_state is not h11.SEND_RESPONSE:
                raise  # the answer had begun: closing the connection is all that is left
            logger.exception("%s %s failed", request.method, path)  # the traceback, for whoever runs the server
            message = f"the server failed on this request ({type(error).__name__}: {error}); please report it"
            await exchange.send(500, Refused(500, message, code="server_error").body())
        finally:
            self._account(exchange, path, time.perf_counter() - started)

    def _account(self, exchange: Exchange, path: str, seconds: float) -> None:
        """Count the request for its learner, and write one access-log line: who, what, how it went (no secret)."""
        learner, status = exchange.learner, exchange.status or 499  # 499: the client left before the answer
        if learner is not None and path.startswith("/v1/"):
            learner.record(status, prompt_tokens=exchange.prompt_tokens, completion_tokens=exchange.completion_tokens,
                           cost=exchange.cost, user=exchange.user)
        access_log.info("%s user=%s %s %s %d model=%s tokens=%d+%d %.3fs", learner.name if learner else "-",
                        _printable(exchange.user or "-"), exchange.request.method, _printable(path), status,
                        exchange.model or "-", exchange.prompt_tokens, exchange.completion_tokens, seconds)


def _printable(text: str, limit: int = 80) -> str:
    """Client-chosen text made safe for a log line: one line, no control characters, bounded."""
    return "".join(c if c.isprintable() and c != " " else "_" for c in text[:limit])


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name other than localhost: it may well be reachable from the network


__all__ = ["ModelServer", "Limits"]
