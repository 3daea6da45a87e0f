"""The classroom server as OpenAI's API: unique ids, the cheap options honoured, the rest refused in OpenAI's shape.

Checked with the official ``openai`` SDK, streaming included.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import openai
import pytest

from orchestration_kit.models import load_profiles

from server_thread import ServerThread

MODEL = "generalist-small"
HELLO = [{"role": "user", "content": "Hello there, how are you today?"}]


@pytest.fixture(scope="module")
def server():
    with ServerThread(speed=0) as running:
        yield running


@pytest.fixture(scope="module")
def client(server):
    with openai.OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0) as sdk:
        yield sdk


def test_twenty_concurrent_requests_get_twenty_different_ids(server):
    slow = ServerThread(speed=1.0)  # real-time answers: the twenty overlap
    with slow, openai.OpenAI(base_url=slow.url + "/v1", api_key="unused", max_retries=0) as sdk:
        with ThreadPoolExecutor(20) as pool:
            answers = list(pool.map(lambda _: sdk.chat.completions.create(model=MODEL, messages=HELLO), range(20)))
    assert len({answer.id for answer in answers}) == 20


def test_n_gives_n_choices_each_indexed(client):
    answer = client.chat.completions.create(model=MODEL, messages=HELLO, n=3)
    assert [choice.index for choice in answer.choices] == [0, 1, 2]
    single = client.chat.completions.create(model=MODEL, messages=HELLO)
    assert answer.usage.completion_tokens == 3 * single.usage.completion_tokens  # the same text, three times paid


def test_stop_cuts_the_answer_before_the_stop_string(client):
    whole = client.chat.completions.create(model=MODEL, messages=HELLO).choices[0].message.content
    cut = client.chat.completions.create(model=MODEL, messages=HELLO, stop=["how"]).choices[0]
    assert cut.message.content == whole[:whole.index("how")] and cut.finish_reason == "stop"
    assert "how" not in cut.message.content


def test_the_same_seed_gives_the_same_answer_and_another_seed_may_differ(client):
    ask = lambda seed: client.chat.completions.create(  # noqa: E731
        model=MODEL, seed=seed, messages=[{"role": "user", "content": "My invoice is wrong, charged twice"}],
        extra_body={"skill": "classify"}).choices[0].message.content
    assert ask(7) == ask(7) == ask(7)
    assert len({ask(seed) for seed in range(12)}) > 1  # the seed reaches the simulated model's draws


def test_streaming_with_n_and_stop_through_the_sdk(client):
    chunks = list(client.chat.completions.create(model=MODEL, messages=HELLO, n=2, stop="how", stream=True,
                                                 stream_options={"include_usage": True}))
    texts = {0: "", 1: ""}
    for chunk in chunks:
        for choice in chunk.choices:
            texts[choice.index] += choice.delta.content or ""
    assert texts[0] == texts[1] == "[generalist-small] answer to: Hello there, "
    assert chunks[-1].usage.completion_tokens > 0 and len({c.id for c in chunks}) == 1


@pytest.mark.parametrize("options, param", [
    ({"tools": [{"type": "function", "function": {"name": "lookup", "parameters": {}}}]}, "tools"),
    ({"tool_choice": "required"}, "tool_choice"),
    ({"response_format": {"type": "json_object"}}, "response_format"),
    ({"logprobs": True}, "logprobs"),
    ({"top_logprobs": 2}, "top_logprobs"),
    ({"logit_bias": {"50256": -100}}, "logit_bias"),
])
def test_what_a_simulated_model_cannot_do_is_a_400_naming_the_parameter(client, options, param):
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(model=MODEL, messages=HELLO, **options)
    assert refused.value.param == param and refused.value.code == "unsupported_parameter"
    assert "not supported" in refused.value.message


@pytest.mark.parametrize("options, param, fragment", [
    ({"temperature": 5}, "temperature", "from 0 to 2"),
    ({"temperature": -0.1}, "temperature", "from 0 to 2"),
    ({"top_p": 1.5}, "top_p", "from 0 to 1"),
    ({"presence_penalty": 3}, "presence_penalty", "from -2 to 2"),
    ({"n": 0}, "n", "from 1 to 128"),
    ({"n": 129}, "n", "from 1 to 128"),
    ({"seed": "7"}, "seed", "64-bit integer"),
    ({"stop": ["a", "b", "c", "d", "e"]}, "stop", "up to 4"),
    ({"stop": 3}, "stop", "non-empty string"),
    ({"user": 42}, "user", "'user' must be a string"),
])
def test_out_of_range_options_are_a_400_like_openais(client, options, param, fragment):
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(model=MODEL, messages=HELLO, **options)
    assert refused.value.param == param and fragment in refused.value.message


def test_sampling_options_in_range_are_accepted(client):
    answer = client.chat.completions.create(model=MODEL, messages=HELLO, temperature=2, top_p=0.5,
                                            frequency_penalty=-2, tool_choice="none", response_format={"type": "text"},
                                            logprobs=False, user="ada")
    assert answer.choices[0].message.content


def test_an_unknown_argument_is_refused_by_name(server):
    response = httpx.post(server.url + "/v1/chat/completions", json={"model": MODEL, "messages": HELLO, "colour": 1})
    error = response.json()["error"]
    assert response.status_code == 400 and error["param"] == "colour"
    assert error["message"] == "Unrecognized request argument supplied: colour"


def test_stream_options_without_stream_is_a_400(server):
    response = httpx.post(server.url + "/v1/chat/completions",
                          json={"model": MODEL, "messages": HELLO, "stream_options": {"include_usage": True}})
    assert response.status_code == 400 and response.json()["error"]["param"] == "stream_options"


def test_one_model_is_retrieved_by_its_id_and_an_unknown_one_is_a_404(client):
    model = client.models.retrieve("generalist-large")
    assert model.id == "generalist-large" and model.object == "model"
    with pytest.raises(openai.NotFoundError) as missing:
        client.models.retrieve("gpt-99")
    assert missing.value.code == "model_not_found" and "available: " + ", ".join(load_profiles()) in missing.value.message
