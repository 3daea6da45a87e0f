"""Evaluating on a Dask cluster: the items of an evaluation, shared out among workers.

An evaluation is embarrassingly parallel. Each item is its own run, on its own
virtual clock starting at 0, and every random draw is seeded by the run's seed
and the prompt, never by the order of the items or the process that runs them.
So the items can go to other processes, or other machines, in any order, and
the results come back the same, item for item::

    >>> from dask.distributed import Client
    >>> client = Client("tcp://10.0.0.5:8786")                 # an existing cluster's scheduler
    >>> evaluate(router, test, executor=client)                 # the same table as evaluate(router, test)
    >>> evaluate(router, test, executor="local")                # try it: a cluster on this machine

How: the items are split into chunks and each chunk is one Dask task. A worker
runs its chunk's items with run() and scores them there, so only the scored
rows travel back (not the traces); they are put back in item order, whatever
order the chunks finish in. The flow travels to the workers by pickling
(cloudpickle), so the workers need the kit installed, at the same version.

Needs Dask: ``pip install "orchestration-kit[distributed]"``.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Any, Callable, Iterator, TypeVar

Item = TypeVar("Item")
Row = TypeVar("Row")

CHUNKS_PER_WORKER = 4  # more chunks than workers: a slow chunk does not hold the others up, the bar moves
MAX_CHUNK = 250  # items per task at most: 250 runs of a small simulated flow take about 0.1 s
_INSTALL = 'pip install "orchestration-kit[distributed]"'


def map_chunks(work: Callable[[list[Item]], list[Row]], items: list[Item], executor: Any, *,
               chunk_size: int | None = None, bar: Any = None,
               on_lost: Callable[[Item, BaseException], Row] | None = None) -> list[Row]:
    """``work(chunk)`` for consecutive chunks of ``items`` on a Dask cluster; the rows in item order.

    ``executor`` is a ``dask.distributed.Client``, a scheduler address such as
    ``"tcp://10.0.0.5:8786"``, or ``"local"`` (a LocalCluster on this machine, closed
    afterwards). ``work`` must return one row per item. ``bar`` (a tqdm bar) moves as
    chunks finish. A chunk whose worker died (Dask's ``KilledWorker``) gives
    ``on_lost(item, error)`` for each of its items if given, so the other chunks' rows
    are kept; any other error is raised, as it would be on one machine.

    >>> map_chunks(lambda chunk: [x * x for x in chunk], [1, 2, 3], "local")
    [1, 4, 9]
    """
    distributed = _import_distributed()
    if not items:
        return []
    with _client_for(executor, distributed) as client:
        size = chunk_size or _chunk_size(len(items), sum(client.nthreads().values()))
        chunks = [items[start:start + size] for start in range(0, len(items), size)]
        try:
            # pure=False: two chunks with equal items are still two tasks (Dask would merge them)
            futures = [client.submit(work, chunk, pure=False) for chunk in chunks]
        except Exception as error:
            raise TypeError(f"evaluate: the flow could not be sent to the workers ({type(error).__name__}: {error}). "
                            "It travels by pickling: models, functions and lambdas do; open files, locks and "
                            "live connections do not (create those inside a step instead)") from error
        index = {future.key: i for i, future in enumerate(futures)}
        rows: list[list[Row]] = [[] for _ in chunks]
        try:
            for future in distributed.as_completed(futures):
                i = index[future.key]
                try:
                    rows[i] = future.result()
                except distributed.KilledWorker as lost:
                    if on_lost is None:
                        raise
                    rows[i] = [on_lost(item, lost) for item in chunks[i]]
                if bar is not None:
                    bar.update(len(chunks[i]))
        finally:  # an error or Ctrl-C: nothing keeps running on the cluster after we return
            client.cancel([future for future in futures if not future.done()])
    return [row for chunk_rows in rows for row in chunk_rows]


def _chunk_size(items: int, workers: int) -> int:
    return max(1, min(MAX_CHUNK, math.ceil(items / (CHUNKS_PER_WORKER * max(workers, 1)))))


@contextmanager
def _client_for(executor: Any, distributed: Any) -> Iterator[Any]:
    """A connected Client for ``executor``; one we create here is closed on leaving."""
    if isinstance(executor, distributed.Client):
        yield executor  # the caller's own client (and cluster): theirs to close
    elif executor == "local":
        # One single-threaded process per core: simulated runs are pure Python, so threads
        # in one process would take turns on the GIL. Listening on 127.0.0.1 only; the
        # dashboard on any free port (several learners may share a machine).
        with distributed.LocalCluster(n_workers=_cores(), threads_per_worker=1, processes=True,
                                      host="127.0.0.1", dashboard_address="127.0.0.1:0") as cluster:
            with distributed.Client(cluster) as client:
                yield client
    elif isinstance(executor, str):
        try:
            client = distributed.Client(executor)
        except (OSError, ValueError) as error:
            raise ConnectionError(f"evaluate: cannot reach a Dask scheduler at {executor!r} ({error}); "
                                  "check the address (e.g. 'tcp://10.0.0.5:8786') and that the scheduler "
                                  "is running, or pass executor='local' to try it on this machine") from None
        with client:
            yield client
    else:
        raise TypeError(f"evaluate: executor must be a dask.distributed.Client, a scheduler address such as "
                        f"'tcp://10.0.0.5:8786', or 'local'; got {type(executor).__name__}")


def _cores() -> int:
    from dask.system import CPU_COUNT  # the cores this process may use (respects container limits)

    return CPU_COUNT


def _import_distributed() -> Any:
    """Dask is an optional extra: say how to install it rather than fail with a bare ImportError."""
    try:
        import distributed
    except ImportError:
        raise ImportError(f"evaluate(executor=...) runs on Dask, which is not installed: {_INSTALL}") from None
    return distributed
