"""What lesson 2's checks share: healthy models, and a learner's flow run so that its error becomes a hint.

    >>> SimulatedModel("generalist-small").with_failures(**{**HEALTHY, "fail_first": 1})  # one fault, nothing by chance
    >>> result, error = attempt(flow, "Quarterly memo: ...", seed=1)   # (RunResult, "") or (None, "ValueError: ...")
"""

from __future__ import annotations

from typing import Any

from .flow_limit import DidNotFinish, run_answer
from .learner_code import one_line

HEALTHY = {"error_rate": 0.0, "spike_rate": 0.0}  # no chance failures, so each case tests one thing


def attempt(flow: Any, document: str, seed: int = 0) -> tuple[Any, str]:
    """Run the learner's flow: (the RunResult, "") or (None, the error as one line)."""
    try:
        return run_answer(flow, document, seed=seed), ""
    except DidNotFinish:
        raise  # the check's own verdict: the flow never ends
    except Exception as error:
        return None, one_line(error)
