"""Additive noise at a signal-to-noise ratio: coloured noise and babble.

SNR is measured over the whole recording, as Kaldi's ``augment_data_dir.py`` does:
``10 log10(sum x^2 / sum n^2)``.  A silent recording is returned unchanged.
"""

from __future__ import annotations

import numpy as np
from audiomentations import AddColorNoise

from awetools.augment.seeding import seed_globals


def add_coloured_noise(samples: np.ndarray, rate: int, snr_db: float, decay_db: float,
                       rng: np.random.Generator) -> np.ndarray:
    """Noise whose spectrum falls by ``decay_db`` per octave (0 white, -3 pink, -6 brown)."""
    transform = AddColorNoise(min_snr_db=snr_db, max_snr_db=snr_db, min_f_decay=decay_db,
                              max_f_decay=decay_db, p=1.0)
    seed_globals(rng)
    return transform(samples, rate).astype(np.float32)


def babble(length: int, voices: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Sum of ``voices``, each looped to ``length`` from a random start, at equal power."""
    total = np.zeros(length, dtype=np.float64)
    for voice in voices:
        power = np.mean(voice.astype(np.float64) ** 2)
        if power == 0:
            continue
        start = int(rng.integers(len(voice)))
        looped = np.resize(np.roll(voice, -start), length)
        total += looped / np.sqrt(power)
    return total


def mix_at_snr(samples: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """``samples + g * noise`` with g chosen so that the SNR is ``snr_db``."""
    signal_power = np.mean(samples.astype(np.float64) ** 2)
    noise_power = np.mean(noise ** 2)
    if signal_power == 0 or noise_power == 0:
        return samples
    gain = np.sqrt(signal_power / (noise_power * 10 ** (snr_db / 10)))
    return (samples + gain * noise).astype(np.float32)
