"""One call of a real backend, attempt by attempt: retry what is transient, say why when not.

``with_retries(model, send)`` runs ``send(connection)`` until it succeeds or a
failure is not worth another attempt. Each attempt is an "attempt" span in
the trace (status, error, and "retrying in 0.52 s" or "not retried: ..."), so
every retry is visible; the error finally raised says what happened::

    RateLimited: m: HTTP 429 from http://127.0.0.1:8000/v1/chat/completions: Rate limit reached.
    Too many requests (the server asks to wait 120 s). Fix: ...
    (not retried: the server asks to wait 120 s, more than max_retry_wait=60)
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, AsyncIterator, Awaitable, Callable, TypeVar

import httpx

from ..context import current_context
from ..errors import BackendError, Timeout
from ..trace import status_of
from .http import is_retryable, jittered, safe_url, transport_error

if TYPE_CHECKING:
    from .http_model import HTTPModel

logger = logging.getLogger("orchestration_kit.http")
T = TypeVar("T")


async def with_retries(model: HTTPModel, send: Callable[[httpx.AsyncClient], Awaitable[T]],
                       delivered: list[str] | None = None) -> T:
    """Run ``send`` until it succeeds or a failure is not worth retrying; one span per attempt."""
    deadline_at = asyncio.get_running_loop().time() + model.deadline if model.deadline else None
    for attempt in range(1, model.retry.attempts + 1):
        async with attempt_span(model.name, attempt) as span:
            try:
                async with (await model._pools.get()).connection() as client:
                    return await send(client)
            except (BackendError, httpx.HTTPError) as caught:
                error = caught if isinstance(caught, BackendError) else transport_error(
                    caught, model=model.name, url=safe_url(model.base_url), secret=model._key())
            wait, reason = next_wait(model, error, attempt, delivered, deadline_at)
            if span is not None:
                span.status, span.error = status_word(error), f"{type(error).__name__}: {error}"
                span.detail = f"retrying in {wait:.2f} s" if wait is not None else f"not retried: {reason}"
        if wait is None:
            if attempt > 1:
                error.args = (f"{error} (gave up after {attempt} attempts: {reason})",)
            elif is_retryable(error):  # it could have been retried: say why it was not
                error.args = (f"{error} (not retried: {reason})",)
            raise error  # raised outside the `except`, so no httpx exception is chained to it
        logger.warning("%s: attempt %d failed (%s); retrying in %.2f s", model.name, attempt, error, wait)
        await asyncio.sleep(wait)
    raise AssertionError("unreachable: the last attempt returns or raises")


def next_wait(model: HTTPModel, error: BackendError, attempt: int, delivered: list[str] | None,
              deadline_at: float | None) -> tuple[float | None, str]:
    """Seconds to wait before the next attempt; or None, and why not to retry."""
    if delivered:
        return None, "part of the answer was already delivered"
    if not is_retryable(error) or not isinstance(error, model.retry.retry_on):
        if error.status is not None and error.status < 400:  # the server answered, with a reply we cannot read
            return None, "asking again would get the same unreadable reply"
        return None, f"HTTP {error.status} is not a transient failure"
    if attempt == model.retry.attempts:
        return None, f"that was the last of {attempt} attempts"
    wait = jittered(model.retry.delays()[attempt - 1], model.retry.jitter)
    asked = error.retry_after  # the server's Retry-After (429, and often 503 or 529)
    if asked is not None:
        if asked > model.max_retry_wait:
            return None, f"the server asks to wait {asked:g} s, more than max_retry_wait={model.max_retry_wait:g}"
        wait = max(wait, asked)  # never come back sooner than the server asked
    if deadline_at is not None and asyncio.get_running_loop().time() + wait > deadline_at:
        return None, "the next attempt would pass the deadline"
    return wait, ""


@asynccontextmanager
async def attempt_span(model: str, attempt: int) -> AsyncIterator[Any]:
    """Record an "attempt" span (one HTTP request) if this call is part of a run."""
    ctx = current_context()
    if ctx is None:
        yield None
        return
    async with ctx.span(f"attempt {attempt}", kind="attempt", model=model, attempt=attempt) as span:
        yield span


def status_word(error: BaseException) -> str:
    """How a failed attempt shows in the trace's status column (the one rule: ``trace.status_of``)."""
    return status_of(error)


async def within(seconds: float | None, work: Awaitable[T], model: str) -> T:
    """Await ``work`` under an overall deadline (None: no deadline)."""
    if seconds is None:
        return await work
    try:
        return await asyncio.wait_for(work, seconds)
    except Timeout:
        raise  # one attempt's timeout, already explained
    except asyncio.TimeoutError:
        raise Timeout(f"{model}: no complete answer within the {seconds:g} s deadline (retries included). "
                      "Fix: raise deadline=, lower max_tokens, or add a fallback.", model=model) from None
