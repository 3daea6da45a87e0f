"""Lesson 7's design exercise, 07.helpdesk_design: several designs pass; each wrong one fails for its own reason."""

from __future__ import annotations

import asyncio

from orchestration_kit import Ask, BackendError, RateLimited, Resilient, RetryPolicy, run
from orchestration_kit.grading import grade
from orchestration_kit.course.helpdesk import help_desk


def verdicts(result) -> dict[str, bool]:
    return {case.measure[0]: case.passed for case in result.cases if case.measure is not None}


def failed(result) -> list[str]:
    return [name for name, passed in verdicts(result).items() if not passed]


def hints(result) -> str:
    """The hints of the failed cases, unwrapped."""
    return "\n".join(case.hint for case in result.cases if not case.passed)


def hand_written(primary, backup, wait_as_asked=True, timeout=4.0):
    """A loop of its own: up to 3 attempts, each under a timeout; a short Retry-After is waited, anything else
    sends the question to the backup."""

    async def answer(question, ctx):
        for attempt in range(3):
            try:
                return (await asyncio.wait_for(primary.complete(question), timeout)).text
            except RateLimited as error:
                if attempt == 2 or (error.retry_after or 0) > 3:
                    break
                await asyncio.sleep(error.retry_after if wait_as_asked else 0.1)
            except (BackendError, TimeoutError):
                break
        return (await backup.complete(question)).text

    return answer


def nested_resilient(primary, backup, prompt="{input}"):
    """The kit's pieces: retries with a per-attempt timeout inside, an overall budget and the backup outside."""
    attempts = Resilient(Ask(primary, prompt, name="primary"), timeout=4.0, retry=RetryPolicy(attempts=3, initial_delay=0.5))
    return Resilient(attempts, timeout=5.0, fallback=Ask(backup), name="help desk")


def test_two_different_designs_pass_the_helpdesk_design():
    for design in (hand_written, nested_resilient):
        result = grade("07.helpdesk_design", design)
        assert result.passed, result.report()


def test_the_faulty_primary_notes_each_request_and_waits_on_a_slow_day():
    primary, backup = help_desk("rate limited")
    assert run(hand_written(primary, backup), "Where is my parcel?").output.startswith("[generalist-small]")
    assert [request.outcome for request in primary.requests] == ["rate_limited", "rate_limited", "answered"]
    slow, _ = help_desk("slow")
    assert run(Ask(slow), "Where is my parcel?").trace.latency > 30.0


def test_a_flow_without_a_backup_loses_questions_and_keeps_customers_waiting():
    result = grade("07.helpdesk_design", lambda primary, backup: Ask(primary))
    assert verdicts(result)["answered"] is False and verdicts(result)["slowest_s"] is False
    assert "when the primary cannot answer, who can?" in hints(result)


def test_asking_the_backup_at_the_first_429_is_safe_but_too_dear():
    def impatient(primary, backup):
        return Resilient(Ask(primary), timeout=4.0, fallback=Ask(backup))

    result = grade("07.helpdesk_design", impatient)
    assert failed(result) == ["cost_per_1k_usd"]
    assert "which questions really needed it?" in hints(result)


def test_coming_back_before_retry_after_is_caught():
    result = grade("07.helpdesk_design", lambda primary, backup: hand_written(primary, backup, wait_as_asked=False))
    assert failed(result) == ["retry_after_kept"]
    assert "after a 429 that asked for 1 s" in hints(result)


def test_a_timeout_shorter_than_a_real_answer_fails_on_the_recorded_http_backend_only():
    result = grade("07.helpdesk_design", lambda primary, backup: hand_written(primary, backup, timeout=1.0))
    assert failed(result) == ["replayed"]
    assert "how long did your flow wait for it?" in hints(result)


def test_a_reworded_prompt_misses_the_recording_with_a_hint_to_send_the_question_as_it_is():
    result = grade("07.helpdesk_design", lambda primary, backup: nested_resilient(primary, backup, "Briefly: {input}"))
    assert failed(result) == ["replayed"]
    assert "send the question as it is" in hints(result)


def test_unbounded_waiting_and_hammering_are_both_measured():
    def stubborn(primary, backup):
        return Resilient(Ask(primary), retry=RetryPolicy(attempts=6, initial_delay=0.2), fallback=Ask(backup))

    result = grade("07.helpdesk_design", stubborn)
    assert verdicts(result)["slowest_s"] is False and verdicts(result)["requests"] is False
