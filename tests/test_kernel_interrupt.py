"""Ctrl-C in Jupyter stops a run: tested in a real IPython kernel, interrupted as the notebook does."""

from __future__ import annotations

import queue
import time

import pytest

jupyter_client = pytest.importorskip("jupyter_client")

SETUP = """
import asyncio, pathlib, time
from orchestration_kit import Parallel, arun, run
from orchestration_kit.driver import live_runs

calls, started = [0], [None]

async def endless(x):                 # a flow that never ends, counting its "model calls"
    while True:
        calls[0] += 1
        if calls[0] == 1 and started[0]:
            pathlib.Path(started[0]).touch()   # tells the test that the flow is running
        await asyncio.sleep(SLEEP)
"""

CHECK = "before = calls[0]; time.sleep(0.5); print(calls[0] - before, len(live_runs()))"


@pytest.fixture(scope="module")
def kernel():
    manager = jupyter_client.KernelManager(kernel_name="python3")
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    yield manager, client
    client.stop_channels()
    manager.shutdown_kernel(now=True)


def execute(client, code: str, timeout: float = 30) -> tuple[str, str]:
    """Run ``code`` in the kernel: (its reply status, what it printed)."""
    msg_id = client.execute(code)
    return wait_for_reply(client, msg_id, timeout)


def wait_for_reply(client, msg_id: str, timeout: float = 30) -> tuple[str, str]:
    printed, give_up_at = [], time.monotonic() + timeout
    while True:
        try:
            msg = client.get_iopub_msg(timeout=max(0.1, give_up_at - time.monotonic()))
        except queue.Empty:
            raise AssertionError(f"no reply within {timeout} s; printed so far: {''.join(printed)!r}") from None
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            printed.append(msg["content"]["text"])
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    reply = client.get_shell_msg(timeout=timeout)
    return reply["content"]["status"], "".join(printed)


def wait_until(happened, seconds: float = 60) -> None:
    """Poll ``happened()`` every 0.1 s (a loaded machine may take a while to start a cell)."""
    give_up_at = time.monotonic() + seconds
    while not happened():
        assert time.monotonic() < give_up_at, f"still not there after {seconds} s"
        time.sleep(0.1)


@pytest.mark.parametrize("clock, sleep", [("virtual", 1.0), ("wall", 0.05)])
def test_an_interrupt_stops_an_endless_run_in_a_kernel(kernel, clock, sleep, tmp_path):
    manager, client = kernel
    assert execute(client, SETUP.replace("SLEEP", str(sleep)))[0] == "ok"
    running = tmp_path / "running"
    msg_id = client.execute(f"calls[0] = 0\nstarted[0] = {str(running)!r}\nrun(endless, None, clock={clock!r})")
    wait_until(running.exists)  # the cell is running the endless flow
    manager.interrupt_kernel()  # what the notebook's stop button (or Ctrl-C) does
    status, _ = wait_for_reply(client, msg_id)
    assert status == "error"  # KeyboardInterrupt
    status, printed = execute(client, "print(calls[0] > 0)\n" + CHECK)
    started, (more_calls, still_running) = printed.split("\n")[0], printed.split("\n")[1].split()
    assert (status, started, more_calls, still_running) == ("ok", "True", "0", "0")  # no call after the interrupt


def test_top_level_await_of_concurrent_runs_in_a_kernel(kernel):
    _, client = kernel
    code = """
fan = lambda name: Parallel(tasks={f"{name}{i}": (lambda x: asyncio.sleep(0.05, x)) for i in range(4)}, name=name)
first, second = await asyncio.gather(arun(fan("a"), "x", clock="wall"), arun(fan("b"), "y", clock="wall"))
print(len(first.output.values), len(second.output.values), not first.output.missing and not second.output.missing)
"""
    status, printed = execute(client, code)
    assert (status, printed.split()) == ("ok", ["4", "4", "True"])


def test_an_interrupt_stops_even_a_step_that_never_awaits_in_a_kernel(kernel, tmp_path):
    manager, client = kernel
    assert execute(client, SETUP.replace("SLEEP", "1.0"))[0] == "ok"
    spinning = tmp_path / "spinning"
    code = ("import pathlib, threading\ndef spinning(x):\n    pathlib.Path(%r).touch()\n    while True:\n"
            "        calls[0] += 1\n"
            "print(run(lambda x: threading.current_thread() is threading.main_thread(), None).output)") % str(spinning)
    assert execute(client, code) == ("ok", "True\n")  # a run in a cell runs on the kernel's own thread ...
    msg_id = client.execute("calls[0] = 0\nrun(spinning, None)")
    wait_until(spinning.exists)
    manager.interrupt_kernel()
    status, _ = wait_for_reply(client, msg_id)
    assert status == "error"  # ... so Ctrl-C reaches even a busy loop
    status, printed = execute(client, "print(calls[0] > 0)\n" + CHECK)
    started, (more_calls, still_running) = printed.split("\n")[0], printed.split("\n")[1].split()
    assert (status, started, more_calls, still_running) == ("ok", "True", "0", "0")
