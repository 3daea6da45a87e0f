"""HTTP/1.1 plumbing for the kit's server, on ``h11``: read a request within limits, send JSON, refuse clearly.

A shared classroom endpoint meets hostile input, so the limits are enforced
while reading: headers over ``MAX_HEAD`` bytes get a 431, a body over
``Limits.max_body`` a 413 as soon as that is known (from Content-Length, before
reading it), a chunked body a 411 (chat clients send a Content-Length; a
chunked body is where request smuggling and endless chunks hide), and a client
too slow to send its request a 408 (see ``Limits``). Every refusal is a
``Refused`` carrying an error body in OpenAI's shape::

    raise Refused(400, "'messages' must be a non-empty list", param="messages")
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import h11

from ..errors import OrchestrationError
from .limits import Limits

MAX_BODY = Limits.max_body  # bytes; a chat request is far smaller
MAX_HEAD = 16 * 1024  # bytes of request line and headers (h11's own default)
LINGER_S = 2.0  # after refusing a body early, read and drop the rest this long so the client sees the reply


class Refused(OrchestrationError):
    """A request the server will not serve: answered with an error in OpenAI's shape."""

    def __init__(self, status: int, message: str, *, param: str | None = None, code: str | None = None,
                 headers: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status, self.param, self.code, self.headers = status, param, code, headers or []

    def body(self) -> dict[str, Any]:
        kind = "invalid_request_error" if self.status < 500 else "server_error"
        kind = "rate_limit_error" if self.status == 429 else kind
        return {"error": {"message": str(self), "type": kind, "param": self.param, "code": self.code}}


class Idle(Exception):
    """A kept-alive connection sent no new request within ``Limits.idle_timeout_s``: close it, say nothing."""


@dataclass
class Request:
    """One request, read whole."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


def check_json_content_type(headers: dict[str, str]) -> None:
    """A body sent as something other than JSON is a mistake worth naming (no header at all is fine)."""
    kind = headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if kind != "application/json":
        raise Refused(415, f"send the body as JSON with the header 'Content-Type: application/json', not {kind!r:.60} "
                           "(with curl: -H 'Content-Type: application/json')", code="unsupported_media_type")


async def read_request(conn: h11.Connection, reader: asyncio.StreamReader, limits: Limits) -> Request | None:
    """The next request, or None when the client has closed the connection.

    Waits ``idle_timeout_s`` for its first byte (then raises ``Idle``), ``header_timeout_s``
    more for the rest of its head and ``body_timeout_s`` for its body (else a 408).
    """
    loop = asyncio.get_running_loop()
    request, body = None, bytearray()
    deadline, waited_for = loop.time() + limits.idle_timeout_s, "idle"
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            try:
                data = await asyncio.wait_for(reader.read(65536), max(deadline - loop.time(), 0))
            except asyncio.TimeoutError:
                if waited_for == "idle":
                    raise Idle() from None
                seconds = limits.header_timeout_s if waited_for == "headers" else limits.body_timeout_s
                raise Refused(408, f"the request's {waited_for} did not arrive within {seconds:g} s",
                              code="request_timeout", headers=[("connection", "close")]) from None
            if waited_for == "idle" and data:
                deadline, waited_for = loop.time() + limits.header_timeout_s, "headers"
            conn.receive_data(data)  # b"" means the client closed its side
        elif isinstance(event, h11.Request):
            request, deadline, waited_for = event, loop.time() + limits.body_timeout_s, "body"
            _check_head(event, limits)
        elif isinstance(event, h11.Data):
            body += event.data
            if len(body) > limits.max_body:
                raise too_large(limits)
        elif isinstance(event, h11.EndOfMessage) and request is not None:
            headers = {name.decode(): value.decode("latin-1") for name, value in request.headers}
            return Request(request.method.decode(), request.target.decode().split("?")[0], headers, bytes(body))
        elif isinstance(event, h11.ConnectionClosed):
            return None


def _check_head(request: h11.Request, limits: Limits) -> None:
    """Refuse, from the head alone, a request whose body is too large or not framed by a Content-Length."""
    if sum(len(name) + len(value) for name, value in request.headers) > MAX_HEAD:  # h11 checks this only
        raise Refused(431, f"the request headers are larger than {MAX_HEAD} bytes",  # for a head in one piece
                      code="headers_too_large", headers=[("connection", "close")])
    headers = dict(request.headers)
    if b"transfer-encoding" in headers:
        raise Refused(411, "send the body with a Content-Length header, not Transfer-Encoding "
                           f"{headers[b'transfer-encoding'].decode('latin-1')!r:.40}", code="length_required",
                      headers=[("connection", "close")])
    if int(headers.get(b"content-length", b"0")) > limits.max_body:  # h11 has checked it is a number
        raise too_large(limits)


def too_large(limits: Limits) -> Refused:
    return Refused(413, f"the request body is larger than {limits.max_body} bytes; a chat request is far smaller",
                   code="request_too_large", headers=[("connection", "close")])  # the rest of it stays unread


async def linger(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """After answering before the whole body arrived: read and drop the rest for a while, then close.

    Closing a socket with unread data makes the kernel send a reset, which can destroy
    our answer before the client reads it; draining first lets the client see the 413.
    """
    try:
        writer.write_eof()  # our side is done: the client's read of the answer ends here
        give_up_at = asyncio.get_running_loop().time() + LINGER_S
        while await asyncio.wait_for(reader.read(65536), max(give_up_at - asyncio.get_running_loop().time(), 0)):
            pass  # dropped
    except (asyncio.TimeoutError, ConnectionError, OSError):
        pass  # the client kept sending or went away: close anyway


def response_head(status: int, headers: list[tuple[str, str]]) -> h11.Response:
    return h11.Response(status_code=status, headers=headers, reason=HTTPStatus(status).phrase.encode())


async def send_json(conn: h11.Connection, writer: asyncio.StreamWriter, status: int, body: Any,
                    headers: list[tuple[str, str]] | None = None, *, head_only: bool = False) -> None:
    """Answer with ``body`` as JSON; for a HEAD request, the same head without the body."""
    data = json.dumps(body).encode()
    head = [("content-type", "application/json"), ("content-length", str(len(data))), *(headers or [])]
    writer.write(conn.send(response_head(status, head)) + (b"" if head_only else conn.send(h11.Data(data=data)))
                 + conn.send(h11.EndOfMessage()))
    await writer.drain()
