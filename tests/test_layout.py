"""The package reads in one direction: each folder imports only the folders below it, and nothing imports in a circle.

    core (the top-level modules, pictures/)  <-  patterns/  <-  routing/, models/
        <-  replay/, serve/, course/  <-  measure/, design/  <-  grading/  <-  the public names (__init__, cli)

Every import counts, the ones inside functions too: a deferred import that reaches
upward is still an upward dependency, only hidden. Imports under ``if TYPE_CHECKING:``
do not run, so they do not count.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import orchestration_kit

PACKAGE = Path(orchestration_kit.__file__).resolve().parent
NAME = "orchestration_kit"

# folder (first part below the package) -> layer; a module may import its own layer and the ones below
LAYERS: dict[str, int] = {
    "": 0, "pictures": 0,  # the core, and the core's pictures (a trace's timeline, a flow's diagram)
    "patterns": 1,
    "routing": 2, "models": 2,
    "replay": 3, "serve": 3, "course": 3,
    "measure": 4, "design": 4, "bridges": 4,  # bridges: a lesson flow rebuilt in another framework
    "grading": 5,
    "public": 6,  # orchestration_kit/__init__.py (the names learners import) and the command line
}
PUBLIC = {NAME, f"{NAME}.cli"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py") if "data" not in p.relative_to(PACKAGE).parts[:1]}


def layer(module: str) -> int:
    """The layer of a module: its folder's, or the core's for a module at the top of the package."""
    if module in PUBLIC:
        return LAYERS["public"]
    parts = module.split(".")[1:]
    at_top = len(parts) == 1 and MODULES[module].name != "__init__.py"
    return LAYERS["" if at_top else parts[0]]


def _type_checking_only(tree: ast.Module) -> set[int]:
    """Line numbers of the imports under ``if TYPE_CHECKING:`` (they never run)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                for sub in ast.walk(inner):
                    lines.add(getattr(sub, "lineno", -1))
    return lines


def imports_of(module: str) -> dict[str, int]:
    """The package's modules that ``module`` imports (anywhere in it), each with the line of its first import."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_only(tree)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: dict[str, int] = {}
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        elif isinstance(node, ast.Call) and ast.unparse(node.func).endswith("import_module") and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                targets = [arg.value]
        for target in targets:
            if target in MODULES and target != module:
                found.setdefault(target, node.lineno)
    return found


GRAPH = {m: imports_of(m) for m in MODULES}


def test_no_module_imports_a_layer_above_its_own():
    upward = [
        f"{MODULES[m].relative_to(PACKAGE.parent)}:{line} imports {t} (layer {layer(t)} above {layer(m)})"
        for m, targets in sorted(GRAPH.items()) for t, line in targets.items() if layer(t) > layer(m)
    ]
    assert upward == [], "\n".join(upward)


def test_no_modules_import_each_other_in_a_circle():
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for t in sorted(GRAPH[m]):
            if state.get(t) == 1:
                cycles.append(path[path.index(t):] + [t])
            elif t not in state:
                visit(t, path + [t])
        state[m] = 2

    for m in sorted(GRAPH):
        if m not in state:
            visit(m, [m])
    assert cycles == [], "\n".join(" -> ".join(c) for c in cycles)


def test_every_folder_of_the_package_has_a_layer():
    folders = {p.relative_to(PACKAGE).parts[0] for p in PACKAGE.glob("*/__init__.py")} - {"data"}
    assert folders <= set(LAYERS), f"give these folders a layer in LAYERS: {sorted(folders - set(LAYERS))}"


def test_the_checker_sees_a_deferred_upward_import():
    # the rule is only worth having if it catches the hidden case: an import inside a function
    tree = ast.parse("def f():\n    from .measure.evaluate import evaluate\n")
    (node,) = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert node.level == 1 and layer(f"{NAME}.measure.evaluate") > layer(f"{NAME}.steps")


def test_importing_the_kit_loads_neither_the_grader_nor_the_course_tools():
    code = (
        "import json, sys\n"
        "import orchestration_kit\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('orchestration_kit'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = json.loads(out)
    unwanted = [m for m in loaded if m.split(".")[1:2] and m.split(".")[1] in
                ("grading", "course", "measure", "design", "serve", "replay", "routing")]
    assert unwanted == [], f"import orchestration_kit loaded {unwanted}"
    assert not any("sandbox" in m for m in loaded)


def test_check_is_still_one_import_away():
    code = "from orchestration_kit import check, datasets, config; print(check.__module__, datasets.__name__, config.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == [f"{NAME}.grading", f"{NAME}.course.datasets", f"{NAME}.models.config"]
