"""One learner's kernel, with hard limits: a cell that runs too long is interrupted, then killed.

    >>> kernel = await Kernel.start(cwd=Path("class/ada"), env={"PYTHONHASHSEED": "0"})
    >>> ran = await kernel.run_cell(cell, index=3, timeout=60)   # a CellRun: "ok", "error", "stopped", ...
    >>> await kernel.shutdown()                                   # always: one kernel per notebook

nbclient executes each cell on an asynchronous kernel manager. It interrupts
a cell at its timeout (the kernel's Ctrl-C) and notices a dead kernel within
about a second (it polls). Two things it does not do, so this module does:

- **Kill a kernel that ignores the interrupt.** Code that catches
  KeyboardInterrupt, or waits inside C, keeps running after Ctrl-C; nbclient
  would wait for ever. ``run_cell`` waits ``GRACE`` seconds more, then kills
  the kernel's process.
- **Leave the grader's signals alone.** nbclient's own start-up replaces the
  SIGTERM and SIGINT handlers with one that only stops the kernel; this module
  starts the kernel itself, so a SIGTERM stops the grader as it should.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

GRACE = 5.0  # seconds a kernel has to honour an interrupt before it is killed (a loaded machine needs a few)
START_TIMEOUT = 60.0  # seconds a kernel may take to start (a loaded machine is slow)


@dataclass(frozen=True)
class CellRun:
    """How one cell ended: "ok", "error" (it raised), "stopped" (interrupted at its timeout),
    "killed" (it ignored the interrupt), or "died" (the kernel's process ended: os._exit, a crash, out of memory)."""

    index: int
    outcome: str
    error: str = ""  # "ValueError: ..." for an "error"
    limit: float = 0.0  # the time limit (s) the cell ran under: the cell's own, or what was left of the notebook's

    @property
    def kernel_lost(self) -> bool:
        return self.outcome in ("killed", "died")


def kernel_manager() -> Any:
    """An asynchronous kernel manager for the Python running this code (as ``pytest --nbval-current-env``)."""
    import ipykernel.kernelspec
    from jupyter_client import AsyncKernelManager
    from jupyter_client.kernelspec import KernelSpecManager

    class ThisPython(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str) -> Any:
            spec = ipykernel.kernelspec.get_kernel_dict()  # argv starts with sys.executable
            return self.kernel_spec_class(resource_dir=ipykernel.kernelspec.RESOURCES, **spec)

    return AsyncKernelManager(kernel_name="this-python", kernel_spec_manager=ThisPython())


class Kernel:
    """A started kernel and the nbclient client that runs cells on it. Make one with ``Kernel.start``."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.cells_run = 0

    def __repr__(self) -> str:
        return f"Kernel(alive={self.client.km is not None}, cells_run={self.cells_run})"

    @classmethod
    async def start(cls, notebook: Any, *, cwd: Path, env: dict[str, str]) -> "Kernel":
        """Start a fresh kernel in ``cwd`` with exactly the environment ``env``, for cells of ``notebook``."""
        from nbclient import NotebookClient

        client = NotebookClient(
            notebook, km=kernel_manager(), allow_errors=True, interrupt_on_timeout=True, record_timing=False,
            coalesce_streams=False,  # merging a learner's megabyte line is quadratic; keep the pieces
            startup_timeout=int(START_TIMEOUT), extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
        kernel = cls(client)
        try:
            await client.km.start_kernel(extra_arguments=client.extra_arguments, cwd=str(cwd), env=env)
            await client.async_start_new_kernel_client()
        except BaseException:
            await kernel.shutdown()
            raise
        return kernel

    async def run_cell(self, cell: Any, index: int, timeout: float) -> CellRun:
        """Run one code cell, at most ``timeout`` s (then interrupted), ``timeout + GRACE`` s (then killed)."""
        from nbclient.exceptions import DeadKernelError

        if self.client.km is None:
            return CellRun(index, "died")
        self.client.timeout = max(1, round(timeout))  # nbclient interrupts the kernel at this many seconds
        before = asyncio.all_tasks()
        self.cells_run += 1
        limit = float(self.client.timeout)
        running = asyncio.ensure_future(self.client.async_execute_cell(cell, index, execution_count=self.cells_run))
        try:
            done, _ = await asyncio.wait({running}, timeout=self.client.timeout + GRACE)
            if not done:
                await self.kill()
                return CellRun(index, "killed", limit=limit)
            error = running.exception()
            if isinstance(error, DeadKernelError):
                await self.shutdown()
                return CellRun(index, "died", limit=limit)
            if error is not None:
                raise error
            return replace(_outcome(cell, index), limit=limit)
        finally:
            if not running.done():
                running.cancel()
            await asyncio.gather(running, return_exceptions=True)  # its outcome is read above; none goes unretrieved
            await _cancel_new_tasks(before)

    async def kill(self) -> None:
        """End the kernel's process at once (it ignored an interrupt, or the grader is stopping)."""
        km = self.client.km
        if km is not None:
            with contextlib.suppress(Exception):
                await km.shutdown_kernel(now=True)
        await self.shutdown()

    async def shutdown(self) -> None:
        """Stop the kernel and free its channels and files; safe to call twice."""
        client, km = self.client, self.client.km
        if km is None:
            return
        with contextlib.suppress(Exception):
            if await km.is_alive():
                await asyncio.wait_for(km.shutdown_kernel(now=True), 10)
        with contextlib.suppress(Exception):
            await km.cleanup_resources()
        if getattr(client, "kc", None) is not None:
            with contextlib.suppress(Exception):
                client.kc.stop_channels()
        client.kc = client.km = None


def _outcome(cell: Any, index: int) -> CellRun:
    """Read how a finished cell ended from its outputs."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            if output.get("ename") == "KeyboardInterrupt":  # how nbclient stops a cell at its timeout
                return CellRun(index, "stopped")
            first = (str(output.get("evalue", "")).splitlines() or [""])[0][:200]
            return CellRun(index, "error", f"{output.get('ename')}: {first}" if first else str(output.get("ename")))
    return CellRun(index, "ok")


async def _cancel_new_tasks(before: set[asyncio.Task[Any]]) -> None:
    """nbclient's helper tasks (output and liveness polls) must not outlive their cell."""
    current = asyncio.current_task()
    leftovers = [task for task in asyncio.all_tasks() if task not in before and task is not current and not task.done()]
    for task in leftovers:
        task.cancel()
    if leftovers:
        await asyncio.gather(*leftovers, return_exceptions=True)
