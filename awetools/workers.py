"""Worker process pools that fail fast and leave Ctrl-C to the parent.

Every ``--nj`` tool runs its jobs through :func:`worker_pool`, a
:class:`concurrent.futures.ProcessPoolExecutor` with three additions:

- A worker that dies (SIGKILL from the OOM killer, a segfault, ``os._exit``) breaks the
  pool (``BrokenProcessPool``: the standard library notices at once, ends the other
  workers and fails every pending job).  :meth:`WorkerPool.results` turns that into a
  one-line :class:`AweError` naming the job the dead worker was running and how it died;
  the tool exits 1 and its atomic writers leave the old output in place.
- A terminal's Ctrl-C sends SIGINT to the whole process group.  Workers ignore it (a
  worker that took it would print a traceback); the parent's ``KeyboardInterrupt``
  leaves the ``with`` block, which terminates the workers at once instead of waiting
  for their jobs.
- At most ``window`` jobs are in flight, so results (feature matrices, vectors) never
  pile up in memory faster than the parent writes them.

``AWE_TEST_KILL_JOB=N`` makes the worker that starts job N (0-based, in submission
order) SIGKILL itself: the tests use it to kill a worker at a known point.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from awetools.errors import AweError

KILL_ENV = "AWE_TEST_KILL_JOB"

# Per worker process: its slot in the shared table of (pid, job index) pairs.
_slot: dict = {}


def _start_worker(table, initializer: Callable[..., None] | None, initargs: tuple) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with table.get_lock():
        slot = next(i for i in range(0, len(table), 2) if table[i] == 0)
        table[slot], table[slot + 1] = os.getpid(), -1  # -1: no job yet
    _slot["table"], _slot["index"] = table, slot
    if initializer is not None:
        initializer(*initargs)


def _run(fn: Callable[[Any], Any], index: int, job: Any) -> Any:
    table, slot = _slot["table"], _slot["index"]
    table[slot + 1] = index
    if os.environ.get(KILL_ENV) == str(index):
        os.kill(os.getpid(), signal.SIGKILL)
    result = fn(job)
    table[slot + 1] = -1  # idle again
    return result


def how_it_ended(exitcode: int | None) -> str:
    """``killed by SIGKILL`` or ``exited with status 3`` for a process's exit code."""
    if exitcode is None:
        return "died"
    if exitcode < 0:
        try:
            return f"was killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"was killed by signal {-exitcode}"
    return f"exited with status {exitcode}"


class WorkerPool:
    """A process pool whose :meth:`results` raise :class:`AweError` when a worker dies."""

    def __init__(self, processes: int, initializer: Callable[..., None] | None,
                 initargs: tuple, start_method: str | None) -> None:
        context = multiprocessing.get_context(start_method)
        self.processes = processes
        self._table = context.Array("q", 2 * processes)  # (pid, job index) per worker
        self._executor = cf.ProcessPoolExecutor(processes, context, _start_worker,
                                                (self._table, initializer, initargs))

    def results(self, fn: Callable[[Any], Any], jobs: Iterable, describe: Callable[[Any], str],
                window: int | None = None, ordered: bool = True) -> Iterator:
        """``fn(job)`` for every job, in job order (or as they finish with ``ordered=False``).

        At most ``window`` (default ``2 * processes``) jobs are submitted ahead of the
        results taken.  ``describe(job)`` names a job in the error a dead worker causes,
        e.g. ``speaker 'george'``.  ``fn`` must be picklable (a module-level function).
        """
        window = window or 2 * self.processes
        pending: deque = deque()
        submitted: list = []
        try:
            for index, job in enumerate(jobs):
                submitted.append(job)
                pending.append(self._executor.submit(_run, fn, index, job))
                if len(pending) >= window:
                    yield self._next(pending, ordered)
            while pending:
                yield self._next(pending, ordered)
        except BrokenProcessPool:  # from a result, or from a submit after the break
            raise AweError(self._death_message(submitted, describe)) from None

    @staticmethod
    def _next(pending: deque, ordered: bool) -> Any:
        if ordered:
            future = pending.popleft()
        else:
            future = next(iter(cf.wait(pending, return_when=cf.FIRST_COMPLETED).done))
            pending.remove(future)
        return future.result()

    def _death_message(self, jobs: list, describe: Callable[[Any], str]) -> str:
        """Which worker died, how, and during which job (read from the shared table)."""
        # The executor keeps its worker processes until shutdown; the dead one has ended
        # in a way other than the SIGTERM with which the executor ends the others.  A
        # process is reaped a moment after its pipes close: wait up to 2 s for that.
        workers = dict(getattr(self._executor, "_processes", None) or {})
        deadline = time.monotonic() + 2.0
        while True:
            codes = {pid: p.exitcode for pid, p in workers.items()}
            ended = [pid for pid, code in codes.items() if code is not None]
            dead = next((pid for pid in ended if codes[pid] != -signal.SIGTERM), None)
            if dead is not None or len(ended) == len(codes) or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        dead = dead if dead is not None else (ended[0] if ended else None)
        slots = {self._table[i]: self._table[i + 1] for i in range(0, len(self._table), 2)}
        index = slots.get(dead, -1)
        job = f" while running {describe(jobs[index])}" if index >= 0 else ""
        return (f"a worker process (pid {dead}) {how_it_ended(codes.get(dead))}{job}; "
                "the other workers were stopped and no output was written")

    def close(self, failed: bool) -> None:
        """Shut the pool down; after a failure end the workers now, not after their jobs."""
        if failed:
            for process in list((getattr(self._executor, "_processes", None) or {}).values()):
                with contextlib.suppress(Exception):
                    process.terminate()
            # A worker ended in the middle of writing a result leaves a partial message that
            # the executor's manager thread would wait for forever (the parent holds a write
            # end of the result pipe too).  Closing the parent's write end lets the read see
            # end-of-file once the workers are gone, and the executor shuts down as broken.
            writer = getattr(getattr(self._executor, "_result_queue", None), "_writer", None)
            if writer is not None:
                with contextlib.suppress(Exception):
                    writer.close()
        self._executor.shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def worker_pool(processes: int, initializer: Callable[..., None] | None = None,
                initargs: tuple = (), start_method: str | None = None) -> Iterator[WorkerPool]:
    """A :class:`WorkerPool` of ``processes`` workers that ignore SIGINT (use it in ``with``)."""
    pool = WorkerPool(processes, initializer, initargs, start_method)
    try:
        yield pool
    except BaseException:
        pool.close(failed=True)
        raise
    pool.close(failed=False)
