"""Channel and speaker perturbations through audiomentations and soxr.

Filters that could move word times are zero-phase (low-pass, high-pass); the pitch
shift keeps the duration (signalsmith-stretch), so word times stay where they were.
"""

from __future__ import annotations

import numpy as np
import soxr
from audiomentations import Compose, Gain, HighPassFilter, LowPassFilter, PeakingFilter, PitchShift

from awetools.augment.seeding import seed_globals

TELEPHONE_RATE = 8000


def _fit(samples: np.ndarray, length: int) -> np.ndarray:
    """Trim or zero-pad to ``length`` samples."""
    out = np.zeros(length, dtype=np.float32)
    out[:min(length, len(samples))] = samples[:length]
    return out


def pitch_shift(samples: np.ndarray, rate: int, semitones: float,
                rng: np.random.Generator) -> np.ndarray:
    """Shift the pitch (and formants) by ``semitones``, duration unchanged."""
    transform = PitchShift(min_semitones=semitones, max_semitones=semitones, p=1.0)
    seed_globals(rng)
    return _fit(transform(samples, rate), len(samples))


def telephone(samples: np.ndarray, rate: int, highpass_hz: float,
              rng: np.random.Generator) -> np.ndarray:
    """A telephone channel: high-pass at ``highpass_hz``, then an 8 kHz round trip (soxr),
    which removes everything above 4 kHz."""
    transform = HighPassFilter(min_cutoff_freq=highpass_hz, max_cutoff_freq=highpass_hz,
                               zero_phase=True, p=1.0)
    seed_globals(rng)
    filtered = transform(samples, rate)
    if rate <= TELEPHONE_RATE:
        return filtered.astype(np.float32)
    narrow = soxr.resample(filtered, rate, TELEPHONE_RATE, quality="HQ")
    return _fit(soxr.resample(narrow, TELEPHONE_RATE, rate, quality="HQ"), len(samples))


def lowpass(samples: np.ndarray, rate: int, cutoff_hz: float,
            rng: np.random.Generator) -> np.ndarray:
    """Band-limit with a zero-phase low-pass at ``cutoff_hz`` (below Nyquist)."""
    cutoff = min(cutoff_hz, 0.45 * rate)
    transform = LowPassFilter(min_cutoff_freq=cutoff, max_cutoff_freq=cutoff, zero_phase=True, p=1.0)
    seed_globals(rng)
    return transform(samples, rate).astype(np.float32)


def equalise(samples: np.ndarray, rate: int, low_db: float, high_db: float,
             rng: np.random.Generator) -> np.ndarray:
    """Parametric EQ: peaking filters an octave apart from 100 Hz to 0.35 x ``rate`` (so
    it suits 8 kHz as well as 16 kHz audio), each gain drawn from ``[low_db, high_db]``,
    centre within a half-octave, Q 0.5-2."""
    centres = 100.0 * 2.0 ** np.arange(int(np.log2(0.35 * rate / 100.0)) + 1)
    transform = Compose([PeakingFilter(min_center_freq=c / 2 ** 0.25, max_center_freq=c * 2 ** 0.25,
                                       min_gain_db=low_db, max_gain_db=high_db, min_q=0.5,
                                       max_q=2.0, p=1.0) for c in centres], p=1.0)
    seed_globals(rng)
    return transform(samples, rate).astype(np.float32)


def gain(samples: np.ndarray, rate: int, db: float, rng: np.random.Generator) -> np.ndarray:
    """Scale by ``db`` decibels."""
    transform = Gain(min_gain_db=db, max_gain_db=db, p=1.0)
    seed_globals(rng)
    return transform(samples, rate).astype(np.float32)
