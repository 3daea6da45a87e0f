"""The classroom server's memory stays flat however many different prompts it answers.

10,000 requests, each with its own ~16 KB prompt, to ``orchestration-kit serve`` in a
child process; its resident memory (read from /proc) after the first 1,000 and after
all 10,000 must differ by less than ``GROWTH_BOUND``. Before the server bounded its
per-learner state, every prompt stayed in memory: ~150 MB more here.
"""

from __future__ import annotations

import importlib.util
import json
import socket
import sys
from pathlib import Path

import pytest

REQUESTS, WARM_UP, PROMPT_BYTES = 10_000, 1_000, 16_000
GROWTH_BOUND = 16 * 2**20  # bytes

_spec = importlib.util.spec_from_file_location("benchmark_load", Path(__file__).parents[1] / "benchmarks" / "load.py")
load = sys.modules.setdefault("benchmark_load", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(load)


def _request(n: int) -> bytes:
    prompt = f"Question {n}: " + ("where is my refund? " * (PROMPT_BYTES // 20))
    body = json.dumps({"model": "generalist-small", "messages": [{"role": "user", "content": prompt}]}).encode()
    return (b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\n\r\n%s" % (len(body), body))


def _status_of_next_answer(raw: socket.socket, pending: bytearray) -> int:
    """Read one whole answer (its head, then Content-Length bytes) off the connection."""
    while b"\r\n\r\n" not in pending:
        pending += raw.recv(65536) or b"!"  # '!': closed, which the status check below reports
    head, _, rest = bytes(pending).partition(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
    while len(rest) < length:
        rest += raw.recv(65536)
    pending[:] = rest[length:]
    return int(head.split(b" ")[1])


@pytest.mark.slow
def test_ten_thousand_unique_prompts_leave_the_servers_memory_flat():
    with load.KitServer("--speed", "0", "--no-failures", "--access-log", "off") as server:
        with socket.create_connection(("127.0.0.1", server.port)) as raw:
            raw.settimeout(30)
            pending, statuses, rss = bytearray(), [], {}
            for n in range(REQUESTS):
                raw.sendall(_request(n))
                statuses.append(_status_of_next_answer(raw, pending))
                if n + 1 in (WARM_UP, REQUESTS):
                    rss[n + 1] = server.rss_bytes()
    assert statuses == [200] * REQUESTS
    growth = rss[REQUESTS] - rss[WARM_UP]
    print(f"RSS after {WARM_UP}: {rss[WARM_UP] / 2**20:.1f} MiB, after {REQUESTS}: {rss[REQUESTS] / 2**20:.1f} MiB")
    assert growth < GROWTH_BOUND, f"grew {growth / 2**20:.1f} MiB over {REQUESTS - WARM_UP} requests"
