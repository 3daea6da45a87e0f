"""The HTTP toolbox of the real backends: errors, retries, streams, secrets, URLs.

Pieces every real backend needs, whatever its wire format:

- ``status_error``/``transport_error``/``event_error``: a failure becomes one of
  the kit's exceptions, with the status, the provider's own message and a fix;
  a failure below HTTP (no connection, a dropped one) is a ``ConnectionFailed``;
- ``is_retryable`` and ``retry_after``: transient failures (connection errors,
  dropped connections, 408, 429, 500, 502, 503, 504, 529) are worth another
  attempt, after the server's ``Retry-After`` if it sent one; a refused request
  (400, 401, 403, 404, 413, 422) or an exhausted quota is not;
- ``sse_events``: a server-sent-events body as ``(event, data)`` pairs;
- ``check_base_url``, ``safe_url``, ``redacted_headers``: keys never show
  (text is cleaned by ``orchestration_kit.models.redaction``, shared with cassettes).

Connections are pooled by ``pool.py``; a call's attempts are made by ``http_model.py``.

    >>> is_retryable(RateLimited("slow down"))
    True
    >>> redacted_headers({"Authorization": "Bearer sk-123", "Accept": "text/event-stream"})
    {'Authorization': '***', 'Accept': 'text/event-stream'}
"""

from __future__ import annotations

import email.utils
import json
import random
import time
from typing import Any, AsyncIterator
from urllib.parse import urlsplit

import httpx

from ..errors import BackendError, ConfigurationError, RateLimited, Timeout
from .redaction import Secret, redact

__all__ = ["Secret", "redact", "ConnectionFailed", "ConnectionTimeout", "check_base_url", "safe_url",
           "redacted_headers", "is_retryable", "jittered", "retry_after", "status_error", "event_error",
           "transport_error", "provider_message", "sse_events"]

#: Transient failures worth another attempt (a 429 is a RateLimited, retried unless the quota is gone).
RETRY_STATUSES = frozenset({408, 500, 502, 503, 504, 529})
#: Error codes meaning "your quota is used up": waiting a few seconds will not help.
QUOTA_CODES = frozenset({"insufficient_quota", "billing_hard_limit_reached"})
#: Headers that carry credentials; shown as "***" whenever headers are logged.
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "x-api-key", "api-key"})

_ADVICE = {
    400: "the server refused the request: check the messages and options sent",
    401: "the server did not accept the API key: set {key_env} or pass api_key=",
    403: "this API key may not use this model or endpoint: check its permissions",
    404: "no such model or endpoint: check model= and base_url= "
    "(an OpenAI-compatible base_url usually ends in /v1, an Anthropic one does not)",
    413: "the request is too large: shorten the prompt",
    422: "the server could not process the request: check the messages and options sent",
}
# Error types in stream events (Anthropic's names; OpenAI's use codes) -> the HTTP status they stand for.
_EVENT_STATUS = {"invalid_request_error": 400, "authentication_error": 401, "permission_error": 403,
                 "not_found_error": 404, "request_too_large": 413, "rate_limit_error": 429,
                 "api_error": 500, "overloaded_error": 529}


class ConnectionFailed(BackendError, ConnectionError):
    """No answer came back: the server could not be reached, or the connection broke midway.

    That is the state of the network at one moment, not an answer of the model,
    so cassettes never record it (a slow answer, a ``Timeout``, is recorded).
    """


class ConnectionTimeout(Timeout, ConnectionFailed):
    """Connecting took longer than the backend's ``connect_timeout``: the server is unreachable."""


def redacted_headers(headers: dict[str, str]) -> dict[str, str]:
    """Headers safe to log: credential values replaced by ``***``."""
    return {name: "***" if name.lower() in SECRET_HEADERS else value for name, value in headers.items()}


def safe_url(url: str) -> str:
    """The URL without ``user:password@`` or a query string, both of which can carry secrets."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}{parts.path}"


def check_base_url(base_url: str, where: str) -> None:
    """Refuse a base_url that cannot work or would leak a key (httpx logs every URL it requests).

    >>> check_base_url("https://user:sk-123@api.example.com/v1", "OpenAICompatible('m')")
    Traceback (most recent call last):
    orchestration_kit.errors.ConfigurationError: OpenAICompatible('m'): base_url must not carry credentials ...
    """
    parts = urlsplit(base_url) if isinstance(base_url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        shown = safe_url(base_url) if isinstance(base_url, str) else repr(base_url)
        raise ConfigurationError(f"{where}: base_url must start with http:// or https:// and name a host, "
                                 f"got {shown!r}")
    if "@" in parts.netloc or parts.query or parts.fragment:
        raise ConfigurationError(
            f"{where}: base_url must not carry credentials (user:key@ or ?api-key=...) or a query string, got "
            f"{safe_url(base_url)!r} with those parts hidden: every URL requested is logged. Fix: give the server's "
            "address alone, and the key through an environment variable named by api_key_env= (or api_key=).")


# -- errors ------------------------------------------------------------------------------


def is_retryable(error: BackendError) -> bool:
    """Transient failures are worth another attempt; refusals and exhausted quotas are not."""
    return isinstance(error, RateLimited) or error.status is None or error.status in RETRY_STATUSES


def jittered(delay: float, jitter: float) -> float:
    """Spread ``delay`` by up to ±``jitter`` (a fraction), so that clients that failed together
    do not all come back at the same instant. Drawn fresh, not seeded, on purpose: real
    backends run on the wall clock only, and the point of jitter is that clients differ."""
    return delay * (1 + jitter * (2 * random.random() - 1)) if jitter else delay


def retry_after(headers: httpx.Headers) -> float | None:
    """Seconds the server asks us to wait: ``retry-after-ms``, else ``Retry-After`` (seconds or a date)."""
    try:
        if "retry-after-ms" in headers:
            return max(0.0, float(headers["retry-after-ms"]) / 1000)
        if "retry-after" in headers:
            return max(0.0, float(headers["retry-after"]))
    except ValueError:
        pass
    try:  # Retry-After may also be an HTTP date, e.g. "Wed, 21 Oct 2026 07:28:00 GMT"
        when = email.utils.parsedate_to_datetime(headers.get("retry-after", ""))
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def status_error(response: httpx.Response, *, model: str, url: str, key_env: str, secret: str | None) -> BackendError:
    """The kit's exception for an HTTP error answer, with the provider's message and a fix.

    Any error may carry the server's ``retry_after`` (seconds): 503 and 529 can say when to come back, too.
    The message says what the server answered; whether it was retried is added by the caller, which knows.
    """
    status, wait = response.status_code, retry_after(response.headers)
    message, codes = provider_message(response, secret)
    where = f"{model}: HTTP {status} from {url}: {message.rstrip('.')}"
    if status == 429 and codes & QUOTA_CODES:
        return BackendError(f"{where}. The quota is used up: add credit or raise the limit; retrying will not help.",
                            model=model, status=status)
    if status == 429:
        asked = f" (the server asks to wait {wait:g} s)" if wait is not None else ""
        return RateLimited(f"{where}. Too many requests{asked}. Fix: send fewer requests at once (a Parallel's "
                           "max_concurrency=), or add a fallback.", model=model, retry_after=wait)
    advice = _ADVICE.get(status, "the server failed or is overloaded: try again later or add a fallback")
    kind = Timeout if status in (408, 504) else BackendError
    advice = advice.format(key_env=key_env or "the API key variable")
    return kind(f"{where}. Fix: {advice}.", model=model, status=status, retry_after=wait)


def event_error(error: Any, *, model: str, url: str, secret: str | None) -> BackendError:
    """The kit's exception for an error event inside a stream (e.g. ``overloaded_error``)."""
    error = error if isinstance(error, dict) else {"message": error}
    kind = redact(str(error.get("type") or error.get("code") or "error"), [secret])[:60]
    status = _EVENT_STATUS.get(kind, error.get("code") if type(error.get("code")) is int else None)
    said = redact(str(error.get("message", "")), [secret])[:300]
    message = f"{model}: the stream from {url} reported an error ({kind}): {said}"
    if status == 429:
        return RateLimited(message, model=model)
    return BackendError(message, model=model, status=status)


def transport_error(error: httpx.HTTPError, *, model: str, url: str, secret: str | None) -> BackendError:
    """The kit's exception for a failure below HTTP: no connection, a timeout, a dropped connection."""
    detail = redact(str(error) or type(error).__name__, [secret])[:300]
    if isinstance(error, httpx.ConnectTimeout):
        return ConnectionTimeout(f"{model}: timed out connecting to {url}. Fix: is the server running, and is "
                                 "base_url right? (or raise connect_timeout=)", model=model)
    if isinstance(error, httpx.TimeoutException):
        phase = {httpx.ReadTimeout: "waiting for data from", httpx.WriteTimeout: "sending to"}.get(type(error),
                                                                                                  "talking to")
        return Timeout(f"{model}: timed out {phase} {url}. Fix: raise timeout= if the model is slow.", model=model)
    if isinstance(error, httpx.ConnectError):
        return ConnectionFailed(f"{model}: cannot connect to {url} ({detail}). Fix: is the server running, "
                                "and is base_url right?", model=model)
    return ConnectionFailed(f"{model}: the connection to {url} failed before the answer was complete "
                            f"({type(error).__name__}: {detail}).", model=model)


def provider_message(response: httpx.Response, secret: str | None = None) -> tuple[str, set[str]]:
    """The provider's own error message (secrets removed, at most 300 characters), and its error type/code."""
    try:
        data = response.json()
    except ValueError:
        data = response.text.strip() or response.reason_phrase
    error = data.get("error", data) if isinstance(data, dict) else data
    codes: set[str] = set()
    if isinstance(error, dict):
        codes = {str(error.get("code")), str(error.get("type"))}
        error = error.get("message") or error.get("detail") or json.dumps(error)
    return redact(str(error), [secret])[:300], codes


# -- streams -----------------------------------------------------------------------------


async def sse_events(lines: AsyncIterator[str]) -> AsyncIterator[tuple[str, str]]:
    """Server-sent events as ``(event, data)`` pairs, from the body's lines.

    ``event:`` and ``data:`` lines accumulate until a blank line ends the event;
    lines starting with ``:`` are comments (keep-alives). An event cut off by
    the end of the stream is dropped, as the SSE standard says.
    """
    event, data = "", []
    async for line in lines:
        if not line:
            if data:
                yield event or "message", "\n".join(data)
            event, data = "", []
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "event":
                event = value
            elif name == "data":
                data.append(value)

