"""The simulated outputs, hashed: proof that a speed-up changed no answer, bit for bit.

    python benchmarks/fingerprint.py            # about 20 s; prints one SHA-256 per part

Run it before and after a change to the skills, the simulated models or the run-time
core: every hash must stay the same. It hashes

1. every built-in skill's answer to every text of every data set, at three accuracies
   and two seeds (the skills' own arguments too: labels, checks, document types);
2. ``evaluate()`` of the lesson 6 decision-support system (benchmarks/runtime.py) over
   the healthcare cases, three seeds: the items table and every span of every trace;
3. ``evaluate()`` of small flows of the other lessons (a router, a parallel fan-out, a
   chain with a fallback) over their data sets, items and spans;
4. 300 random nestings of the four patterns over instant, sleeping, failing and model
   steps: every span of each run (ids and order included, which show how the
   scheduler interleaved the branches).
"""

from __future__ import annotations

import hashlib
import random
import sys
from pathlib import Path
from typing import Any, Iterable

sys.path.insert(0, str(Path(__file__).parent))  # for runtime.healthcare_system

import asyncio  # noqa: E402

from orchestration_kit import (Ask, Decision, Hierarchical, Parallel, Router, Sequential, SimulatedModel, Stage,  # noqa: E402
                               datasets, run)
from orchestration_kit.measure.evaluate import EvaluationResult, evaluate  # noqa: E402
from orchestration_kit.models.skills import SKILLS, parse_label  # noqa: E402

ACCURACIES = (0.5, 0.9, 1.0)
SEEDS = (0, 7)


def digest(lines: Iterable[str]) -> str:
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode("utf-8") + b"\n")
    return h.hexdigest()


def texts() -> list[str]:
    """Every text of every data set, and prompts written the way the lessons write them."""
    found: list[str] = []
    for load in (datasets.customer_queries, datasets.enterprise_requests, datasets.business_documents,
                 datasets.pipeline_documents, datasets.healthcare_cases):
        for text in load()["text"]:
            found += [text, f"Handle this: {text}", f"Read this document:\n{text}"]
    return found


def skill_calls() -> Iterable[tuple[str, dict[str, Any]]]:
    """(skill, arguments) for every skill, with the argument variations the lessons use."""
    for name in sorted(SKILLS):
        yield name, {}
    yield "classify", {"labels": ["refund", "login_error", "pricing_plans", "other_thing"]}
    yield "triage", {"labels": ["real_time", "batch"]}
    yield "keywords", {"k": 3}
    for check in ("labs", "medications"):
        yield "clinical", {"check": check}
    for doc_type in ("invoice", "contract"):
        yield "extract", {"doc_type": doc_type}
    yield "doctype", {"labels": ["invoice", "receipt"]}


def skills_part() -> Iterable[str]:
    corpus = texts()
    for name, args in skill_calls():
        skill = SKILLS[name]
        for accuracy in ACCURACIES:
            for seed in SEEDS:
                for i, text in enumerate(corpus):
                    out = skill(text, rng=random.Random(seed * 100_003 + i), accuracy=accuracy, model="m", **args)
                    yield f"{name} {args} {accuracy} {seed} {i} {out}"
    # validate and synthesize read other skills' answers
    extracted = [SKILLS["extract"](t, rng=random.Random(i), accuracy=0.7, model="m") for i, t in enumerate(corpus)]
    for i, text in enumerate(extracted):
        yield "validate " + SKILLS["validate"](f"Check this extraction:\n{text}", rng=random.Random(i), accuracy=0.8, model="m")
    for i in range(0, len(extracted) - 3, 3):
        findings = "\n".join(f"branch{j}: {v}" for j, v in enumerate(extracted[i:i + 3])) + "\nbroken: MISSING (error: x)"
        yield "synthesize " + SKILLS["synthesize"](f"Write a report:\n{findings}", rng=random.Random(i), accuracy=0.8, model="m")


def result_lines(result: EvaluationResult) -> Iterable[str]:
    yield result.items.to_csv(index=False)
    for trace in result.traces or []:
        for span in trace.spans:  # recorded order, every field
            yield repr(span)


def healthcare_part() -> Iterable[str]:
    from runtime import healthcare_system

    system = healthcare_system()
    cases = datasets.healthcare_cases()
    for seed in (0, 1, 2):
        yield from result_lines(evaluate(system, cases, label_column="recommendation", seed=seed, progress=False,
                                         keep_traces=True))


def lessons_part() -> Iterable[str]:
    small, large = SimulatedModel("generalist-small"), SimulatedModel("generalist-large")
    departments = ["billing", "technical", "product", "account", "general"]
    router = Router(analyzer=Ask(small, "Route this message: {input}", skill="classify", labels=departments,
                                 parse=parse_label),
                    routes={d: Ask(SimulatedModel(f"{d}-specialist") if d != "general" else large,
                                   "Resolve: {input}", skill=d if d != "general" else "support") for d in departments},
                    fallback=Ask(large, "Resolve: {input}", skill="support"), threshold=0.7, name="router")
    fanout = Parallel(tasks={"entities": Ask(small, "Entities:\n{input}", skill="entities"),
                             "keywords": Ask(small, "Keywords:\n{input}", skill="keywords"),
                             "risk": Ask(large.with_failures(error_rate=0.3), "Compliance:\n{input}", skill="compliance")},
                      synthesizer=Ask(large, "Write a short report from these findings:\n{input}", skill="synthesize"),
                      on_error="skip", name="fan-out")
    chain = Sequential(stages=[Ask(small, "Which kind of document:\n{input}", skill="doctype"),
                               Stage(Ask(small.with_failures(error_rate=0.4), "Extract:\n{input}", skill="extract"),
                                     alternative=Ask(large, "Extract:\n{input}", skill="extract"), name="extract")],
                       name="chain")
    for seed in (0, 3):
        yield from result_lines(evaluate(router, datasets.customer_queries(), label_column="label", seed=seed,
                                         progress=False, keep_traces=True))
        yield from result_lines(evaluate(fanout, datasets.business_documents(), label_column="sentiment", seed=seed,
                                         progress=False, keep_traces=True))
        yield from result_lines(evaluate(chain, datasets.pipeline_documents(), label_column="doc_type", seed=seed,
                                         progress=False, keep_traces=True))


def random_flow(rng: random.Random, depth: int = 0) -> Any:
    """A random nesting of the patterns; the leaves are instant, sleeping, failing or model steps."""
    if depth >= 3 or rng.random() < 0.3:
        kind, ticks = rng.choice(["sync", "yield", "sleep", "fail", "model"]), rng.randint(0, 4) / 8
        if kind == "sync":
            return lambda x: f"{x}."
        if kind == "model":
            return Ask(SimulatedModel("generalist-small").with_failures(error_rate=0.2), "Summarise: {input}")

        async def leaf(x: Any, kind: str = kind, ticks: float = ticks) -> Any:
            await asyncio.sleep(0 if kind == "yield" else ticks)
            if kind == "fail":
                raise RuntimeError("planned failure")
            return f"{x}+"
        return leaf
    children = [random_flow(rng, depth + 1) for _ in range(rng.randint(1, 3))]
    shape, name = rng.choice(["parallel", "sequential", "router", "hierarchical"]), f"n{depth}{rng.randrange(1000)}"
    if shape == "parallel":
        return Parallel(tasks={f"t{i}": c for i, c in enumerate(children)}, on_error="skip", name=name)
    if shape == "sequential":
        return Sequential(stages=children, on_error=rng.choice(["raise", "rollback"]), name=name)
    routes = {f"r{i}": c for i, c in enumerate(children)}
    def pick(x: Any) -> Decision:  # a route that depends on the input
        return Decision(f"r{len(str(x)) % len(children)}", 0.9)

    if shape == "router":
        return Router(analyzer=pick, routes=routes, fallback=lambda x: "fallback", name=name)
    return Hierarchical(top=pick, sub=routes, name=name)


def nested_part() -> Iterable[str]:
    rng = random.Random(2024)
    for i in range(300):
        flow = random_flow(rng)
        try:
            trace, outcome = (result := run(flow, f"case {i}", seed=i)).trace, repr(result.output)
        except Exception as error:
            trace, outcome = error.trace, f"{type(error).__name__}: {error}"  # type: ignore[attr-defined]
        yield f"{i} {outcome}"
        yield from (repr(span) for span in trace.spans)


def main() -> None:
    parts = {"skills": skills_part, "healthcare": healthcare_part, "lessons": lessons_part, "nested": nested_part}
    hashes = {name: digest(part()) for name, part in parts.items()}
    for name, value in hashes.items():
        print(f"{name:<12} {value}")
    print(f"{'all':<12} {digest(hashes.values())}")


if __name__ == "__main__":
    main()
