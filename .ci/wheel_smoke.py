"""What a user of the built wheel does first, run from outside the checkout (see wheel_check.sh).

Each line checks one thing the wheel must carry: the model catalog (a simulated
flow), a data set, evaluate() in process and on Dask workers (the README's
``pip install "orchestration-kit[distributed]"`` route), the model config and
the lesson's cassettes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import orchestration_kit
from orchestration_kit import Ask, KeywordRules, Parallel, Router, SimulatedModel, config, datasets, run
from orchestration_kit.measure.evaluate import evaluate, route_taken
from orchestration_kit.replay.cassette import Cassette
from orchestration_kit.grading.lesson07 import LESSON_CASSETTE
from orchestration_kit.paths import DATA_DIR


def main() -> None:
    checkout = Path(sys.argv[1]).resolve()
    installed = Path(orchestration_kit.__file__).resolve().parent
    assert checkout not in installed.parents and checkout not in DATA_DIR.parents, f"imported from the checkout: {installed}"
    print(f"kit imported from {installed}")
    print(f"data read from    {DATA_DIR}")

    small, large = SimulatedModel("generalist-small"), SimulatedModel("generalist-large")
    flow = Parallel(tasks={"summary": Ask(small, "Summarise: {input}"), "risks": Ask(large, "List the risks in: {input}")})
    result = run(flow, "Contract renewal for ACME, 3 years, penalty clause 4.2")
    assert result.trace.latency > 0 and len(result.trace.to_dataframe()) >= 2
    print(f"simulated flow:   2 branches, makespan {result.trace.latency:.3f} s (virtual), cost ${result.trace.cost:.6f}")

    test = datasets.customer_queries("test")
    catalog = datasets.model_catalog()
    assert len(test) > 0 and len(catalog) > 0
    print(f"data sets:        customer_queries('test') has {len(test)} rows; the catalog has {len(catalog)} models")

    rules = KeywordRules({"billing": ["refund", "invoice", "charge"], "technical": ["error", "crash", "login"]})
    router = Router(rules, routes={"billing": Ask(small, "{input}"), "technical": Ask(small, "{input}")},
                    fallback=Ask(large, "{input}"))
    report = evaluate(router, test, predict=lambda r: route_taken(r, fallback="general"), progress=False)
    assert len(report.items) == len(test) and 0 < report.accuracy <= 1
    print(f"evaluate():       {len(report.items)} items, routing accuracy {report.accuracy:.1%}")

    # The Dask route: worker processes import the installed kit and read its catalog and data themselves.
    on_workers = evaluate(router, test, predict=lambda r: route_taken(r, fallback="general"), progress=False,
                          executor="local")
    assert on_workers.items.equals(report.items), "the Dask workers' rows differ from the in-process ones"
    print(f"evaluate() on Dask: the same {len(on_workers.items)} rows from a LocalCluster's worker processes")

    aliases = config.load().entries
    Cassette(LESSON_CASSETTE, mode="replay")  # reads and checks the header
    print(f"config, cassette: {len(aliases)} model aliases; {LESSON_CASSETTE.name} opens for replay")
    print("wheel check: ok")


if __name__ == "__main__":  # Dask starts its worker processes by importing this file again
    main()
