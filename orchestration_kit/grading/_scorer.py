"""The grader's own cell: it runs in the learner's kernel once the learner's code has finished.

The grader never imports this file inside a kernel. It reads the text once, in
its own process before any learner code ran, and sends it as the source of the
last cell, with a plan (see ``scoring.py``). So editing this file, or the
lesson's checks, from a learner's notebook changes nothing the grader relies on.

What it does, in order:

1. Forget the grading modules the learner's code imported (a learner may have
   replaced ``check`` or ``grade`` in them) and build them again from the
   source the grader sent: ``sandbox``, ``fixtures``, the package itself and
   the lesson's checks; any other grading module a check imports (``booking``,
   ``display``...) is built from the grader's copy too, when it is imported.
   Nothing is read from disk, so nothing a notebook wrote there counts.
2. For each exercise, find the answer by the name the solutions master gives
   it (``check("01.keywords", rules)`` -> ``rules``), grade it, and write one
   JSON line per exercise to a file only the grader knows the name of.

A ``start`` line before each exercise lets the grader tell which exercise was
being graded if the kernel dies (``os._exit`` in an answer, say).
"""

import importlib
import importlib.abc
import importlib.util
import json
import sys
import types
from pathlib import Path


class _FromTheCopy(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Builds ``orchestration_kit.grading.<name>`` from the source the grader sent, never from disk."""

    def __init__(self, package, folder, sources):
        self.package, self.folder, self.sources = package, folder, sources

    def find_spec(self, fullname, path=None, target=None):
        file = fullname.rpartition(".")[2] + ".py"
        if fullname.rpartition(".")[0] != self.package or file not in self.sources:
            return None
        return importlib.util.spec_from_loader(fullname, self, origin=str(self.folder / file))

    def create_module(self, spec):
        return None  # the default module object

    def exec_module(self, module):
        file = module.__name__.rpartition(".")[2] + ".py"
        module.__file__ = str(self.folder / file)
        exec(compile(self.sources[file], f"<the grader's {file}>", "exec"), module.__dict__)


def _score(plan):
    from IPython import get_ipython

    namespace = get_ipython().user_ns
    with open(plan["out"], "a", encoding="utf-8") as out:
        def emit(**record):
            record["nonce"] = plan["nonce"]
            out.write(json.dumps(record) + "\n")
            out.flush()

        folder = Path(importlib.util.find_spec("orchestration_kit.grading").origin).parent
        for name in [name for name in sys.modules if name.startswith("orchestration_kit.grading")]:
            del sys.modules[name]
        package = "orchestration_kit.grading"
        grading = sys.modules[package] = types.ModuleType(package)
        grading.__path__, grading.__package__ = [str(folder)], package
        sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "_FromTheCopy"]
        sys.meta_path.insert(0, _FromTheCopy(package, folder, plan.get("on_import", {})))
        for file, source in plan["modules"]:  # in order: sandbox, fixtures, the package, the lesson
            name = package if file == "__init__.py" else f"{package}.{file[:-3]}"
            module = grading if name == package else types.ModuleType(name)
            module.__package__, module.__file__ = package, str(folder / file)  # lesson07 finds data/ from __file__
            sys.modules[name] = module
            exec(compile(source, f"<the grader's {file}>", "exec"), module.__dict__)

        for exercise, expression in plan["answers"].items():
            if exercise in plan["skip"]:
                continue
            emit(kind="start", exercise=exercise)
            try:
                answer = eval(expression, namespace)
            except NameError:
                emit(kind="verdict", exercise=exercise, status="not run", passed=0, total=0, cases=[],
                     report=f"{exercise}: no answer: the notebook defines no {expression!r} (keep the answer's name)")
                continue
            except BaseException as error:
                emit(kind="verdict", exercise=exercise, status="failed", passed=0, total=1, cases=[],
                     report=f"{exercise}: reading the answer {expression!r} raised {type(error).__name__}")
                continue
            result = grading.grade(exercise, answer, time_limit=plan["time_limit"])
            emit(kind="verdict", report=result.report(), **result.to_json())
        emit(kind="done")


_score(PLAN)  # noqa: F821 (the grader puts PLAN = {...} above this file's text)
