"""Strategic decisions against tactical execution: count_tiers reads each tier's work from the trace."""

from __future__ import annotations

import pytest

from orchestration_kit import Ask, Hierarchical, HumanReview, SendBack, Sequential, SimulatedModel, run
from orchestration_kit.patterns.tiers import count_tiers, tiers_table


def manager(request):
    return "auto", 0.9


def refuse(request):
    return "refused"


def desk():
    small = SimulatedModel("generalist-small")
    pipeline = Sequential(stages=[lambda r: r.strip(), Ask(small, "Do it: {input}", name="do it")], name="pipeline")
    return Hierarchical(top=manager, sub={"auto": refuse, "pipeline": pipeline},
                        checker=lambda fb: SendBack("refused", to="pipeline") if fb.output == "refused" else None,
                        escalate=HumanReview(decisions="approve"), escalate_when=lambda fb: "always", name="desk")


def test_the_top_level_decides_once_and_the_teams_do_the_steps():
    flow = desk()
    counts = count_tiers(flow, run(flow, "a").trace)  # refuse; pipeline, its two stages
    assert counts == {"routing decisions": 1, "send-backs": 1, "escalations": 1, "team steps": 4, "team model calls": 1}


def test_a_table_over_many_runs_gives_totals_and_means():
    flow = desk()
    table = tiers_table(flow, [run(flow, text).trace for text in ("a", "b")])
    assert table.loc["send-backs", "total"] == 2 and table.loc["team model calls", "per request"] == 1.0


def test_count_tiers_needs_the_flow_that_ran():
    with pytest.raises(ValueError, match="no span of the flow 'desk'"):
        count_tiers(desk(), run(str, "x").trace)
