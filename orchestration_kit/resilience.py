"""Resilience: timeout, retry with back-off, fallback, in that fixed order.

Each attempt runs under the timeout; a failed attempt is retried after a
growing delay; when the attempts run out, the fallback (if any) answers::

    >>> policy = RetryPolicy(attempts=3, initial_delay=0.5, factor=2.0)
    >>> policy.delays()            # waits between attempts, in seconds
    [0.5, 1.0]
    >>> sturdy = Resilient(flaky_step, timeout=2.0, retry=policy, fallback=generalist)

Every attempt shows in the trace, with its status (ok, error, timeout).

Retries and the fallback are for failures (a back-end error, a timeout). A
mistake such as a ``TypeError`` in the step's code, a ``ConfigurationError`` or
``RealTimeRequired`` is raised at once: see ``errors.is_usage_error``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from .context import Context
from .errors import BackendError, ConfigurationError, Timeout, is_usage_error, note_where
from .steps import Step, as_step
from .trace import status_of


@dataclass(frozen=True)
class RetryPolicy:
    """How to retry: total attempts, the first delay, its growth factor, a cap, jitter.

    ``jitter`` is a fraction: 0.1 spreads each delay by up to ±10 % (seeded, so
    reproducible). ``retry_on`` lists the exception types worth retrying.
    """

    attempts: int = 3
    initial_delay: float = 0.5
    factor: float = 2.0
    max_delay: float = 30.0
    jitter: float = 0.0
    retry_on: tuple[type[BaseException], ...] = (BackendError, TimeoutError)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ConfigurationError(f"RetryPolicy.attempts must be at least 1 (1 = no retry), got {self.attempts}")
        if self.initial_delay < 0 or self.factor < 1 or self.max_delay < 0:
            raise ConfigurationError("RetryPolicy needs initial_delay >= 0, factor >= 1 and max_delay >= 0")
        if not 0 <= self.jitter <= 1:
            raise ConfigurationError(f"RetryPolicy.jitter is a fraction between 0 and 1, got {self.jitter}")

    def delays(self) -> list[float]:
        """The waits between attempts, before jitter."""
        return [min(self.initial_delay * self.factor**i, self.max_delay) for i in range(self.attempts - 1)]


_ONE_ATTEMPT = RetryPolicy(attempts=1)  # a timeout without retries: one attempt (made once, not per call)


def check_timeout(timeout: float | None, where: str) -> None:
    if timeout is not None and not timeout > 0:
        raise ConfigurationError(f"{where}: timeout must be a positive number of seconds or None, got {timeout!r}")


# One word for "stop the whole flow with an error" in every pattern; the other spelling is an alias.
_ON_ERROR_ALIASES = {"fail": "raise"}


def check_on_error(on_error: str, allowed: tuple[str, ...], where: str) -> str:
    """Return the policy's name (``"fail"`` is read as ``"raise"``), or refuse an unknown one clearly."""
    chosen = _ON_ERROR_ALIASES.get(on_error, on_error)
    if chosen not in allowed:
        raise ConfigurationError(
            f"{where}: on_error must be one of {allowed} ('fail' is accepted as another name for 'raise'), got {on_error!r}"
        )
    return chosen


async def call_with_retry(
    step: Step,
    input: Any,
    ctx: Context,
    *,
    name: str,
    timeout: float | None = None,
    retry: RetryPolicy | None = None,
) -> Any:
    """Run ``step`` with a per-attempt timeout and retries; raise the last error if all fail.

    With neither a timeout nor a retry policy, this is just ``await step(input, ctx)``.
    Only this attempt's own deadline is reported as "step 'name' took longer than
    its timeout": a timeout raised inside the step (a nested Resilient's, a
    back-end's HTTP 408/504) keeps its own message. Mistakes (``is_usage_error``)
    are never retried.
    """
    if timeout is None and retry is None:
        return await step(input, ctx)
    policy = retry or _ONE_ATTEMPT
    for attempt in range(1, policy.attempts + 1):
        async with ctx.span(name, kind="attempt", attempt=attempt) as span:
            deadline = asyncio.timeout(timeout) if timeout is not None else None
            try:
                if deadline is None:
                    return await step(input, ctx)
                async with deadline:
                    return await step(input, ctx)
            except Exception as caught:
                if deadline is not None and deadline.expired():  # our own deadline fired, not a timeout from inside the step
                    error: Exception = Timeout(
                        f"step '{name}' took longer than its {timeout:g} s timeout "
                        f"(attempt {attempt} of {policy.attempts}). Raise the timeout or add a fallback."
                    )
                elif is_usage_error(caught) or not isinstance(caught, policy.retry_on):
                    raise  # a mistake, or an error the policy does not retry: the span records it
                else:
                    error = caught
                span.status = status_of(error)  # a 429 is "rate_limited" here as in the back-ends
                span.error = f"{type(error).__name__}: {error}"
            if attempt == policy.attempts or not isinstance(error, policy.retry_on):
                raise error
            delay = policy.delays()[attempt - 1]
            if isinstance(error, BackendError) and error.retry_after:
                delay = max(delay, error.retry_after)  # the server knows best when to come back
            if policy.jitter:
                delay *= 1 + policy.jitter * (2 * ctx.rng("jitter", name, attempt).random() - 1)
            span.detail = f"retrying in {delay:g} s"
        await asyncio.sleep(delay)
    raise AssertionError("unreachable")  # the loop either returns or raises


class Resilient(Step):
    """Wrap a step with timeout → retry → fallback (applied in that order).

    >>> Resilient(Ask(specialist), timeout=5, retry=RetryPolicy(attempts=2), fallback=Ask(generalist))
    """

    def __init__(
        self,
        step: Any,
        *,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        fallback: Any = None,
        name: str | None = None,
    ) -> None:
        self.step = as_step(step, "Resilient step")
        check_timeout(timeout, f"Resilient({self.step.name!r})")
        self.timeout = timeout
        self.retry = retry
        self.fallback = as_step(fallback, "fallback") if fallback is not None else None
        self.name = name or self.step.name

    async def __call__(self, input: Any, ctx: Context) -> Any:
        try:
            return await call_with_retry(self.step, input, ctx, name=self.name, timeout=self.timeout, retry=self.retry)
        except Exception as error:
            if self.fallback is None:
                raise
            if is_usage_error(error):
                note_where(error, f"Resilient {self.name!r}")
                raise
            async with ctx.span(f"{self.name} fallback") as span:
                span.status, span.detail = "fallback", f"after {type(error).__name__}: {error}"
                return await self.fallback(input, ctx)

    def children(self) -> list[Step]:
        """The steps directly inside this one, in order: the wrapped step, then its fallback."""
        return [part for part in [self.step, self.fallback] if part is not None]

    def draw(self, chart: Any) -> tuple[str, str]:
        entry, exit_ = self.step.draw(chart)
        if self.fallback is not None:
            fb_in, fb_out = self.fallback.draw(chart)
            chart.edge(entry, fb_in, "on failure")
            return entry, fb_out
        return entry, exit_

    def __repr__(self) -> str:
        """``<Resilient 'specialist': timeout 5 s → retry 3 attempts → fallback generalist>`` (the order they apply in)."""
        parts = [f"timeout {self.timeout:g} s"] if self.timeout is not None else []
        parts += [f"retry {self.retry.attempts} attempts"] if self.retry is not None else []
        parts += [f"fallback {self.fallback.name}"] if self.fallback is not None else []
        return f"<Resilient {self.name!r}: {' → '.join(parts) or 'nothing added'}>"
