"""Learning-rate decay over a run, shared by the phonetic and the skipgram trainers.

A schedule is a function of the fraction of the run done (:func:`run_fraction`), so a
resumed run continues on the same curve.  ``linear`` is word2vec's (Mikolov et al.
2013); ``cosine`` is SGDR's single cycle (Loshchilov and Hutter 2017), slow at both ends:
the last steps take small moves, so the final weights settle instead of being one noisy
step of a full-rate walk.  Both floor at ``MIN_LR_FRACTION`` of the start, as word2vec
does.
"""

from __future__ import annotations

import math

from awetools.errors import AweError

LR_DECAYS = ("none", "linear", "cosine")
MIN_LR_FRACTION = 1e-4  # word2vec's floor of the decayed learning rate


def check_decay(name: str) -> None:
    """Refuse an unknown ``--lr-decay`` with the valid names."""
    if name not in LR_DECAYS:
        raise AweError(f"--lr-decay: unknown schedule '{name}' ({', '.join(LR_DECAYS)})")


def run_fraction(epoch: int, step: int, steps: int, epochs: int) -> float:
    """Fraction of a run done before ``step`` (0-based) of ``steps`` in ``epoch`` (1-based)."""
    return (epoch - 1 + step / max(steps, 1)) / epochs


def decay_factor(name: str, done: float) -> float:
    """What multiplies the starting learning rate once ``done`` (0..1) of the run is done."""
    if name == "none":
        return 1.0
    if name == "linear":
        factor = 1.0 - done
    else:
        factor = 0.5 * (1.0 + math.cos(math.pi * min(done, 1.0)))
    return max(factor, MIN_LR_FRACTION)
