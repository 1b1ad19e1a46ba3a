"""One output copy of one recording: speed, then the perturbation chain in the given order.

Every random choice (whether a step applies, its parameters, the noise itself, which
room, which babble voices) comes from the copy's own generator.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from awetools.augment import channel, noise, rooms
from awetools.augment.options import AugmentOptions, Range, Step
from awetools.augment.speed import speed_perturb

HIGHPASS = Range(200.0, 400.0)  # telephone: high-pass cut-off (Hz)

# babble(count, rng) -> recordings of other speakers to mix (given by the driver)
VoicePicker = Callable[[int, np.random.Generator], list[np.ndarray]]


def _draw(rng: np.random.Generator, span: Range) -> float:
    return float(rng.uniform(span.low, span.high))


def apply_step(step: Step, samples: np.ndarray, rate: int, options: AugmentOptions,
               rng: np.random.Generator, voices: VoicePicker) -> np.ndarray:
    """One named perturbation with parameters drawn from ``options``' ranges."""
    name = step.name
    if name == "pitch":
        return channel.pitch_shift(samples, rate, _draw(rng, options.pitch), rng)
    if name == "reverb":
        rir, delay = rooms.room_response(options.seed, int(rng.integers(options.num_rooms)),
                                         rate, options.rt60)
        return rooms.reverberate(samples, rir, delay)
    if name == "noise":
        return noise.add_coloured_noise(samples, rate, _draw(rng, options.snr),
                                        _draw(rng, options.noise_decay), rng)
    if name == "babble":
        count = int(rng.integers(options.babble_speakers.low, options.babble_speakers.high + 1))
        mixture = noise.babble(len(samples), voices(count, rng), rng)
        return noise.mix_at_snr(samples, mixture, _draw(rng, options.babble_snr))
    if name == "telephone":
        return channel.telephone(samples, rate, _draw(rng, HIGHPASS), rng)
    if name == "lowpass":
        return channel.lowpass(samples, rate, _draw(rng, options.lowpass), rng)
    if name == "eq":
        return channel.equalise(samples, rate, options.eq.low, options.eq.high, rng)
    return channel.gain(samples, rate, _draw(rng, options.gain), rng)


def perturb(samples: np.ndarray, rate: int, speed: float, perturbed: bool,
            options: AugmentOptions, rng: np.random.Generator, voices: VoicePicker) -> np.ndarray:
    """Speed-perturb, then (for perturbed copies) run the chain; each step applies with
    its probability."""
    out = speed_perturb(samples, rate, speed)
    if perturbed:
        for step in options.chain:
            if rng.random() < step.p:
                out = apply_step(step, out, rate, options, rng, voices)
    return out
