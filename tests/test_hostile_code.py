"""Hostile learner code: every case gets a verdict and a hint, and the next check works as before.

What learners really submit: code that raises, returns the wrong type or None,
hangs, prints megabytes, changes the data it is given, exits, or builds a flow
that never finishes in virtual time. Each test below submits one of them, reads
the verdict, then checks that the kit is unharmed: the next check() passes,
printing works, no worker thread is left running.
"""

from __future__ import annotations

import asyncio
import copy
import gc
import os
import signal
import sys
import threading
from pathlib import Path

import nbformat
import pytest

from orchestration_kit import Ask, Parallel, Sequential, SimulatedModel, run
from orchestration_kit.grading import EXERCISES, TIME_LIMIT_ENV, Case, check, exercise, grade, run_answer, solved
from orchestration_kit.grading.sandbox import OUTPUT_LIMIT, DidNotFinish
from orchestration_kit.grading.shell import grade_notebook
from orchestration_kit.models import load_profiles

LIMIT = 0.5  # seconds per case for code that hangs (honest code gets 5 s: a loaded machine is no hang)


def makespan(stages):  # a correct answer to 00.makespan
    return sum(max(stage) for stage in stages)


draft = Ask(SimulatedModel("generalist-small"), "Draft a reply to this customer message: {input}", name="draft")
polish = Ask(SimulatedModel("generalist-large"), "Polish this draft reply: {input}", name="polish")


def check_threads():
    return [thread for thread in threading.enumerate() if thread.name == "check" and thread.is_alive()]


@pytest.fixture(autouse=True)
def kit_is_unharmed_afterwards():
    """After every hostile answer: output goes where it did, and a correct answer still passes."""
    before = sys.stdout, sys.stderr
    yield
    assert (sys.stdout, sys.stderr) == before
    assert grade("00.makespan", makespan, time_limit=5).passed
    assert grade("00.sequential", Sequential(stages=[draft, polish]), time_limit=5).passed


def last_case(result):
    return result.cases[-1]


# -- code that raises, returns the wrong thing, or exits -----------------------------
def test_code_that_raises_gets_its_error_in_one_line():
    def broken(stages):
        raise ValueError("no stages today\nand a second line nobody needs")

    result = grade("00.makespan", broken, time_limit=5)
    assert result.status == "failed"
    assert last_case(result) == Case("your code runs without raising an error", False, "it raised ValueError: no stages today")


def test_code_that_returns_the_wrong_type_is_told_what_it_returned():
    result = grade("00.makespan", lambda stages: "2.5 s", time_limit=5)
    assert [(c.description, c.passed) for c in result.cases][-1] == ("it returns a number of seconds", False)
    assert "str '2.5 s'" in last_case(result).hint


def test_code_that_returns_none_is_not_yet_solved_with_the_starting_hint():
    def forgot_return(stages):
        sum(max(stage) for stage in stages)

    result = grade("00.makespan", forgot_return, time_limit=5)
    assert result.status == "unsolved"
    assert result.hint == EXERCISES["00.makespan"].start


def test_code_that_calls_exit_gets_a_verdict_not_a_dead_check():
    def quits(stages):
        sys.exit(3)

    result = grade("00.makespan", quits, time_limit=5)
    assert last_case(result).hint == "it raised SystemExit: 3"


# -- code that hangs -------------------------------------------------------------------
def test_a_busy_endless_loop_is_stopped_after_the_time_limit():
    def spins(stages):
        while True:
            pass

    result = grade("00.makespan", spins, time_limit=LIMIT)
    assert result.status == "failed" and result.score == (1, 2)  # "is a function" passed before it hung
    assert last_case(result).description == f"your code finishes within {LIMIT:g} s"
    assert "a loop that never ends" in last_case(result).hint
    assert "could not be stopped" not in last_case(result).hint
    assert check_threads() == []  # stopped, not left spinning beside the next cell


def test_an_endless_loop_that_catches_the_first_stop_request_is_asked_again():
    def stubborn(stages):
        try:
            while True:
                pass
        except BaseException:  # swallows the first request to stop, then loops again
            while True:
                pass

    result = grade("00.makespan", stubborn, time_limit=LIMIT)
    assert last_case(result).description == f"your code finishes within {LIMIT:g} s"
    assert check_threads() == []


def test_a_loop_that_catches_every_exception_is_left_behind_and_the_verdict_says_so():
    release = threading.Event()

    def unstoppable(stages):
        while not release.is_set():
            try:
                while not release.is_set():
                    pass
            except BaseException:
                pass

    result = grade("00.makespan", unstoppable, time_limit=LIMIT)
    assert "could not be stopped" in last_case(result).hint and "restart the kernel" in last_case(result).hint
    release.set()  # only the test can end it; in a notebook it would spin until the kernel restarts
    for thread in check_threads():
        thread.join(5)
    assert check_threads() == []


def test_code_blocked_in_a_wait_is_left_behind_and_the_verdict_says_so():
    release = threading.Event()

    def waits(stages):
        release.wait()  # blocked inside C: cannot be interrupted from Python
        return 0.0

    result = grade("00.makespan", waits, time_limit=LIMIT)
    assert "could not be stopped" in last_case(result).hint and "restart the kernel" in last_case(result).hint
    assert len(check_threads()) == 1
    release.set()  # it wakes up, meets the pending stop request, and ends
    for thread in check_threads():
        thread.join(5)
    assert check_threads() == []


def test_each_case_gets_its_own_time_limit_so_slow_honest_checks_pass():
    @exercise("99.patient", "Three cases of 0.4 s each", start="any function")
    def cases(answer):
        for n in range(3):
            threading.Event().wait(0.4)  # each case well inside the limit of 1 s; all three together are not
            yield Case(f"case {n}", True)

    try:
        assert grade("99.patient", len, time_limit=1).passed
    finally:
        del EXERCISES["99.patient"]


def test_the_time_limit_comes_from_the_environment(monkeypatch):
    def spins(stages):
        while True:
            pass

    monkeypatch.setenv(TIME_LIMIT_ENV, "0.3")
    assert last_case(grade("00.makespan", spins)).description == "your code finishes within 0.3 s"
    for wrong in ("thirty", "0", "-5"):
        monkeypatch.setenv(TIME_LIMIT_ENV, wrong)
        with pytest.raises(ValueError, match="ORCHESTRATION_KIT_TIME_LIMIT must be a number of seconds above 0"):
            grade("00.makespan", makespan)
    monkeypatch.delenv(TIME_LIMIT_ENV)
    with pytest.raises(ValueError, match="time_limit must be a number of seconds above 0"):
        grade("00.makespan", makespan, time_limit=-1)


def test_interrupting_the_kernel_during_a_check_stops_it_and_reaches_the_caller():
    def spins(stages):
        while True:
            pass

    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))  # what the ■ button sends
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        grade("00.makespan", spins, time_limit=10)
    assert check_threads() == []


# -- a flow that never finishes in virtual time ----------------------------------------------
async def forever(x):
    while True:
        await asyncio.sleep(1)


async def never_answered(x):
    await asyncio.Event().wait()  # nothing will ever set it


@pytest.fixture
def flow_exercise():
    """A throwaway exercise whose check runs the learner's flow with run_answer(), as lessons do."""

    @exercise("99.flow", "Any flow that answers", start="build a flow")
    def cases(flow):
        output = run_answer(flow, "hello").output
        yield Case("it answers", output is not None, "return something")

    yield "99.flow"
    del EXERCISES["99.flow"]


@pytest.mark.parametrize("step", [forever, never_answered], ids=["loops", "waits"])
def test_a_flow_that_never_finishes_in_virtual_time_is_stopped_at_the_virtual_limit(flow_exercise, step):
    result = grade(flow_exercise, Sequential(stages=[step]), time_limit=5)
    assert result.cases == (Case("your flow finishes within 600 s of virtual time", False, str(DidNotFinish(600))),)
    assert "your flow did not finish within 600 s of virtual time" in result.cases[0].hint


def test_run_answer_reports_how_long_the_flow_had_and_keeps_the_trace_so_far():
    flow = Parallel(tasks={"quick": draft, "stuck": forever})
    with pytest.raises(DidNotFinish) as raised:
        run_answer(flow, "a question", limit=30)
    assert raised.value.seconds == 30
    assert [span.name for span in raised.value.trace.model_calls] == ["generalist-small"]  # the quick task finished


def test_run_answer_traces_a_flow_exactly_as_run_does():
    flow = Sequential(stages=[draft, Parallel(tasks={"a": polish, "b": draft})])
    alone, bounded = run(flow, "My parcel arrived damaged", seed=4), run_answer(flow, "My parcel arrived damaged", seed=4)
    assert bounded.output == alone.output
    assert bounded.trace.to_dataframe().equals(alone.trace.to_dataframe())


def test_a_lesson_check_on_an_endless_flow_ends_with_a_did_not_finish_verdict():
    async def draft(x):  # named like the lesson's steps, so the check gets as far as running it
        await forever(x)

    def polish(x):
        return x

    result = grade("00.sequential", Sequential(stages=[draft, polish]), time_limit=1)
    assert result.status == "failed" and result.score == (3, 4)
    assert last_case(result).description in ("your code finishes within 1 s", "your flow finishes within 600 s of virtual time")
    assert check_threads() == []
    gc.collect()  # a stopped run leaves no half-run coroutine whose clean-up fails later ("Exception ignored in ...")


# -- megabytes of output ------------------------------------------------------------
def test_megabytes_of_output_are_cut_and_the_answer_is_still_graded(capsys):
    def chatty(stages):
        print("x" * 1_000_000)
        return makespan(stages)

    result = check("00.makespan", chatty, time_limit=5)
    assert result.passed  # printing is not wrong; flooding the notebook is prevented
    printed = capsys.readouterr().out
    assert len(printed) < OUTPUT_LIMIT + 1000
    assert f"your code printed {6 * 1_000_001:,} characters, only the first {OUTPUT_LIMIT:,} are shown" in printed
    assert printed.index("output cut") < printed.index("score 7/7")  # the learner's output, then the verdict


def test_a_little_output_is_shown_whole_before_the_verdict(capsys):
    def says_hello(stages):
        print("thinking about", stages)
        return makespan(stages)

    check("00.makespan", says_hello, time_limit=5)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "thinking about [[1.0]]" and lines[6] == "00.makespan: Predict a flow's makespan, then verify it"
    assert "output cut" not in "\n".join(lines)


def test_output_written_to_stderr_is_captured_too(capsys):
    def warns(stages):
        print("!" * 100_000, file=sys.stderr)
        return makespan(stages)

    assert check("00.makespan", warns, time_limit=5).passed
    captured = capsys.readouterr()
    assert captured.err == "" and len(captured.out) < OUTPUT_LIMIT + 1000


def test_code_that_prints_forever_is_both_cut_and_stopped():
    def floods(stages):
        while True:
            print("again")

    result = grade("00.makespan", floods, time_limit=LIMIT)
    assert last_case(result).description == f"your code finishes within {LIMIT:g} s"
    assert len(result.printed) < OUTPUT_LIMIT + 300 and "output cut" in result.printed


# -- changes to shared data ---------------------------------------------------------
STAGES = [[0.4], [1.5, 0.9], [0.6]]  # a fixture a careless check hands the learner as it is


@pytest.fixture
def careless_exercise():
    @exercise("99.careless", "Makespan on the fixture itself", start="write makespan(stages)")
    def cases(makespan):
        yield Case("it predicts 2.5 s", solved(makespan(STAGES)) == 2.5, "add up each stage's slowest task")
        yield Case("it predicts 2.5 s again", makespan(STAGES) == 2.5, "do not change the stages")

    yield "99.careless"
    del EXERCISES["99.careless"]


def test_a_fixture_changed_by_the_learners_code_is_put_back_and_reported(careless_exercise):
    original = STAGES

    def destructive(stages):
        total = 0.0
        while stages:
            total += max(stages.pop())
        return total

    result = grade(careless_exercise, destructive, time_limit=5)
    assert last_case(result).description == "your code leaves the check's own data unchanged"
    assert "it changed STAGES (now put back)" in last_case(result).hint
    assert STAGES is original and STAGES == [[0.4], [1.5, 0.9], [0.6]]  # the same list, restored in place
    assert grade(careless_exercise, makespan, time_limit=5).passed


def test_a_changed_model_catalog_is_put_back_and_reported():
    catalog = load_profiles()

    def vandal(stages):
        catalog.pop("generalist-large", None)
        return makespan(stages)

    result = grade("00.makespan", vandal, time_limit=5)
    assert result.status == "failed" and result.score == (7, 8)
    assert "the model catalog, load_profiles()" in last_case(result).hint
    assert "generalist-large" in load_profiles()  # the fixture below then runs 00.sequential, which needs it


# -- the shell: one hostile cell does not stop the others -----------------------------
@pytest.mark.slow
def test_the_check_command_grades_every_exercise_around_a_hung_and_a_flooding_one(tmp_path):
    cells = [
        "from orchestration_kit.grading import check",
        "def makespan(stages):\n    while True:\n        pass\ncheck('00.makespan', makespan)",
        "from orchestration_kit import Ask, Sequential, SimulatedModel\n"
        "draft = Ask(SimulatedModel('generalist-small'), 'Draft: {input}', name='draft')\n"
        "polish = Ask(SimulatedModel('generalist-large'), 'Polish: {input}', name='polish')\n"
        "print('y' * 3_000_000)\n"  # outside a check: the cell's output, not graded
        "flow = Sequential(stages=[draft, polish])\n"  # the answer's name, as in the solutions master
        "check('00.sequential', flow)",
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in cells])
    path = Path(tmp_path) / "00_start_here.ipynb"
    nbformat.write(notebook, path)
    graded = grade_notebook(path, timeout=60, time_limit=1)
    assert graded.errors == ()  # the hung check is a verdict, not a cell error
    assert graded.rows == (("00.sequential", "passed", "5/5"), ("00.makespan", "failed", "1/2"), ("00.fallback", "not run", "-"))


# -- after a verdict, nothing the check started still runs ----------------------------
def test_a_nested_endless_run_inside_a_step_stops_burning_cpu_after_its_verdict(flow_exercise):
    import time

    def step(x):  # a step that runs a whole endless flow itself, on run()'s private thread
        return run(Sequential(stages=[forever]), x)

    threads_before = threading.active_count()
    result = grade(flow_exercise, Sequential(stages=[step]), time_limit=LIMIT)
    assert last_case(result).description == f"your code finishes within {LIMIT:g} s"
    assert "could not be stopped" not in last_case(result).hint
    cpu_before = time.process_time()
    time.sleep(2)
    assert time.process_time() - cpu_before < 0.2  # the endless virtual flow spun at 100 % of a core before
    kit_workers = ("orchestration-kit-run", "orchestration-kit-step")  # reusable, idle once their run is cancelled
    assert len([t for t in threading.enumerate() if not t.name.startswith(kit_workers)]) <= threads_before


def test_learner_code_that_changes_the_skill_table_gets_it_put_back_and_reported():
    from orchestration_kit.models.skills import SKILLS

    before = dict(SKILLS)

    def meddles(stages):
        SKILLS["classify"] = lambda *args, **kwargs: "always billing"
        SKILLS["mine"] = lambda *args, **kwargs: "extra"
        return makespan(stages)

    result = grade("00.makespan", meddles, time_limit=5)
    assert "the kit's skill table, orchestration_kit.models.skills.SKILLS" in last_case(result).hint
    assert SKILLS == before and all(SKILLS[name] is skill for name, skill in before.items())


def test_a_changed_skills_data_table_is_put_back():
    from orchestration_kit.models.skills import support

    before = copy.deepcopy(support.INTENTS)

    def meddles(stages):
        support.INTENTS.clear()
        return makespan(stages)

    result = grade("00.makespan", meddles, time_limit=5)
    assert "orchestration_kit.models.skills.support.INTENTS" in last_case(result).hint
    assert support.INTENTS == before


# -- exceptions and objects that fight back ----------------------------------------------
class StrRaises(Exception):
    def __str__(self):
        raise RuntimeError("no message for you")


class StrHangs(Exception):
    def __str__(self):
        while True:
            pass


@pytest.mark.parametrize("error", [StrRaises, StrHangs], ids=["str raises", "str hangs"])
def test_an_exception_whose_message_fails_still_gets_a_verdict(error):
    import time

    def broken(stages):
        raise error()

    result = grade("00.makespan", broken, time_limit=LIMIT)
    assert last_case(result).description == "your code runs without raising an error"
    assert last_case(result).hint == (f"it raised {error.__name__} (its message could not be shown: "
                                      "its __str__ raised an error or did not return)")
    cpu_before = time.process_time()
    time.sleep(0.5)
    assert time.process_time() - cpu_before < 0.2  # the hung __str__ was stopped, not left spinning


class NeRaises:
    def __eq__(self, other):
        raise RuntimeError("no comparing me")

    __ne__ = __eq__
    __hash__ = object.__hash__


def test_a_fixture_replaced_by_an_object_whose_comparison_raises_gets_a_verdict_and_is_put_back():
    from orchestration_kit.grading import lesson00

    original = lesson00._MAKESPAN_CASES

    def swaps(stages):
        lesson00._MAKESPAN_CASES = NeRaises()
        return makespan(stages)

    result = grade("00.makespan", swaps, time_limit=5)
    assert "it changed _MAKESPAN_CASES (now put back)" in last_case(result).hint
    assert lesson00._MAKESPAN_CASES == original
