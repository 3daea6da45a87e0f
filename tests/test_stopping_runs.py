"""Runs that must stop: a run nothing can wake ends with Deadlock; cancel_runs() and Ctrl-C stop a run."""

from __future__ import annotations

import _thread
import asyncio
import math
import signal
import threading
import time

import pytest

from orchestration_kit import Ask, ModelProfile, Parallel, SimulatedModel, run
from orchestration_kit.clock import Deadlock
from orchestration_kit.driver import cancel_runs, live_runs

from timed_steps import sleeper


# -- a run that can never finish -------------------------------------------------------------------
async def forever(x):
    await asyncio.sleep(math.inf)


def test_a_step_that_sleeps_for_ever_ends_with_deadlock_naming_it():
    flow = Parallel(tasks={"quick": sleeper(1.5), "stuck": forever})
    with pytest.raises(Deadlock, match=r"t = 1.5 s.*'stuck' \(task, since 0 s\) in 'parallel'") as caught:
        run(flow, "x")
    assert caught.value.trace.find("stuck")[0].status == "cancelled" and caught.value.trace.find("quick")[0].status == "ok"


def test_a_model_with_infinite_latency_ends_with_deadlock_naming_the_model():
    never = SimulatedModel(ModelProfile("never-answers", latency_s=math.inf, latency_sigma=0.0))
    with pytest.raises(Deadlock, match="'never-answers' \\(model"):
        run(Ask(never, "Hi {input}"), "there")


def test_waiting_on_an_event_nobody_sets_ends_with_deadlock():
    async def waits(x):
        await asyncio.Event().wait()

    with pytest.raises(Deadlock, match="nobody sets"):
        run(waits, None)


def test_an_infinite_sleep_under_a_timeout_is_just_a_timeout():
    result = run(Parallel(tasks={"stuck": forever, "fine": sleeper(1.0)}, timeout=5.0, on_error="skip"), "x")
    assert result.trace.latency == 5.0 and result.trace.find("stuck")[0].status == "skipped"


def test_a_very_long_finite_sleep_is_not_a_deadlock():
    assert run(sleeper(10 * 86_400.0), "x").trace.latency == 864_000.0  # 10 days: asyncio caps each wait at 1 day


def test_an_evaluation_keeps_going_after_a_stuck_item():
    from orchestration_kit.measure.evaluate import evaluate

    async def stuck_on_two(text):
        if text == "2":
            await asyncio.sleep(math.inf)
        await asyncio.sleep(1.0)
        return "ok"

    rows = evaluate(stuck_on_two, {"text": ["1", "2", "3"], "label": ["ok"] * 3}, progress=False).items
    assert list(rows.status) == ["ok", "error", "ok"] and rows.error[1].startswith("Deadlock")
    assert list(rows.latency_s) == [1.0, 0.0, 1.0]


# -- threads take no virtual time ------------------------------------------------------------------
def test_a_thread_takes_no_virtual_time_and_returns_at_the_moment_it_was_asked():
    async def thread_beside_a_sleep(x):
        async def in_a_thread():
            await asyncio.to_thread(time.sleep, 0.3)
            return asyncio.get_running_loop().time()

        returned_at, _ = await asyncio.gather(in_a_thread(), asyncio.sleep(100))
        return returned_at

    result = run(thread_beside_a_sleep, None)
    assert (result.output, result.trace.latency) == (0.0, 100.0)


def test_an_event_set_from_a_thread_is_not_a_deadlock():
    async def set_by_a_thread(x):
        event = asyncio.Event()
        loop = asyncio.get_running_loop()
        await asyncio.gather(event.wait(), asyncio.to_thread(lambda: (time.sleep(0.05), loop.call_soon_threadsafe(event.set))))
        return "woken"

    assert run(set_by_a_thread, None).output == "woken"


# -- stopping a run from outside ----------------------------------------------------------------------
def endless_counter(counts: list[int]):
    async def endless(x):
        while True:
            counts[0] += 1
            await asyncio.sleep(1.0)  # virtual: the loop spins as fast as it can

    return endless


def stops_counting(counts: list[int]) -> bool:
    before = counts[0]
    time.sleep(0.2)
    return counts[0] == before


def test_cancel_runs_stops_every_run_another_thread_started_nested_runs_included():
    counts, outcome = [0], {}

    def nested(x):
        return run(endless_counter(counts), x)  # a run() inside a step: a loop of its own, on the same thread

    def learner():
        try:
            run(nested, None)
        except BaseException as error:
            outcome["error"] = error

    thread = threading.Thread(target=learner)
    thread.start()
    while counts[0] < 100:
        time.sleep(0.01)
    assert cancel_runs(thread) >= 2  # the outer run and the nested one (and its driver)
    thread.join(10)
    assert not thread.is_alive() and isinstance(outcome["error"], asyncio.CancelledError)
    assert stops_counting(counts) and live_runs() == []


def test_an_interrupt_while_waiting_for_a_run_stops_the_run():
    counts = [0]

    async def notebook_cell():
        return run(endless_counter(counts), None)  # from a running loop: the run steps the cell's loop aside

    def ctrl_c() -> None:  # Ctrl-C, as the kernel delivers it, once the flow is running
        give_up_at = time.monotonic() + 30
        while counts[0] == 0 and time.monotonic() < give_up_at:
            time.sleep(0.01)
        _thread.interrupt_main()

    loop = asyncio.new_event_loop()  # not asyncio.run(), which turns Ctrl-C into a cancellation of its own
    threading.Thread(target=ctrl_c, daemon=True).start()
    try:
        with pytest.raises(KeyboardInterrupt):
            loop.run_until_complete(notebook_cell())
    finally:
        loop.close()
    assert counts[0] > 0 and stops_counting(counts) and live_runs() == []


def test_ctrl_c_in_a_cell_stops_even_a_step_that_never_awaits():
    spins, spinning = [0], threading.Event()

    def busy(x):  # a plain function runs inline on the virtual clock: nothing else can stop it
        spinning.set()
        while True:
            spins[0] += 1

    async def notebook_cell():
        return run(busy, None)

    def ctrl_c() -> None:  # Ctrl-C, as the kernel delivers it, once the step is spinning
        if spinning.wait(30):
            _thread.interrupt_main()

    loop = asyncio.new_event_loop()
    threading.Thread(target=ctrl_c, daemon=True).start()
    try:
        with pytest.raises(KeyboardInterrupt):
            loop.run_until_complete(notebook_cell())
        assert loop.run_until_complete(asyncio.sleep(0, "the cell's loop still works")) == "the cell's loop still works"
    finally:
        loop.close()
    assert spins[0] > 0 and stops_counting(spins) and live_runs() == []


def test_a_run_that_times_out_in_a_notebook_cell_raises_its_timeout():
    async def impatient(x):
        await asyncio.wait_for(asyncio.sleep(10), timeout=1.0)

    async def cell():
        return run(impatient, None)

    with pytest.raises(TimeoutError):  # raised to the cell as it is
        asyncio.run(cell())


def test_after_a_stop_a_task_that_ignores_its_cancellation_gets_the_grace_then_is_left():
    from orchestration_kit import driver
    from orchestration_kit.clock import VirtualClock

    cancels, sleeps = [0], [0]

    async def stubborn():
        while sleeps[0] < 1000:  # gives up at last (t = 1000 s), so that a driver waiting for ever still ends
            try:
                sleeps[0] += 1
                await asyncio.sleep(1.0)
            except asyncio.CancelledError:
                cancels[0] += 1

    loop = VirtualClock().new_loop()
    try:
        task = loop.create_task(stubborn())
        loop.run_until_complete(asyncio.sleep(0))  # it is running
        driver._cancel_all_tasks(loop)  # what a run stopped by Ctrl-C does on its way out
        assert loop.time() == driver.GRACE_S and cancels[0] == 1 and not task.done()  # waited the grace, no more
        sleeps[0] = 1000
        loop.run_until_complete(task)
    finally:
        loop.close()


def test_a_ctrl_c_that_lands_inside_asyncio_itself_cancels_the_run_instead_of_losing_a_wake_up(monkeypatch):
    # Ctrl-C can land anywhere in the cell's thread, also inside the event loop between taking a
    # task's wake-up from its queue and running it. Raised there, it would lose the wake-up and the
    # task could never end. Made deterministic here: a real SIGINT arrives while the loop runs a
    # callback, in a function that the interpreter sees as asyncio's own code.
    counts, run_handle = [0], asyncio.Handle._run
    source = ("def interrupted_in_the_loop(handle):\n"
              "    if counts[0] >= 5 and type(handle) is asyncio.Handle and not fired:  # a task's wake-up\n"
              "        fired.append(True)\n"
              "        signal.raise_signal(signal.SIGINT)  # the handler runs here, inside 'asyncio'\n"
              "    return run_handle(handle)\n")
    scope = {"counts": counts, "fired": [], "signal": signal, "run_handle": run_handle, "asyncio": asyncio}
    exec(compile(source, asyncio.events.__file__, "exec"), scope)
    monkeypatch.setattr(asyncio.Handle, "_run", scope["interrupted_in_the_loop"])

    async def notebook_cell():
        return run(endless_counter(counts), None)

    loop = asyncio.new_event_loop()
    try:
        with pytest.raises(KeyboardInterrupt):
            loop.run_until_complete(notebook_cell())
    finally:
        loop.close()
    assert counts[0] >= 5 and stops_counting(counts) and live_runs() == []  # the run ended, none left behind
