"""Worker process pools that leave Ctrl-C to the parent.

A terminal's Ctrl-C sends SIGINT to the whole process group.  A worker that took it
would die mid-job and print a traceback, often from a destructor ("Exception ignored
in ..."), on top of the tool's one-line message.  Workers from :func:`worker_pool`
ignore SIGINT instead; the interrupted parent leaves its ``with`` block, which
terminates the pool, and removes its partial output.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.pool
import signal
from collections.abc import Callable


def _start_worker(initializer: Callable[..., None] | None, initargs: tuple) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if initializer is not None:
        initializer(*initargs)


def worker_pool(processes: int, initializer: Callable[..., None] | None = None,
                initargs: tuple = (), start_method: str | None = None) -> multiprocessing.pool.Pool:
    """A ``multiprocessing`` pool (use it as a context manager) whose workers ignore SIGINT."""
    context = multiprocessing.get_context(start_method)
    return context.Pool(processes, _start_worker, (initializer, initargs))
