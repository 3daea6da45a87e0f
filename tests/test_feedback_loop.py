"""The feedback loop of a Hierarchical: a checker accepts a team's result or sends it back, a bounded number of times."""

from __future__ import annotations

import asyncio

import pytest

from orchestration_kit import ConfigurationError, Escalation, Hierarchical, SendBack, run


def team(seconds, answers):
    """A team that takes ``seconds`` on the virtual clock and gives the next of ``answers`` each time it runs."""
    given = iter(answers)

    async def work(request):
        await asyncio.sleep(seconds)
        return next(given)

    return work


def test_a_result_sent_back_is_revised_until_the_checker_accepts_it():
    seen = []

    def checker(feedback):
        seen.append(feedback.round)
        return None if feedback.output == "good" else "not good enough"

    flow = Hierarchical(top=lambda r: "writer", sub={"writer": team(1.0, ["bad", "bad", "good"])}, checker=checker,
                        max_rounds=3)
    result = run(flow, "draft")
    assert result.output == "good" and seen == [1, 2, 3]
    assert result.trace.latency == 3.0  # three rounds of 1 s, exactly, on the virtual clock
    assert [s.detail for s in result.trace.find("checker")] == [
        "sent back to writer: not good enough", "sent back to writer: not good enough", "accepted"]


def test_the_loop_is_bounded_and_escalates_what_is_never_accepted():
    flow = Hierarchical(top=lambda r: "writer", sub={"writer": team(1.0, ["bad"] * 5)},
                        checker=lambda feedback: "still bad", max_rounds=2)
    result = run(flow, "draft")
    assert isinstance(result.output, Escalation)
    assert result.output.reason == "the checker still sent the work back after 2 rounds (still bad)"
    assert result.output.feedback.round == 2 and result.trace.latency == 2.0


def test_the_checker_can_send_the_work_to_another_team():
    def checker(feedback):
        return SendBack("above my authority", to="review") if feedback.route == "auto" else None

    flow = Hierarchical(top=lambda r: ("auto", 0.9), sub={"auto": team(0.5, ["refused"]), "review": team(2.0, ["packet"])},
                        checker=checker, name="desk")
    result = run(flow, "order $5,000 of chairs")
    top = result.trace.find("desk")[0]
    assert result.output == "packet" and top.route == "review"  # the team that did the work
    assert top.detail == "auto (0.90) -> ok; sent back to review -> ok"
    assert result.trace.latency == 2.5


def test_without_a_checker_a_team_runs_once():
    flow = Hierarchical(top=lambda r: "writer", sub={"writer": team(1.0, ["bad", "good"])})
    assert run(flow, "draft").output == "bad"


def test_a_checker_that_names_an_unknown_team_or_answers_nonsense_is_a_mistake_raised():
    to_nowhere = Hierarchical(top=lambda r: "a", sub={"a": str}, checker=lambda fb: SendBack("x", to="b"))
    with pytest.raises(ConfigurationError, match="sent the work to 'b', which is not a route"):
        run(to_nowhere, "x")
    nonsense = Hierarchical(top=lambda r: "a", sub={"a": str}, checker=lambda fb: 42)
    with pytest.raises(ConfigurationError, match="a checker returns None"):
        run(nonsense, "x")


@pytest.mark.parametrize("options, says", [
    ({"max_rounds": 0}, "max_rounds is how many times"), ({"checker": "yes"}, "checker must be a function"),
    ({"on_approve": {"b": str}}, "on_approve names 'b'"),
])
def test_bad_loop_settings_are_refused_when_the_flow_is_built(options, says):
    with pytest.raises(ConfigurationError, match=says):
        Hierarchical(top=lambda r: "a", sub={"a": str}, **options)
