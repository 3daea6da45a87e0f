"""Which options a real backend's call takes: the API's documented ones, sent as given; the rest refused.

A call such as ``model.complete(prompt, seed=1, stop=["\\n"])`` sends its
options in the request body under the API's own names. Each backend lists
the ones it takes (``OpenAICompatible.options``, ``AnthropicMessages.options``).
Anything else is a mistake worth hearing about at once, not an option
silently dropped::

    >>> split_options("AnthropicMessages", "claude-haiku-4-5", {"stop": ["\\n"]},
    ...               ("max_tokens", "stop_sequences"), {"stop": "stop_sequences"})
    Traceback (most recent call last):
    orchestration_kit.errors.ConfigurationError: AnthropicMessages('claude-haiku-4-5'): this API calls stop= stop_sequences= ...

One exception: ``skill="classify"`` and the skill's own arguments (``labels=``)
steer simulated models. The same flow runs on a real model, which reads the
prompt instead, so with ``skill=`` the options the API does not know are the
skill's hints: returned apart, and not sent.
"""

from __future__ import annotations

from typing import Any

from ..errors import ConfigurationError

# Fields the kit fills in itself, and what to do instead of giving them.
SET_BY_THE_KIT = {
    "model": "the model is chosen when the backend is built: OpenAICompatible('<model id>', ...)",
    "messages": "the prompt is the call's first argument",
    "system": "put a {'role': 'system', 'content': ...} message first (Ask(..., system=...))",
    "stream": "call model.stream(...) instead of model.complete(...)",
    "stream_options": "model.stream(...) asks for the usage itself",
    "n": "the kit reads one answer per call: make several calls (e.g. a Parallel)",
    "tools": "the kit reads text answers only; tool calls would be lost",
    "tool_choice": "the kit reads text answers only; tool calls would be lost",
    "functions": "the kit reads text answers only; function calls would be lost",
}


def split_options(backend: str, model: str, options: dict[str, Any], allowed: tuple[str, ...],
                  renamed: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(sent, hints)``: the options to send (``extra_body`` included), and the skill hints not to send."""
    options = {name: value for name, value in options.items() if value is not None}  # None: not given
    sent = {name: value for name, value in options.items() if name in allowed or name == "extra_body"}
    rest = {name: value for name, value in options.items() if name not in sent}
    where = f"{backend}({model!r})"
    for name in rest:
        if name in SET_BY_THE_KIT:
            raise ConfigurationError(f"{where}: {name}= is not a call option: {SET_BY_THE_KIT[name]}.")
        if name in renamed:
            raise ConfigurationError(f"{where}: this API calls {name}= {renamed[name]}=; pass that instead.")
    if "skill" in rest or not rest:
        return sent, rest
    unknown = ", ".join(f"{name}=" for name in rest)
    raise ConfigurationError(
        f"{where}: unknown option {unknown}. This backend sends {', '.join(allowed)} and extra_body={{...}} "
        "(any other field, sent as it is); skill hints such as labels= are taken only with skill=.")
