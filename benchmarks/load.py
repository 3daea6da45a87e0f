"""Load test of the classroom server: many learners at once, on loopback, bounded in count and time.

    python benchmarks/load.py                               # 30 clients x 100 requests, three scenarios
    python benchmarks/load.py --clients 10 --requests 20    # a quick check

``orchestration-kit serve`` runs in a child process. Each client is one learner:
its own connection (kept alive), its requests one after another, half of them
streamed, spread over the catalog's models (a seeded mix, the same every run).
Every reply is checked, not just its status:

- a plain answer must be a chat.completion with text and usage;
- a stream must be text/event-stream, every event valid JSON, a finish_reason,
  then ``data: [DONE]``;
- a simulated failure (429, 500, 504 in OpenAI's error shape) is *expected*
  when the server runs with failures on, and counted apart;
- anything else (a refused connection, a reset, a cut stream, another status,
  a deadline passed) is an *unexpected error*. The run must end with none.

At the end /health must show no more connections open than before the run. Reports
requests per second, p50/p95 latency, the counts, and the CPU time per request of
the server and of the clients (with psutil, if installed), as a Markdown table.
The test suite runs a reduced version (tests/test_server_hardening.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

HOST = "127.0.0.1"  # loopback only
SIMULATED_FAILURES = (429, 500, 504)  # what the server's simulated models (and its per-learner limit) may answer


@dataclass
class Report:
    """What a load run saw."""

    clients: int
    requests: int
    wall_s: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds, of the requests that succeeded
    expected: int = 0  # simulated failures, answered properly
    unexpected: list[str] = field(default_factory=list)  # what went wrong, one line each
    connections_left: int = 0  # open after the run that were not open before it

    @property
    def sent(self) -> int:
        return len(self.latencies) + self.expected + len(self.unexpected)

    def row(self, label: str, server_cpu_s: float | None, client_cpu_s: float) -> str:
        p50, p95 = (statistics.quantiles(self.latencies, n=100)[q - 1] * 1000 for q in (50, 95))
        per_request = lambda seconds: "n/a" if seconds is None else f"{seconds / self.sent * 1e6:.0f}"  # noqa: E731
        return (f"| {label} | {self.clients} × {self.requests} | {self.wall_s:.1f} | {self.sent / self.wall_s:.0f} "
                f"| {p50:.1f} | {p95:.1f} | {self.expected} | {len(self.unexpected)} | {self.connections_left} "
                f"| {per_request(server_cpu_s)} | {per_request(client_cpu_s)} |")


async def run_load(url: str, clients: int, requests: int, *, token: str | None = None, streamed: float = 0.5,
                   deadline_s: float = 120.0, seed: int = 0, tokens: list[str] | None = None) -> Report:
    """``clients`` learners send ``requests`` each to ``url``; stop everything at ``deadline_s``.

    ``tokens``: one per learner (a roster), instead of the class's shared ``token``.
    """
    tokens = tokens or [token] * clients
    headers = {"authorization": f"Bearer {tokens[0]}"} if tokens[0] else {}
    async with httpx.AsyncClient(base_url=url) as probe:
        models = [m["id"] for m in (await probe.get("/v1/models", headers=headers)).json()["data"]]
        before = (await probe.get("/health")).json()["connections_open"]
    report = Report(clients, requests)
    start = time.perf_counter()
    learners = [asyncio.ensure_future(_learner(url, n, requests, models,
                                               {"authorization": f"Bearer {tokens[n]}"} if tokens[n] else {},
                                               streamed, seed, report)) for n in range(clients)]
    done, late = await asyncio.wait(learners, timeout=deadline_s)
    for task in late:  # bounded in time: whatever is still running is cut, and counted
        task.cancel()
    await asyncio.gather(*late, return_exceptions=True)
    for task in done:
        if task.exception() is not None:
            report.unexpected.append(f"a client crashed: {task.exception()!r}")
    report.wall_s = time.perf_counter() - start
    report.unexpected += [f"not finished within {deadline_s:g} s"] * (clients * requests - report.sent)
    async with httpx.AsyncClient(base_url=url) as probe:
        report.connections_left = (await probe.get("/health")).json()["connections_open"] - before
    return report


async def _learner(url: str, n: int, requests: int, models: list[str], headers: dict[str, str], streamed: float,
                   seed: int, report: Report) -> None:
    rng = random.Random(f"{seed}/{n}")  # a seeded mix: the same requests in every run
    limits = httpx.Limits(max_connections=1)  # one learner, one connection
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=30.0) as http:
        for i in range(requests):
            body = {"model": rng.choice(models), "stream": rng.random() < streamed,
                    "messages": [{"role": "user", "content": f"Learner {n}, question {i}: where is my refund?"}]}
            start = time.perf_counter()
            try:
                problem = await (_stream(http, body) if body["stream"] else _complete(http, body))
            except httpx.HTTPError as error:
                problem = f"{type(error).__name__}: {error}"
            if problem is None:
                report.latencies.append(time.perf_counter() - start)
            elif problem == "expected":
                report.expected += 1
            else:
                report.unexpected.append(f"{body['model']} stream={body['stream']}: {problem}")


async def _complete(http: httpx.AsyncClient, body: dict) -> str | None:
    response = await http.post("/v1/chat/completions", json=body)
    if response.status_code != 200:
        return _failure(response.status_code, response.content)
    answer = response.json()
    if answer.get("object") != "chat.completion" or not answer["choices"][0]["message"]["content"]:
        return f"not a chat completion: {response.text[:100]}"
    return None if answer["usage"]["total_tokens"] > 0 else "no usage"


async def _stream(http: httpx.AsyncClient, body: dict) -> str | None:
    async with http.stream("POST", "/v1/chat/completions", json=body) as response:
        if response.status_code != 200:
            return _failure(response.status_code, await response.aread())
        if not response.headers.get("content-type", "").startswith("text/event-stream"):
            return f"a stream with content-type {response.headers.get('content-type')!r}"
        events = [line[len("data: "):] async for line in response.aiter_lines() if line.startswith("data: ")]
    if not events or events[-1] != "[DONE]":
        return "the stream ended without data: [DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    finished = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"] and c["choices"][0]["finish_reason"]]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    return None if finished and text else "a stream without text or finish_reason"


def _failure(status: int, content: bytes) -> str:
    """A simulated failure in OpenAI's error shape is expected; any other error is not."""
    try:
        message = json.loads(content)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return f"HTTP {status} without an OpenAI-shaped error body"
    return "expected" if status in SIMULATED_FAILURES else f"HTTP {status}: {message}"


class KitServer:
    """``orchestration-kit serve`` in a child process on a free loopback port; stopped on leaving."""

    def __init__(self, *options: str, env: dict[str, str] | None = None, **popen_options: object) -> None:
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://{HOST}:{self.port}"
        self.command = [sys.executable, "-m", "orchestration_kit.serve.command", "--port", str(self.port), *options]
        self.env, self.popen_options = env, popen_options
        self.output = ""

    def __enter__(self) -> KitServer:
        # Its output goes to a file, not a pipe: an access log line per request would fill a pipe nobody reads.
        self._log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(self.command, stdout=self._log, stderr=subprocess.STDOUT,
                                        env={**os.environ, **(self.env or {})}, **self.popen_options)
        for _ in range(300):  # up to 30 s
            if self.process.poll() is not None:
                break  # it refused to start: say why
            try:
                if httpx.get(self.url + "/health", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        self.__exit__()
        raise RuntimeError(f"the kit's server did not start: {self.output}")

    def cpu_seconds(self) -> float | None:
        """CPU time the server has used so far, if psutil is installed to ask."""
        try:
            import psutil
        except ImportError:
            return None
        times = psutil.Process(self.process.pid).cpu_times()
        return times.user + times.system

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.seek(0)
        self.output = self._log.read().decode(errors="replace")
        self._log.close()

    def rss_bytes(self) -> int:
        """The server's resident memory now, from /proc (Linux)."""
        with open(f"/proc/{self.process.pid}/status") as status:
            kib = next(line for line in status if line.startswith("VmRSS:")).split()[1]
        return int(kib) * 1024


SCENARIOS = {  # label: the server's options (ROSTER: each client its own learner token)
    "instant (`--speed 0 --no-failures`)": ["--speed", "0", "--no-failures"],
    "paced (`--speed 0.05 --no-failures`)": ["--speed", "0.05", "--no-failures"],
    "paced, simulated failures on (`--speed 0.05`)": ["--speed", "0.05"],
    "roster, 60 requests/minute per learner (`--roster --requests-per-minute 60 --speed 0.05`)":
        ["--speed", "0.05", "--no-failures", "--requests-per-minute", "60", "ROSTER"],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--requests", type=int, default=100, help="per client")
    parser.add_argument("--deadline", type=float, default=120.0, help="seconds per scenario, at most")
    args = parser.parse_args()
    print(f"Python {platform.python_version()}, {os.cpu_count()} cores, httpx {httpx.__version__}, load average "
          f"{os.getloadavg()[0]:.1f}; half the requests streamed; deadline {args.deadline:g} s per scenario\n")
    print("| server | clients × requests | wall (s) | requests/s | p50 (ms) | p95 (ms) | simulated failures "
          "| unexpected errors | connections left open | server CPU per request (µs) | client CPU per request (µs) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    failed = False
    roster = Path(tempfile.mkdtemp()) / "learners.csv"  # tokens generated by the server, read back here
    roster.write_text("learner,token\n" + "".join(f"learner{n:02d},\n" for n in range(args.clients)))
    env = {"ORCHESTRATION_KIT_TOKEN": "load-test", "ORCHESTRATION_KIT_INSTRUCTOR_TOKEN": "instructor-load-test"}
    for label, options in SCENARIOS.items():
        with_roster = "ROSTER" in options
        options = [o for o in options if o != "ROSTER"] + (["--roster", str(roster)] if with_roster else [])
        with KitServer(*options, "--access-log", "off", env=env) as server:
            tokens = [row.split(",")[1] for row in roster.read_text().splitlines()[1:]] if with_roster else None
            server_cpu, client_cpu = server.cpu_seconds(), time.process_time()
            report = asyncio.run(run_load(server.url, args.clients, args.requests, token="load-test",
                                          deadline_s=args.deadline, tokens=tokens))
            client_cpu = time.process_time() - client_cpu
            server_cpu = None if server_cpu is None else server.cpu_seconds() - server_cpu
            usage = httpx.get(server.url + "/usage", headers={"authorization": "Bearer instructor-load-test"}).json()
        counted = sum(row["requests"] for row in usage["learners"]) - 1  # less run_load's GET /v1/models
        print(report.row(label, server_cpu, client_cpu), flush=True)
        if with_roster:
            limited = [row["rate_limited"] for row in usage["learners"]]
            print(f"    per learner: {len(usage['learners'])} learners, answered "
                  f"{min(r['answered'] for r in usage['learners'])}..{max(r['answered'] for r in usage['learners'])}, "
                  f"rate-limited {min(limited)}..{max(limited)}; /usage counted {counted} of {report.sent} sent",
                  file=sys.stderr)
        if counted != report.sent:
            report.unexpected.append(f"/usage counted {counted} requests, the clients sent {report.sent}")
        for line in report.unexpected[:5]:
            print(f"    unexpected: {line}", file=sys.stderr)
        failed |= bool(report.unexpected) or report.connections_left > 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
