"""A scripted fake model server on 127.0.0.1, in a thread of the test process: it answers what the test says.

    with FakeBackend() as fake:
        fake.answer(200, {"choices": "not a list"})          # the next replies, until told otherwise
        model = OpenAICompatible("m", base_url=fake.url + "/v1")
        fake.requests[-1]                                    # what the backend sent: path, headers, body

``answer`` sets a JSON body; ``answer_raw`` any bytes (a broken body, an event
stream). Every request gets the current answer, over a real socket, so the
backend's own HTTP stack reads it exactly as it would a real server's.
"""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass
from typing import Any

HOST = "127.0.0.1"


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


class FakeBackend:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self._reply = b"HTTP/1.1 500 X\r\ncontent-length: 0\r\n\r\n"
        self._close = False

    # -- what to answer ----------------------------------------------------------------------
    def answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        """Answer every request with ``body`` as JSON (keep-alive, like most servers)."""
        data = json.dumps(body).encode()
        head = {"content-type": "application/json", "content-length": str(len(data)), **(headers or {})}
        self.answer_raw(status, data, head, close=False)

    def answer_stream(self, events: list[str]) -> None:
        """Answer with an event stream whose events carry these ``data:`` payloads (then close)."""
        body = "".join(f"data: {data}\n\n" for data in events).encode()
        self.answer_raw(200, body, {"content-type": "text/event-stream"}, close=True)

    def answer_raw(self, status: int, body: bytes, headers: dict[str, str], *, close: bool) -> None:
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self._reply = f"HTTP/1.1 {status} X\r\n{head}\r\n".encode() + body
        self._close = close

    # -- the server ----------------------------------------------------------------------------
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode()
                request_line, *lines = head.split("\r\n")
                method, path, _ = request_line.split(" ")
                headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines if line)}
                body = await reader.readexactly(int(headers.get("content-length", 0)))
                self.requests.append(Received(method, path, headers, json.loads(body) if body else None))
                writer.write(self._reply)
                await writer.drain()
                if self._close:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def __enter__(self) -> FakeBackend:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        start = asyncio.start_server(self._handle, HOST, 0)
        self.server = asyncio.run_coroutine_threadsafe(start, self.loop).result(timeout=10)
        self.url = f"http://{HOST}:{self.server.sockets[0].getsockname()[1]}"
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            self.server.close()
            await self.server.wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()
