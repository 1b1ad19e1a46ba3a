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


def render_words(words: list[np.ndarray], rate: int, tilt: float, batch: int = 32) -> list[np.ndarray]:
    """eSpeak int16 samples of words -> float32 16 kHz audio, each a multiple of GRID long.

    A word is empty when eSpeak produced only silence.  Words are resampled in batches of
    similar length (one polyphase call per batch; zero padding leaves every word's samples
    bit for bit as if it were resampled alone).
    """
    trimmed = []
    for samples in words:
        voiced = np.flatnonzero(samples)
        x = samples[voiced[0]: voiced[-1] + 1] / 32768.0 if voiced.size else np.zeros(0)
        if tilt and len(x):
            x[1:] -= tilt * x[:-1]  # FIR 1 - t z^-1: gain 1-t at 0 Hz, 1+t at Nyquist
        trimmed.append(x)
    out = [np.zeros(0, np.float32)] * len(words)
    order = sorted((i for i, x in enumerate(trimmed) if len(x)), key=lambda i: len(trimmed[i]))
    for first in range(0, len(order), batch):
        rows = order[first:first + batch]
        block = np.zeros((len(trimmed[rows[-1]]), len(rows)))  # time along axis 0, as resample wants
        for column, i in enumerate(rows):
            block[:len(trimmed[i]), column] = trimmed[i]
        resampled = resample(block, rate, SAMPLE_RATE)
        for column, i in enumerate(rows):
            length = -(-len(trimmed[i]) * SAMPLE_RATE // rate)  # resample_poly's output length
            out[i] = np.concatenate([resampled[:length, column], np.zeros(-length % GRID, np.float32)])
    return out


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
