"""Waiting for a server to be ready: a local model server answers 503 while it loads its weights.

    >>> await model.wait_until_ready(timeout=120)      # HTTPModel.wait_until_ready() calls the function here
    >>> await model.wait_until_ready(timeout=0.3)      # nothing listening
    Traceback (most recent call last):
    Timeout: m: http://127.0.0.1:9/health not ready after 0.3 s (last answer: ConnectError: ...). Fix: ...

It asks ``/health`` again and again, the pause doubling from 0.05 s to 1 s, and
gives up with the last answer it got, secrets removed.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

from ..clock import require_wall_clock
from ..errors import Timeout
from .http import provider_message, safe_url
from .redaction import redact

if TYPE_CHECKING:
    from .http_model import HTTPModel


async def wait_until_ready(model: HTTPModel, timeout: float = 60.0, path: str = "/health") -> None:
    """Wait until the server's ``/health`` answers 200; a local server answers 503 while it loads."""
    require_wall_clock()
    url = "{0.scheme}://{0.netloc}{1}".format(urlsplit(model.base_url), path)
    pool, loop = await model._pools.get(), asyncio.get_running_loop()
    give_up_at, pause, last = loop.time() + timeout, 0.05, "none"
    while True:
        try:
            async with pool.connection() as client:
                response = await client.get(url, headers=model._headers(model._key()))
            if response.status_code == 200:
                return
            last = f"HTTP {response.status_code}: {provider_message(response, model._key())[0]}"
        except httpx.HTTPError as error:
            last = f"{type(error).__name__}: {redact(str(error), [model._key()])[:300]}"
        if loop.time() + pause > give_up_at:
            raise Timeout(f"{model.name}: {safe_url(url)} not ready after {timeout:g} s (last answer: {last}). "
                          "Fix: start the server, or give a large model a longer timeout.", model=model.name)
        await asyncio.sleep(pause)
        pause = min(pause * 2, 1.0)
