"""Connection pooling for the real backends: keep-alive connections, reused within a run.

Opening a connection costs a round trip (and a TLS handshake over https), so
a backend keeps its connections open and reuses them. Two rules shape how:

- at most ``size`` connections at once, however many calls a ``Parallel``
  makes: the others wait their turn, so 500 branches never open 500 sockets;
- connections belong to the event loop that opened them, and ``run()`` makes
  a fresh loop per run: so there is one pool per loop, closed with its loop.

    >>> pools = PoolPerLoop(lambda: httpx.AsyncClient(base_url="http://127.0.0.1:8000"), size=8)
    >>> async with (await pools.get()).connection() as client:
    ...     response = await client.get("/health")
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Callable

import httpx


class ConnectionPool:
    """Up to ``size`` keep-alive connections: take a free one, use it, put it back.

    Each connection is an ``httpx.AsyncClient`` limited to one connection.
    (httpx pools connections itself, but its bookkeeping scans every
    connection for every other one at each request: at 50 connections that
    cost more CPU than the requests did, see benchmarks/README.md. A stack
    of one-connection clients costs the same at any size, and shows plainly
    what a pool is.)
    """

    def __init__(self, make: Callable[[], httpx.AsyncClient], size: int) -> None:
        self._make, self.size = make, size
        self._free = asyncio.Semaphore(size)  # how many more connections may be in use
        self._idle: list[httpx.AsyncClient] = []  # the most recently used last: reused first, still warm
        self.opened: list[httpx.AsyncClient] = []

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[httpx.AsyncClient]:
        async with self._free:  # waits here while every connection is busy
            if not self._idle:
                self.opened.append(self._make())
                self._idle.append(self.opened[-1])
            client = self._idle.pop()
            try:
                yield client
            finally:
                self._idle.append(client)

    async def aclose(self) -> None:
        for client in self.opened:
            await client.aclose()

    def __repr__(self) -> str:
        return f"ConnectionPool(size={self.size}, opened={len(self.opened)}, idle={len(self._idle)})"


class PoolPerLoop:
    """One ``ConnectionPool`` per event loop, closed when that loop shuts down.

    Connections belong to the event loop that opened them, and ``run()``
    starts a fresh loop for every run. So a backend keeps one pool per loop:
    calls within a run share its connections, and the next run gets its own.
    """

    def __init__(self, make: Callable[[], httpx.AsyncClient], size: int) -> None:
        self._make, self.size = make, size
        self._pools: dict[asyncio.AbstractEventLoop, tuple[ConnectionPool, Any]] = {}

    async def get(self) -> ConnectionPool:
        loop = asyncio.get_running_loop()
        if loop not in self._pools:
            for old in [old for old in self._pools if old.is_closed()]:  # closed without shutting down
                del self._pools[old]
            pool = ConnectionPool(self._make, self.size)
            closer = _close_at_shutdown(self._pools, loop, pool)
            self._pools[loop] = (pool, closer)
            await closer.asend(None)  # start it: it now waits at its `yield`
        return self._pools[loop][0]

    def __repr__(self) -> str:
        return f"PoolPerLoop(size={self.size}, loops={len(self._pools)})"


async def _close_at_shutdown(pools: dict[Any, Any], loop: asyncio.AbstractEventLoop, pool: ConnectionPool) -> Any:
    """Wait, suspended, until ``loop`` shuts down; then close ``pool``.

    When a loop shuts down (``asyncio.run()`` and the kit's ``run()`` both call
    ``loop.shutdown_asyncgens()``), asyncio closes every suspended async
    generator, which runs this ``finally``: connections close with their loop.
    """
    try:
        yield
    finally:
        pools.pop(loop, None)
        await pool.aclose()


@functools.lru_cache(maxsize=None)
def tls_context() -> ssl.SSLContext:
    """One TLS context for every connection: building one reads the CA bundle (about 20 ms)."""
    return httpx.create_ssl_context()
