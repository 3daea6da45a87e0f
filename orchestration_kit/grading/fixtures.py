"""Shared data a check must find as it left it: copied before each check, compared and put back after.

    >>> with fixtures_kept("orchestration_kit.grading.lesson00") as changed:
    ...     run the learner's code
    >>> changed          # e.g. ["STAGES", "the kit's skill table, orchestration_kit.models.skills.SKILLS"]

What is kept: the check module's constants (UPPER_CASE names holding plain
data), the model catalog, the kit's skill table (``skills.SKILLS``: learner
code that registers or replaces a skill would change every later run) and the
skills modules' own data tables. Learner objects may sit in those after the
check, with an ``__eq__`` that raises or never returns: every comparison that
could meet one runs under ``within()``, so it cannot crash or hang the grader.
"""

from __future__ import annotations

import contextlib
import copy
import sys
import threading
from typing import Any, Callable, Iterator

COMPARE_LIMIT = 2.0  # seconds a comparison with a learner's object may take before it counts as "changed"
_PLAIN = (str, bytes, int, float, bool, type(None))


def within(seconds: float, compute: Callable[[], Any], default: Any) -> Any:
    """``compute()``, or ``default`` if it raises anything or takes longer than ``seconds`` (it is then stopped)."""
    box: list[Any] = []

    def work() -> None:
        try:
            box.append(compute())
        except BaseException:  # a learner's __str__ or __eq__ may raise anything, even SystemExit
            pass

    helper = threading.Thread(target=work, name="check-helper", daemon=True)
    helper.start()
    helper.join(seconds)
    if helper.is_alive():  # a busy loop must not go on burning CPU: stop it as a hung check is stopped
        from .sandbox import _raise_in

        _raise_in(helper)
    return box[0] if box else default


def is_plain(value: Any) -> bool:
    """Plain data: numbers, text, and lists, tuples, sets and dicts of them (exact types, so comparing is safe)."""
    kind = type(value)
    if kind in _PLAIN:
        return True
    if kind is dict:
        return all(is_plain(k) and is_plain(v) for k, v in value.items())
    return kind in (list, tuple, set, frozenset) and all(is_plain(item) for item in value)


def _differs(current: Any, saved: Any) -> bool:
    if is_plain(current):
        return current != saved  # built-in types only: cannot raise or hang
    return bool(within(COMPARE_LIMIT, lambda: bool(current != saved), True))


def _constants(module: Any) -> dict[str, Any]:
    """The module's UPPER_CASE names that hold plain data: the fixtures its checks use."""
    names = [name for name in vars(module) if name.lstrip("_").isupper()] if module else []
    return {name: getattr(module, name) for name in names if is_plain(getattr(module, name))}


def _put_back(holder: Any, name: str, current: Any, saved: Any) -> None:
    """Restore a changed value in place when possible, so that every reference to it sees the original."""
    if type(current) is type(saved) and isinstance(current, list):
        current[:] = saved
    elif type(current) is type(saved) and isinstance(current, (dict, set)):
        current.clear()
        current.update(saved)
    else:  # rebound to something else, or immutable (a tuple of lists): bind the original again
        setattr(holder, name, saved)


def _kept_modules(module_name: str) -> list[Any]:
    """The check's module and the kit's skills modules (their data tables are shared by every run)."""
    names = [module_name] + sorted(name for name in sys.modules if name.startswith("orchestration_kit.models.skills"))
    return [sys.modules[name] for name in names if sys.modules.get(name) is not None]


@contextlib.contextmanager
def fixtures_kept(module_name: str) -> Iterator[list[str]]:
    """Yield a list that, after the block, names each fixture the block changed (each one is put back)."""
    from ..models import load_profiles
    from ..models.skills import SKILLS

    saved = [(module, copy.deepcopy(_constants(module))) for module in _kept_modules(module_name)]
    skills = dict(SKILLS)  # functions: the table is copied, not the skills
    try:
        catalog = load_profiles()  # cached: every SimulatedModel made later reads this very dict
    except (OSError, ValueError):  # no catalog to protect; the checks that need it will say so
        catalog = {}
    saved_catalog = copy.deepcopy(catalog)
    changed: list[str] = []
    try:
        yield changed
    finally:
        for module, constants in saved:
            for name, value in constants.items():
                current = getattr(module, name, None)
                if _differs(current, value):
                    where = "" if module.__name__ == module_name else f"{module.__name__}."
                    changed.append(where + name)
                    _put_back(module, name, current, copy.deepcopy(value))
        if len(SKILLS) != len(skills) or any(SKILLS.get(name) is not skill for name, skill in skills.items()):
            changed.append("the kit's skill table, orchestration_kit.models.skills.SKILLS")
            SKILLS.clear()
            SKILLS.update(skills)
        if _differs(catalog, saved_catalog):
            changed.append("the model catalog, load_profiles()")
            catalog.clear()
            catalog.update(saved_catalog)
