"""Speed perturbation (Kaldi's ``sox speed``): resampling with soxr, times scaled by 1/factor."""

from __future__ import annotations

import numpy as np
import soxr


def speed_perturb(samples: np.ndarray, rate: int, factor: float) -> np.ndarray:
    """Play ``samples`` ``factor`` times faster: tempo and pitch change together.

    The signal is read as if sampled at ``rate * factor`` and resampled to ``rate``, so
    an event at time t moves to t / factor and the length becomes len / factor.
    """
    if factor == 1.0:
        return samples
    out = soxr.resample(samples, rate * factor, rate, quality="HQ")
    return np.asarray(out, dtype=np.float32)


def scale_time(seconds: float | np.ndarray, factor: float) -> float | np.ndarray:
    """Where a time of the original recording lands after speed perturbation."""
    return seconds / factor
