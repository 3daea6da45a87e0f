"""The exception tree drawn in errors.py's docstring is the real one, and it holds every error the kit raises."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import orchestration_kit
from orchestration_kit import errors

PACKAGE = Path(orchestration_kit.__file__).resolve().parent
OUTSIDE = {"MalformedReply", "Idle", "TimedOut"}  # named in the docstring as outside the tree, with the reason


def drawn_tree() -> dict[str, str | None]:
    """name -> parent name, read from the box drawing in errors.py's docstring."""
    parents: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []
    for line in errors.__doc__.splitlines():
        match = re.match(r"^(\s*(?:[│ ]   )*)(?:[├└]── )?([A-Z]\w+)(\s|$)", line)
        if not match or ("──" not in line and match.group(2) != "OrchestrationError"):
            continue
        depth = len(match.group(1)) // 4 + (1 if "──" in line else 0)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parents[match.group(2)] = stack[-1][1] if stack else None
        stack.append((depth, match.group(2)))
    return parents


def kit_exceptions() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if "data" in parts[1:2] or path.name == "_scorer.py":  # _scorer.py is the text of a cell, not a module
            continue
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        try:
            module = importlib.import_module(name)
        except ImportError:  # an optional extra that is not installed
            continue
        for value in vars(module).values():
            if inspect.isclass(value) and issubclass(value, BaseException) and value.__module__ == name and not value.__name__.startswith("_"):
                found[value.__name__] = value
    return found


def test_the_drawn_tree_matches_the_classes():
    tree, classes = drawn_tree(), kit_exceptions()
    assert tree["OrchestrationError"] is None and len(tree) > 15
    for name, parent in tree.items():
        assert name in classes, f"{name} is drawn in errors.py but defined nowhere"
        if parent:
            assert classes[parent] in classes[name].__bases__, f"{name} is drawn under {parent}"


def test_every_error_of_the_kit_is_in_the_tree_or_said_to_be_outside_it():
    missing = set(kit_exceptions()) - set(drawn_tree()) - OUTSIDE
    assert missing == set(), f"draw these in errors.py's tree (or say why they stay outside): {sorted(missing)}"
    for name in OUTSIDE:
        assert f"``{name}``" in errors.__doc__


def test_cassette_server_and_grading_errors_are_orchestration_errors():
    from orchestration_kit.grading import CheckFailed, NotSolved
    from orchestration_kit.grading.authoring import AuthoringError
    from orchestration_kit.replay.calls import CassetteMiss
    from orchestration_kit.serve.http11 import Refused

    for kind in (CassetteMiss, Refused, CheckFailed, NotSolved, AuthoringError):
        assert issubclass(kind, errors.OrchestrationError), kind
    assert issubclass(CheckFailed, AssertionError) and issubclass(AuthoringError, ValueError)  # builtin excepts still work
