"""The kit's async HTTP backend against the official ``openai`` client, on the kit's own server.

    python benchmarks/backends.py         # about a minute; prints a Markdown table

The kit's server runs in a child process at ``--speed 0`` (instant answers, no
simulated failures), so what is measured is the HTTP round trip and each
client's own work. Each client sends 500 chat completions, at most 50 at a
time (a semaphore), over its pooled keep-alive connections:

- ``OpenAICompatible.complete`` called directly (no run, no trace);
- the same inside ``run(Parallel(...), clock="wall")``, tracing every call;
- ``openai.AsyncOpenAI().chat.completions.create``;
- for reference, a bare ``httpx.AsyncClient`` with one pool of 50 connections
  (the kit instead pools one-connection clients: see models/pool.py for why).

For each: requests per second, p50 and p95 latency of one request, and the
client's CPU time per request (the client's own cost; the server is the same
for all). Rounds alternate the clients; each figure is the median of ROUNDS.
Results and their discussion: benchmarks/README.md.
"""

from __future__ import annotations

import asyncio
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from typing import Any, Awaitable, Callable

import httpx

REQUESTS, CONCURRENCY, ROUNDS, WARMUP = 500, 50, 5, 100
MODEL = "generalist-small"
MESSAGES = [{"role": "user", "content": "Summarise: the quarterly report shows revenue up and costs down."}]


def start_server() -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "orchestration_kit.serve.command", "--port", str(port), "--speed", "0", "--no-failures"]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if httpx.get(url + "/health").status_code == 200:
                return server, url
        except httpx.HTTPError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("the kit's server did not start")


async def load(send: Callable[[], Awaitable[Any]], requests: int = REQUESTS) -> tuple[float, list[float], float]:
    """Send ``requests`` calls, CONCURRENCY at a time: (wall seconds, latencies, CPU seconds)."""
    limit = asyncio.Semaphore(CONCURRENCY)
    latencies: list[float] = []

    async def one() -> None:
        async with limit:
            start = time.perf_counter()
            await send()
            latencies.append(time.perf_counter() - start)

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(one() for _ in range(requests)))
    return time.perf_counter() - wall, latencies, time.process_time() - cpu


async def kit_direct(url: str) -> tuple[float, list[float], float]:
    from orchestration_kit.models.openai_compatible import OpenAICompatible

    model = OpenAICompatible(MODEL, base_url=url + "/v1", max_connections=CONCURRENCY)
    await load(lambda: model.complete(MESSAGES), WARMUP)
    return await load(lambda: model.complete(MESSAGES))


async def openai_sdk(url: str) -> tuple[float, list[float], float]:
    import openai

    async with openai.AsyncOpenAI(base_url=url + "/v1", api_key="unused") as client:
        send = lambda: client.chat.completions.create(model=MODEL, messages=MESSAGES)  # noqa: E731
        await load(send, WARMUP)
        return await load(send)


async def httpx_one_pool(url: str) -> tuple[float, list[float], float]:
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=url + "/v1", limits=limits) as client:
        async def send() -> Any:
            response = await client.post("/chat/completions", json={"model": MODEL, "messages": MESSAGES})
            return response.json()["choices"][0]["message"]["content"]

        await load(send, WARMUP)
        return await load(send)


def kit_in_a_run(url: str) -> tuple[float, list[float], float]:
    """500 branches of a Parallel with max_concurrency=50, traced; latency read from the model spans."""
    from orchestration_kit import Ask, Parallel, run
    from orchestration_kit.models.openai_compatible import OpenAICompatible

    model = OpenAICompatible(MODEL, base_url=url + "/v1", max_connections=CONCURRENCY)
    flow = Parallel(tasks=Ask(model, "{input}"), splitter=lambda n: [MESSAGES[0]["content"]] * n,
                    max_concurrency=CONCURRENCY)
    run(flow, WARMUP, clock="wall")
    cpu, wall = time.process_time(), time.perf_counter()
    result = run(flow, REQUESTS, clock="wall")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return wall, [span.duration for span in result.trace.model_calls], cpu


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]


def main() -> None:
    server, url = start_server()
    clients = {
        "kit `OpenAICompatible.complete`": lambda: asyncio.run(kit_direct(url)),
        "kit, inside `run(Parallel)` (traced)": lambda: kit_in_a_run(url),
        "official `openai.AsyncOpenAI`": lambda: asyncio.run(openai_sdk(url)),
        "bare `httpx.AsyncClient`, one pool of 50": lambda: asyncio.run(httpx_one_pool(url)),
    }
    figures: dict[str, list[tuple[float, float, float, float]]] = {name: [] for name in clients}
    try:
        for _ in range(ROUNDS):
            for name, measure in clients.items():
                wall, latencies, cpu = measure()
                figures[name].append((REQUESTS / wall, percentile(latencies, 50) * 1000,
                                      percentile(latencies, 95) * 1000, cpu / REQUESTS * 1e6))
    finally:
        server.terminate()
        server.wait()
    import openai

    print(f"{REQUESTS} requests, concurrency {CONCURRENCY}, median of {ROUNDS} rounds; "
          f"Python {platform.python_version()}, {os.cpu_count()} cores, httpx {httpx.__version__}, "
          f"openai {openai.__version__}\n")
    print("| client | requests/s | p50 latency (ms) | p95 latency (ms) | client CPU per request (µs) |")
    print("|---|---:|---:|---:|---:|")
    for name, rows in figures.items():
        rate, p50, p95, cpu = (statistics.median(column) for column in zip(*rows))
        print(f"| {name} | {rate:.0f} | {p50:.1f} | {p95:.1f} | {cpu:.0f} |")


if __name__ == "__main__":
    main()
