"""Test helpers: real servers in child processes on 127.0.0.1, waited for, always stopped.

    with ServerProcess(kit_server_command()) as server:
        model = OpenAICompatible("generalist-small", base_url=server.url + "/v1")

Also a tiny fault server of our own (``python tests/servers.py --port N``) for
the faults llmock does not script: a model still loading (503 on /health), a
provider that echoes the API key in its error message, and error events in
the middle of a stream. The path's first segment picks the fault, e.g.
``/echo-key/v1/chat/completions``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from orchestration_kit.serve.local_llm import stop_process

HOST = "127.0.0.1"  # tests talk to this machine only


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class ServerProcess:
    """Run ``command`` (``{port}`` is replaced by a free port); wait until ``health`` answers 200."""

    def __init__(self, command: list[str], *, health: str = "/health", timeout: float = 30.0) -> None:
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.command = [part.replace("{port}", str(self.port)) for part in command]
        self.health, self.timeout = health, timeout
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ServerProcess:
        self._log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(self.command, stdout=self._log, stderr=subprocess.STDOUT)
        give_up_at = time.monotonic() + self.timeout
        while time.monotonic() < give_up_at and self.process.poll() is None:
            try:
                if httpx.get(self.url + self.health, timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass  # not listening yet
            time.sleep(0.05)
        self._log.seek(0)
        output = self._log.read().decode(errors="replace")[-2000:]
        self.__exit__()
        raise RuntimeError(f"{self.command} did not become healthy:\n{output}")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            stop_process(self.process)
        self._log.close()


def kit_server_command(*options: str) -> list[str]:
    return [sys.executable, "-m", "orchestration_kit.serve.command", "--port", "{port}", *options]


def llmock_command() -> list[str]:
    script = Path(sys.executable).with_name("llmock")  # the console script installed next to python
    return [str(script), "serve", "--host", HOST, "--port", "{port}", "--log-level", "warning"]


def fault_server_command() -> list[str]:
    return [sys.executable, __file__, "--port", "{port}"]


# -- the fault server ---------------------------------------------------------------------------

LOADING_SECONDS = 0.5  # /loading/health answers 503 for this long after its first request


class FaultServer:
    def __init__(self) -> None:
        self.first_loading_probe: float | None = None
        self.counts: dict[str, int] = {}

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode()
                request_line, *lines = head.split("\r\n")
                method, path, _ = request_line.split(" ")
                headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines if line)}
                body = await reader.readexactly(int(headers.get("content-length", 0)))
                await self.respond(writer, method, path, headers, json.loads(body) if body else {})
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def respond(self, writer: asyncio.StreamWriter, method: str, path: str, headers: dict[str, str], body: dict) -> None:
        fault = path.strip("/").split("/")[0]
        self.counts[fault] = self.counts.get(fault, 0) + 1
        anthropic = path.endswith("/messages")
        if path == "/stats":
            return send(writer, 200, {"counts": self.counts})
        if path in ("/health", "/ok/health"):
            return send(writer, 200, {"status": "ok"})
        if fault == "loading":
            self.first_loading_probe = self.first_loading_probe or time.monotonic()
            if time.monotonic() - self.first_loading_probe < LOADING_SECONDS:
                return send(writer, 503, {"error": {"code": 503, "message": "Loading model", "type": "unavailable_error"}})
            return send(writer, 200, {"status": "ok"})
        if fault == "echo-key":  # like a provider that quotes the key it refused
            key = headers.get("x-api-key") or headers.get("authorization", "")
            return send(writer, 401, {"error": {"message": f"Incorrect API key provided: {key}", "type": "invalid_request_error"}})
        if fault == "error-event" and anthropic:
            return stream(writer, [
                ("message_start", {"type": "message_start", "message": {"usage": {"input_tokens": 5, "output_tokens": 1}}}),
                ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hel"}}),
                ("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
            ])
        if fault == "error-event":
            return stream(writer, [("", {"choices": [{"index": 0, "delta": {"content": "Hel"}, "finish_reason": None}]}),
                                   ("", {"error": {"message": "The server had an error", "type": "server_error"}})])
        if fault == "no-usage":  # a complete stream that never says how many tokens it used
            chunks = [{"choices": [{"index": 0, "delta": {"content": word}, "finish_reason": None}]} for word in ("Hi ", "there")]
            return stream(writer, [("", chunk) for chunk in chunks] + [
                ("", {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}), ("", "[DONE]")])
        send(writer, 404, {"error": {"message": f"no fault called {fault!r}", "type": "invalid_request_error"}})


def send(writer: asyncio.StreamWriter, status: int, body: dict) -> None:
    data = json.dumps(body).encode()
    writer.write(f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {len(data)}\r\n\r\n".encode() + data)


def stream(writer: asyncio.StreamWriter, events: list[tuple[str, dict | str]]) -> None:
    """A whole event stream, then the connection closes (no length: the end of the body is the close)."""
    writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n")
    for event, data in events:
        payload = data if isinstance(data, str) else json.dumps(data)
        writer.write((f"event: {event}\n" if event else "").encode() + f"data: {payload}\n\n".encode())
    writer.close()


async def _serve(port: int) -> None:
    server = await asyncio.start_server(FaultServer().handle, HOST, port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="a small HTTP server with scripted faults, for tests")
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(_serve(parser.parse_args().port))
