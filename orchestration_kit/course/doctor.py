"""``orchestration-kit doctor``: is this machine ready for the course?

Checks the Python version and the packages each part of the course needs,
and runs a tiny flow on the virtual clock. Prints one line per check.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys

# package -> what it is needed for
NEEDED = {
    "pandas": "traces as tables",
    "matplotlib": "charts",
    "httpx": "real model backends",
    "jupyterlab": "opening the course",
    "ipywidgets": "interactive explorers and the review box",
    "sklearn": "the trained router (pip install '.[ml]')",
}


def checks() -> list[tuple[str, bool, str]]:
    """(name, passed, detail) for every check."""
    results = [("python >= 3.10", sys.version_info >= (3, 10), sys.version.split()[0])]
    for package, purpose in NEEDED.items():
        found = importlib.util.find_spec(package) is not None
        results.append((package, found, purpose if found else f"missing: needed for {purpose}"))
    from ..patterns import Parallel
    from ..runner import run

    latency = run(Parallel(tasks={"a": _sleeper(0.5), "b": _sleeper(2.0)}), None).trace.latency
    results.append(("virtual clock", latency == 2.0, f"parallel of 0.5 s and 2.0 s took {latency} s (virtual)"))
    return results


def _sleeper(seconds: float):  # type: ignore[no-untyped-def]
    import asyncio

    async def sleep(_: object) -> None:
        await asyncio.sleep(seconds)

    return sleep


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def main(args: argparse.Namespace) -> int:
    results = checks()
    for name, passed, detail in results:
        print(f"{'ok  ' if passed else 'FAIL'}  {name:<16} {detail}")
    return 0 if all(passed for _, passed, _ in results) else 1
