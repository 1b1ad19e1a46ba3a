"""From eSpeak samples to corpus audio: words on a 16 kHz millisecond grid, utterances, noise.

A word is trimmed to its first and last non-zero sample (eSpeak pads every call with
exact zeros), filtered by the speaker's spectral tilt, resampled to 16 kHz on its own and
padded with zeros to a whole number of milliseconds.  Utterances are words and silent
gaps laid end to end, so every word's span in the utterance is known to the sample and,
on the millisecond grid, is written exactly with three decimals (CTM, ``segments``).
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from awetools.io.audio import resample

SAMPLE_RATE = 16000
GRID = SAMPLE_RATE // 1000  # samples per millisecond: every boundary falls on this grid


def render_word(samples: np.ndarray, rate: int, tilt: float) -> np.ndarray:
    """eSpeak int16 samples of one word -> float32 16 kHz audio, length a multiple of GRID.

    Returns an empty array when eSpeak produced only silence.
    """
    voiced = np.flatnonzero(samples)
    if voiced.size == 0:
        return np.zeros(0, np.float32)
    x = samples[voiced[0]: voiced[-1] + 1].astype(np.float64) / 32768.0
    if tilt:
        x = lfilter([1.0, -tilt], [1.0], x)  # gain 1-t at 0 Hz, 1+t at Nyquist
    x = resample(x, rate, SAMPLE_RATE)
    return np.concatenate([x, np.zeros(-len(x) % GRID)]).astype(np.float32)


def milliseconds(seconds: float) -> int:
    """A duration rounded to the grid, in samples (at least one millisecond)."""
    return max(1, int(round(seconds * 1000))) * GRID


def assemble(words: list[np.ndarray], gaps: list[int], lead: int, tail: int
             ) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Lay words out with ``lead`` samples before, ``gaps`` between and ``tail`` after.

    Returns the utterance and each word's ``(start, length)`` in samples.
    """
    if len(gaps) != max(0, len(words) - 1):
        raise ValueError("need one gap between each pair of words")
    pieces, spans, position = [np.zeros(lead, np.float32)], [], lead
    for index, word in enumerate(words):
        spans.append((position, len(word)))
        pieces.append(word)
        position += len(word)
        silence = gaps[index] if index < len(gaps) else tail
        pieces.append(np.zeros(silence, np.float32))
        position += silence
    return np.concatenate(pieces), spans


def add_noise(signal: np.ndarray, spans: list[tuple[int, int]], snr_db: float,
              rng: np.random.Generator) -> np.ndarray:
    """Add coloured Gaussian noise at ``snr_db`` relative to the power inside the words.

    The colour (a one-pole low-pass, from white to fairly dark) is drawn per utterance.
    """
    speech = np.concatenate([signal[start:start + length] for start, length in spans])
    power = float(np.mean(speech.astype(np.float64) ** 2))
    colour = rng.uniform(0.0, 0.9)
    noise = lfilter([1.0], [1.0, -colour], rng.standard_normal(len(signal)))
    noise *= np.sqrt(power / 10.0 ** (snr_db / 10.0) / np.mean(noise ** 2))
    return (signal + noise).astype(np.float32)


def to_pcm16(signal: np.ndarray) -> np.ndarray:
    """Float audio in [-1, 1] -> int16 (clipped)."""
    return np.clip(np.round(signal * 32767.0), -32768, 32767).astype(np.int16)
