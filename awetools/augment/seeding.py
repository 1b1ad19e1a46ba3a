"""Per-copy random streams, so outputs depend on the seed and key only (not on ``--nj``).

audiomentations draws from the global ``random`` and ``numpy.random`` modules; they are
reseeded from the copy's own generator right before each library call.
"""

from __future__ import annotations

import hashlib
import random

import numpy as np


def copy_rng(seed: int, key: str) -> np.random.Generator:
    """The generator of one output copy: a function of the run seed and its key."""
    digest = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "little")
    return np.random.default_rng([seed, digest])


def seed_globals(rng: np.random.Generator) -> None:
    """Reseed ``random`` and ``numpy.random`` (used inside audiomentations) from ``rng``."""
    value = int(rng.integers(2 ** 32))
    random.seed(value)
    np.random.seed(value)
