"""The grader's own cell: it runs in the learner's kernel once the learner's code has finished.

The grader never imports this file inside a kernel. It reads the text once, in
its own process before any learner code ran, and sends it as the source of the
last cell, with a plan (see ``scoring.py``). So editing this file, or the
lesson's checks, from a learner's notebook changes nothing the grader relies on.

What it does, in order:

1. Forget the grading modules the learner's code imported (a learner may have
   replaced ``check`` or ``grade`` in them) and import them again from disk,
   after comparing each file's SHA-256 digest with the grader's.
2. Build the lesson's checks from the source the grader sent, not from disk.
3. For each exercise, find the answer by the name the solutions master gives
   it (``check("01.keywords", rules)`` -> ``rules``), grade it, and write one
   JSON line per exercise to a file only the grader knows the name of.

A ``start`` line before each exercise lets the grader tell which exercise was
being graded if the kernel dies (``os._exit`` in an answer, say).
"""

import hashlib
import importlib
import json
import sys
import types
from pathlib import Path


def _score(plan):
    from IPython import get_ipython

    namespace = get_ipython().user_ns
    with open(plan["out"], "a", encoding="utf-8") as out:
        def emit(**record):
            record["nonce"] = plan["nonce"]
            out.write(json.dumps(record) + "\n")
            out.flush()

        for name in [name for name in sys.modules if name.startswith("orchestration_kit.grading")]:
            del sys.modules[name]
        folder = Path(importlib.util.find_spec("orchestration_kit.grading").origin).parent
        for file, digest in plan["digests"].items():
            path = folder / file
            found = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"
            if found != digest:
                emit(kind="tampered", what=f"orchestration_kit/grading/{file} differs from the grader's copy")
        grading = importlib.import_module("orchestration_kit.grading")
        lesson = types.ModuleType(plan["module"])
        lesson.__package__ = "orchestration_kit.grading"
        sys.modules[plan["module"]] = lesson
        exec(compile(plan["checks"], f"<the grader's {plan['module']}>", "exec"), lesson.__dict__)

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
