"""Ctrl-C held across calls into C libraries that call back into Python."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def ctrl_c_deferred() -> Iterator[None]:
    """Hold Ctrl-C until the block ends.

    A KeyboardInterrupt raised inside a Python callback of C code (eSpeak's synth
    callback through ctypes, libsndfile's virtual I/O through cffi) cannot cross the C
    frames: the binding prints it and carries on, and the interrupt is lost.  So during
    such a call SIGINT is only noted, and re-sent to this process afterwards.  Only
    possible in the main thread.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught = []
    previous = signal.signal(signal.SIGINT, lambda *_: caught.append(True))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        signal.raise_signal(signal.SIGINT)
