"""No client input makes the classroom server fail: every request is answered, a 4xx when it is wrong, never a 500.

The request schema is fuzzed with hypothesis (a fixed seed, so every run tries the
same cases) over one kept-alive connection to a server in this process.
"""

from __future__ import annotations

import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestration_kit.serve.chat_request import KNOWN, ROLES
from orchestration_kit.models.skills import SKILLS

from server_thread import ServerThread

MODEL = "generalist-small"
CASE = [{"role": "user", "content": "Patient on warfarin, INR 5.2, potassium 6.1; invoice INV-7, total $12.50"}]


@pytest.fixture(scope="module")
def http():
    with ServerThread(speed=0) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def _chat(http: httpx.Client, body: object) -> httpx.Response:
    return http.post("/v1/chat/completions", content=json.dumps(body), headers={"content-type": "application/json"})


@pytest.mark.parametrize("skill, skill_args, allowed", [
    ("clinical", {"check": "x"}, "'check' must be one of 'all', 'labs', 'medications'"),
    ("extract", {"doc_type": "nope"}, "'doc_type' must be one of 'invoice', 'receipt', 'purchase_order', 'contract'"),
    ("classify", {"labels": [None]}, "'labels' must be a list of 1 to 50 label strings"),
    ("classify", {"labels": "billing"}, "'labels' must be a list"),
    ("keywords", {"k": -1}, "'k' must be a whole number from 1 to 50"),
    ("sentiment", {"labels": ["x"]}, "it takes no skill_args, not 'labels'"),
    ("clinical", {"labels": ["x"]}, "it takes skill_args 'check', not 'labels'"),
])
def test_skill_args_a_skill_cannot_take_are_a_400_saying_what_it_allows(http, skill, skill_args, allowed, caplog):
    response = _chat(http, {"model": MODEL, "messages": CASE, "skill": skill, "skill_args": skill_args})
    error = response.json()["error"]
    assert response.status_code == 400 and error["param"] == "skill_args"
    assert allowed in error["message"] and f"skill {skill!r}" in error["message"]
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize("skill, skill_args", [("clinical", {"check": "labs"}), ("extract", {"doc_type": "invoice"}),
                                               ("classify", {"labels": ["billing", "clinical"]}), ("keywords", {"k": 3})])
def test_skill_args_a_skill_takes_are_answered(http, skill, skill_args):
    assert _chat(http, {"model": MODEL, "messages": CASE, "skill": skill, "skill_args": skill_args}).status_code == 200


# -- the fuzz ------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8)
plausible = {  # values near the valid ones, where mistakes hide
    "model": st.sampled_from([MODEL, "generalist-large", "gpt-99", ""]),
    "n": st.integers(-2, 200), "seed": st.integers(-2**64, 2**64), "max_tokens": st.integers(-2, 5000),
    "temperature": st.floats(-1, 3), "top_p": st.floats(-1, 2), "stop": st.lists(st.text(max_size=4), max_size=6),
    "stream": st.booleans(), "stream_options": st.fixed_dictionaries({"include_usage": json_values}),
    "skill": st.sampled_from(sorted(SKILLS) + ["juggle"]),
    "skill_args": st.dictionaries(st.sampled_from(["check", "doc_type", "labels", "k", "model", "rng", "x"]),
                                  json_values | st.lists(st.text(max_size=10) | st.none(), max_size=60), max_size=3),
}
text_parts = st.lists(st.fixed_dictionaries({"type": st.just("text"), "text": st.text(max_size=30)}), max_size=3)
contents = st.text(max_size=300) | st.sampled_from([CASE[0]["content"], "Due: 2024-02-30\nTotal: $1e999"]) | text_parts
good_messages = st.lists(st.fixed_dictionaries({"role": st.sampled_from(ROLES), "content": contents}),
                         min_size=1, max_size=3)
odd_messages = st.lists(st.fixed_dictionaries({"role": st.sampled_from(ROLES) | json_values,
                                               "content": contents | json_values}), max_size=3) | json_values
options = {name: plausible.get(name, json_values) for name in sorted(KNOWN - {"model", "messages"})}
near_valid = st.fixed_dictionaries({"model": st.sampled_from([MODEL, "clinical-specialist", "extraction-specialist"]),
                                    "messages": good_messages},
                                   optional={name: plausible[name] for name in plausible if name != "model"})
anything = st.fixed_dictionaries({"model": plausible["model"] | json_values, "messages": odd_messages},
                                 optional={name: value | json_values for name, value in options.items()})
requests = near_valid | near_valid | anything | json_values  # mostly near the valid ones, where the mistakes hide


@pytest.mark.slow
@settings(max_examples=3000, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
@given(body=requests)
def test_no_request_body_makes_the_server_answer_500(http, body):
    response = _chat(http, body)
    assert response.status_code < 500, (body, response.text[:300])
    if response.status_code != 200:  # every refusal in OpenAI's error shape, with a message
        error = response.json()["error"]
        assert error["message"] and error["type"] in ("invalid_request_error", "rate_limit_error")
