"""Logging to stderr: stdout is reserved for data (``ark:-``) and eval summary lines."""

from __future__ import annotations

import logging
import sys

_FORMAT = "%(asctime)s %(name)s %(levelname)s: %(message)s"


def get_logger(name: str) -> logging.Logger:
    """A logger under ``awetools`` that writes to stderr."""
    root = logging.getLogger("awetools")
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(_FORMAT, datefmt="%H:%M:%S"))
        root.addHandler(handler)
        root.setLevel(logging.INFO)
    return logging.getLogger(name if name.startswith("awetools") else f"awetools.{name}")
