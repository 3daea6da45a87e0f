"""HTTPModel: how a real backend makes one call, whatever its wire format.

``OpenAICompatible`` and ``AnthropicMessages`` inherit everything here and add
only their wire format (four small methods). A call:

1. refuses to run on the virtual clock (its timing would be meaningless);
2. sends the request over a pooled keep-alive connection (see ``pool.py``);
3. on a transient failure waits (capped exponential back-off with jitter, at
   least the server's ``Retry-After``) and tries again, within ``retry`` attempts
   and the overall ``deadline``; any other failure is raised at once (``attempts.py``);
4. records a "model" span with tokens and cost, and inside it one "attempt"
   span per HTTP request, with its status and error: every retry is visible::

    >>> result = run(Ask(model, "Say hi to {input}"), "Ada", clock="wall")
    >>> result.trace.to_dataframe()[["name", "kind", "status", "error", "detail"]]

A streamed answer (``stream()``) is read event by event in ``http_stream.py``;
``wait_until_ready()``, for a server still loading, is in ``readiness.py``.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any, AsyncIterator

import httpx

from ..clock import require_wall_clock
from ..errors import BackendError, ConfigurationError
from .redaction import Secret, excerpt, redact
from ..resilience import RetryPolicy
from . import readiness
from .attempts import attempt_span, status_word, with_retries, within  # noqa: F401 (the first two: re-exported)
from .base import (Completion, Message, Pricing, Prompt, Usage, as_messages, estimate_tokens, model_span,
                   record_completion, stream_from)
from .http import check_base_url, redacted_headers, safe_url, status_error
from .http_stream import StreamState, download  # noqa: F401 (StreamState: for the backends' _read_event)
from .options import split_options
from .pool import PoolPerLoop, tls_context
from .replies import MalformedReply, json_object

logger = logging.getLogger("orchestration_kit.http")

#: Four attempts, waiting about 0.5, 1 and 2 s between them (±25 %).
DEFAULT_RETRY = RetryPolicy(attempts=4, initial_delay=0.5, factor=2.0, max_delay=8.0, jitter=0.25)


class HTTPModel:
    """A chat model behind an HTTP API. Settings shared by both real backends:

    - ``api_key`` or ``api_key_env`` (read at call time; never shown);
    - ``pricing``: ``Pricing(input_per_1k, output_per_1k)`` in US dollars, for costs;
    - ``timeout`` (between two bytes of the answer), ``connect_timeout``, and
      ``deadline`` for the whole call, retries included (seconds; None = none);
    - ``retry``: a ``RetryPolicy``; ``max_retry_wait``: the longest ``Retry-After`` obeyed;
    - ``max_connections``: the connection pool's size; ``extra_body``: fields sent every time.

    A call takes the options its API documents (``options``, e.g. ``seed=`` or
    ``stop=``), sent as they are; anything else is refused with the list (see ``options.py``).

    The backend already retries transient failures. A flow-level retry around
    it (``Resilient``, ``Parallel(retry=...)``) multiplies the attempts: give the
    backend ``retry=RetryPolicy(attempts=1)`` to leave retrying to the flow.
    """

    path = ""  # the endpoint, after base_url
    key_env = ""  # the environment variable that holds the API key by default
    options: tuple[str, ...] = ()  # the request options a call may give (the API's own names)
    renamed: dict[str, str] = {}  # other APIs' names for them, e.g. {"stop": "stop_sequences"}: named in the error

    def __init__(self, model: str, *, base_url: str, api_key: str | None = None, api_key_env: str | None = None,
                 name: str | None = None, pricing: Pricing | None = None, timeout: float = 60.0,
                 connect_timeout: float = 5.0, deadline: float | None = 300.0, retry: RetryPolicy | None = None,
                 max_retry_wait: float = 60.0, max_connections: int = 50,
                 extra_body: dict[str, Any] | None = None) -> None:
        where = f"{type(self).__name__}({model!r})"
        if not isinstance(model, str) or not model:
            raise ConfigurationError(f"{type(self).__name__}: model must be the model's id, e.g. 'gpt-4o-mini'")
        check_base_url(base_url, where)
        for label, value in (("timeout", timeout), ("connect_timeout", connect_timeout), ("deadline", deadline)):
            if value is not None and not value > 0:
                raise ConfigurationError(f"{where}: {label} must be a positive number of seconds, got {value!r}")
        if max_connections < 1:
            raise ConfigurationError(f"{where}: max_connections must be at least 1, got {max_connections}")
        self.model, self.name, self.base_url = model, name or model, base_url.rstrip("/")
        self.api_key_env = self.key_env if api_key_env is None else api_key_env
        self._api_key = Secret(api_key) if api_key else None
        self.pricing, self.retry = pricing or Pricing(), retry or DEFAULT_RETRY
        self.timeout, self.connect_timeout, self.deadline = timeout, connect_timeout, deadline
        self.max_retry_wait, self.max_connections = max_retry_wait, max_connections
        self.extra_body = dict(extra_body or {})
        self._pools = PoolPerLoop(self._new_connection, max_connections)

    async def complete(self, messages: Prompt, **options: Any) -> Completion:
        """Send ``messages`` with ``options`` (e.g. ``max_tokens=50, seed=1``); return the answer, usage and cost.

        ``skill="classify"`` and its arguments steer simulated models; a real
        model reads the prompt instead, so they are not sent (unless a backend
        says otherwise, as ``OpenAICompatible(send_skills=True)`` does for the kit's server).
        """
        sent, hints = self.split_options(options)
        require_wall_clock()
        messages = as_messages(messages)
        body = self._full_body(messages, sent, False, hints)
        started = time.perf_counter()
        async with model_span(self.name) as span:
            text, usage, finish = await within(self.deadline, with_retries(self, lambda c: self._ask(c, body)), self.name)
            tokens = (usage.input_tokens, usage.output_tokens) if usage else (None, None)
            completion = self._completion(messages, text, *tokens, finish, started, span)
            record_completion(span, completion)
            return completion

    def stream(self, messages: Prompt, **options: Any) -> AsyncIterator[str]:
        """Yield the answer's text piece by piece, as the server sends it (options as for ``complete``).

        >>> async for piece in model.stream("Tell me a story"):
        ...     print(piece, end="")

        The download (``http_stream.py``) runs as its own task (see ``stream_from``), so its model span
        opens and closes in one place whatever the reader does; stop reading and it is cancelled.
        """
        sent, hints = self.split_options(options)
        require_wall_clock()
        messages = as_messages(messages)
        body = self._full_body(messages, sent, True, hints)
        return stream_from(lambda emit: download(self, messages, body, emit))

    def split_options(self, options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """The options this API takes, to send; and the simulated-skill hints, to leave at home.

        Anything else is a ConfigurationError naming the option and the allowed ones.
        """
        return split_options(type(self).__name__, self.model, options, self.options, self.renamed)

    def complete_sync(self, messages: Prompt, **options: Any) -> Completion:
        """The blocking form of ``complete()``, for scripts and notebook cells: ``model.complete_sync("Hi").text``."""
        from ..runner import run  # imported here: the runner imports the models package

        async def ask(_: Any) -> Completion:
            return await self.complete(messages, **options)

        return run(ask, None, clock="wall").output

    async def wait_until_ready(self, timeout: float = 60.0, path: str = "/health") -> None:
        """Wait until the server's ``/health`` answers 200; a local server answers 503 while it loads (``readiness.py``)."""
        await readiness.wait_until_ready(self, timeout, path)

    # -- one request ---------------------------------------------------------------------------
    async def _ask(self, client: httpx.AsyncClient, body: dict[str, Any]) -> tuple[str, Usage | None, str]:
        """A plain request: the answer's text, usage and finish reason."""
        response = await client.post(self.path, json=body, headers=self._request_headers())
        if response.status_code >= 400:
            raise self._status_error(response)
        try:
            return self._read_answer(json_object(response.text))
        except MalformedReply as wrong:
            raise self._malformed(f"unexpected answer ({wrong})", response.text, response.status_code) from None

    def _malformed(self, what: str, received: str, status: int) -> BackendError:
        """A reply the kit cannot read: name the model, the URL, what was wrong, and (secrets removed) what came."""
        key = [self._key()]
        return BackendError(f"{self.name}: {redact(what, key)} from {self._url()}: got {excerpt(received, key)}. "
                            "Fix: does base_url point to this kind of API?", model=self.name, status=status)

    # -- helpers -------------------------------------------------------------------------------
    def _completion(self, messages: list[Message], text: str, tokens_in: int | None, tokens_out: int | None,
                    finish: str, started: float, span: Any) -> Completion:
        if not tokens_in or tokens_out is None:  # not reported (no prompt is 0 tokens long): estimate
            tokens_in = tokens_in or estimate_tokens("\n".join(m["content"] for m in messages))
            tokens_out = estimate_tokens(text) if tokens_out is None else tokens_out
            if span is not None:
                span.detail = "usage estimated: the server did not report it"
        usage = Usage(tokens_in, tokens_out)
        latency = round(time.perf_counter() - started, 6)
        return Completion(text, self.name, usage, self.pricing.cost(usage), latency, finish)

    def _full_body(self, messages: list[Message], options: dict[str, Any], stream: bool,
                   hints: dict[str, Any]) -> dict[str, Any]:
        extra = {**self.extra_body, **options.pop("extra_body", {})}
        return {**self._body(messages, options, stream, hints), **extra}

    def _url(self) -> str:
        """The endpoint's URL, safe to show."""
        return safe_url(self.base_url + self.path)

    def _request_headers(self) -> dict[str, str]:
        headers = self._headers(self._key())
        logger.debug("%s: POST %s%s %s", self.name, safe_url(self.base_url), self.path, redacted_headers(headers))
        return headers

    def _key(self) -> str | None:
        """The API key: the explicit one, else the environment variable's value, read now."""
        if self._api_key is not None:
            return self._api_key.reveal()
        return os.environ.get(self.api_key_env) or None if self.api_key_env else None

    def _status_error(self, response: httpx.Response) -> BackendError:
        return status_error(response, model=self.name, url=self._url(),
                            key_env=self.api_key_env, secret=self._key())

    def _new_connection(self) -> httpx.AsyncClient:
        """One keep-alive connection (see ``ConnectionPool``)."""
        return httpx.AsyncClient(base_url=self.base_url, verify=tls_context(),
                                 timeout=httpx.Timeout(self.timeout, connect=self.connect_timeout),
                                 limits=httpx.Limits(max_connections=1, max_keepalive_connections=1))

    def __repr__(self) -> str:
        key = "'***'" if self._api_key is not None else f"${self.api_key_env}" if self.api_key_env else "None"
        name = f", name={self.name!r}" if self.name != self.model else ""
        return f"{type(self).__name__}({self.model!r}, base_url={safe_url(self.base_url)!r}, api_key={key}{name})"

    # -- the wire format: each backend writes these four ---------------------------------------
    def _headers(self, key: str | None) -> dict[str, str]:
        raise NotImplementedError

    def _body(self, messages: list[Message], options: dict[str, Any], stream: bool,
              hints: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def _read_answer(self, data: Any) -> tuple[str, Usage | None, str]:
        raise NotImplementedError

    def _read_event(self, event: str, data: str, state: StreamState) -> str:
        raise NotImplementedError
