"""The real backends over real HTTP: a flow runs unchanged against the kit's server on 127.0.0.1.

The building blocks (SSE parsing, Retry-After, which failures are retried,
redaction) are specified first without a network; then the backends talk to
the kit's own OpenAI-compatible server, started as a child process.
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from orchestration_kit import (Ask, BackendError, ConfigurationError, Parallel, RateLimited, RealTimeRequired, RetryPolicy,
                               Sequential, Timeout, run)
from orchestration_kit.models import Pricing
from orchestration_kit.models.anthropic_messages import AnthropicMessages
from orchestration_kit.models.http import (is_retryable, redact, redacted_headers, retry_after, safe_url, sse_events,
                                           status_error)
from orchestration_kit.models.openai_compatible import OpenAICompatible

from servers import ServerProcess, free_port, kit_server_command

MODEL = "generalist-small"


# -- building blocks, no network -----------------------------------------------------------


async def _lines(*lines: str):
    for line in lines:
        yield line


def _events(*lines: str) -> list[tuple[str, str]]:
    async def collect():
        return [event async for event in sse_events(_lines(*lines))]

    return asyncio.run(collect())


def test_sse_events_group_lines_until_a_blank_line():
    assert _events("event: message_start", 'data: {"a": 1}', "", ": keep-alive", "", "data: one", "data: two", "") == [
        ("message_start", '{"a": 1}'), ("message", "one\ntwo")]


def test_an_sse_event_cut_off_by_the_end_of_the_stream_is_dropped():
    assert _events("data: [DONE]", "", 'data: {"choices": [') == [("message", "[DONE]")]


def test_retry_after_prefers_milliseconds_then_seconds_then_a_date():
    assert retry_after(httpx.Headers({"retry-after-ms": "250", "retry-after": "1"})) == 0.25
    assert retry_after(httpx.Headers({"retry-after": "3"})) == 3.0
    assert retry_after(httpx.Headers({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0.0  # in the past
    assert retry_after(httpx.Headers({"retry-after": "soon"})) is None
    assert retry_after(httpx.Headers({})) is None


@pytest.mark.parametrize("status, retried", [(400, False), (401, False), (403, False), (404, False), (413, False),
                                             (422, False), (408, True), (500, True), (502, True), (503, True),
                                             (504, True), (529, True)])
def test_only_transient_statuses_are_retried(status, retried):
    response = httpx.Response(status, json={"error": {"message": "nope"}})
    assert is_retryable(status_error(response, model="m", url="u", key_env="K", secret=None)) is retried


def test_a_429_is_rate_limited_and_retried_but_an_exhausted_quota_is_not():
    limited = status_error(httpx.Response(429, headers={"retry-after": "2"}, json={"error": {"message": "slow down"}}),
                           model="m", url="u", key_env="K", secret=None)
    quota = status_error(httpx.Response(429, json={"error": {"message": "no credit", "code": "insufficient_quota"}}),
                         model="m", url="u", key_env="K", secret=None)
    assert isinstance(limited, RateLimited) and limited.retry_after == 2.0 and is_retryable(limited)
    assert not isinstance(quota, RateLimited) and quota.status == 429 and not is_retryable(quota)
    assert "retrying will not help" in str(quota)


def test_an_error_names_the_status_the_providers_message_and_the_fix():
    error = status_error(httpx.Response(401, json={"error": {"message": "Invalid key"}}),
                         model="gpt", url="https://api.example/v1/chat/completions", key_env="OPENAI_API_KEY", secret=None)
    assert isinstance(error, BackendError) and error.status == 401
    assert "HTTP 401" in str(error) and "Invalid key" in str(error) and "set OPENAI_API_KEY" in str(error)


def test_secrets_are_redacted_from_text_headers_and_urls():
    assert redact("Incorrect API key provided: my-long-key-0123", "my-long-key-0123") == (
        "Incorrect API key provided: [redacted]")
    assert redacted_headers({"Authorization": "Bearer sk-1", "x-api-key": "sk-2", "accept": "*/*"}) == {
        "Authorization": "***", "x-api-key": "***", "accept": "*/*"}
    assert safe_url("https://user:pw@example.com/v1?key=sk-3") == "https://example.com/v1"


def test_the_repr_shows_where_the_key_comes_from_never_the_key():
    explicit = OpenAICompatible("gpt-4o-mini", api_key="sk-planted-0001")
    assert "sk-planted" not in repr(explicit) and "sk-planted" not in str(vars(explicit))
    assert repr(explicit) == "OpenAICompatible('gpt-4o-mini', base_url='https://api.openai.com/v1', api_key='***')"
    assert repr(AnthropicMessages("claude")).endswith("api_key=$ANTHROPIC_API_KEY)")


@pytest.mark.parametrize("settings, fragment", [
    ({"base_url": "127.0.0.1:8000/v1"}, "must start with http"),
    ({"timeout": 0}, "timeout must be a positive number"),
    ({"deadline": -1}, "deadline must be a positive number"),
    ({"max_connections": 0}, "max_connections must be at least 1"),
])
def test_bad_settings_are_refused_when_the_backend_is_built(settings, fragment):
    with pytest.raises(ConfigurationError, match=fragment):
        OpenAICompatible("m", **settings)


def test_the_anthropic_request_carries_the_system_prompt_apart_and_a_max_tokens():
    body = AnthropicMessages("claude")._body(
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}], {}, True, {"skill": "x"})
    assert body == {"model": "claude", "max_tokens": 1024, "messages": [{"role": "user", "content": "Hi"}],
                    "system": "Be brief.", "stream": True}


def test_a_real_backend_on_the_virtual_clock_fails_with_the_fix():
    model = OpenAICompatible(MODEL, base_url="http://127.0.0.1:9/v1")
    with pytest.raises(RealTimeRequired, match="clock='wall'"):
        run(Ask(model, "Hi {input}"), "there")


# -- against the kit's server -----------------------------------------------------------------


@pytest.fixture(scope="module")
def server():
    # speed 0.05: answers take tens of milliseconds, so concurrent calls really overlap
    with ServerProcess(kit_server_command("--speed", "0.05", "--no-failures")) as running:
        yield running


def backend(server, **settings) -> OpenAICompatible:
    return OpenAICompatible(MODEL, base_url=server.url + "/v1", **settings)


def test_complete_returns_text_usage_and_the_cost_from_the_pricing(server):
    pricing = Pricing(input_per_1k=0.5, output_per_1k=1.5)
    completion = backend(server, pricing=pricing).complete_sync("Summarise the memo")
    assert completion.text == f"[{MODEL}] answer to: Summarise the memo"
    assert completion.usage.input_tokens > 0 and completion.usage.output_tokens > 0
    assert completion.cost == pricing.cost(completion.usage) > 0
    assert completion.finish_reason == "stop" and completion.latency > 0


def test_a_flow_runs_unchanged_with_real_http_and_traces_every_call(server):
    model = backend(server, pricing=Pricing(0.5, 1.5))
    flow = Sequential(stages=[Ask(model, "Draft: {input}"), Ask(model, "Refine: {input}")])
    result = run(flow, "a memo", clock="wall")
    assert result.output.startswith(f"[{MODEL}] answer to: Refine:")
    calls = [s for s in result.trace if s.kind == "model"]
    attempts = [s for s in result.trace if s.kind == "attempt"]
    assert result.trace.calls == 2 and all(s.tokens_in > 0 and s.tokens_out > 0 and s.cost > 0 for s in calls)
    assert [a.parent for a in attempts] == [c.id for c in calls] and all(a.status == "ok" for a in attempts)
    assert calls[0].end <= calls[1].start  # a sequence: one after the other


def test_stream_yields_the_same_text_as_complete_and_records_its_usage(server):
    model = backend(server)

    async def both(_):
        pieces = [piece async for piece in model.stream("Tell me a story about a robot")]
        return pieces, await model.complete("Tell me a story about a robot")

    result = run(both, None, clock="wall")
    pieces, completion = result.output
    assert len(pieces) > 1 and "".join(pieces) == completion.text
    streamed, completed = result.trace.model_calls
    assert (streamed.tokens_in, streamed.tokens_out) == (completion.usage.input_tokens, completion.usage.output_tokens)


def test_a_reader_that_stops_early_cancels_the_download(server):
    model = backend(server)

    async def first_piece(_):
        async for piece in model.stream("Tell me a long story about a robot and a cat"):
            return piece

    result = run(first_piece, None, clock="wall")
    assert result.output == f"[{MODEL}] "
    assert [s.status for s in result.trace.model_calls] == ["cancelled"]


def test_skill_hints_are_sent_only_when_asked(server):
    labels = ["billing", "technical"]
    classify = Ask(backend(server, send_skills=True), "{input}", skill="classify", labels=labels)
    answer = json.loads(run(classify, "I was charged twice", clock="wall").output)
    assert answer["label"] in labels
    ignored = Ask(backend(server), "{input}", skill="classify", labels=labels)  # a real model just reads the prompt
    assert run(ignored, "I was charged twice", clock="wall").output == f"[{MODEL}] answer to: I was charged twice"


def test_each_run_gets_its_own_client_and_closes_it_at_the_end(server):
    model = backend(server)
    for _ in range(3):  # a client belongs to one event loop; run() makes a fresh loop each time
        assert run(Ask(model, "Hi {input}"), "there", clock="wall").trace.calls == 1
        assert model._pools._pools == {}  # closed when the run's loop shut down


def test_complete_sync_works_inside_a_running_event_loop(server):
    async def notebook_cell():  # like a Jupyter cell: a loop is already running
        return backend(server).complete_sync("Hi").text

    assert asyncio.run(notebook_cell()) == f"[{MODEL}] answer to: Hi"


def test_200_concurrent_branches_share_a_bounded_connection_pool(server):
    def opened() -> int:
        return httpx.get(server.url + "/health").json()["connections_opened"]

    model = backend(server, max_connections=8)
    fan_out = Parallel(tasks=Ask(model, "Answer: {input}"), splitter=lambda n: [f"question {i}" for i in range(n)])
    before = opened()
    result = run(fan_out, 200, clock="wall")
    new_connections = opened() - before - 1  # minus the connection of the second health check
    assert len(result.output.values) == 200 and not result.output.missing
    assert 1 <= new_connections <= 8


def test_an_unknown_model_is_refused_at_once_with_the_servers_message(server):
    model = OpenAICompatible("no-such-model", base_url=server.url + "/v1")
    with pytest.raises(BackendError) as caught:
        run(Ask(model, "Hi {input}"), "there", clock="wall")
    assert caught.value.status == 404 and "does not exist" in str(caught.value) and "check model=" in str(caught.value)
    attempts = [s for s in caught.value.trace if s.kind == "attempt"]
    assert len(attempts) == 1 and attempts[0].detail == "not retried: HTTP 404 is not a transient failure"


def test_a_server_that_is_not_running_is_a_clear_connection_error():
    model = OpenAICompatible(MODEL, base_url=f"http://127.0.0.1:{free_port()}/v1", retry=RetryPolicy(2, initial_delay=0.01))
    with pytest.raises(BackendError, match="cannot connect to .* is the server running") as caught:
        model.complete_sync("Hi")
    assert "gave up after 2 attempts" in str(caught.value)


def test_wait_until_ready_gives_up_with_the_last_answer():
    model = OpenAICompatible(MODEL, base_url=f"http://127.0.0.1:{free_port()}/v1")
    with pytest.raises(Timeout, match="not ready after 0.3 s"):
        asyncio.run(model.wait_until_ready(timeout=0.3))


def test_every_streaming_model_reads_its_pieces_through_one_pump(tmp_path):
    from orchestration_kit.replay.cassette import Cassette

    real = OpenAICompatible(MODEL, base_url="http://127.0.0.1:9/v1")
    taped = Cassette(tmp_path / "t.jsonl", mode="record").wrap(real)
    streams = [real.stream("Hi"), taped.stream("Hi")]  # not started: nothing is sent
    assert [stream.__qualname__ for stream in streams] == ["stream_from", "stream_from"]
    for stream in streams:
        asyncio.run(stream.aclose())
