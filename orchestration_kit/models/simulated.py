"""Simulated models: offline, deterministic, with realistic latency, cost and failures.

Profiles (latency, prices, failure rates, accuracy per skill) come from
``data/models.csv``. Same prompt + seed ⇒ same text and latency, bit for bit::

    >>> model = SimulatedModel("generalist-small")
    >>> flaky = model.with_failures(error_rate=0.3)          # for teaching retries
    >>> run(Ask(model, "Summarise: {input}"), "a long memo").trace.latency
"""

from __future__ import annotations

import asyncio
import math
import random
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..context import current_context, stable_hash
from ..data_checks import csv_rows, number, unique, where
from ..errors import BackendError, ConfigurationError, DataError, RateLimited, Timeout
from .skills import SKILLS, get_skill
from .base import Completion, Pricing, Prompt, Usage, as_messages, estimate_tokens, model_span, record_completion

from ..paths import DATA_DIR

CATALOG = DATA_DIR / "models.csv"


@dataclass(frozen=True)
class Failures:
    """Failure injection for a simulated model (rates are probabilities per call).

    - ``error_rate``: the call fails with a BackendError (HTTP 500-like).
    - ``timeout_rate``: the call hangs for ``hang_s`` seconds, then fails with Timeout.
    - ``rate_limit_rate``: the call is refused with RateLimited (HTTP 429), ``retry_after`` seconds.
    - ``spike_rate``: the call is ``spike_factor`` times slower than usual.
    - ``rate_limit_rpm``: at most this many calls per minute of (virtual) time; 0 = no limit.
    - ``fail_first``: the first N calls with the same prompt fail (handy for exact retry demos).
    """

    error_rate: float = 0.0
    timeout_rate: float = 0.0
    rate_limit_rate: float = 0.0
    spike_rate: float = 0.0
    spike_factor: float = 5.0
    rate_limit_rpm: int = 0
    retry_after: float = 1.0
    fail_first: int = 0
    hang_s: float = 60.0

    def __post_init__(self) -> None:
        for rate in ("error_rate", "timeout_rate", "rate_limit_rate", "spike_rate"):
            value = getattr(self, rate)
            if not 0 <= value <= 1:
                raise ConfigurationError(f"Failures.{rate} is a probability between 0 and 1, got {value}")
        if self.error_rate + self.timeout_rate + self.rate_limit_rate > 1:
            raise ConfigurationError(
                "Failures: error_rate + timeout_rate + rate_limit_rate must not exceed 1; "
                "set the others to 0, e.g. with_failures(timeout_rate=1.0, error_rate=0.0)"
            )


@dataclass(frozen=True)
class ModelProfile:
    """How a simulated model behaves: speed, price, failures and accuracy per skill."""

    name: str
    role: str = "generalist"
    description: str = ""
    latency_s: float = 0.5  # median time before the first token
    latency_sigma: float = 0.2  # spread of the log-normal jitter (0 = always the median)
    seconds_per_output_token: float = 0.01
    pricing: Pricing = field(default_factory=Pricing)
    failures: Failures = field(default_factory=Failures)
    quality: float = 0.8  # accuracy on any skill not listed in ``accuracy``
    accuracy: dict[str, float] = field(default_factory=dict)

    def accuracy_for(self, skill: str) -> float:
        return self.accuracy.get(skill, self.quality)


# The catalog's numbers: probabilities from 0 to 1, and amounts (seconds, $ per 1k tokens) ≥ 0; blank means 0.
RATES = ("error_rate", "timeout_rate", "spike_rate")
AMOUNTS = ("latency_s", "latency_sigma", "seconds_per_output_token", "price_in_per_1k", "price_out_per_1k")


@lru_cache(maxsize=4)
def load_profiles(path: Path = CATALOG) -> dict[str, ModelProfile]:
    """Read the model catalog (a CSV with one model per row) into profiles by name.

    Every value is checked: a bad one raises DataError naming ``file:line`` and what is allowed.
    """
    if not Path(path).exists():
        raise FileNotFoundError(f"model catalog not found at {path}; reinstall the kit or pass a path to load_profiles()")
    rows = csv_rows(Path(path))
    unique(rows, "name", path=path)
    return {row["name"]: _profile_from_row(row, where(path, line)) for line, row in rows}


def _profile_from_row(row: dict[str, str], at: str) -> ModelProfile:
    """One catalog row as a profile; ``at`` (file:line) starts every error message."""
    if not (row.get("name") or "").strip():
        raise DataError(f"{at}: name is blank; give each model a name, e.g. generalist-small")
    value = {key: number(row, key, at=at, low=0, default=0.0) for key in AMOUNTS}
    value.update({key: number(row, key, at=at, low=0, high=1, default=0.0) for key in RATES})
    try:
        failures = Failures(error_rate=value["error_rate"], timeout_rate=value["timeout_rate"],
                            spike_rate=value["spike_rate"],
                            rate_limit_rpm=int(number(row, "rate_limit_rpm", at=at, low=0, default=0, whole=True)))
    except ConfigurationError as error:  # rates that add up to more than 1
        raise DataError(f"{at}: {error}") from None
    return ModelProfile(
        name=row["name"],
        role=row.get("role", "generalist"),
        description=row.get("description", ""),
        latency_s=value["latency_s"],
        latency_sigma=value["latency_sigma"],
        seconds_per_output_token=value["seconds_per_output_token"],
        pricing=Pricing(value["price_in_per_1k"], value["price_out_per_1k"]),
        failures=failures,
        quality=number(row, "quality", at=at, low=0, high=1, default=0.8),
        accuracy={key[4:]: number(row, key, at=at, low=0, high=1)
                  for key, text in row.items() if key.startswith("acc_") and text != ""},
    )


class SimulatedModel:
    """A model that answers from a profile, offline and reproducibly.

    >>> SimulatedModel("generalist-large")                        # from data/models.csv
    >>> SimulatedModel(ModelProfile("tiny", latency_s=0.1))        # or your own profile
    """

    def __init__(self, profile: str | ModelProfile, *, seed: int = 0, failures: Failures | None = None) -> None:
        if isinstance(profile, str):
            catalog = load_profiles()
            if profile not in catalog:
                raise ConfigurationError(
                    f"no simulated model named {profile!r}; choose one of: {', '.join(sorted(catalog))}"
                )
            profile = catalog[profile]
        if failures is not None:
            profile = replace(profile, failures=failures)
        self.profile = profile
        self.name = profile.name
        self.seed = seed
        self.changes: tuple[tuple[str, float], ...] = ()  # catalog figures changed by with_profile(), for the repr

    def with_failures(self, **rates: Any) -> SimulatedModel:
        """A copy of this model with some failure settings changed, e.g. ``error_rate=0.3``."""
        copy = SimulatedModel(self.profile, seed=self.seed, failures=replace(self.profile.failures, **rates))
        copy.changes = self.changes
        return copy

    def with_profile(self, *, accuracy: dict[str, float] | None = None, **figures: float) -> SimulatedModel:
        """A copy of this model with some catalog figures changed, to ask "what if it were ...?".

        ``accuracy`` sets the accuracy of some skills (the others keep theirs); the other keywords
        are the catalog's columns: ``latency_s``, ``latency_sigma``, ``seconds_per_output_token``,
        ``price_in_per_1k``, ``price_out_per_1k``, ``quality``. The copy keeps the model's name, so
        each call draws the same random numbers as before: only the figures you changed move results.

        >>> SimulatedModel("billing-specialist").with_profile(accuracy={"billing": 0.85}, price_in_per_1k=0.0006)
        SimulatedModel('billing-specialist', acc_billing=0.85, price_in_per_1k=0.0006)
        """
        unknown = sorted(set(figures) - set(PROFILE_FIGURES))
        if unknown:
            raise ConfigurationError(f"with_profile: no catalog figure named {', '.join(unknown)}; "
                                     f"change accuracy={{skill: value}} or one of {', '.join(PROFILE_FIGURES)}")
        accuracy = dict(accuracy or {})
        for skill, value in accuracy.items():
            if skill not in SKILLS:
                raise ConfigurationError(f"with_profile: no simulated skill named {skill!r}; "
                                         f"known skills: {', '.join(sorted(SKILLS))}")
            _check_figure(f"accuracy[{skill!r}]", value, high=1.0)
        for key, value in figures.items():
            _check_figure(key, value, high=1.0 if key == "quality" else math.inf)
        prices = {key: figures.pop(key) for key in ("price_in_per_1k", "price_out_per_1k") if key in figures}
        pricing = Pricing(prices.get("price_in_per_1k", self.profile.pricing.input_per_1k),
                          prices.get("price_out_per_1k", self.profile.pricing.output_per_1k))
        profile = replace(self.profile, pricing=pricing, accuracy=self.profile.accuracy | accuracy, **figures)
        copy = SimulatedModel(profile, seed=self.seed)
        changed = dict(self.changes) | {f"acc_{skill}": value for skill, value in accuracy.items()} | prices | figures
        copy.changes = tuple(changed.items())
        return copy

    async def complete(
        self, messages: Prompt, *, max_tokens: int | None = None, skill: str = "answer", **skill_args: Any
    ) -> Completion:
        """Answer like a real model would: after a realistic delay, at a realistic price."""
        messages = as_messages(messages)
        prompt = "\n".join([m["content"] for m in messages])
        ctx = current_context()
        call_index = ctx.count("call", self.name, self.seed, prompt, skill) if ctx else 0
        rng = _rng(ctx, self.name, self.seed, prompt, skill, call_index)
        failures = self.profile.failures
        async with model_span(self.name) as span:
            failure = self._fate(rng, call_index, ctx)
            if failure is not None:  # it fails, after the time that kind of failure takes
                wait, error = failure
                await asyncio.sleep(wait)
                raise error
            text = get_skill(skill)(prompt, rng=rng, accuracy=self.profile.accuracy_for(skill), model=self.name, **skill_args)
            out_tokens, finish_reason = estimate_tokens(text), "stop"
            if max_tokens is not None and out_tokens > max_tokens:
                text, out_tokens, finish_reason = text[: max_tokens * 4], max_tokens, "length"
            latency = self._latency(rng, out_tokens, spike=rng.random() < failures.spike_rate)
            await asyncio.sleep(latency)
            usage = Usage(estimate_tokens(prompt), out_tokens)
            completion = Completion(text, self.name, usage, self.profile.pricing.cost(usage), latency, finish_reason)
            record_completion(span, completion)
            return completion

    def _fate(self, rng: random.Random, call_index: int, ctx: Any) -> tuple[float, Exception] | None:
        """Draw this call's fate: refused (429), error or hang, as (seconds it takes, the error); None if fine."""
        failures = self.profile.failures
        if failures.rate_limit_rpm and ctx is not None:
            window = ctx.state.setdefault(("rpm", self.name), [])
            now = ctx.now()
            window[:] = [t for t in window if now - t < 60.0]
            if len(window) >= failures.rate_limit_rpm:
                return 0.05, RateLimited(
                    f"{self.name}: rate limit of {failures.rate_limit_rpm} requests/minute reached; "
                    "retry later or lower max_concurrency",
                    model=self.name,
                    retry_after=round(60.0 - (now - window[0]), 3),
                )
            window.append(now)
        draw = rng.random()
        if call_index < failures.fail_first or draw < failures.error_rate:
            return round(self.profile.latency_s * 0.5, 3), BackendError(
                f"{self.name}: simulated server error (HTTP 500); retry or use a fallback", model=self.name, status=500)
        draw -= failures.error_rate
        if draw < failures.timeout_rate:
            return failures.hang_s, Timeout(f"{self.name}: no answer after {failures.hang_s:g} s; set a timeout and retry",
                                            model=self.name)
        draw -= failures.timeout_rate
        if draw < failures.rate_limit_rate:
            return 0.05, RateLimited(f"{self.name}: simulated HTTP 429", model=self.name, retry_after=failures.retry_after)
        return None

    def _latency(self, rng: random.Random, out_tokens: int, spike: bool) -> float:
        jitter = math.exp(rng.gauss(0.0, self.profile.latency_sigma)) if self.profile.latency_sigma else 1.0
        seconds = self.profile.latency_s * jitter + self.profile.seconds_per_output_token * out_tokens
        if spike:
            seconds *= self.profile.failures.spike_factor
        return round(seconds, 3)  # milliseconds: readable, and exact in every run

    def __repr__(self) -> str:
        changed = "".join(f", {key}={value:g}" for key, value in self.changes)
        return f"SimulatedModel({self.name!r}{changed})"


# What with_profile() may change, besides accuracy: the catalog's columns of the same names.
PROFILE_FIGURES = ("latency_s", "latency_sigma", "seconds_per_output_token", "price_in_per_1k", "price_out_per_1k",
                   "quality")


def _check_figure(name: str, value: Any, *, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= high:
        allowed = "a probability from 0 to 1" if high == 1.0 else "a number of 0 or more"
        raise ConfigurationError(f"with_profile: {name} must be {allowed}, got {value!r}")


def _rng(ctx: Any, *key: object) -> random.Random:
    if ctx is not None:
        return ctx.rng(*key)
    return random.Random(stable_hash(*key))
