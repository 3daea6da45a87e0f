"""HTTP/1.1 plumbing for the kit's server, on ``h11``: read a request within limits, send JSON, refuse clearly.

A shared classroom endpoint meets hostile input, so the limits are enforced
while reading: headers over ``MAX_HEAD`` bytes get a 431, a body over
``MAX_BODY`` a 413 as soon as that is known (from Content-Length, before reading
it). Every refusal is a ``Refused`` carrying an error body in OpenAI's shape::

    raise Refused(400, "'messages' must be a non-empty list", param="messages")
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import h11

MAX_BODY = 1_000_000  # bytes; a chat request is far smaller
MAX_HEAD = 16 * 1024  # bytes of request line and headers (h11's own default)
LINGER_S = 2.0  # after refusing a body early, read and drop the rest this long so the client sees the reply


class Refused(Exception):
    """A request the server will not serve: answered with an error in OpenAI's shape."""

    def __init__(self, status: int, message: str, *, param: str | None = None, code: str | None = None,
                 headers: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status, self.param, self.code, self.headers = status, param, code, headers or []

    def body(self) -> dict[str, Any]:
        kind = "invalid_request_error" if self.status < 500 else "server_error"
        kind = "rate_limit_error" if self.status == 429 else kind
        return {"error": {"message": str(self), "type": kind, "param": self.param, "code": self.code}}


def check_json_content_type(headers: dict[str, str]) -> None:
    """A body sent as something other than JSON is a mistake worth naming (no header at all is fine)."""
    kind = headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if kind != "application/json":
        raise Refused(415, f"send the body as JSON with the header 'Content-Type: application/json', not {kind!r:.60} "
                           "(with curl: -H 'Content-Type: application/json')", code="unsupported_media_type")


async def read_request(conn: h11.Connection,
                        reader: asyncio.StreamReader) -> tuple[str, str, dict[str, str], bytes] | None:
    """The next request as (method, path, headers, body), or None when the client has closed the connection.

    Headers larger than MAX_HEAD are refused (431), and a body larger than MAX_BODY (413) as
    soon as that is known: from its Content-Length before reading any of it, or while
    reading a chunked one.
    """
    request, body = None, bytearray()
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            conn.receive_data(await reader.read(65536))  # b"" means the client closed its side
        elif isinstance(event, h11.Request):
            request = event
            if sum(len(name) + len(value) for name, value in event.headers) > MAX_HEAD:  # h11 checks this
                raise Refused(431, f"the request headers are larger than {MAX_HEAD} bytes",  # only for a head
                              code="headers_too_large", headers=[("connection", "close")])  # in pieces
            length = dict(event.headers).get(b"content-length", b"0")  # h11 has checked it is a number
            if int(length) > MAX_BODY:
                raise too_large()
        elif isinstance(event, h11.Data):
            body += event.data
            if len(body) > MAX_BODY:
                raise too_large()
        elif isinstance(event, h11.EndOfMessage) and request is not None:
            headers = {name.decode(): value.decode("latin-1") for name, value in request.headers}
            return request.method.decode(), request.target.decode().split("?")[0], headers, bytes(body)
        elif isinstance(event, h11.ConnectionClosed):
            return None


def too_large() -> Refused:
    return Refused(413, f"the request body is larger than {MAX_BODY} bytes; a chat request is far smaller",
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


async def send_json(conn: h11.Connection, writer: asyncio.StreamWriter, status: int, body: Any,
                     headers: list[tuple[str, str]] | None = None) -> None:
    data = json.dumps(body).encode()
    head = [("content-type", "application/json"), ("content-length", str(len(data))), *(headers or [])]
    writer.write(conn.send(h11.Response(status_code=status, headers=head)) + conn.send(h11.Data(data=data))
                 + conn.send(h11.EndOfMessage()))
    await writer.drain()
