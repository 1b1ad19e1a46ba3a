"""Simulated room reverberation: pyroomacoustics shoebox rooms (image source method).

Room ``i`` of a run is drawn from ``(seed, i)`` alone (size 3-10 m x 3-8 m x 2.5-4 m,
RT60 from the given range, source and microphone at least 0.5 m from the walls and
from each other), simulated on first use and cached, so every worker process builds the
same rooms whatever ``--nj``.  The reverberant signal is cut so that the direct path
arrives at the original sample: word times stay exact.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyroomacoustics as pra
from scipy.signal import fftconvolve

from awetools.augment.options import Range

MAX_ORDER = 40  # image-source order cap: bounds the cost of long RT60s in large rooms


def _position(rng: np.random.Generator, dims: np.ndarray) -> np.ndarray:
    return rng.uniform(0.5, dims - 0.5)


@lru_cache(maxsize=256)
def room_response(seed: int, index: int, rate: int, rt60: Range) -> tuple[np.ndarray, int]:
    """The impulse response of room ``index`` and the sample its direct path arrives at."""
    rng = np.random.default_rng([seed, index, 0x5EB])
    dims = np.array([rng.uniform(3, 10), rng.uniform(3, 8), rng.uniform(2.5, 4)])
    target = rng.uniform(rt60.low, rt60.high)
    try:
        absorption, order = pra.inverse_sabine(target, dims)
    except ValueError:  # RT60 too long for Sabine in this room: the most reverberant it allows
        absorption, order = 0.01, MAX_ORDER
    source, mic = _position(rng, dims), _position(rng, dims)
    while np.linalg.norm(source - mic) < 0.5:
        mic = _position(rng, dims)
    room = pra.ShoeBox(dims, fs=rate, materials=pra.Material(float(absorption)),
                       max_order=min(int(order), MAX_ORDER))
    room.add_source(source)
    room.add_microphone(mic)
    room.compute_rir()
    rir = np.asarray(room.rir[0][0], dtype=np.float64)
    direct = np.linalg.norm(source - mic) / pra.constants.get("c") * rate
    delay = int(round(direct)) + pra.constants.get("frac_delay_length") // 2
    return rir, delay


def reverberate(samples: np.ndarray, rir: np.ndarray, delay: int) -> np.ndarray:
    """Convolve with ``rir``, remove the direct-path ``delay``, keep length and RMS."""
    wet = fftconvolve(samples, rir)[delay: delay + len(samples)]
    dry_rms, wet_rms = np.sqrt(np.mean(samples ** 2)), np.sqrt(np.mean(wet ** 2))
    return (wet * (dry_rms / wet_rms if wet_rms > 0 else 0.0)).astype(np.float32)
