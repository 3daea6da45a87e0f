"""Steps: the unit every pattern is built from.

A step is anything you can ``await step(input, ctx)``. You rarely write that
by hand: plain functions (sync or async, taking ``input`` or ``input, ctx``)
and models are turned into steps for you::

    def shout(text):                       # a plain function ...
        return text.upper()

    Sequential(stages=[shout, Ask(model, "Summarise: {input}")])   # ... and a model in a role
"""

from __future__ import annotations

import inspect
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
        from .viz import Diagram

        return Diagram.of(self)

    def _draw(self, chart: Any) -> tuple[str, str]:
        """Add this step to a Mermaid chart; return its (entry, exit) node ids."""
        node = chart.node(self.name)
        return node, node

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


class FunctionStep(Step):
    """A plain function as a step; its name is the function's name."""

    def __init__(self, fn: Callable[..., Any], name: str | None = None) -> None:
        self.fn = fn
        self.name = name or getattr(fn, "__name__", type(fn).__name__)
        self._wants_ctx = _takes_two_arguments(fn)

    async def __call__(self, input: Any, ctx: Context) -> Any:
        if ctx.in_span(self.name) or ctx.in_wrapper():  # the enclosing task or stage already records this time
            return await self._call(input, ctx)
        async with ctx.span(self.name):
            return await self._call(input, ctx)

    async def _call(self, input: Any, ctx: Context) -> Any:
        result = self.fn(input, ctx) if self._wants_ctx else self.fn(input)
        if inspect.isawaitable(result):
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
        if ctx.in_span(self.name) or self.name == getattr(self.model, "name", None):
            return await self._ask(messages)  # the model's own span is enough
        async with ctx.span(self.name):  # a named role, e.g. "synthesis", around the model call
            return await self._ask(messages)

    async def _ask(self, messages: list[dict[str, str]]) -> Any:
        completion = await self.model.complete(messages, **self.options)
        return self.parse(completion.text) if self.parse else completion.text

    def _draw(self, chart: Any) -> tuple[str, str]:
        model = getattr(self.model, "name", "model")
        node = chart.node(self.name if model in self.name else f"{self.name}\n({model})", shape="model")  # no name twice
        return node, node

    def __repr__(self) -> str:
        return f"Ask({getattr(self.model, 'name', 'model')!r}, {self.prompt!r})"


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
