"""Synthetic speakers: a fixed eSpeak voice variant, vocal-tract scale, rate, pitch and EQ.

Evaluation must be across speakers, so speakers never cross splits; more than that, the
eSpeak *voice variants* are partitioned between splits (:data:`VARIANTS`), so a test voice
is never heard in training in any language.  Within a split, speakers of one language
cycle through the split's variants in a seeded order and draw the continuous parameters
(formant scale, rate, pitch, pitch range, volume, spectral tilt, pause length) at random.

Every token then varies a little around its speaker (:func:`token_voice`): real talkers
never say a word twice the same way, and identical tokens would make same-speaker
pairs trivial.  The voice definition (:func:`voice_definition`) turns eSpeak's pitch
flutter and echo off: flutter runs on a counter and echo on a buffer that carry over
between calls, which would make a word's length depend on the words spoken before it.
"""

from __future__ import annotations

import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from awetools.corpus.espeak import variant_file

SPLITS = ("train", "dev", "test")

# eSpeak NG voice variants (espeak-ng-data/voices/!v), disjoint between splits.
VARIANTS: dict[str, tuple[str, ...]] = {
    "train": ("m1", "m2", "m4", "m5", "m7", "f1", "f3", "f4", "klatt", "klatt3", "klatt4",
              "klatt6", "croak", "whisper"),
    "dev": ("m6", "f2", "klatt2"),
    "test": ("m3", "m8", "f5", "klatt5"),
}

# Uniform ranges of the per-speaker parameters.
FORMANT_SCALE = (0.92, 1.08)   # all formant frequencies (vocal-tract length)
RATE = (145, 205)              # words per minute (eSpeak default 175)
PITCH = (30, 70)               # eSpeak pitch 0-100 (50 = the variant's own)
PITCH_RANGE = (25, 75)         # eSpeak intonation range 0-100
VOLUME = (55, 85)              # eSpeak volume (100 = default); headroom for EQ and noise
TILT = (-0.45, 0.45)           # first-order EQ 1 - t z^-1: -8 dB ... +8 dB HF/LF balance
PAUSE = (0.02, 0.09)           # mean gap between words of running speech (s)

# Per-token variation around the speaker.
TOKEN_RATE = 0.07              # relative rate jitter (uniform +-)
TOKEN_PITCH = 4                # pitch jitter (uniform +-, eSpeak units)


@dataclass(frozen=True)
class Speaker:
    """One synthetic talker of one language."""

    id: str
    language: str
    split: str
    variant: str
    formant_scale: float
    rate: int
    pitch: int
    pitch_range: int
    volume: int
    tilt: float
    pause: float

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class TokenVoice:
    """eSpeak rate and pitch of one spoken token."""

    rate: int
    pitch: int


def stable_hash(*parts: object) -> int:
    """A 32-bit hash that, unlike ``hash``, is the same in every process."""
    return zlib.crc32("\x1f".join(map(str, parts)).encode("utf-8"))


def speaker_id(language: str, split: str, index: int, width: int = 2) -> str:
    """``<lang>-<split><NN>``: globally unique, and sorts like the utterances it prefixes."""
    return f"{language}-{split}{index:0{width}d}"


def make_speakers(language: str, split: str, count: int, seed: int) -> list[Speaker]:
    """``count`` speakers of ``language`` for ``split``, drawn from the split's variants."""
    if split not in VARIANTS:
        raise ValueError(f"unknown split '{split}'")
    rng = np.random.default_rng([seed, stable_hash("speakers", language, split)])
    pool = list(VARIANTS[split])
    order = [pool[i] for i in rng.permutation(len(pool))]
    width = max(2, len(str(count)))
    speakers = []
    for index in range(count):
        speakers.append(Speaker(
            id=speaker_id(language, split, index + 1, width), language=language, split=split,
            variant=order[index % len(order)],
            formant_scale=round(float(rng.uniform(*FORMANT_SCALE)), 3),
            rate=int(rng.integers(RATE[0], RATE[1] + 1)),
            pitch=int(rng.integers(PITCH[0], PITCH[1] + 1)),
            pitch_range=int(rng.integers(PITCH_RANGE[0], PITCH_RANGE[1] + 1)),
            volume=int(rng.integers(VOLUME[0], VOLUME[1] + 1)),
            tilt=round(float(rng.uniform(*TILT)), 3),
            pause=round(float(rng.uniform(*PAUSE)), 3)))
    return speakers


def token_voice(speaker: Speaker, rng: np.random.Generator) -> TokenVoice:
    """Rate and pitch of one token: the speaker's, jittered a little."""
    rate = speaker.rate * (1.0 + rng.uniform(-TOKEN_RATE, TOKEN_RATE))
    pitch = speaker.pitch + rng.integers(-TOKEN_PITCH, TOKEN_PITCH + 1)
    return TokenVoice(rate=int(round(rate)), pitch=int(np.clip(pitch, 0, 100)))


_REPLACED = ("language", "name", "flutter", "echo")  # variant lines the definition replaces


def voice_definition(speaker: Speaker, language_file: Path) -> str:
    """Text of an eSpeak voice file: the language's file, the variant, scaled formants.

    The variant's own ``language``/``name`` lines are dropped (they would rename the
    language); formant frequencies 1-8 are multiplied by the speaker's scale; pitch
    flutter and echo are turned off (see the module docstring).
    """
    formants = {k: [100, 100, 100] for k in range(9)}
    other = []
    for line in variant_file(speaker.variant).read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if not fields or fields[0].startswith("//") or fields[0] in _REPLACED:
            continue
        if fields[0] == "formant" and len(fields) >= 5:
            formants[int(fields[1])] = [int(v) for v in fields[2:5]]
        else:
            other.append(line.strip())
    lines = [language_file.read_text(encoding="utf-8").strip(), *other]
    for k, (freq, height, width) in formants.items():
        scaled = round(freq * speaker.formant_scale) if k >= 1 else freq
        lines.append(f"formant {k} {scaled} {height} {width}")
    lines += ["flutter 0", "echo 0 0"]
    return "\n".join(lines) + "\n"
