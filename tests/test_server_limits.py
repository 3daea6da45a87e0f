"""The classroom server's patience and capacity: silent or slow clients are closed, a full server still serves.

Deadlines here are short (a fraction of a second) so that the tests are quick; they
assert what happens after a deadline, never how long anything took.
"""

from __future__ import annotations

import json
import re
import socket
import time

import httpx
import pytest

from orchestration_kit.serve.limits import Limits

from server_thread import ServerThread

CHAT = json.dumps({"model": "generalist-small", "messages": [{"role": "user", "content": "Hello there"}]}).encode()
POST = (b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\n\r\n%s" % (len(CHAT), CHAT))
QUICK = Limits(header_timeout_s=0.3, body_timeout_s=0.3, idle_timeout_s=0.3, max_connections=20)


def _connect(port: int) -> socket.socket:
    raw = socket.create_connection(("127.0.0.1", port))
    raw.settimeout(10)
    return raw


def _read_all(raw: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (or 10 s pass)."""
    data = b""
    try:
        while chunk := raw.recv(65536):
            data += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    return data


def _statuses(data: bytes) -> list[int]:
    return [int(code) for code in re.findall(rb"HTTP/1.1 (\d{3}) ", data)]


def _open_connections(server: ServerThread, patience_s: float = 5.0) -> int:
    """Connections the server still holds, once it has finished closing those that are ending (bounded wait)."""
    for _ in range(int(patience_s / 0.02)):
        if (left := server.health()["connections_open"]) == 0:
            break
        time.sleep(0.02)
    return left


def _good_request(url: str) -> int:
    return httpx.post(url + "/v1/chat/completions", content=CHAT, timeout=10).status_code


@pytest.mark.parametrize("sent, status", [
    (b"", None),  # silent: closed after the idle timeout, without a word
    (b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n", 408),  # half a head
    (b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: 50\r\n\r\n{\"model\"", 408),  # half a body
])
def test_a_client_that_stops_sending_is_closed_after_its_deadline(sent, status):
    with ServerThread(limits=QUICK) as server:
        with _connect(server.port) as raw:
            raw.sendall(sent)
            answer = _read_all(raw)  # returns when the server closes
        assert _statuses(answer) == ([status] if status else [])
        if status:
            assert b"did not arrive within 0.3 s" in answer
        assert _open_connections(server) == 0
        assert _good_request(server.url) == 200


def test_a_kept_alive_connection_is_closed_when_idle_but_serves_until_then():
    with ServerThread(limits=QUICK) as server:
        with _connect(server.port) as raw:
            raw.sendall(POST)
            time.sleep(0.1)  # within the idle timeout: the connection still serves
            raw.sendall(POST)
            assert _statuses(_read_all(raw)) == [200, 200]  # then it ends, idle


@pytest.mark.parametrize("head", [
    b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n",
    b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n10000000000000000\r\n",
])
def test_a_chunked_body_is_refused_at_once_not_waited_on(head):
    with ServerThread() as server:  # default deadlines: an answer within them is a refusal, not a timeout
        with _connect(server.port) as raw:
            raw.sendall(head)
            raw.settimeout(5)
            answer = raw.recv(65536)
        assert _statuses(answer) == [411] and b"Content-Length" in answer


def test_a_full_server_makes_room_by_closing_the_longest_idle_connection():
    limits = Limits(max_connections=5)  # default deadlines: the silent ones would wait 15 s
    with ServerThread(limits=limits) as server:
        silent = [_connect(server.port) for _ in range(12)]  # more than it holds
        try:
            assert _good_request(server.url) == 200  # a learner still gets in
            health = server.health()
            assert health["connections_open"] <= 5 and health["connections_dropped"] >= 7
        finally:
            for raw in silent:
                raw.close()


def test_a_server_full_of_requests_being_answered_refuses_a_newcomer_with_503_and_recovers():
    slow = Limits(max_connections=2)
    with ServerThread(speed=1.0, limits=slow) as server:  # real-time answers: ~0.3 s each
        busy = [_connect(server.port) for _ in range(2)]
        for raw in busy:
            raw.sendall(POST)
        time.sleep(0.1)  # both are being answered now
        with _connect(server.port) as late:
            answer = _read_all(late)
        assert _statuses(answer) == [503] and b"retry-after: 1" in answer.lower()
        for raw in busy:
            assert _statuses(raw.recv(65536)) == [200]
            raw.close()
        assert server.health()["connections_refused"] == 1
        assert _good_request(server.url) == 200  # recovered, no restart


def test_head_is_answered_like_get_without_a_body_and_the_connection_lives_on(caplog):
    with ServerThread() as server:
        with httpx.Client(base_url=server.url) as http:
            head, get = http.head("/health"), http.get("/health")
            models = http.head("/v1/models")
        assert head.status_code == get.status_code == models.status_code == 200
        assert head.content == b"" and int(head.headers["content-length"]) > 0
        assert server.health()["connections_opened"] == 1  # one connection served all three
    assert "Unhandled exception" not in caplog.text and "LocalProtocolError" not in caplog.text


def test_fifty_one_pipelined_requests_of_every_kind_get_fifty_one_answers_in_order():
    # The 50-of-51 came from a HEAD request: its answer broke h11's rules and the connection with it.
    kinds = [POST, b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n", b"HEAD /health HTTP/1.1\r\nhost: x\r\n\r\n",
             b"GET /v1/models HTTP/1.1\r\nhost: x\r\n\r\n", b"GET /nowhere HTTP/1.1\r\nhost: x\r\n\r\n"]
    requests = [kinds[i % len(kinds)] for i in range(50)] + [b"HEAD /health HTTP/1.1\r\nhost: x\r\n\r\n"]
    with ServerThread() as server:
        with _connect(server.port) as raw:
            raw.sendall(b"".join(requests))
            raw.shutdown(socket.SHUT_WR)  # all sent: the server answers them all, then closes
            answers = _read_all(raw)
    expected = [404 if r.startswith(b"GET /nowhere") else 200 for r in requests]
    assert _statuses(answers) == expected


def test_http_1_0_gets_one_answer_then_the_close_it_asked_for():
    with ServerThread() as server:
        with _connect(server.port) as raw:
            raw.sendall(b"GET /health HTTP/1.0\r\n\r\n" * 3)
            assert _statuses(_read_all(raw)) == [200]


def test_the_limits_refuse_impossible_values():
    with pytest.raises(ValueError, match="idle_timeout_s must be more than 0"):
        Limits(idle_timeout_s=0)
    with pytest.raises(ValueError, match="max_connections must be at least 1"):
        Limits(max_connections=0)


# -- the attacks as reported, against `orchestration-kit serve` in a child process ------------------

def _load_benchmark():
    import importlib.util
    import sys
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("benchmark_load", Path(__file__).parents[1] / "benchmarks" / "load.py")
    module = sys.modules.setdefault("benchmark_load", importlib.util.module_from_spec(spec))
    spec.loader.exec_module(module)
    return module


def _allow_files(count: int) -> None:
    """Let this test process hold ``count`` sockets (up to the hard limit)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < count:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(count, hard), hard))


@pytest.mark.slow
def test_300_silent_connections_under_a_256_file_limit_do_not_lock_learners_out():
    import resource

    _allow_files(2000)
    load = _load_benchmark()

    def limit_files() -> None:  # in the child, before it starts: the limit of a small classroom machine
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))

    with load.KitServer("--speed", "0", "--no-failures", "--access-log", "off", preexec_fn=limit_files) as server:
        silent = [_connect(server.port) for _ in range(300)]
        try:
            answered = [_good_request(server.url) for _ in range(5)]
            health = httpx.get(server.url + "/health", timeout=10).json()
        finally:
            for raw in silent:
                raw.close()
    assert answered == [200] * 5
    assert health["connections_open"] <= 256 - 32 and health["connections_dropped"] >= 300 - (256 - 32)
    assert "Too many open files" not in server.output and "Traceback" not in server.output


@pytest.mark.slow
def test_2000_half_sent_heads_are_all_closed_by_the_server():
    _allow_files(2500)
    load = _load_benchmark()
    with load.KitServer("--speed", "0", "--no-failures", "--access-log", "off", "--header-timeout", "1") as server:
        halves = [_connect(server.port) for _ in range(2000)]
        try:
            for raw in halves:
                raw.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-le")
            assert _good_request(server.url) == 200
            for _ in range(250):  # up to 5 s past the header timeout: bounded
                if httpx.get(server.url + "/health", timeout=10).json()["connections_open"] <= 1:
                    break
                time.sleep(0.02)
            endings = [_ending(raw) for raw in halves]  # a 408, or nothing if it made room for a newer one
        finally:
            for raw in halves:
                raw.close()
    assert len(endings) == 2000 and set(endings) <= {"closed", "408"}, set(endings)
    assert "Traceback" not in server.output


def _ending(raw: socket.socket) -> str:
    """How the server ended this connection: 'closed', '408', or 'still open' after 5 s."""
    raw.settimeout(5)
    data = b""
    try:
        while chunk := raw.recv(65536):
            data += chunk
    except socket.timeout:
        return "still open"
    except ConnectionResetError:
        pass
    return "408" if _statuses(data) == [408] else "closed" if not data else f"answered {data[:30]!r}"
