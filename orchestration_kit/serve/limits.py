"""How long the server waits for a client, and how many clients it holds at once.

A connection that sends nothing, or half a request, must not hold its place
for ever: on a machine allowed 256 open files, 300 silent connections would
otherwise lock every learner out. So every wait has a deadline, and the server
holds at most ``max_connections`` (kept below the process's file limit)::

    >>> Limits(idle_timeout_s=5)            # close kept-alive connections idle for 5 s
    Limits(header_timeout_s=10.0, body_timeout_s=30.0, idle_timeout_s=5, max_connections=..., max_body=1000000)

When it is full, a new connection takes the place of the one that has waited
longest for its request (a connection being answered is never dropped); if
every connection is busy being answered, the newcomer gets a 503 and may retry.
"""

from __future__ import annotations

import asyncio
import resource
from dataclasses import dataclass, field

_FILES_KEPT_SPARE = 32  # files the server needs besides its connections: its socket, logs, the loop's own


def default_max_connections() -> int:
    """As many connections as the process's open-file limit allows, less a margin, at most 1,000."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return max(8, min(1000, soft - _FILES_KEPT_SPARE))


@dataclass(frozen=True)
class Limits:
    """The server's patience (seconds) and capacity; see the module docs."""

    header_timeout_s: float = 10.0  # from a request's first byte to the end of its headers
    body_timeout_s: float = 30.0  # for the whole body, once the headers are in
    idle_timeout_s: float = 15.0  # a kept-alive connection waiting for its next request (longer than httpx's 5 s)
    max_connections: int = field(default_factory=default_max_connections)
    max_body: int = 1_000_000  # bytes; a chat request is far smaller

    def __post_init__(self) -> None:
        for name in ("header_timeout_s", "body_timeout_s", "idle_timeout_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"Limits.{name} must be more than 0 seconds, got {getattr(self, name)}")
        if self.max_connections < 1:
            raise ValueError(f"Limits.max_connections must be at least 1, got {self.max_connections}")


class Connections:
    """The open connections (one task each), and since when each has been waiting for a request."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.tasks: set[asyncio.Task[None]] = set()
        self._waiting_since: dict[asyncio.Task[None], float] = {}
        self.refused = self.dropped = 0  # refused with a 503; dropped to make room

    def admit(self, task: asyncio.Task[None]) -> bool:
        """Count ``task`` in, making room if needed; False if every place is busy answering."""
        if len(self.tasks) >= self.limit:
            if not self._waiting_since:
                self.refused += 1
                return False
            longest = min(self._waiting_since, key=self._waiting_since.__getitem__)
            self.leave(longest)
            longest.cancel()
            self.dropped += 1
        self.tasks.add(task)
        return True

    def waiting(self, task: asyncio.Task[None]) -> None:
        self._waiting_since[task] = asyncio.get_running_loop().time()

    def busy(self, task: asyncio.Task[None]) -> None:
        self._waiting_since.pop(task, None)

    def leave(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        self._waiting_since.pop(task, None)
