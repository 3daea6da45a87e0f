"""What a real backend sends: the API's documented options pass through; anything else is refused, by name.

The fake server (tests/fake_backend.py) shows the request body exactly as the
backend sent it. Also here: a 429 whose Retry-After is too long says it was
not retried, and why.
"""

from __future__ import annotations

import pytest

from orchestration_kit import Ask, ConfigurationError, RateLimited, RetryPolicy, run
from orchestration_kit.replay.cassette import Cassette
from orchestration_kit.models.anthropic_messages import AnthropicMessages
from orchestration_kit.models.openai_compatible import OpenAICompatible

from fake_backend import FakeBackend

OPENAI_ANSWER = {"choices": [{"message": {"content": "ok"}, "finish_reason": "stop"}]}
ANTHROPIC_ANSWER = {"content": [{"type": "text", "text": "ok"}], "stop_reason": "stop_sequence"}


@pytest.fixture(scope="module")
def fake():
    with FakeBackend() as server:
        yield server


def sent(fake, model, **options) -> dict:
    """The body the server received for one call with ``options``."""
    model.complete_sync("Hi", **options)
    return fake.requests[-1].body


def test_openai_options_are_sent_under_their_own_names(fake):
    fake.answer(200, OPENAI_ANSWER)
    model = OpenAICompatible("m", base_url=fake.url + "/v1")
    options = {"seed": 7, "stop": ["\n"], "top_p": 0.5, "response_format": {"type": "json_object"},
               "max_tokens": 20, "temperature": 0.0, "presence_penalty": 0.1}
    body = sent(fake, model, **options)
    assert {name: body[name] for name in options} == options and body["messages"] == [{"role": "user", "content": "Hi"}]


def test_anthropic_options_are_sent_under_their_own_names(fake):
    fake.answer(200, ANTHROPIC_ANSWER)
    model = AnthropicMessages("claude-haiku-4-5", base_url=fake.url)
    options = {"stop_sequences": ["END"], "top_k": 40, "top_p": 0.9, "temperature": 0.2, "metadata": {"user_id": "u1"}}
    body = sent(fake, model, **options)
    assert {name: body[name] for name in options} == options and body["max_tokens"] == 1024


def test_an_option_given_as_none_is_not_sent(fake):
    fake.answer(200, OPENAI_ANSWER)
    body = sent(fake, OpenAICompatible("m", base_url=fake.url + "/v1"), temperature=None, max_tokens=None)
    assert "temperature" not in body and "max_tokens" not in body


@pytest.mark.parametrize("backend, option, fragment", [
    (OpenAICompatible, {"temprature": 0}, r"unknown option temprature=\. This backend sends max_tokens, "),
    (OpenAICompatible, {"stop_sequences": ["x"]}, r"this API calls stop_sequences= stop=; pass that instead"),
    (AnthropicMessages, {"stop": ["x"]}, r"this API calls stop= stop_sequences=; pass that instead"),
    (AnthropicMessages, {"seed": 1}, r"unknown option seed=\. This backend sends max_tokens, temperature, top_p"),
    (OpenAICompatible, {"n": 2}, r"n= is not a call option: the kit reads one answer per call"),
    (OpenAICompatible, {"tools": []}, r"tools= is not a call option: the kit reads text answers only"),
    (OpenAICompatible, {"stream": True}, r"stream= is not a call option: call model.stream"),
])
def test_an_option_the_api_does_not_take_is_refused_naming_it_and_the_allowed_ones(fake, backend, option, fragment):
    model = backend("m", base_url=fake.url)
    before = len(fake.requests)
    with pytest.raises(ConfigurationError, match=fragment):
        model.complete_sync("Hi", **option)
    with pytest.raises(ConfigurationError, match=fragment):
        model.stream("Hi", **option)  # refused when the stream is asked for, before any reading
    assert len(fake.requests) == before  # nothing was sent


def test_skill_hints_stay_at_home_and_a_misspelt_option_in_replay_is_refused_too(fake, tmp_path):
    fake.answer(200, OPENAI_ANSWER)
    model = OpenAICompatible("m", base_url=fake.url + "/v1")
    body = sent(fake, model, skill="classify", labels=["a", "b"], seed=3)
    assert body["seed"] == 3 and "skill" not in body and "labels" not in body
    path = tmp_path / "t.jsonl"
    run(Ask(Cassette(path, mode="record").wrap(model), "Hi {input}"), "there", clock="wall")
    with pytest.raises(ConfigurationError, match="unknown option sed="):
        run(Ask(Cassette(path).wrap(model), "Hi {input}", sed=3), "there")


def test_extra_body_sends_any_other_field_as_it_is(fake):
    fake.answer(200, OPENAI_ANSWER)
    body = sent(fake, OpenAICompatible("m", base_url=fake.url + "/v1"), extra_body={"min_p": 0.05})
    assert body["min_p"] == 0.05 and "extra_body" not in body


def test_a_429_asking_for_a_longer_wait_than_allowed_says_it_was_not_retried(fake):
    fake.answer(429, {"error": {"message": "Rate limit reached"}}, {"retry-after": "120"})
    model = OpenAICompatible("m", base_url=fake.url + "/v1", max_retry_wait=60, retry=RetryPolicy(4, initial_delay=0.01))
    before = len(fake.requests)
    with pytest.raises(RateLimited) as caught:
        run(Ask(model, "Hi {input}"), "there", clock="wall")
    message = str(caught.value)
    assert len(fake.requests) - before == 1 and caught.value.retry_after == 120
    assert "retried after" not in message and "the server asks to wait 120 s" in message
    assert message.endswith("(not retried: the server asks to wait 120 s, more than max_retry_wait=60)")


def test_a_429_retried_until_the_last_attempt_says_so(fake):
    fake.answer(429, {"error": {"message": "Rate limit reached"}}, {"retry-after": "0.01"})
    model = OpenAICompatible("m", base_url=fake.url + "/v1", retry=RetryPolicy(3, initial_delay=0.01))
    with pytest.raises(RateLimited) as caught:
        model.complete_sync("Hi")
    assert str(caught.value).endswith("(gave up after 3 attempts: that was the last of 3 attempts)")
