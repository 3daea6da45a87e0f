"""Secrets are scrubbed, data is not: one scrubber for cassettes and error messages (orchestration_kit/models/redaction.py).

Local servers take dummy keys ("EMPTY", "ollama", "lm-studio"), and learners
type "x": hiding those by plain text replacement corrupted prompts, JSON keys
and error messages. Only real secrets (long enough) are hidden, in string
values only; a planted long key never shows anywhere.
"""

from __future__ import annotations

import json
import logging
import traceback

import pytest

from orchestration_kit import Ask, BackendError, RetryPolicy, run
from orchestration_kit.replay.cassette import MODE_ENV, Cassette
from orchestration_kit.models.openai_compatible import OpenAICompatible
from orchestration_kit.models.redaction import MIN_SECRET_LENGTH, redact, scrub

from fake_backend import FakeBackend
from servers import free_port

PLANTED = "planted-long-key-5b0e8d21c7f4a9"  # no key shape: hidden only because it is the configured key
ANSWER = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "Yes, an a or an x."},
                       "finish_reason": "stop"}], "usage": {"prompt_tokens": 9, "completion_tokens": 5}}
PROMPT = "Is an EMPTY cart a problem for ollama or lm-studio users? Answer with a or x. {input}"


@pytest.fixture(autouse=True)
def no_mode_override(monkeypatch):
    monkeypatch.delenv(MODE_ENV, raising=False)


@pytest.fixture(scope="module")
def fake():
    with FakeBackend() as server:
        yield server


def test_only_secrets_long_enough_to_be_real_are_hidden_and_only_in_strings():
    assert redact("missing or wrong token", "wrong") == "missing or wrong token"
    assert redact("Is an EMPTY cart", ["EMPTY", "ollama", "lm-studio", "x", "a"]) == "Is an EMPTY cart"
    assert redact(f"key {PLANTED} refused", PLANTED) == "key [redacted] refused"
    assert len(PLANTED) >= MIN_SECRET_LENGTH > len("lm-studio")
    text_key = "t" * MIN_SECRET_LENGTH  # even a long "secret" that is also a JSON key leaves the structure alone
    assert scrub({text_key: text_key, "n": [1, text_key]}, [text_key]) == {text_key: "[redacted]", "n": [1, "[redacted]"]}


def test_the_word_bearer_in_a_prompt_is_not_a_token():
    assert redact("Explain the Bearer authentication scheme") == "Explain the Bearer authentication scheme"
    assert redact("Authorization: Bearer eyJhbGciOi.J9x2abc0") == "Authorization: [redacted]"


@pytest.mark.parametrize("dummy", ["EMPTY", "ollama", "lm-studio", "x", "a"])
def test_a_dummy_key_leaves_the_recording_intact_and_the_replay_matches(fake, tmp_path, dummy):
    fake.answer(200, ANSWER)
    path = tmp_path / "dummy.jsonl"
    live_model = OpenAICompatible("local", base_url=fake.url + "/v1", api_key=dummy)
    live = run(Ask(Cassette(path, mode="record").wrap(live_model), PROMPT), "Thanks!", clock="wall")
    lines = [json.loads(line) for line in path.read_text().splitlines()]  # every line is whole, valid JSON
    call = lines[1]
    assert call["messages"][0]["content"] == PROMPT.replace("{input}", "Thanks!")
    assert call["completion"]["text"] == "Yes, an a or an x." and "text" in call["completion"]
    offline = OpenAICompatible("local", base_url=f"http://127.0.0.1:{free_port()}/v1", api_key=dummy)
    assert run(Ask(Cassette(path).wrap(offline), PROMPT), "Thanks!").output == live.output


def test_an_error_message_keeps_its_words_when_the_key_is_one_of_them(fake):
    fake.answer(401, {"error": {"message": "missing or wrong token", "type": "invalid_request_error"}})
    model = OpenAICompatible("local", base_url=fake.url + "/v1", api_key="wrong")
    with pytest.raises(BackendError, match="missing or wrong token"):
        model.complete_sync("Hi")


def test_a_planted_key_shows_nowhere_file_error_trace_log_or_repr(fake, tmp_path, monkeypatch, caplog, capsys):
    monkeypatch.setenv("PLANTED_KEY_VAR", PLANTED)
    caplog.set_level(logging.DEBUG)
    path = tmp_path / "planted.jsonl"
    tape = Cassette(path, mode="record")
    model = tape.wrap(OpenAICompatible("m", base_url=fake.url + "/v1", api_key_env="PLANTED_KEY_VAR",
                                       retry=RetryPolicy(attempts=2, initial_delay=0.01)))
    seen: list[str] = [repr(model), repr(tape)]
    scripts = [  # the server reflects the key: in an error, in a retried error, in a broken stream, in the answer
        lambda: fake.answer(401, {"error": {"message": f"Incorrect API key provided: {PLANTED}"}}),
        lambda: fake.answer(503, {"error": {"message": f"overloaded for {PLANTED}"}}),
        lambda: fake.answer_stream([json.dumps({"echo": f"Bearer {PLANTED}", "choices": [{"delta": 3}]})]),
    ]
    for script in scripts:
        script()
        streaming = "text/event-stream" in fake._reply.decode(errors="replace")

        async def read(prompt: str) -> str:
            return "".join([piece async for piece in model.stream(prompt)])

        with pytest.raises(BackendError) as caught:
            run(read if streaming else Ask(model, "Hi {input}"), "there", clock="wall")
        assert "[redacted]" in str(caught.value)
        seen += [str(caught.value), repr(caught.value), "".join(traceback.format_exception(caught.value)),
                 caught.value.trace.to_dataframe().to_string()]
    fake.answer(200, {**ANSWER, "choices": [{"message": {"content": f"your key is {PLANTED}"}}]})
    answered = run(Ask(model, "What is my key? {input}"), "please", clock="wall")
    seen += [answered.trace.to_dataframe().to_string(), path.read_text(), caplog.text, *capsys.readouterr()]
    assert fake.requests[-1].headers["authorization"] == f"Bearer {PLANTED}"  # it was sent: the server could echo it
    assert "retrying in" in caplog.text and "your key is [redacted]" in path.read_text()
    assert [PLANTED in text for text in seen] == [False] * len(seen)
