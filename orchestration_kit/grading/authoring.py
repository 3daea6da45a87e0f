"""Authoring: each lesson's solutions notebook is the master; its exercise notebook is generated.

In ``solutions/NN_name.ipynb`` every answer sits between two marker lines, after
a placeholder that keeps the untouched exercise runnable::

    flow = None  # replace None with your flow
    ### BEGIN SOLUTION
    flow = Sequential(stages=[draft, polish])
    ### END SOLUTION

``exercises/NN_name.ipynb`` gets, at the same indentation, ``# YOUR CODE HERE``
and ``...`` instead, with every output and execution count cleared. Cells
tagged ``solution-only`` (a worked explanation, say) are left out.

    python -m orchestration_kit.grading.authoring             # regenerate exercises/
    python -m orchestration_kit.grading.authoring --execute   # first re-run notebooks/ and solutions/ in place
    python -m orchestration_kit.grading.authoring --check     # exit 1 if exercises/ is out of date
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
from pathlib import Path
from typing import Any

from ..errors import GradingError
from . import RESULTS_ENV, STRICT_ENV

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
SOLUTION_ONLY = "solution-only"


class AuthoringError(GradingError, ValueError):
    """A master notebook is malformed (e.g. a BEGIN marker without its END)."""


def strip_solutions(source: str, where: str = "cell") -> str:
    """Replace every marked region of ``source`` by ``# YOUR CODE HERE`` and ``...``."""
    out: list[str] = []
    indent: str | None = None  # set while inside a region
    for number, line in enumerate(source.splitlines(), 1):
        marker = line.strip()
        if marker == BEGIN:
            if indent is not None:
                raise AuthoringError(f"{where}, line {number}: {BEGIN} inside another region; close it with {END}")
            indent = line[: len(line) - len(line.lstrip())]
            out += [f"{indent}# YOUR CODE HERE", f"{indent}..."]
        elif marker == END:
            if indent is None:
                raise AuthoringError(f"{where}, line {number}: {END} without a {BEGIN} before it")
            indent = None
        elif indent is None:
            out.append(line)
    if indent is not None:
        raise AuthoringError(f"{where}: {BEGIN} is never closed; add a {END} line")
    return "\n".join(out)


def make_exercise(solution: Any, name: str = "notebook") -> Any:
    """The learner's version of a master notebook (an nbformat NotebookNode)."""
    exercise = copy.deepcopy(solution)
    exercise.cells = [cell for cell in exercise.cells if SOLUTION_ONLY not in cell.metadata.get("tags", [])]
    for index, cell in enumerate(exercise.cells):
        cell.metadata.pop("execution", None)  # timings recorded by some front ends
        if cell.cell_type == "code":
            cell.source = strip_solutions(cell.source, f"{name}, cell {index}")
            cell.outputs, cell.execution_count = [], None
    exercise.metadata.pop("widgets", None)  # saved widget state belongs to the executed master
    return exercise


def render_exercise(solution_path: Path) -> str:
    """The exact text of the exercise notebook generated from ``solution_path``."""
    import nbformat

    solution = nbformat.read(solution_path, as_version=4)
    text = nbformat.writes(make_exercise(solution, solution_path.name))
    return text if text.endswith("\n") else text + "\n"


def generate(root: Path = Path(".")) -> list[Path]:
    """Write ``exercises/NN_name.ipynb`` for every ``solutions/NN_name.ipynb``; return the paths."""
    (root / "exercises").mkdir(exist_ok=True)
    written = []
    for solution in _masters(root):
        target = root / "exercises" / solution.name
        target.write_text(render_exercise(solution), encoding="utf-8")
        written.append(target)
    return written


def stale(root: Path = Path(".")) -> list[Path]:
    """Exercise notebooks that differ from a fresh generation, are missing, or have no master."""
    masters = {path.name for path in _masters(root)}
    differ = [name for name in sorted(masters) if not _same(root / "solutions" / name, root / "exercises" / name)]
    orphans = [path for path in sorted((root / "exercises").glob("*.ipynb")) if path.name not in masters]
    return [root / "exercises" / name for name in differ] + orphans


def _same(solution: Path, exercise: Path) -> bool:
    return exercise.exists() and exercise.read_text(encoding="utf-8") == render_exercise(solution)


def _masters(root: Path) -> list[Path]:
    if not (root / "solutions").is_dir():
        raise AuthoringError(f"no solutions/ folder in {root.resolve().name}/; run this from the course's root folder")
    return sorted((root / "solutions").glob("*.ipynb"))


def execute(
    notebook: Any, *, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120, allow_errors: bool = False,
    coalesce_streams: bool = True,
) -> Any:
    """Run ``notebook`` top to bottom in a fresh kernel, as nbval does (cwd = the notebook's folder).

    The kernel gets PYTHONHASHSEED=0 plus ``env``. Cells tagged ``raises-exception``
    may fail; any other failing cell raises unless ``allow_errors``. ``coalesce_streams=False``
    leaves printed output in the pieces the kernel sent (merging is quadratic in a line's length).
    """
    from nbclient import NotebookClient

    kernel_env = {**os.environ, "PYTHONHASHSEED": "0", **(env or {})}
    km = _kernel()
    client = NotebookClient(
        notebook, km=km, timeout=timeout, allow_errors=allow_errors, interrupt_on_timeout=True,
        record_timing=False, coalesce_streams=coalesce_streams,  # one stdout output per cell, however the kernel flushed it
        resources={"metadata": {"path": str(cwd)}},
        extra_arguments=["--IPKernelApp.log_level=ERROR"],  # the kernel's start-up notices would only be noise
    )
    try:
        client.execute(env=kernel_env)
    finally:  # the kernel manager is ours, so nbclient leaves the kernel running: stop it here
        if km.has_kernel:
            km.shutdown_kernel(now=True)
    return notebook


def _kernel() -> Any:
    """A kernel of the Python running this code, whatever kernels are installed.

    The same choice as ``pytest --nbval-current-env``, so stored outputs and the tests see the same packages.
    """
    import ipykernel.kernelspec
    from jupyter_client import KernelManager
    from jupyter_client.kernelspec import KernelSpecManager

    class ThisPython(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str) -> Any:
            spec = ipykernel.kernelspec.get_kernel_dict()  # argv starts with sys.executable
            return self.kernel_spec_class(resource_dir=ipykernel.kernelspec.RESOURCES, **spec)

    return KernelManager(kernel_name="this-python", kernel_spec_manager=ThisPython())


def execute_in_place(paths: list[Path], *, timeout: float = 120) -> None:
    """Re-run notebooks and store their fresh outputs (strict checks: a broken solution stops here)."""
    import nbformat

    for path in paths:
        print(f"executing {path}", flush=True)
        notebook = nbformat.read(path, as_version=4)
        execute(notebook, cwd=path.parent, env={STRICT_ENV: "1", RESULTS_ENV: ""}, timeout=timeout)
        nbformat.write(notebook, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration_kit.grading.authoring", description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=Path("."), help="the course folder (with notebooks/, solutions/ ...)")
    parser.add_argument("--execute", action="store_true", help="re-run notebooks/ and solutions/ in place first")
    parser.add_argument("--check", action="store_true", help="only report exercise notebooks that are out of date")
    parser.add_argument("--lesson", default="", help="with --execute: only this lesson's notebooks, e.g. 00")
    args = parser.parse_args(argv)
    try:
        if args.check:
            out_of_date = stale(args.root)
            for path in out_of_date:
                print(f"out of date: {path} (run python -m orchestration_kit.grading.authoring)")
            return 1 if out_of_date else 0
        if args.execute:
            folders = [args.root / "notebooks", args.root / "solutions"]
            execute_in_place([p for folder in folders for p in sorted(folder.glob(f"{args.lesson}*.ipynb"))])
        for path in generate(args.root):
            print(f"generated {path}")
    except AuthoringError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
