"""Progress bars on stderr, shared by every tool.

On a terminal the bar redraws in place; when stderr is a file or a pipe (recipe logs)
it prints a line at most every 30 s, so logs stay readable.  ``AWE_NO_PROGRESS=1``
turns bars off.
"""

from __future__ import annotations

import os
import sys

from tqdm import tqdm


def progress(total: int | None = None, desc: str = "", unit: str = "it", disable: bool = False,
             **kwargs) -> tqdm:
    """A tqdm bar configured for terminals and logs alike (off with ``AWE_NO_PROGRESS=1``)."""
    interactive = sys.stderr.isatty()
    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True,
                mininterval=0.2 if interactive else 30.0, leave=interactive,
                disable=disable or os.environ.get("AWE_NO_PROGRESS", "") not in ("", "0"), **kwargs)
