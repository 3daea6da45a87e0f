"""The kit's OpenAI-compatible server: the official ``openai`` SDK works against it, bad input gets a clear 4xx."""

from __future__ import annotations

import asyncio
import json
import socket

import httpx
import openai
import pytest

from orchestration_kit import BackendError, RateLimited, RetryPolicy, SimulatedModel
from orchestration_kit.models import load_profiles
from orchestration_kit.models.openai_compatible import OpenAICompatible
from orchestration_kit.serve.server import ModelServer

from servers import ServerProcess, kit_server_command

MODEL = "generalist-small"
HELLO = [{"role": "user", "content": "Hello there, how are you today?"}]


@pytest.fixture(scope="module")
def server():
    with ServerProcess(kit_server_command("--speed", "0", "--no-failures")) as running:
        yield running


@pytest.fixture(scope="module")
def client(server):
    with openai.OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0) as sdk:
        yield sdk


def test_the_openai_sdk_gets_a_chat_completion_with_usage(client):
    answer = client.chat.completions.create(model=MODEL, messages=HELLO)
    assert answer.object == "chat.completion" and answer.model == MODEL
    assert answer.choices[0].message.role == "assistant"
    assert answer.choices[0].message.content == f"[{MODEL}] answer to: Hello there, how are you today?"
    assert answer.choices[0].finish_reason == "stop"
    assert answer.usage.total_tokens == answer.usage.prompt_tokens + answer.usage.completion_tokens > 0


def test_the_openai_sdk_streams_the_same_text_and_the_usage_last(client):
    whole = client.chat.completions.create(model=MODEL, messages=HELLO)
    chunks = list(client.chat.completions.create(model=MODEL, messages=HELLO, stream=True,
                                                 stream_options={"include_usage": True}))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content and len(chunks) > 3
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == whole.usage.completion_tokens


def test_max_tokens_cuts_the_answer_and_says_so(client):
    answer = client.chat.completions.create(model=MODEL, messages=HELLO, max_tokens=2)
    assert answer.choices[0].finish_reason == "length" and answer.usage.completion_tokens == 2


def test_the_models_endpoint_lists_the_catalog(client):
    assert [m.id for m in client.models.list()] == list(load_profiles())


def test_a_simulated_skill_runs_remotely_through_an_extra_body_field(client):
    answer = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "I was charged twice"}],
        extra_body={"skill": "classify", "skill_args": {"labels": ["billing", "technical"]}})
    assert json.loads(answer.choices[0].message.content)["label"] in ("billing", "technical")


def test_health_reports_ok(server):
    health = httpx.get(server.url + "/health").json()
    assert health["status"] == "ok" and health["models"] == len(load_profiles())


def test_an_unknown_model_is_a_404_the_sdk_understands(client):
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="gpt-99", messages=HELLO)
    assert caught.value.code == "model_not_found" and "available: generalist-large" in caught.value.message


@pytest.mark.parametrize("body, param, fragment", [
    (b"{not json", None, "not valid JSON"),
    (b"[1, 2]", None, "must be a JSON object"),
    (b'{"messages": []}', "model", "missing 'model'"),
    (b'{"model": "generalist-small"}', "messages", "non-empty list"),
    (b'{"model": "generalist-small", "messages": [{"content": "hi"}]}', "messages", "needs a 'role'"),
    (b'{"model": "generalist-small", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 0}',
     "max_tokens", "positive integer"),
    (b'{"model": "generalist-small", "messages": [{"role": "user", "content": "hi"}], "skill": "juggle"}',
     "skill", "no simulated skill 'juggle'"),
    (b'{"model": "generalist-small", "messages": [{"role": "user", "content": "hi"}], "skill": "classify", '
     b'"skill_args": {"colour": "red", "model": "x"}}', "skill_args", "do not fit skill 'classify'"),
])
def test_bad_requests_get_a_400_in_openais_error_shape(server, body, param, fragment):
    response = httpx.post(server.url + "/v1/chat/completions", content=body)
    error = response.json()["error"]
    assert response.status_code == 400 and error["type"] == "invalid_request_error"
    assert error["param"] == param and fragment in error["message"]


@pytest.mark.parametrize("method, path, status", [("GET", "/v1/chat/completions", 405), ("POST", "/health", 405),
                                                  ("GET", "/v1/embeddings", 404)])
def test_unknown_routes_and_methods_are_refused(server, method, path, status):
    response = httpx.request(method, server.url + path)
    assert response.status_code == status and response.json()["error"]["message"]


def test_a_request_that_is_not_http_gets_a_400(server):
    with socket.create_connection(("127.0.0.1", server.port)) as raw:
        raw.sendall(b"HELLO THERE\r\n\r\n")
        assert raw.recv(1000).startswith(b"HTTP/1.1 400 ")


def test_one_connection_serves_many_requests(server):
    with httpx.Client(base_url=server.url) as http:
        before = http.get("/health").json()["connections_opened"]
        for _ in range(5):
            http.post("/v1/chat/completions", json={"model": MODEL, "messages": HELLO}).raise_for_status()
        assert http.get("/health").json()["connections_opened"] == before  # keep-alive: no new connection


# -- simulated failures become real HTTP errors (server in this process, its own port) -------------


def _call_flaky(**failures) -> tuple[httpx.Response, BaseException]:
    async def scenario():
        flaky = {"flaky": SimulatedModel(MODEL).with_failures(**{"error_rate": 0.0, **failures})}
        async with ModelServer(flaky, port=0, speed=0) as running:
            async with httpx.AsyncClient() as http:
                response = await http.post(running.base_url + "/chat/completions", json={"model": "flaky", "messages": HELLO})
            model = OpenAICompatible("flaky", base_url=running.base_url, retry=RetryPolicy(attempts=1))
            try:
                await model.complete(HELLO)
            except BackendError as error:
                return response, error

    return asyncio.run(scenario())


def test_a_simulated_rate_limit_is_a_429_with_retry_after():
    response, error = _call_flaky(rate_limit_rate=1.0, retry_after=0.25)
    assert response.status_code == 429 and response.headers["retry-after-ms"] == "250"
    assert response.json()["error"]["type"] == "rate_limit_error"
    assert isinstance(error, RateLimited) and error.retry_after == 0.25


def test_a_simulated_server_error_is_a_500():
    response, error = _call_flaky(error_rate=1.0)
    assert response.status_code == 500 and "simulated server error" in response.json()["error"]["message"]
    assert error.status == 500 and "simulated server error" in str(error)


def test_the_server_repr_is_stable():
    assert repr(ModelServer(port=8000, speed=0.5)) == "ModelServer('http://127.0.0.1:8000/v1', models=" \
        f"{len(load_profiles())}, speed=0.5)"
