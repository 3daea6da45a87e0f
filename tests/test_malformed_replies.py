"""Real backends fed garbage: every malformed reply is a BackendError naming the model, the URL and what was wrong.

A fake server on 127.0.0.1 (tests/fake_backend.py) answers what each test
scripts, over a real socket. The named cases first (each raised a bare
AttributeError or TypeError before), then hypothesis mutates valid replies
and streams of both APIs at random: whatever comes back, the call returns a
well-formed answer or raises a BackendError, never anything else, and the
configured key never shows.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestration_kit import BackendError, ConfigurationError, RetryPolicy, run
from orchestration_kit.models.anthropic_messages import AnthropicMessages
from orchestration_kit.models.openai_compatible import OpenAICompatible

from fake_backend import FakeBackend

KEY = "planted-7c2e91f04b6a-key"  # no key shape: only the configured-key rule can hide it
ONCE = RetryPolicy(attempts=1)
FUZZ_CASES = 300  # examples per fuzz test; 4 tests (2 APIs x complete/stream)
FUZZ_SETTINGS = settings(max_examples=FUZZ_CASES, deadline=None, derandomize=True, database=None,
                         suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

OPENAI_REPLY = {"id": "x", "object": "chat.completion", "model": "m",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello"}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}}
OPENAI_STREAM = [{"choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hel"}, "finish_reason": None}]},
                 {"choices": [{"index": 0, "delta": {"content": "lo"}, "finish_reason": "stop"}]},
                 {"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 2}}, "[DONE]"]
ANTHROPIC_REPLY = {"id": "x", "type": "message", "role": "assistant", "content": [{"type": "text", "text": "Hello"}],
                   "stop_reason": "end_turn", "usage": {"input_tokens": 3, "output_tokens": 1}}
ANTHROPIC_STREAM = [{"type": "message_start", "message": {"usage": {"input_tokens": 3, "output_tokens": 1}}},
                    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
                    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello"}},
                    {"type": "content_block_stop", "index": 0},
                    {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 1}},
                    {"type": "message_stop"}]


@pytest.fixture(scope="module")
def fake():
    with FakeBackend() as server:
        yield server


@pytest.fixture(scope="module")
def loop():
    """One event loop for many calls: its pooled connection is reused, so a fuzz case costs a round trip."""
    loop = asyncio.new_event_loop()
    yield loop
    loop.run_until_complete(loop.shutdown_asyncgens())  # closes the backends' connection pools
    loop.close()


def openai(fake) -> OpenAICompatible:
    return OpenAICompatible("fuzzed-gpt", base_url=fake.url + "/v1", api_key=KEY, retry=ONCE)


def anthropic(fake) -> AnthropicMessages:
    return AnthropicMessages("fuzzed-claude", base_url=fake.url, api_key=KEY, retry=ONCE)


def call(loop, model, stream: bool) -> Any:
    """One call, complete or streamed: the Completion, or the joined text of the stream."""
    async def streamed() -> str:
        return "".join([piece async for piece in model.stream("Hi")])

    return loop.run_until_complete(streamed() if stream else model.complete("Hi"))


def events(stream: list[Any]) -> list[str]:
    return [item if isinstance(item, str) else json.dumps(item) for item in stream]


def assert_names_model_url_and_hides_key(error: BackendError, model) -> None:
    message = str(error)
    assert message.startswith(f"{model.name}: ") and model._url() in message, message
    assert KEY not in message and KEY not in repr(error)


# -- the named cases ------------------------------------------------------------------------------

@pytest.mark.parametrize("backend, reply, wrong", [
    (openai, {**OPENAI_REPLY, "choices": [{"message": None}]}, "choices[0].message is null, expected an object"),
    (openai, {**OPENAI_REPLY, "choices": [{"message": {"content": 7}}]},
     "choices[0].message.content is a whole number, expected a string"),
    (openai, {**OPENAI_REPLY, "usage": "lots"}, "usage is a string, expected an object"),
    (openai, {**OPENAI_REPLY, "usage": {"prompt_tokens": "3"}}, "usage.prompt_tokens is a string, expected a whole number"),
    (openai, {**OPENAI_REPLY, "choices": []}, "choices[0] is missing"),
    (anthropic, {**ANTHROPIC_REPLY, "content": "Hello"}, "content is a string, expected a list"),
    (anthropic, {**ANTHROPIC_REPLY, "content": [{"type": "text", "text": None}]},
     "content[0].text is null, expected a string"),
    (anthropic, {**ANTHROPIC_REPLY, "usage": {"input_tokens": -4}}, "usage.input_tokens is -4, expected a count"),
])
def test_a_malformed_reply_is_a_backend_error_that_says_what_was_wrong(fake, loop, backend, reply, wrong):
    model = backend(fake)
    fake.answer(200, reply)
    with pytest.raises(BackendError) as caught:
        call(loop, model, stream=False)
    assert wrong in str(caught.value) and "Fix: does base_url point to this kind of API?" in str(caught.value)
    assert_names_model_url_and_hides_key(caught.value, model)


@pytest.mark.parametrize("backend, stream, wrong", [
    (openai, ["[1, 2]"] + events(OPENAI_STREAM), "the event is a list, expected a JSON object"),
    (openai, ['"text"'] + events(OPENAI_STREAM), "the event is a string, expected a JSON object"),
    (openai, ['{"choices": [{"delta": {"content": 5}}]}'], "choices[0].delta.content is a whole number"),
    (openai, ['{"choices": "all"}'], "choices is a string, expected a list"),
    (anthropic, ["null"] + events(ANTHROPIC_STREAM), "the event is null, expected a JSON object"),
    (anthropic, ['{"type": "content_block_delta", "delta": "Hello"}'], "delta is a string, expected an object"),
    (anthropic, ['{"type": "message_start", "message": null}'], "message is null, expected an object"),
])
def test_a_malformed_stream_event_is_a_backend_error_that_says_what_was_wrong(fake, loop, backend, stream, wrong):
    model = backend(fake)
    fake.answer_stream(stream)
    with pytest.raises(BackendError, match="malformed stream event") as caught:
        call(loop, model, stream=True)
    assert wrong in str(caught.value)
    assert_names_model_url_and_hides_key(caught.value, model)


def test_a_reflected_key_in_a_malformed_event_shows_nowhere(fake, caplog):
    """The server quotes the request's Authorization header inside a broken event: the key must not travel on."""
    caplog.set_level(logging.DEBUG)
    fake.answer_stream([f'{{"echo": "Authorization: Bearer {KEY}", "choices": [{{"delta": 1}}]}}'])
    model = OpenAICompatible("m", base_url=fake.url + "/v1", api_key=KEY,
                             retry=RetryPolicy(attempts=2, initial_delay=0.01))

    async def read(_):
        return "".join([piece async for piece in model.stream("Hi")])

    with pytest.raises(BackendError) as caught:
        run(read, None, clock="wall")
    assert fake.requests[-1].headers["authorization"] == f"Bearer {KEY}"  # it really was sent, and reflected
    shown = [str(caught.value), repr(caught.value), caught.value.trace.to_dataframe().to_string(), caplog.text]
    assert "[redacted]" in str(caught.value) and not any(KEY in text for text in shown)


@pytest.mark.parametrize("base_url", ["https://user:sk-live-0123456789abcdef@api.example.com/v1",
                                      "https://api.example.com/v1?api-key=sk-live-0123456789abcdef",
                                      "http://127.0.0.1:8080/v1?key=x#frag"])
def test_a_base_url_carrying_credentials_is_refused_with_the_key_variable_to_use(base_url):
    with pytest.raises(ConfigurationError, match="must not carry credentials.*api_key_env=") as caught:
        OpenAICompatible("m", base_url=base_url)
    assert "sk-live" not in str(caught.value) and "key=x" not in str(caught.value)


# -- fuzzing: valid replies, mutated at random ---------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 2**40) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8) | st.just(f"Bearer {KEY}"),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6)


def places(value: Any, path: tuple = ()) -> list[tuple]:
    """Every place in a JSON value, as a path of keys and indexes (the root is the empty path)."""
    found = [path]
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, child in children:
        found += places(child, path + (key,))
    return found


def mutated(data: st.DataObject, value: Any) -> Any:
    """``value`` with one to three places replaced by random JSON, or removed."""
    value = json.loads(json.dumps(value))
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        path = data.draw(st.sampled_from(places(value)), label="where")
        new = data.draw(json_values | st.just(_REMOVE), label="what")
        if not path:
            value = None if new is _REMOVE else new
            continue
        parent = value
        for step in path[:-1]:
            parent = parent[step]
        if new is _REMOVE:
            del parent[path[-1]]
        else:
            parent[path[-1]] = new
    return value


_REMOVE = object()
cases_run: dict[str, int] = {}


def fuzz(fake, loop, backend, valid: Any, stream: bool, label: str) -> int:
    model = backend(fake)

    @FUZZ_SETTINGS
    @given(st.data())
    def one_case(data: st.DataObject) -> None:
        cases_run[label] = cases_run.get(label, 0) + 1
        reply = mutated(data, valid)
        if stream:
            garbage = data.draw(st.sampled_from(["", "{", "[DONE]", "not json", f"Bearer {KEY}"]), label="raw event")
            fake.answer_stream(events(reply if isinstance(reply, list) else [reply]) + [garbage] * data.draw(st.booleans()))
        else:  # mostly a 200; sometimes an error status, with any body and any Retry-After
            status = data.draw(st.sampled_from([200, 200, 200, 400, 401, 429, 500, 529]), label="status")
            wait = data.draw(st.sampled_from(["", "2", "-1", "soon", "Wed, 21 Oct 2015 07:28:00 GMT"]), label="wait")
            fake.answer(status, reply, {"retry-after": wait} if wait else {})
        try:
            answer = call(loop, model, stream)
        except BackendError as error:
            assert_names_model_url_and_hides_key(error, model)
            return
        if stream:
            assert isinstance(answer, str)
        else:
            assert isinstance(answer.text, str) and answer.finish_reason and isinstance(answer.finish_reason, str)
            assert type(answer.usage.input_tokens) is int and type(answer.usage.output_tokens) is int
            assert answer.usage.input_tokens >= 0 and answer.usage.output_tokens >= 0

    one_case()
    return cases_run[label]


@pytest.mark.parametrize("backend, valid, stream", [(openai, OPENAI_REPLY, False), (openai, OPENAI_STREAM, True),
                                                    (anthropic, ANTHROPIC_REPLY, False),
                                                    (anthropic, ANTHROPIC_STREAM, True)],
                         ids=["openai-complete", "openai-stream", "anthropic-complete", "anthropic-stream"])
def test_any_mutated_reply_gives_an_answer_or_a_backend_error_never_a_raw_exception(fake, loop, backend, valid, stream):
    label = f"{backend.__name__}-{'stream' if stream else 'complete'}"
    ran = fuzz(fake, loop, backend, valid, stream, label)
    print(f"fuzz {label}: {ran} cases")
    assert ran >= FUZZ_CASES  # every example really ran against the server
