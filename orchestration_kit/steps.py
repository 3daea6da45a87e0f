"""Steps: the unit every pattern is built from.

A step is anything you can ``await step(input, ctx)``. You rarely write that
by hand: plain functions (sync or async, taking ``input`` or ``input, ctx``)
and models are turned into steps for you::

    def shout(text):                       # a plain function ...
        return text.upper()

    Sequential(stages=[shout, Ask(model, "Summarise: {input}")])   # ... and a model in a role

What a plain ``def`` (a blocking function) means depends on the clock:

- on the wall clock it runs on a worker thread, so blocking calls (a sync SDK,
  ``time.sleep``, a file read) overlap instead of stopping the event loop. How
  many overlap is set by the flow, not by the number of CPUs: a ``Parallel`` runs
  as many branches at once as its ``max_concurrency`` allows (all of them without
  one), up to ``BLOCKING_THREADS`` in the whole process. The thread sees the
  step's context, so ``current_context()`` works and spans nest correctly.
- on the virtual clock it runs inline and takes *no* virtual time: the clock
  only moves while tasks wait on timers, so a ``time.sleep(1)`` blocks for one
  real second and adds 0.0 s to the trace. Use ``await asyncio.sleep()`` in an
  ``async def`` to model time that a simulated run should count.

A thread cannot be interrupted: a blocking call still running when its step
times out or its run is cancelled finishes on its own, and its result is dropped.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from .context import Context
from .errors import ConfigurationError


class Step:
    """Base class of everything that can run inside a flow."""

    name: str = "step"

    async def __call__(self, input: Any, ctx: Context) -> Any:
        raise NotImplementedError

    def diagram(self) -> Any:
        """A Mermaid flowchart of this step (JupyterLab renders it)."""
        from .pictures.diagrams import Diagram

        return Diagram.of(self)

    def children(self) -> list[Step]:
        """The steps directly inside this one, in order; none for a model call or a function.

        Every walk over a flow's tree goes through this: ``complexity()``, the skeletons'
        ``outline()``, and (with ``draw``) the diagrams. A new pattern lists its parts here.
        """
        return []

    def draw(self, chart: Any) -> tuple[str, str]:
        """Add this step to a Mermaid chart (``pictures.diagrams.MermaidChart``); return its (entry, exit) node ids.

        The drawing hook: a pattern draws its group and calls ``draw`` on its children.
        """
        node = chart.node(self.name)
        return node, node

    def __repr__(self) -> str:
        """``<FunctionStep 'shout'>``: what it is and its name (reprs are stable: notebooks store them)."""
        return f"<{type(self).__name__} {self.name!r}>"


class FunctionStep(Step):
    """A plain function as a step; its name is the function's name, or a callable object's ``.name``.

    A blocking (non-async) function runs on a worker thread on the wall clock,
    and inline on the virtual clock (see the module docs).
    """

    def __init__(self, fn: Callable[..., Any], name: str | None = None) -> None:
        self.fn = fn
        self.name = name or _name_of(fn)
        self._wants_ctx = _takes_two_arguments(fn)
        self.blocking = not _is_async(fn)

    async def __call__(self, input: Any, ctx: Context) -> Any:
        if not ctx.needs_span(self.name, plain=True):  # the one rule: Context.needs_span
            return await self._call(input, ctx)
        async with ctx.span(self.name):
            return await self._call(input, ctx)

    async def _call(self, input: Any, ctx: Context) -> Any:
        args = (input, ctx) if self._wants_ctx else (input,)
        if not self.blocking:
            return await self.fn(*args)  # an async def: its call is a coroutine
        if not ctx.clock.is_virtual:
            result = await in_worker_thread(self.fn, *args)
        else:
            result = self.fn(*args)
        if inspect.isawaitable(result):  # a plain def may hand back an awaitable too
            result = await result
        return result


class Ask(Step):
    """A model in a role: render a prompt from the input, return the model's text.

    >>> classify = Ask(model, "Which department handles this? {input}", skill="classify")
    """

    def __init__(
        self,
        model: Any,
        prompt: str = "{input}",
        *,
        system: str | None = None,
        name: str | None = None,
        parse: Callable[[str], Any] | None = None,
        **options: Any,
    ) -> None:
        if not callable(getattr(model, "complete", None)):
            raise ConfigurationError(f"Ask needs a model with a complete() method, got {type(model).__name__}")
        if "{input}" not in prompt:
            raise ConfigurationError(f"Ask prompt must contain '{{input}}' where the input goes, got {prompt!r}")
        self.model = model
        self.prompt = prompt
        self.system = system
        self.parse = parse
        self.options = options
        self.name = name or getattr(model, "name", "model")

    async def __call__(self, input: Any, ctx: Context) -> Any:
        messages = [{"role": "user", "content": self.prompt.replace("{input}", str(input))}]
        if self.system:
            messages.insert(0, {"role": "system", "content": self.system})
        if not ctx.needs_span(self.name, inside=getattr(self.model, "name", None)):
            return await self._ask(messages)  # the model's own span is enough
        async with ctx.span(self.name):  # a named role, e.g. "synthesis", around the model call
            return await self._ask(messages)

    async def _ask(self, messages: list[dict[str, str]]) -> Any:
        completion = await self.model.complete(messages, **self.options)
        return self.parse(completion.text) if self.parse else completion.text

    def draw(self, chart: Any) -> tuple[str, str]:
        model = getattr(self.model, "name", "model")
        node = chart.node(self.name if model in self.name else f"{self.name}\n({model})", shape="model")  # no name twice
        return node, node

    def __repr__(self) -> str:
        """``<Ask 'draft' → generalist-small: 'Draft: {input}'>``."""
        prompt = self.prompt if len(self.prompt) <= 60 else self.prompt[:59] + "…"
        return f"<Ask {self.name!r} → {getattr(self.model, 'name', 'model')}: {prompt!r}>"


def _name_of(fn: Callable[..., Any]) -> str:
    """A function's ``__name__``; a callable object's ``name`` (as analyzers have), else its type's.

    >>> class Rules:
    ...     name = "keyword_rules"
    ...     def __call__(self, text): return "billing"
    >>> _name_of(len), _name_of(Rules())
    ('len', 'keyword_rules')
    """
    own = getattr(fn, "name", None)
    if isinstance(own, str) and own:
        return own
    return getattr(fn, "__name__", type(fn).__name__)


def as_step(obj: Any, role: str = "step") -> Step:
    """Turn a function, a model or a flow into a Step, or say clearly why not."""
    if isinstance(obj, Step):
        return obj
    if callable(getattr(obj, "complete", None)):
        return Ask(obj)
    if callable(obj):
        return FunctionStep(obj)
    raise ConfigurationError(
        f"{role} must be a function, a model or a flow (Router, Parallel, ...), "
        f"but got {type(obj).__name__} {obj!r:.60}. Pass the function itself, without calling it."
    )


BLOCKING_THREADS = 256  # the most blocking functions that run at once in this process (not tied to the CPU count)
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


async def in_worker_thread(fn: Callable[..., Any], *args: Any) -> Any:
    """Call a blocking ``fn(*args)`` on one of the kit's worker threads and await its result.

    The thread runs in a copy of this task's context (as ``asyncio.to_thread``
    does), so the run's context and the open span are the caller's. The threads
    are kept between runs (starting one costs more than a quick call).
    """
    context = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(_worker_threads(), context.run, fn, *args)


def _worker_threads() -> ThreadPoolExecutor:
    """The kit's pool of worker threads, started on first use; a thread is added only when all are busy."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=BLOCKING_THREADS, thread_name_prefix="orchestration-kit-step")
        return _pool


def _forget_pool() -> None:
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()  # a forked process has none of its parent's threads


os.register_at_fork(after_in_child=_forget_pool)


def _is_async(fn: Callable[..., Any]) -> bool:
    """True for an ``async def`` function (or an object whose ``__call__`` is one)."""
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(getattr(fn, "__call__", None))


def _takes_two_arguments(fn: Callable[..., Any]) -> bool:
    """True if ``fn`` accepts ``(input, ctx)``; False if it only takes ``(input)``."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if any(p.kind == p.VAR_POSITIONAL for p in params):
        return True
    return len(positional) >= 2
