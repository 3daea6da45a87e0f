"""Cassette files as people meet them: damaged by hand, written by an older kit, recorded while a server was down.

Each damaged line gets a file:line message saying what is wrong; an older
(version 1, seconds) file still replays; and a call that got no answer at
all (no server, a broken connection) is never recorded, so it is not
replayed forever once the server is back.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestration_kit import Ask, BackendError, RetryPolicy, run
from orchestration_kit.replay.cassette import FORMAT, MODE_ENV, VERSION, Cassette, CassetteError
from orchestration_kit.models.http import ConnectionFailed
from orchestration_kit.models.openai_compatible import OpenAICompatible

from fake_backend import FakeBackend
from servers import free_port

ANSWER = {"choices": [{"message": {"content": "Hello Ada"}, "finish_reason": "stop"}],
          "usage": {"prompt_tokens": 3, "completion_tokens": 2}}
ONCE = RetryPolicy(attempts=1)


@pytest.fixture(autouse=True)
def no_mode_override(monkeypatch):
    monkeypatch.delenv(MODE_ENV, raising=False)


@pytest.fixture(scope="module")
def fake():
    with FakeBackend() as server:
        yield server


@pytest.fixture
def good_call(fake, tmp_path) -> dict:
    """One call recorded for real, to be damaged by each test."""
    fake.answer(200, ANSWER)
    path = tmp_path / "good.jsonl"
    model = OpenAICompatible("m", base_url=fake.url + "/v1", retry=ONCE)
    run(Ask(Cassette(path, mode="record").wrap(model), "Hi {input}"), "Ada", clock="wall")
    return json.loads(path.read_text().splitlines()[1])


def offline() -> OpenAICompatible:
    return OpenAICompatible("m", base_url=f"http://127.0.0.1:{free_port()}/v1", retry=ONCE)


def write(path: Path, header: object, *calls: object, prefix: str = "") -> Path:
    path.write_text(prefix + "\n".join(json.dumps(line) for line in (header, *calls)) + "\n", encoding="utf-8")
    return path


HEADER = {"format": FORMAT, "version": VERSION}


def test_a_version_written_as_a_string_is_named_as_such(tmp_path):
    path = write(tmp_path / "bad.jsonl", {**HEADER, "version": "1"})
    with pytest.raises(CassetteError) as caught:
        Cassette(path)
    assert str(caught.value) == (f"{path}:1: the header's version must be a whole number such as {VERSION}, "
                                 "got a string ('1')")


def test_a_byte_order_mark_from_an_editor_is_read_past(tmp_path, good_call):
    path = write(tmp_path / "bom.jsonl", HEADER, good_call, prefix="\ufeff")
    assert run(Ask(Cassette(path).wrap(offline()), "Hi {input}"), "Ada").output == "Hello Ada"


@pytest.mark.parametrize("damage, message", [
    (lambda call: call.pop("completion"), "completion is missing"),
    (lambda call: call.update(outcome="weird"), "outcome must be one of ok, error, cancelled, got 'weird'"),
    (lambda call: call.update(outcome="error"), "error is missing"),
    (lambda call: call["completion"].update(text=None), "completion.text is null, expected a string"),
    (lambda call: call.update(duration_us=0.5), "duration_us is a number, expected a whole number"),
    (lambda call: call["spans"][1].update(parent=5), "spans[1].parent is 5, expected the position of an earlier span"),
    (lambda call: call["messages"].append("Hi"), "messages[1] is a string, expected an object"),
])
def test_a_damaged_call_is_refused_with_its_file_and_line(tmp_path, good_call, damage, message):
    damage(good_call)
    path = write(tmp_path / "bad.jsonl", HEADER, {**good_call, "call": 1}, good_call)
    with pytest.raises(CassetteError) as caught:
        Cassette(path)
    assert str(caught.value).startswith(f"{path}:2: {message}. Fix the line or re-record")


def test_a_line_that_is_not_an_object_is_refused(tmp_path):
    path = write(tmp_path / "bad.jsonl", HEADER, [1, 2])
    with pytest.raises(CassetteError, match=r"bad.jsonl:2: a call must be a JSON object, got a list"):
        Cassette(path)


def version_1(call: dict) -> dict:
    """``call`` as the kit wrote it before times were whole microseconds."""
    old = {key: value for key, value in call.items() if key != "duration_us"} | {"duration": call["duration_us"] / 1e6}
    old["spans"] = [{k: v for k, v in span.items() if not k.endswith("_us")}
                    | {"start": span["start_us"] / 1e6, "end": span["end_us"] / 1e6} for span in call["spans"]]
    return old


def test_a_version_1_cassette_still_replays_and_is_upgraded_before_anything_is_appended(fake, tmp_path, good_call):
    path = write(tmp_path / "old.jsonl", {**HEADER, "version": 1}, version_1(good_call))
    assert Cassette(path).calls == [good_call]  # seconds read back as the same whole microseconds
    fake.answer(200, ANSWER)
    tape = Cassette(path, mode="replay_or_live")
    run(Ask(tape.wrap(OpenAICompatible("m", base_url=fake.url + "/v1")), "Bye {input}"), "Ada", clock="wall")
    header, *calls = [json.loads(line) for line in path.read_text().splitlines()]
    assert header["version"] == VERSION and all("duration_us" in call for call in calls) and len(calls) == 2


# -- a call that got no answer is not recorded ------------------------------------------------------

def test_a_server_that_was_down_is_not_replayed_once_it_is_up(fake, tmp_path):
    path = tmp_path / "grow.jsonl"
    port = free_port()
    down = OpenAICompatible("m", base_url=f"http://127.0.0.1:{port}/v1", retry=ONCE)
    with pytest.raises(ConnectionFailed, match="cannot connect"):
        run(Ask(Cassette(path, mode="replay_or_live").wrap(down), "Hi {input}"), "Ada", clock="wall")
    assert Cassette(path).calls == []  # nothing recorded: the network's state is not the model's answer
    fake.answer(200, ANSWER)
    up = OpenAICompatible("m", base_url=fake.url + "/v1", retry=ONCE)  # the server is back (here, at this address)
    assert run(Ask(Cassette(path, mode="replay_or_live").wrap(up), "Hi {input}"), "Ada", clock="wall").output == "Hello Ada"
    assert run(Ask(Cassette(path).wrap(offline()), "Hi {input}"), "Ada").output == "Hello Ada"


def test_a_connection_that_broke_midway_is_not_recorded_but_an_http_error_is(fake, tmp_path):
    path = tmp_path / "broken.jsonl"
    model = Cassette(path, mode="record").wrap(OpenAICompatible("m", base_url=fake.url + "/v1", retry=ONCE))
    fake.answer_raw(200, b'{"choi', {"content-type": "application/json", "content-length": "500"}, close=True)
    with pytest.raises(ConnectionFailed, match="failed before the answer was complete"):
        run(Ask(model, "Hi {input}"), "Ada", clock="wall")
    fake.answer(503, {"error": {"message": "overloaded"}})
    with pytest.raises(BackendError, match="HTTP 503"):
        run(Ask(model, "Hi {input}"), "Grace", clock="wall")
    assert [(call["messages"][0]["content"], call["outcome"]) for call in Cassette(path).calls] == [("Hi Grace", "error")]
