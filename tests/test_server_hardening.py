"""The classroom server under bad input and load: a clear 4xx every time, a token checked, nothing leaked."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import logging
import socket
import sys
from pathlib import Path

import httpx
import openai
import pytest

from orchestration_kit.models import ModelProfile, SimulatedModel
from orchestration_kit.serve.server import ModelServer
from orchestration_kit.serve.http11 import MAX_BODY
from orchestration_kit.models.skills import SKILLS

pytestmark = pytest.mark.slow  # servers in child processes

TOKEN = "class-of-2025-secret"
HELLO = [{"role": "user", "content": "Hello there, how are you today?"}]
CHAT = {"model": "generalist-small", "messages": HELLO}

# The benchmark's own load generator and server launcher (benchmarks/ is a folder of scripts, not a package).
_spec = importlib.util.spec_from_file_location("benchmark_load", Path(__file__).parents[1] / "benchmarks" / "load.py")
load = sys.modules["benchmark_load"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(load)


@pytest.fixture(scope="module")
def server():
    """A guarded classroom server; the token comes from the environment, as recommended."""
    with load.KitServer("--speed", "0", "--no-failures", env={"ORCHESTRATION_KIT_TOKEN": TOKEN}) as running:
        yield running
    assert TOKEN not in running.output  # never printed, never logged: checked after every test has run


@pytest.fixture(scope="module")
def http(server):
    with httpx.Client(base_url=server.url, headers={"authorization": f"Bearer {TOKEN}"}) as client:
        yield client


def _still_serving(http: httpx.Client) -> None:
    assert http.post("/v1/chat/completions", json=CHAT).status_code == 200


@pytest.mark.parametrize("body, content_type, status, fragment", [
    (b'{"model": "generalist-small", "messages": [', "application/json", 400, "not valid JSON"),
    (b"[" * 100_000, "application/json", 400, "nested too deeply"),
    (b'{"model": "\xff"}', "application/json", 400, "can't decode byte 0xff"),
    (b'{"messages": [{"role": "user", "content": "hi"}]}', "application/json", 400, "missing 'model'"),
    (b'{"model": ["generalist-small"], "messages": []}', "application/json", 400, "'model' must be a string"),
    (b'{"model": "generalist-small"}', "application/json", 400, "'messages' must be a non-empty list"),
    (b'{"model": "gpt-99", "messages": [{"role": "user", "content": "hi"}]}', "application/json", 404,
     "'gpt-99' does not exist"),
    (b'{"model": "generalist-small", "messages": [{"role": "user", "content": "hi"}], "stream_options": [1]}',
     "application/json", 400, "'stream_options' must be a JSON object"),
    (b'{"model": "generalist-small", "messages": [{"role": "user", "content": "hi"}], "skill": ["x"]}',
     "application/json", 400, "no simulated skill"),
    (json.dumps(CHAT).encode(), "text/plain", 415, "Content-Type: application/json"),
    (b"model=generalist-small", "application/x-www-form-urlencoded", 415, "with curl: -H"),
])
def test_bad_input_gets_a_clear_4xx_and_the_server_stays_up(http, body, content_type, status, fragment):
    response = http.post("/v1/chat/completions", content=body, headers={"content-type": content_type})
    assert response.status_code == status and fragment in response.json()["error"]["message"]
    _still_serving(http)


def test_a_json_content_type_with_a_charset_is_fine(http):
    response = http.post("/v1/chat/completions", content=json.dumps(CHAT),
                         headers={"content-type": "Application/JSON; charset=utf-8"})
    assert response.status_code == 200


def test_an_oversized_body_is_refused_from_its_length_before_it_is_read(http):
    # 20 MB: the client is still sending when the answer goes out; the server drains the rest
    # before closing, else the client's write would fail before it could read the 413.
    response = http.post("/v1/chat/completions", content=b" " * (20 * MAX_BODY),
                         headers={"content-type": "application/json"})
    error = response.json()["error"]
    assert response.status_code == 413 and error["code"] == "request_too_large" and str(MAX_BODY) in error["message"]
    _still_serving(http)


def test_a_chunked_body_is_refused_with_411_before_it_is_read(http):
    def pieces():  # no Content-Length: chunked, where smuggling and endless chunks hide
        for _ in range(30):
            yield b" " * 100_000

    response = http.post("/v1/chat/completions", content=pieces(), headers={"content-type": "application/json"})
    assert response.status_code == 411 and "Content-Length" in response.json()["error"]["message"]
    _still_serving(http)


def test_headers_too_large_get_a_431(server, http):
    with socket.create_connection(("127.0.0.1", server.port)) as raw:
        raw.sendall(b"GET /health HTTP/1.1\r\nhost: x\r\nx-junk: " + b"a" * 40_000 + b"\r\n\r\n")
        assert raw.recv(1000).startswith(b"HTTP/1.1 431 ")
    _still_serving(http)


@pytest.mark.parametrize("authorization", [None, "Bearer guess-123", f"Bearer {TOKEN[:-1]}", f"Bearer {TOKEN}x",
                                           f"Basic {TOKEN}", TOKEN])
def test_without_the_right_token_the_api_answers_401(server, http, authorization):
    headers = {"authorization": authorization} if authorization else {}
    for method, path in [("GET", "/v1/models"), ("POST", "/v1/chat/completions")]:
        response = httpx.request(method, server.url + path, json=CHAT, headers=headers)
        assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
        assert "Authorization: Bearer <token>" in response.json()["error"]["message"]
        assert TOKEN not in response.text and "guess-123" not in response.text  # no credential echoed
    assert httpx.get(server.url + "/health").status_code == 200  # monitoring needs no token
    _still_serving(http)


def test_the_openai_sdk_sends_the_token_as_its_api_key(server):
    with openai.OpenAI(base_url=server.url + "/v1", api_key=TOKEN, max_retries=0) as right:
        assert right.chat.completions.create(model="generalist-small", messages=HELLO).choices[0].message.content
    with openai.OpenAI(base_url=server.url + "/v1", api_key="guess", max_retries=0) as wrong:
        with pytest.raises(openai.AuthenticationError) as refused:
            wrong.models.list()
    assert refused.value.code == "invalid_api_key"


def test_the_token_is_in_no_repr_or_attribute():
    server = ModelServer(port=8000, speed=0, token=TOKEN)
    assert repr(server).endswith("speed=0, token required)")
    assert TOKEN not in repr(vars(server))  # only its digest is kept
    with pytest.raises(ValueError, match="non-empty"):
        ModelServer(token="")


def test_a_command_line_token_works_and_is_never_printed():
    with load.KitServer("--speed", "0", "--token", "from-the-command-line") as running:
        headers = {"authorization": "Bearer from-the-command-line"}
        assert httpx.get(running.url + "/v1/models", headers=headers).status_code == 200
        assert httpx.get(running.url + "/v1/models", headers={"authorization": "Bearer x"}).status_code == 401
    assert "token required" in running.output and "from-the-command-line" not in running.output


def test_a_reduced_classroom_load_ends_with_zero_unexpected_errors(server):
    report = asyncio.run(load.run_load(server.url, clients=10, requests=20, token=TOKEN, deadline_s=60))
    assert report.sent == 200 and report.unexpected == [] and len(report.latencies) == 200
    assert report.connections_left == 0  # every learner's connection closed with its client


# -- in this process: tasks, disconnects, bugs ------------------------------------------------------


PACED = {"slow": SimulatedModel(ModelProfile("slow", latency_s=0.0, latency_sigma=0.0, seconds_per_output_token=0.1)),
         "quick": SimulatedModel(ModelProfile("quick", latency_s=0.0, latency_sigma=0.0, seconds_per_output_token=0.0))}


async def _open_connections(base_url: str) -> int:
    """Connections open on the server, besides the one asking."""
    async with httpx.AsyncClient() as probe:
        return (await probe.get(base_url.removesuffix("/v1") + "/health")).json()["connections_open"] - 1


async def _until_no_connection(base_url: str, patience_s: float = 5.0) -> int:
    for _ in range(int(patience_s / 0.05)):
        if (left := await _open_connections(base_url)) == 0:
            break
        await asyncio.sleep(0.05)
    return left


async def _complete(base_url: str, model: str) -> str:
    async with httpx.AsyncClient() as http:
        response = await http.post(base_url + "/chat/completions", json={"model": model, "messages": HELLO})
        return response.json()["choices"][0]["message"]["content"]


async def _leave_during_the_answer(port: int, stream: bool) -> None:
    """A learner who sends a request, then closes the notebook before the answer has all arrived."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    body = json.dumps({"model": "slow", "messages": HELLO, "stream": stream, "skill": "ramble"}).encode()
    writer.write(b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                 b"content-length: %d\r\n\r\n%s" % (len(body), body))
    if stream:
        assert (await reader.readuntil(b"data: ")).startswith(b"HTTP/1.1 200 ")  # the stream has begun
    else:
        await asyncio.sleep(0.2)  # the answer is being prepared
    writer.close()


@pytest.mark.parametrize("stream", [True, False])
def test_a_client_that_disconnects_mid_answer_leaves_no_task_behind(stream, monkeypatch, caplog):
    # 400 words at 0.1 s a token: a stream of over 40 s. The server notices the learner has gone
    # at its next write (the next piece of a stream; the whole answer otherwise), long before that.
    monkeypatch.setitem(SKILLS, "ramble", lambda text, **_: " ".join(["word"] * (400 if stream else 10)))

    async def scenario():
        async with ModelServer(PACED, port=0, speed=1.0) as running:
            await _leave_during_the_answer(running.port, stream)
            left = await _until_no_connection(running.base_url)
            answered = await _complete(running.base_url, "quick")  # still serving everyone else
        return left, answered, [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]

    left, answered, tasks = asyncio.run(scenario())
    assert left == 0 and answered and tasks == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_closing_the_server_ends_idle_keep_alive_connections(caplog):
    async def scenario():
        server = await ModelServer(port=0, speed=0).start()
        async with httpx.AsyncClient() as http:  # its connection stays open, idle, after the answer
            await http.post(server.base_url + "/chat/completions", json=CHAT)
            opened = await _open_connections(server.base_url)
            await asyncio.wait_for(server.close(), 5)
            return opened, [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]

    opened, tasks = asyncio.run(scenario())
    assert opened == 1 and tasks == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_bug_in_a_skill_is_a_500_naming_it_and_the_server_keeps_serving(monkeypatch, caplog):
    def explode(text, *, rng, accuracy, model):
        raise ZeroDivisionError("a bug in this skill")

    monkeypatch.setitem(SKILLS, "explode", explode)

    async def scenario():
        async with ModelServer(port=0, speed=0) as running:
            async with httpx.AsyncClient() as http:
                broken = await http.post(running.base_url + "/chat/completions", json={**CHAT, "skill": "explode"})
            return broken, await _complete(running.base_url, "generalist-small")

    broken, answered = asyncio.run(scenario())
    assert broken.status_code == 500 and "ZeroDivisionError: a bug in this skill" in broken.json()["error"]["message"]
    assert answered
    assert any("POST /v1/chat/completions failed" in r.getMessage() for r in caplog.records)  # the traceback, logged
