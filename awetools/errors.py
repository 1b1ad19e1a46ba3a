"""Errors a user can cause.

The command line prints an :class:`AweError` as one line (``awe <command>: error: ...``)
and exits with status 1; a traceback is shown only with ``awe --debug``.  Library code
raises it for bad input (a missing file, a malformed line, a key mismatch), always
naming the file and line or key so that the user can find the culprit.
"""

from __future__ import annotations

from pathlib import Path


class AweError(Exception):
    """Bad input or an impossible request; the message is shown to the user as is."""


def where(path: str | Path, line: int | None = None, key: str | None = None) -> str:
    """Format a location for an error message: ``file:line`` or ``file (key 'k')``."""
    text = str(path)
    if line is not None:
        text += f":{line}"
    if key is not None:
        text += f" (key '{key}')"
    return text
