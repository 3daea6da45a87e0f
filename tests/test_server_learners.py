"""The classroom endpoint knows who asked: a token per learner, their own usage and limits, a log without secrets."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import stat
import subprocess
import sys
import time

import httpx
import openai
import pytest

from orchestration_kit import cli
from orchestration_kit.models import ModelProfile, SimulatedModel
from orchestration_kit.serve.server import ModelServer
from orchestration_kit.serve.learners import Roster, read_roster

from server_thread import ServerThread
from servers import free_port

HELLO = [{"role": "user", "content": "Hello there, how are you today?"}]
INSTRUCTOR = "instructor-token-kept-private"
ROSTER = {f"learner{n:02d}": f"token-of-learner-{n:02d}-xyz" for n in range(30)}


def _sdk(server: ServerThread, token: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url + "/v1", api_key=token, max_retries=0)


def _usage(server: ServerThread, token: str = INSTRUCTOR) -> httpx.Response:
    return httpx.get(server.url + "/usage", headers={"authorization": f"Bearer {token}"})


# -- the roster file --------------------------------------------------------------------------

def test_a_roster_without_tokens_gets_them_generated_into_the_file_its_owner_alone_can_read(tmp_path):
    path = tmp_path / "learners.csv"
    path.write_text("learner,token\nada,\nalan,an-own-token-of-alan-0123\n")
    tokens = read_roster(path)
    assert list(tokens) == ["ada", "alan"] and tokens["alan"] == "an-own-token-of-alan-0123"
    assert len(tokens["ada"]) >= 30 and read_roster(path) == tokens  # written back: the same on the next start
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("text, fragment", [
    ("name,token\nada,\n", "a header 'learner,token'"),
    ("learner,token\nada,\nada,\n", "learners.csv:3: learner 'ada' appears twice"),
    ("learner,token\nada lovelace,\n", "learners.csv:2: learner id 'ada lovelace'"),
    ("learner,token\ninstructor,\n", "learners.csv:2: learner id 'instructor'"),
    ("learner,token\nada,short\n", "learners.csv:2: the token of 'ada' is shorter than 16"),
    ("learner,token\nada,same-token-for-both-1\nalan,same-token-for-both-1\n", "two learners share a token"),
])
def test_a_bad_roster_is_refused_naming_the_file_and_line(tmp_path, text, fragment):
    path = tmp_path / "learners.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=fragment.replace("(", r"\(")):
        read_roster(path)


def test_a_roster_finds_the_holder_of_a_token_and_keeps_no_token():
    roster = Roster(ROSTER)
    assert roster.who(ROSTER["learner07"]) == "learner07" and roster.who("guess") is None
    assert repr(roster) == "Roster(30 tokens)" and "token-of" not in repr(vars(roster))


# -- who asked, what they used ------------------------------------------------------------------

def test_each_learner_is_known_by_their_token_and_the_instructor_sees_their_usage(caplog):
    caplog.set_level(logging.INFO, logger="orchestration_kit.server.access")
    with ServerThread(roster=ROSTER, instructor_token=INSTRUCTOR) as server:
        with _sdk(server, ROSTER["learner01"]) as ada:
            for _ in range(3):
                ada.chat.completions.create(model="generalist-small", messages=HELLO, user="ada-laptop")
        with _sdk(server, ROSTER["learner02"]) as alan:
            alan.chat.completions.create(model="generalist-large", messages=HELLO, n=2)
            with pytest.raises(openai.BadRequestError):
                alan.chat.completions.create(model="generalist-large", messages=HELLO, temperature=9)
        with _sdk(server, "a-guess") as stranger, pytest.raises(openai.AuthenticationError):
            stranger.models.list()
        usage = _usage(server).json()
        assert _usage(server, ROSTER["learner01"]).status_code == 403  # learners cannot read the usage view
        assert _usage(server, "a-guess").status_code == 401
    rows = {row["learner"]: row for row in usage["learners"]}
    assert set(rows) == {"learner01", "learner02"} and usage["unauthorised"] == 1
    assert rows["learner01"]["requests"] == rows["learner01"]["answered"] == 3
    assert rows["learner01"]["users"] == ["ada-laptop"] and rows["learner01"]["prompt_tokens"] > 0
    assert rows["learner02"]["requests"] == 2 and rows["learner02"]["refused"] == 1
    assert rows["learner02"]["cost_usd"] > rows["learner01"]["cost_usd"] > 0  # the large model, twice, costs more
    lines = [r.getMessage() for r in caplog.records if r.name == "orchestration_kit.server.access"]
    assert sum(line.startswith("learner01 user=ada-laptop POST /v1/chat/completions 200") for line in lines) == 3
    assert any(line.startswith("- user=- GET /v1/models 401") for line in lines)
    assert not any(token in caplog.text for token in [*ROSTER.values(), INSTRUCTOR, "a-guess"])


def test_one_learners_rate_limit_never_makes_anothers_request_fail():
    limited = {"limited": SimulatedModel(ModelProfile("limited", latency_s=0.0)).with_failures(rate_limit_rpm=3)}
    with ServerThread(limited, roster=ROSTER, failures=True) as server:
        with _sdk(server, ROSTER["learner01"]) as a, _sdk(server, ROSTER["learner02"]) as b:
            for _ in range(3):
                a.chat.completions.create(model="limited", messages=HELLO)
            with pytest.raises(openai.RateLimitError):
                a.chat.completions.create(model="limited", messages=HELLO)  # A's fourth in a minute
            answered = [b.chat.completions.create(model="limited", messages=HELLO) for _ in range(3)]
    assert len(answered) == 3


def test_the_servers_own_limit_counts_requests_per_learner():
    with ServerThread(roster=ROSTER, requests_per_minute=2) as server:
        with _sdk(server, ROSTER["learner01"]) as a, _sdk(server, ROSTER["learner02"]) as b:
            a.chat.completions.create(model="generalist-small", messages=HELLO)
            a.chat.completions.create(model="generalist-small", messages=HELLO)
            with pytest.raises(openai.RateLimitError) as refused:
                a.chat.completions.create(model="generalist-small", messages=HELLO)
            assert b.chat.completions.create(model="generalist-small", messages=HELLO).choices
    assert "allows 2 requests a minute per learner" in refused.value.message
    assert 0 < int(refused.value.response.headers["retry-after"]) <= 60


async def _learner(url: str, token: str, requests: int) -> list[int]:
    async with httpx.AsyncClient(base_url=url, headers={"authorization": f"Bearer {token}"}, timeout=30) as http:
        body = {"model": "generalist-small", "messages": HELLO}
        return [(await http.post("/v1/chat/completions", json=body)).status_code for _ in range(requests)]


def test_thirty_learners_at_once_each_get_their_own_limit_and_nothing_is_lost():
    with ServerThread(roster=ROSTER, instructor_token=INSTRUCTOR, requests_per_minute=5) as server:
        async def classroom() -> list[list[int]]:
            return await asyncio.gather(*(_learner(server.url, token, 8) for token in ROSTER.values()))

        statuses = asyncio.run(classroom())
        usage = {row["learner"]: row for row in _usage(server).json()["learners"]}
    assert all(s == [200] * 5 + [429] * 3 for s in statuses)  # each learner: their five, then refused
    assert all(usage[name]["answered"] == 5 and usage[name]["rate_limited"] == 3 for name in ROSTER)
    assert sum(row["requests"] for row in usage.values()) == 30 * 8  # every request counted, none lost


# -- fail closed, and the command lines ---------------------------------------------------------

def test_a_network_address_without_a_token_is_refused_unless_asked_for():
    with pytest.raises(ValueError, match="refusing to serve 0.0.0.0 without a token.*--no-auth"):
        ModelServer(host="0.0.0.0")
    assert ModelServer(host="0.0.0.0", no_auth=True).guarded is False  # built, never started: no traffic
    assert ModelServer(host="0.0.0.0", token="t").guarded and ModelServer(host="::1").guarded is False


def test_serve_refuses_an_open_network_address_with_a_clear_message(capsys, monkeypatch):
    monkeypatch.delenv("ORCHESTRATION_KIT_TOKEN", raising=False)
    assert cli.main(["serve", "--host", "0.0.0.0"]) == 2
    assert "refusing to serve 0.0.0.0 without a token" in capsys.readouterr().err


def test_the_usage_command_prints_a_row_per_learner(capsys, monkeypatch):
    with ServerThread(roster=ROSTER, instructor_token=INSTRUCTOR) as server:
        with _sdk(server, ROSTER["learner05"]) as learner:
            learner.chat.completions.create(model="generalist-small", messages=HELLO)
        monkeypatch.setenv("ORCHESTRATION_KIT_INSTRUCTOR_TOKEN", INSTRUCTOR)
        assert cli.main(["usage", "--url", server.url]) == 0
        table = capsys.readouterr().out.splitlines()
        assert cli.main(["usage", "--url", server.url, "--json"]) == 0
        as_json = json.loads(capsys.readouterr().out)
        monkeypatch.setenv("ORCHESTRATION_KIT_INSTRUCTOR_TOKEN", "wrong-one")
        assert cli.main(["usage", "--url", server.url]) == 1
    assert table[0].split()[:3] == ["learner", "requests", "answered"]
    assert table[1].split()[:3] == ["learner05", "1", "1"] and len(table) == 2
    assert as_json["learners"][0]["learner"] == "learner05"
    assert "answered 401: missing or wrong token" in capsys.readouterr().err


@pytest.mark.slow
def test_as_a_jupyterhub_service_it_listens_where_the_hub_says_under_its_prefix(tmp_path):
    port = free_port()
    roster = tmp_path / "learners.csv"
    roster.write_text("learner,token\nada,\n")
    env = {**os.environ, "JUPYTERHUB_SERVICE_NAME": "orchestration-kit", "JUPYTERHUB_API_TOKEN": "hub-api-token",
           "JUPYTERHUB_SERVICE_URL": f"http://127.0.0.1:{port}", "JUPYTERHUB_API_URL": "http://127.0.0.1:1/hub/api",
           "JUPYTERHUB_SERVICE_PREFIX": "/services/orchestration-kit/", "JUPYTERHUB_BASE_URL": "/"}
    env.pop("ORCHESTRATION_KIT_TOKEN", None)
    command = [sys.executable, "-m", "orchestration_kit.cli", "serve", "--speed", "0"]
    refused = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "every user of the hub can reach this server" in refused.stderr
    with subprocess.Popen([*command, "--roster", str(roster)], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True) as process:
        try:
            base = f"http://127.0.0.1:{port}/services/orchestration-kit"
            for _ in range(300):  # up to 30 s to start
                try:
                    if httpx.get(base + "/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            token = read_roster(roster)["ada"]
            with openai.OpenAI(base_url=base + "/v1", api_key=token, max_retries=0) as sdk:
                assert sdk.chat.completions.create(model="generalist-small", messages=HELLO).choices
        finally:
            process.terminate()
            output = process.communicate(timeout=10)[0]
    assert f"http://127.0.0.1:{port}/services/orchestration-kit/v1" in output and token not in output
