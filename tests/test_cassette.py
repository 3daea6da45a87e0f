"""Cassettes: a run against real HTTP backends is recorded once, then replays offline, identically, in virtual time.

Recordings are made against the kit's own OpenAI-compatible server (run in a
thread of this process, so it starts in milliseconds), one of them with a model
that answers 429 half the time; replays run with that server stopped.
"""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

import pytest

from orchestration_kit import Ask, BackendError, Parallel, RetryPolicy, Sequential, SimulatedModel, run
from orchestration_kit.replay.cassette import FORMAT, MODE_ENV, VERSION, Cassette, CassetteError, CassetteMiss, scrub
from orchestration_kit.models.openai_compatible import OpenAICompatible
from orchestration_kit.serve.server import ModelServer

from servers import ServerProcess, fault_server_command, free_port

ROOT = Path(__file__).resolve().parents[1]
MODEL = "generalist-small"
PLANTED_KEY = "sk-planted-3f9a2b7c1d8e4f60a5b2"
TRACE_COLUMNS = ["name", "kind", "model", "start", "end", "tokens_in", "tokens_out", "cost", "status", "error", "detail"]


@pytest.fixture(autouse=True)
def no_mode_override(monkeypatch):
    monkeypatch.delenv(MODE_ENV, raising=False)


class ThreadedServer:
    """The kit's server on its own event loop in a thread: started in milliseconds, stopped on exit."""

    def __init__(self, **options) -> None:
        self.server = ModelServer(port=0, speed=0.02, **options)

    def __enter__(self) -> ModelServer:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(timeout=10)
        return self.server

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.server.close(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


def backend(base_url: str, **settings) -> OpenAICompatible:
    return OpenAICompatible(MODEL, base_url=base_url, retry=RetryPolicy(attempts=4, initial_delay=0.05), **settings)


def offline_backend() -> OpenAICompatible:
    """The same backend pointed at a port where nothing listens: a replay must never need it."""
    return backend(f"http://127.0.0.1:{free_port()}/v1")


def draft_and_refine(model) -> Sequential:
    return Sequential(stages=[Ask(model, "Draft a reply about {input}", max_tokens=40),
                              Ask(model, "Refine this reply: {input}", max_tokens=40)])


def two_prompts(model) -> Parallel:
    return Parallel(tasks={"fruit": Ask(model, "Name a fruit for {input}"), "colour": Ask(model, "Name a colour for {input}")})


async def read_stream(model, prompt: str, ctx):
    """Every streamed piece with the moment it arrived (seconds on the run's clock)."""
    return [(ctx.now(), piece) async for piece in model.stream(prompt)]


def table(result):
    return result.trace.to_dataframe()[TRACE_COLUMNS]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """One recording of three flows against the kit's server, which is stopped before any replay."""
    path = tmp_path_factory.mktemp("cassettes") / "flows.jsonl"
    with ThreadedServer(failures=False) as server:
        tape = Cassette(path, mode="record")
        model = tape.wrap(backend(server.base_url, api_key=PLANTED_KEY))
        live = {"sequence": run(draft_and_refine(model), "a late parcel", clock="wall"),
                "parallel": run(two_prompts(model), "a picnic", clock="wall"),
                "stream": run(lambda p, ctx: read_stream(model, p, ctx), "Tell me about robots", clock="wall")}
    return path, live


def replay_all(path: Path) -> dict:
    model = Cassette(path).wrap(offline_backend())
    return {"sequence": run(draft_and_refine(model), "a late parcel"),
            "parallel": run(two_prompts(model), "a picnic"),
            "stream": run(lambda p, ctx: read_stream(model, p, ctx), "Tell me about robots")}


# -- record, then replay ------------------------------------------------------------------------


def test_two_replays_give_identical_outputs_and_traces_with_the_server_stopped(recorded):
    path, _ = recorded
    first, second = replay_all(path), replay_all(path)
    for flow in first:
        assert first[flow].output == second[flow].output
        assert first[flow].trace.to_dataframe().equals(second[flow].trace.to_dataframe())
        assert first[flow].clock == "virtual"


def test_a_replay_gives_the_recorded_answers_and_trace_shape(recorded):
    path, live = recorded
    replayed = replay_all(path)
    assert replayed["sequence"].output == live["sequence"].output
    assert replayed["parallel"].output.values == live["parallel"].output.values
    assert [piece for _, piece in replayed["stream"].output] == [piece for _, piece in live["stream"].output]
    for flow in live:
        shape = lambda result: sorted((s.name, s.kind, s.status, s.tokens_in, s.tokens_out) for s in result.trace)  # noqa: E731
        assert shape(replayed[flow]) == shape(live[flow])


def ns(seconds: float) -> int:
    """A time in whole nanoseconds, as the virtual clock counts it: sums and comparisons of integers are exact."""
    return round(seconds * 1_000_000_000)


def recorded_model_durations_us(path: Path) -> list[int]:
    """The duration of every recorded model call, in the cassette's own unit (whole microseconds)."""
    return sorted(span["end_us"] - span["start_us"] for call in Cassette(path).calls
                  for span in call["spans"] if span["kind"] == "model")


def test_replayed_calls_take_exactly_their_recorded_time_in_virtual_time(recorded):
    path, live = recorded
    replayed = replay_all(path)
    durations = lambda results: sorted(s.duration for r in results.values() for s in r.trace.model_calls)  # noqa: E731
    # exactly what the file says, to the nanosecond:
    assert [ns(d) for d in durations(replayed)] == [us * 1000 for us in recorded_model_durations_us(path)]
    # and the file keeps each live duration to its resolution, the microsecond (start and end are rounded apart):
    assert all(abs(round(live_d * 1e6) - us) <= 1 for live_d, us in zip(durations(live), recorded_model_durations_us(path)))
    sequence = replayed["sequence"].trace
    draft, refine = sequence.model_calls
    assert ns(draft.end) <= ns(refine.start) and ns(sequence.latency) >= ns(draft.duration) + ns(refine.duration)


def test_streamed_pieces_arrive_at_their_recorded_moments(recorded):
    path, live = recorded
    streamed, = [call for call in Cassette(path).calls if call["stream"]]
    replayed = replay_all(path)["stream"].output
    assert len(replayed) > 3 and [piece for _, piece in replayed] == [piece for _, piece in live["stream"].output]
    assert [(ns(when), piece) for when, piece in replayed] == [(us * 1000, piece) for us, piece in streamed["chunks"]]


def test_the_cassette_is_readable_json_lines_with_a_versioned_header(recorded):
    path, _ = recorded
    header, *calls = [json.loads(line) for line in path.read_text().splitlines()]
    assert header["format"] == FORMAT and header["version"] == VERSION == 2
    assert [call["call"] for call in calls] and all(call["model"] == MODEL for call in calls)
    first = next(call for call in calls if not call["stream"])
    assert first["messages"] == [{"role": "user", "content": "Draft a reply about a late parcel"}]
    assert first["options"] == {"max_tokens": 40} and first["completion"]["text"].startswith(f"[{MODEL}]")
    streamed = next(call for call in calls if call["stream"])
    assert "".join(piece for _, piece in streamed["chunks"]) == f"[{MODEL}] answer to: Tell me about robots"


def test_no_api_key_or_authorisation_header_is_ever_written(recorded):
    path, _ = recorded
    text = path.read_text()
    assert PLANTED_KEY not in text and "planted" not in text
    assert "authorization" not in text.lower() and "bearer" not in text.lower()


def test_a_key_a_provider_echoes_in_its_error_is_not_written(tmp_path, monkeypatch):
    monkeypatch.setenv("PLANTED_KEY_ENV", PLANTED_KEY)
    path = tmp_path / "echo.jsonl"
    with ServerProcess(fault_server_command()) as faults:
        model = Cassette(path, mode="record").wrap(
            OpenAICompatible(MODEL, base_url=faults.url + "/echo-key/v1", api_key_env="PLANTED_KEY_ENV"))
        with pytest.raises(BackendError) as caught:
            run(Ask(model, "Hi {input}"), "there", clock="wall")
    assert caught.value.status == 401
    assert PLANTED_KEY not in path.read_text() and json.loads(path.read_text().splitlines()[1])["outcome"] == "error"


def test_anything_shaped_like_a_key_is_scrubbed_wherever_it_hides():
    line = json.dumps({"options": {"extra_body": {"token": "sk-ant-abcdefghijklmnopqrstuv"}},
                       "error": "Bearer abc.def-123456789 refused"})
    assert scrub(line, []) == json.dumps({"options": {"extra_body": {"token": "[redacted]"}}, "error": "[redacted] refused"})


# -- failures are recorded and replayed -----------------------------------------------------------


def test_a_rate_limited_call_replays_its_attempts_and_waits(tmp_path):
    path = tmp_path / "limited.jsonl"
    flaky = SimulatedModel(MODEL).with_failures(rate_limit_rate=0.5, retry_after=0.05)
    fan_out = lambda model: Parallel(tasks={f"q{i}": Ask(model, f"Question {i}: {{input}}") for i in range(6)})  # noqa: E731
    with ThreadedServer(models={MODEL: flaky}) as server:
        live = run(fan_out(Cassette(path, mode="record").wrap(backend(server.base_url))), "why", clock="wall")
    replayed = [run(fan_out(Cassette(path).wrap(offline_backend())), "why") for _ in range(2)]

    attempts = lambda result: sorted((s.name, s.status, s.detail) for s in result.trace if s.kind == "attempt")  # noqa: E731
    assert any(status == "rate_limited" for _, status, _ in attempts(live))  # the server did refuse some requests
    assert attempts(replayed[0]) == attempts(live) == attempts(replayed[1])
    assert replayed[0].output.values == live.output.values
    for call in replayed[0].trace.model_calls:  # each retry waits after its refusal, as recorded
        tries = [s for s in replayed[0].trace.children(call) if s.kind == "attempt"]
        assert all(earlier.end < later.start for earlier, later in zip(tries, tries[1:]))


def test_a_failed_call_replays_as_the_same_error(tmp_path):
    path = tmp_path / "missing.jsonl"
    with ThreadedServer(failures=False) as server:
        model = Cassette(path, mode="record").wrap(OpenAICompatible("no-such-model", base_url=server.base_url))
        with pytest.raises(BackendError) as live:
            run(Ask(model, "Hi {input}"), "there", clock="wall")
    model = Cassette(path).wrap(OpenAICompatible("no-such-model", base_url=f"http://127.0.0.1:{free_port()}/v1"))
    with pytest.raises(BackendError) as replayed:
        run(Ask(model, "Hi {input}"), "there")
    assert (replayed.value.status, str(replayed.value)) == (live.value.status, str(live.value)) == (404, str(live.value))
    assert [s.status for s in replayed.value.trace if s.kind == "attempt"] == ["error"]


def test_a_reader_that_stopped_early_replays_as_a_cancelled_call(tmp_path):
    path = tmp_path / "early.jsonl"

    async def first_piece(model):
        async for piece in model.stream("Tell me a long story about a robot"):
            return piece

    with ThreadedServer(failures=False) as server:
        live = run(lambda _: first_piece(Cassette(path, mode="record").wrap(backend(server.base_url))), None, clock="wall")
    replayed = run(lambda _: first_piece(Cassette(path).wrap(offline_backend())), None)
    assert replayed.output == live.output == f"[{MODEL}] "
    assert [s.status for s in replayed.trace.model_calls] == ["cancelled"]
    assert replayed.trace.latency < 1.0  # cancelled when the reader stopped, not after a long wait


# -- what is matched, and how a miss is explained ---------------------------------------------------


def test_a_changed_prompt_names_the_differing_field_and_the_fix(recorded):
    path, _ = recorded
    model = Cassette(path).wrap(offline_backend())
    with pytest.raises(CassetteMiss) as caught:
        run(Ask(model, "Draft a reply about {input}", max_tokens=40), "a lost parcel")
    assert caught.value.field == "messages[0].content"
    message = str(caught.value)
    assert "recorded 'Draft a reply about a late parcel', now 'Draft a reply about a lost parcel'" in message
    assert "mode='replay_or_live'" in message and "make cassettes" in message


def miss_of(step) -> CassetteMiss:
    with pytest.raises(CassetteMiss) as caught:
        run(step, "a late parcel")
    return caught.value


def test_a_changed_option_is_named(recorded):
    path, _ = recorded
    miss = miss_of(Ask(Cassette(path).wrap(offline_backend()), "Draft a reply about {input}", max_tokens=41))
    assert miss.field == "options.max_tokens" and "recorded 40, now 41" in str(miss)


def test_another_model_is_named(recorded):
    path, _ = recorded
    other = OpenAICompatible("generalist-large", base_url="http://127.0.0.1:9/v1")
    miss = miss_of(Ask(Cassette(path).wrap(other), "Draft a reply about {input}", max_tokens=40))
    assert miss.field == "model" and "recorded 'generalist-small', now 'generalist-large'" in str(miss)


def test_a_call_made_more_often_than_recorded_says_so(recorded):
    path, _ = recorded
    model = Cassette(path).wrap(offline_backend())

    async def ask_twice(topic):
        for _ in range(2):
            answer = await model.complete(f"Draft a reply about {topic}", max_tokens=40)
        return answer.text

    miss = miss_of(ask_twice)
    assert miss.field == "count" and "recorded 1 time(s), and this run makes it 2 times" in str(miss)


def test_identical_calls_in_one_run_get_their_answers_in_recording_order(tmp_path):
    path = tmp_path / "twice.jsonl"
    model = SimulatedModel(MODEL)  # the same prompt twice: two draws, two different latencies
    twice = lambda m: Parallel(tasks={"first": Ask(m, "Hi {input}"), "second": Ask(m, "Hi {input}")})  # noqa: E731
    live = run(twice(Cassette(path, mode="record").wrap(model)), "Ada")
    replayed = run(twice(Cassette(path).wrap(model)), "Ada")
    durations = lambda result: [s.duration for s in result.trace.model_calls]  # noqa: E731
    assert durations(replayed) == durations(live) and len(set(durations(live))) == 2


def test_replay_or_live_calls_the_model_on_a_miss_and_appends_the_call(tmp_path):
    path = tmp_path / "grow.jsonl"
    with ThreadedServer(failures=False) as server:
        run(Ask(Cassette(path, mode="record").wrap(backend(server.base_url)), "Hi {input}"), "Ada", clock="wall")
        tape = Cassette(path, mode="replay_or_live")
        assert tape.clock == "wall"
        new = run(Ask(tape.wrap(backend(server.base_url)), "Hi {input}"), "Grace", clock="wall")
    assert len(path.read_text().splitlines()) == 3  # header, the recorded call, the appended one
    again = run(Ask(Cassette(path).wrap(offline_backend()), "Hi {input}"), "Grace")
    assert again.output == new.output == f"[{MODEL}] answer to: Hi Grace"


def test_live_mode_steps_aside_and_writes_nothing(tmp_path):
    path = tmp_path / "never.jsonl"
    tape = Cassette(path, mode="live")
    assert run(Ask(tape.wrap(SimulatedModel(MODEL)), "Hi {input}"), "Ada").trace.calls == 1
    assert not path.exists() and tape.calls_live


def test_the_environment_variable_overrides_the_mode(tmp_path, monkeypatch):
    monkeypatch.setenv(MODE_ENV, "record")
    tape = Cassette(tmp_path / "forced.jsonl", mode="replay")
    assert tape.mode == "record" and tape.clock == "wall"


# -- bad files get clear errors ------------------------------------------------------------------------


def test_an_older_cassette_format_is_refused_with_the_fix(tmp_path):
    path = tmp_path / "old.jsonl"
    path.write_text(json.dumps({"format": FORMAT, "version": 0}) + "\n")
    with pytest.raises(CassetteError, match=r"old.jsonl:1: a version 0 cassette; this kit reads versions 1, 2\. "
                                            r"Re-record it: make cassettes"):
        Cassette(path)


@pytest.mark.parametrize("content, fragment", [
    ('{"interactions": []}\n', "bad.jsonl:1: not a cassette"),
    ("", "bad.jsonl:1: not a cassette"),
    (json.dumps({"format": FORMAT, "version": 1}) + "\n{not json\n", "bad.jsonl:2: not valid JSON"),
])
def test_a_file_that_is_not_a_cassette_is_refused(tmp_path, content, fragment):
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    with pytest.raises(CassetteError, match=fragment):
        Cassette(path)


def test_a_missing_cassette_says_how_to_record_one(tmp_path):
    with pytest.raises(CassetteError, match="no cassette at .*mode='record'"):
        Cassette(tmp_path / "nothing.jsonl")


def test_the_repr_names_the_file_and_mode_never_a_key(recorded):
    path, _ = recorded
    model = Cassette(path).wrap(OpenAICompatible(MODEL, base_url="http://127.0.0.1:9/v1", api_key=PLANTED_KEY))
    assert repr(model) == (f"CassetteModel(OpenAICompatible('{MODEL}', base_url='http://127.0.0.1:9/v1', "
                           f"api_key='***'), cassette='{path.name}', mode='replay')")
    assert repr(Cassette(path)).startswith(f"Cassette('{path.name}', mode='replay', calls=")


# -- the shipped cassettes ----------------------------------------------------------------------------------

SHIPPED = sorted((ROOT / "data" / "cassettes").glob("*.jsonl"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_cassette_reads_and_holds_no_secret(path):
    calls = Cassette(path).calls
    assert calls, f"{path.name} holds no calls"
    text = path.read_text()
    assert "authorization" not in text.lower() and "bearer " not in text.lower()
    assert scrub(text, []) == text  # nothing shaped like a key


# -- a real LLM, offline -------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_real_llm_run_replays_identically_once_the_llm_is_stopped(tmp_path):
    from orchestration_kit.serve.local_llm import LocalLLM

    path = tmp_path / "smollm2.jsonl"
    flow = lambda model: Parallel(tasks={  # noqa: E731
        "sentence": Sequential(stages=[Ask(model, "Write one sentence about {input}.", max_tokens=8),
                                       Ask(model, "Make this shorter: {input}", max_tokens=8)]),
        "story": lambda topic, ctx: read_stream(model, f"Say hello to {topic}.", ctx)})
    with LocalLLM(threads=1) as llm:
        real = llm.openai()
        live = run(flow(Cassette(path, mode="record").wrap(real)), "the sea", clock="wall")
    offline = OpenAICompatible(real.model, base_url=real.base_url)  # the LLM is stopped: nothing listens there
    first, second = (run(flow(Cassette(path).wrap(offline)), "the sea") for _ in range(2))
    assert first.output.values == second.output.values and first.trace.to_dataframe().equals(second.trace.to_dataframe())
    pieces = lambda result: [piece for _, piece in result.output["story"]]  # noqa: E731
    assert first.output["sentence"] == live.output["sentence"] and pieces(first) == pieces(live)
    assert first.trace.calls == live.trace.calls == 3


def test_replay_or_live_starts_a_new_cassette_when_there_is_none(tmp_path):
    path = tmp_path / "new.jsonl"
    run(Ask(Cassette(path, mode="replay_or_live").wrap(SimulatedModel(MODEL)), "Hi {input}"), "Ada")
    assert [call["messages"][0]["content"] for call in Cassette(path).calls] == ["Hi Ada"]
