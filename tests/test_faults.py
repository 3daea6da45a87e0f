"""Every fault class is retried or surfaced exactly as specified, against servers we did not write.

llmock (a third-party fake LLM server) scripts HTTP errors, Retry-After and
broken streams, and judges the client: it would flag a retry that came before
Retry-After, a retried 4xx, or a truncated stream accepted. Our own small
fault server (tests/servers.py) adds a model still loading, a provider that
echoes the API key, and error events inside a stream.
"""

from __future__ import annotations

import asyncio
import logging
import traceback

import httpx
import pytest

from orchestration_kit import (Ask, BackendError, Parallel, RateLimited, Resilient, RetryPolicy, Timeout, arun, run)
from orchestration_kit.models.anthropic_messages import AnthropicMessages
from orchestration_kit.models.openai_compatible import OpenAICompatible

from servers import ServerProcess, fault_server_command, llmock_command

FAST = RetryPolicy(attempts=4, initial_delay=0.05, factor=2.0, jitter=0.25)  # quick back-off keeps the tests short


class LLMock:
    """A small client of llmock's admin API (/_llmock/...)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def script(self, *behaviors: dict) -> None:
        httpx.post(self.url + "/_llmock/scenario", json={"behaviors": list(behaviors)}).raise_for_status()

    def requests(self) -> list[dict]:
        return httpx.get(self.url + "/_llmock/requests", timeout=10).json()["requests"]

    def findings(self) -> list[str]:
        """What llmock's verdict found wrong with our client (empty: it handled every fault)."""
        return [f["code"] for f in httpx.get(self.url + "/_llmock/verdict", timeout=10).json()["findings"]]

    def openai(self, **settings) -> OpenAICompatible:
        return OpenAICompatible(settings.pop("model", "gpt-4o-mini"), base_url=self.url + "/v1", retry=FAST, **settings)

    def anthropic(self, **settings) -> AnthropicMessages:
        return AnthropicMessages("claude-3-5-haiku", base_url=self.url + "/anthropic", retry=FAST, **settings)


# Named so as not to shadow the `llmock` fixtures of llmock's own pytest plugin (an in-process server):
# the tests here run llmock as a separate process, like any server they talk to.
@pytest.fixture(scope="module")
def llmock_process():
    with ServerProcess(llmock_command()) as server:
        yield server


@pytest.fixture
def mock_llm(llmock_process):
    httpx.post(llmock_process.url + "/_llmock/reset").raise_for_status()
    return LLMock(llmock_process.url)


@pytest.fixture(scope="module")
def faults():
    with ServerProcess(fault_server_command()) as server:
        yield server


def attempts(trace) -> list[str]:
    return [span.status for span in trace if span.kind == "attempt"]


def streamed(model, prompt: str = "Tell me a story"):
    """A step that reads the model's whole stream and returns the text."""

    async def read_stream(_):
        return "".join([piece async for piece in model.stream(prompt)])

    return read_stream


# -- HTTP errors ---------------------------------------------------------------------------


def test_a_429_is_retried_after_its_retry_after(mock_llm):
    mock_llm.script({"type": "fail", "status": 429, "retry_after": 0.3, "times": 2})
    result = run(Ask(mock_llm.openai(), "Hi {input}"), "there", clock="wall")
    assert result.output and attempts(result.trace) == ["rate_limited", "rate_limited", "ok"]
    waits = [span.detail for span in result.trace if span.status == "rate_limited"]
    assert all(float(detail.split()[2]) >= 0.3 for detail in waits)  # "retrying in 0.30 s"
    assert len(mock_llm.requests()) == 3 and mock_llm.findings() == []


@pytest.mark.parametrize("status", [500, 502, 503, 529])
def test_transient_server_errors_are_retried(mock_llm, status):
    mock_llm.script({"type": "fail", "status": status, "times": 2, "retry_after": 0.1})  # short: llmock's default is 1 s
    result = run(Ask(mock_llm.openai(), "Hi {input}"), "there", clock="wall")
    assert result.output and attempts(result.trace) == ["error", "error", "ok"]
    assert mock_llm.findings() == []


def test_an_overloaded_anthropic_api_is_retried(mock_llm):
    mock_llm.script({"type": "fail", "status": 529, "times": 1, "retry_after": 0.1, "match": {"provider": "anthropic"}})
    result = run(Ask(mock_llm.anthropic(), "Hi {input}", max_tokens=20), "there", clock="wall")
    assert result.output and attempts(result.trace) == ["error", "ok"] and mock_llm.findings() == []


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413])
def test_a_refused_request_is_not_retried(mock_llm, status):
    mock_llm.script({"type": "fail", "status": status, "times": None})
    with pytest.raises(BackendError) as caught:
        run(Ask(mock_llm.openai(), "Hi {input}"), "there", clock="wall")
    assert caught.value.status == status and f"HTTP {status}" in str(caught.value) and "Fix:" in str(caught.value)
    assert attempts(caught.value.trace) == ["error"] and len(mock_llm.requests()) == 1


def test_an_exhausted_quota_is_not_retried(mock_llm):
    mock_llm.script({"type": "fail", "status": 429, "code": "insufficient_quota", "message": "You exceeded your quota"})
    with pytest.raises(BackendError, match="You exceeded your quota.*retrying will not help") as caught:
        mock_llm.openai().complete_sync("Hi")
    assert not isinstance(caught.value, RateLimited) and len(mock_llm.requests()) == 1


def test_a_retry_after_beyond_max_retry_wait_is_surfaced_not_slept_through(mock_llm):
    mock_llm.script({"type": "fail", "status": 429, "retry_after": 30})
    with pytest.raises(RateLimited) as caught:
        run(Ask(mock_llm.openai(max_retry_wait=5), "Hi {input}"), "there", clock="wall")
    assert caught.value.retry_after == 30 and len(mock_llm.requests()) == 1
    assert [s.detail for s in caught.value.trace if s.kind == "attempt"] == [
        "not retried: the server asks to wait 30 s, more than max_retry_wait=5"]


def test_the_deadline_bounds_the_whole_call(mock_llm):
    mock_llm.script({"type": "delay", "seconds": 2})
    with pytest.raises(Timeout, match="within the 0.4 s deadline"):
        run(Ask(mock_llm.openai(deadline=0.4), "Hi {input}"), "there", clock="wall")


# -- broken streams ----------------------------------------------------------------------------


def test_a_stream_dropped_before_any_text_is_retried(mock_llm):
    mock_llm.script({"type": "stream_fault", "kind": "disconnect", "after_chunks": 0})
    result = run(streamed(mock_llm.openai()), None, clock="wall")
    assert result.output and attempts(result.trace) == ["error", "ok"] and mock_llm.findings() == []


def test_a_stream_dropped_midway_is_a_failure_not_a_short_answer(mock_llm):
    mock_llm.script({"type": "stream_fault", "kind": "disconnect", "after_chunks": 3})
    with pytest.raises(BackendError, match="failed before the answer was complete") as caught:
        run(streamed(mock_llm.openai()), None, clock="wall")
    assert [s.detail for s in caught.value.trace if s.kind == "attempt"] == [
        "not retried: part of the answer was already delivered"]


@pytest.mark.parametrize("backend", ["openai", "anthropic"])
def test_a_truncated_stream_fails_and_a_step_retry_resends_it(mock_llm, backend):
    mock_llm.script({"type": "stream_fault", "kind": "truncate", "after_chunks": 4})
    model = getattr(mock_llm, backend)()
    with pytest.raises(BackendError, match="ended before its end marker"):
        run(streamed(model), None, clock="wall")
    mock_llm.script({"type": "stream_fault", "kind": "truncate", "after_chunks": 4})
    result = run(Resilient(streamed(model), retry=RetryPolicy(attempts=2, initial_delay=0.05)), None, clock="wall")
    assert result.output and len(mock_llm.requests()) == 3
    assert "truncated_stream_accepted" not in mock_llm.findings()  # the retry shows llmock we did not accept it


def test_a_corrupt_stream_event_is_a_failure(mock_llm):
    mock_llm.script({"type": "stream_fault", "kind": "malformed", "after_chunks": 3})
    with pytest.raises(BackendError, match="malformed stream event"):
        run(streamed(mock_llm.openai()), None, clock="wall")


def test_a_stalled_stream_times_out_and_is_retried(mock_llm):
    mock_llm.script({"type": "stream_fault", "kind": "stall", "after_chunks": 1, "stall_seconds": 3})
    result = run(streamed(mock_llm.openai(timeout=0.3)), None, clock="wall")
    assert result.output and attempts(result.trace) == ["timeout", "ok"]
    assert "no_read_timeout" not in mock_llm.findings()


def test_an_anthropic_stream_yields_text_and_counts_tokens(mock_llm):
    result = run(streamed(mock_llm.anthropic()), None, clock="wall")
    call, = result.trace.model_calls
    assert result.output and call.tokens_in > 0 and call.tokens_out > 0 and call.detail == ""


@pytest.mark.parametrize("backend, path, status", [(OpenAICompatible, "/error-event/v1", None),
                                                   (AnthropicMessages, "/error-event", 529)])
def test_an_error_event_inside_a_stream_is_a_failure(faults, backend, path, status):
    model = backend("m", base_url=faults.url + path, retry=FAST)
    with pytest.raises(BackendError, match="the stream reported an error") as caught:
        run(streamed(model), None, clock="wall")
    assert caught.value.status == status


def test_usage_a_server_does_not_report_is_estimated_and_says_so(faults):
    model = OpenAICompatible("m", base_url=faults.url + "/no-usage/v1", retry=FAST)
    result = run(streamed(model), None, clock="wall")
    call, = result.trace.model_calls
    assert result.output == "Hi there" and call.tokens_in > 0 and call.tokens_out > 0
    assert call.detail == "usage estimated: the server did not report it"


# -- a parallel flow under faults -------------------------------------------------------------


def test_one_failing_branch_loses_nothing_from_the_others_and_leaves_no_task(mock_llm):
    mock_llm.script({"type": "fail", "status": 503, "retry_after": 0.05, "times": None, "match": {"model": "broken"}},
                  {"type": "fail", "status": 429, "retry_after": 0.2, "times": 1, "match": {"model": "busy"}})
    tasks = {name: Ask(mock_llm.openai(model=name), "Hi {input}") for name in ("first", "broken", "busy", "last")}

    async def main():
        result = await arun(Parallel(tasks=tasks), "there", clock="wall")
        return result, asyncio.all_tasks() - {asyncio.current_task()}

    result, leftover = asyncio.run(main())
    assert set(result.output.values) == {"first", "busy", "last"} and list(result.output.missing) == ["broken"]
    assert "HTTP 503" in result.output.missing["broken"] and leftover == set()
    assert mock_llm.findings() == []


# -- a server still loading; keys never shown ----------------------------------------------------


def test_wait_until_ready_waits_while_the_model_loads(faults):
    model = OpenAICompatible("m", base_url=faults.url + "/v1")
    asyncio.run(model.wait_until_ready(timeout=10, path="/loading/health"))  # 503 "Loading model" for 0.5 s, then 200
    assert httpx.get(faults.url + "/stats").json()["counts"]["loading"] >= 2  # it asked again after a 503


PLANTED = "sk-planted-4f1b7c9e2a"


def test_a_planted_key_appears_in_no_repr_trace_error_or_log(mock_llm, faults, monkeypatch, caplog, capsys):
    monkeypatch.setenv("OPENAI_API_KEY", PLANTED)
    monkeypatch.setenv("ANTHROPIC_API_KEY", PLANTED)
    caplog.set_level(logging.DEBUG)  # httpx and httpcore log every request at this level
    seen: list[str] = []
    for model in (OpenAICompatible("m", base_url=faults.url + "/echo-key/v1", retry=FAST),
                  AnthropicMessages("m", base_url=faults.url + "/echo-key", retry=FAST)):
        with pytest.raises(BackendError) as caught:
            run(Ask(model, "Hi {input}"), "there", clock="wall")
        assert "[redacted]" in str(caught.value)  # the server did quote the key back; we hid it
        seen += [repr(model), str(caught.value), "".join(traceback.format_exception(caught.value)),
                 caught.value.trace.to_dataframe().to_string()]
    mock_llm.script({"type": "fail", "status": 503, "retry_after": 0.05, "times": 1})
    result = run(Ask(mock_llm.openai(), "Hi {input}"), "there", clock="wall")  # a retry, logged
    seen += [result.trace.to_dataframe().to_string(), caplog.text, *capsys.readouterr()]
    assert "retrying in" in caplog.text and all(PLANTED not in text for text in seen)
