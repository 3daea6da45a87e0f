"""A ModelServer on its own event loop in a thread, for tests that talk to it with blocking clients.

    with ServerThread(speed=0, token="t") as server:
        httpx.get(server.url + "/health")
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from orchestration_kit.serve.server import ModelServer


class ServerThread:
    def __init__(self, models: dict[str, Any] | None = None, **options: Any) -> None:
        self.models, self.options = models, {"port": 0, "speed": 0, "failures": False, **options}
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> ServerThread:
        self._thread.start()
        self.server = self.call(self._start())
        self.port, self.url = self.server.port, f"http://127.0.0.1:{self.server.port}"
        return self

    async def _start(self) -> ModelServer:
        return await ModelServer(self.models, **self.options).start()

    def call(self, coroutine: Any, timeout: float = 30.0) -> Any:
        """Run ``coroutine`` on the server's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def health(self) -> dict[str, Any]:
        async def read() -> dict[str, Any]:
            return self.server.health()
        return self.call(read())

    def __exit__(self, *exc: object) -> None:
        self.call(self.server.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()
