"""Reading a server's reply: every field the kit uses is checked before it is used.

A reply is JSON from someone else's server: a field may be missing, null, or
of another type than the API documents. ``field`` reads one value along a
path and, when it cannot, says exactly what is wrong; the backend turns that
into a ``BackendError`` naming the model and the URL::

    >>> field({"choices": [{"message": {"content": "Hi"}}]}, "choices", 0, "message", "content", kind=str)
    'Hi'
    >>> field({"choices": [{"message": None}]}, "choices", 0, "message", "content", kind=str)
    Traceback (most recent call last):
    orchestration_kit.models.replies.MalformedReply: choices[0].message is null, expected an object
    >>> field({"usage": None}, "usage", "prompt_tokens", kind=int, optional=True) is None
    True
"""

from __future__ import annotations

import json
from typing import Any

_NAMES = {dict: "an object", list: "a list", str: "a string", int: "a whole number", float: "a number",
          bool: "true or false"}


class MalformedReply(ValueError):
    """What is wrong with a server's reply, in one phrase, e.g. "usage is a string, expected an object"."""


def field(data: Any, *path: str | int, kind: type | tuple[type, ...], optional: bool = False) -> Any:
    """The value at ``path`` in ``data``, checked to be of ``kind``.

    ``optional=True``: a missing or null value anywhere along the path gives None
    (a wrong type is still an error).
    """
    value, where = data, ""
    for step in path:
        if value is None and optional:
            return None
        container = dict if isinstance(step, str) else list
        if not isinstance(value, container):
            raise MalformedReply(f"{where or 'the reply'} is {describe(value)}, expected {_NAMES[container]}")
        if isinstance(step, str):
            where, present = (f"{where}.{step}" if where else step), step in value
        else:
            where, present = f"{where}[{step}]", 0 <= step < len(value)
        if not present:
            if optional:
                return None
            raise MalformedReply(f"{where} is missing")
        value = value[step]  # type: ignore[index]
    if value is None and optional:
        return None
    if not is_kind(value, kind):
        raise MalformedReply(f"{where} is {describe(value)}, expected {describe_kind(kind)}")
    return value


def count(data: Any, *path: str | int) -> int | None:
    """An optional token count: a whole number, 0 or more (None if the server did not say)."""
    value = field(data, *path, kind=int, optional=True)
    if value is not None and value < 0:
        raise MalformedReply(f"{'.'.join(map(str, path))} is {value}, expected a count of 0 or more")
    return value


def json_object(text: str, what: str = "the reply") -> dict[str, Any]:
    """``text`` parsed as a JSON object (a reply or a stream event must be one)."""
    try:
        data = json.loads(text)
    except ValueError:
        raise MalformedReply(f"{what} is not valid JSON") from None
    if not isinstance(data, dict):
        raise MalformedReply(f"{what} is {describe(data)}, expected a JSON object")
    return data


def is_kind(value: Any, kind: type | tuple[type, ...]) -> bool:
    """``isinstance``, except that true/false is not a number (in Python, ``True`` is the int 1)."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool):
        return bool in kinds
    return isinstance(value, kinds) or (float in kinds and isinstance(value, int))


def describe(value: Any) -> str:
    """What a JSON value is, in words: "null", "a list", "a string"."""
    if value is None:
        return "null"
    return next((name for kind, name in _NAMES.items() if is_kind(value, kind)), f"a {type(value).__name__}")


def describe_kind(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(_NAMES.get(k, "null" if k is type(None) else k.__name__) for k in kinds)
