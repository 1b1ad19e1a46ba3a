"""Synthetic speakers: a fixed eSpeak voice variant, vocal-tract scale, rate, pitch and EQ.

Evaluation must be across speakers, so speakers never cross splits; more than that, the
voices are partitioned between splits, so a test voice is never heard in training in any
language: every eSpeak *voice variant* that ``espeak-ng-data/voices/!v`` ships goes to one
split (:func:`variants`, by a hash of its name; the few whose noise is not seeded are left
out), and so does every Festival or MBROLA voice of a language that has two or more
(:func:`split_voices`; a language with a single voice shares it between the splits, and
the manifest says so).  A held-out (dev or test)
variant whose vocal tract (:func:`vocal_tract_scale`) lies outside the training variants'
range is left out: ``zac`` scales every formant by 1.45, a child's vocal tract beyond any
training voice (the widest: 1.33), and a test pair of it and an adult voice put even DTW on
MFCCs at chance, so it measured no method.  Within a split, speakers of
one language cycle through the split's voices in a seeded order and draw the continuous
parameters (formant scale, rate, pitch, pitch range, volume, spectral tilt, pause
length) at random.  A Festival or MBROLA speaker's formant scale resamples its audio
(vocal tract and pitch together); a Festival speaker's rate stretches durations and its
pitch scales the F0 targets, an MBROLA speaker's act through eSpeak as for its voices.

Every token then varies a little around its speaker (:func:`token_voice`): real talkers
never say a word twice the same way, and identical tokens would make same-speaker
pairs trivial.  The voice definition (:func:`voice_definition`) turns eSpeak's pitch
flutter and echo off: flutter runs on a counter and echo on a buffer that carry over
between calls, which would make a word's length depend on the words spoken before it.
"""

from __future__ import annotations

import zlib
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from awetools.corpus.espeak import data_path, variant_file
from awetools.corpus import festival, mbrola
from awetools.errors import AweError

SPLITS = ("train", "dev", "test")
ENGINES = ("espeak", "festival", "mbrola")
ENGINE_NAMES = {"espeak": "eSpeak NG", "festival": "Festival", "mbrola": "MBROLA"}
# The engines whose voices are recorded talkers, one language each: their modules share
# runtime(), installed_voices(), package_versions() and INSTALL_HINT.
VOICE_ENGINES = {"festival": festival, "mbrola": mbrola}
VARIANT_SHARES = (70, 12)  # percent of the eSpeak variants for train and dev; test gets the rest

# Uniform ranges of the per-speaker parameters.
FORMANT_SCALE = (0.92, 1.08)   # all formant frequencies (vocal-tract length)
# Speakers' rates in words per minute (eSpeak's scale, default 175; its range is 80-450),
# for isolated words and running speech (awe synth --isolated-rate, --running-rate).  A
# slower isolated-word range (100-205) measured no gain on real isolated words
# (bench/results/fsdd_transfer.md: "Speaking rate").
ISOLATED_RATE = (145, 205)
RUNNING_RATE = (145, 205)
RATE_LIMITS = (80, 450)
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
    """One synthetic talker of one language (``variant``: eSpeak variant, Festival voice or
    MBROLA database)."""

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
    engine: str = "espeak"

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


@lru_cache(maxsize=1)
def variants() -> dict[str, tuple[str, ...]]:
    """Every reproducible eSpeak NG voice variant, each in one split (by a hash of its name);
    held-out variants outside the training variants' vocal-tract range are left out."""
    names = sorted(p.name for p in (data_path() / "voices" / "!v").iterdir()
                   if p.is_file() and reproducible(p.name))
    shares = np.cumsum(VARIANT_SHARES)
    split_of = {name: SPLITS[int(np.searchsorted(shares, stable_hash("variant", name) % 100, "right"))]
                for name in names}
    parts = {split: tuple(n for n in names if split_of[n] == split) for split in SPLITS}
    trained = [vocal_tract_scale(n) for n in parts["train"]]
    low, high = min(trained, default=1.0), max(trained, default=1.0)
    for split in ("dev", "test"):  # held-out voices within the training voices' range
        parts[split] = tuple(n for n in parts[split] if low <= vocal_tract_scale(n) <= high)
    if not all(parts.values()):
        raise AweError(f"eSpeak NG ships too few voice variants ({len(names)}) for three splits")
    return parts


def engine_voices(engine: str, language: str) -> dict[str, tuple[str, ...]]:
    """The voices of ``engine`` for ``language`` per split (eSpeak's variants speak every
    language; Festival and MBROLA voices are one talker of one language each)."""
    if engine == "espeak":
        return variants()
    if engine not in VOICE_ENGINES:
        raise ValueError(f"unknown engine '{engine}'")
    installed = VOICE_ENGINES[engine].installed_voices()
    names = [v.name for v in installed.get(language, ())]
    if not names:
        raise AweError(f"{ENGINE_NAMES[engine]} has no voice for '{language}' (installed: "
                       f"{', '.join(installed) or 'none'})")
    return split_voices(names)


def split_voices(names: list[str]) -> dict[str, tuple[str, ...]]:
    """A language's voices per split: the last in order for test, the one before it for
    dev, the rest for train; dev shares test's voice when there are two, and all splits
    share the voice when there is one."""
    if len(names) == 1:
        return {split: (names[0],) for split in SPLITS}
    if len(names) == 2:
        return {"train": (names[0],), "dev": (names[1],), "test": (names[1],)}
    return {"train": tuple(names[:-2]), "dev": (names[-2],), "test": (names[-1],)}


def make_speakers(language: str, split: str, count: int, seed: int, engine: str = "espeak",
                  first: int = 1, width: int | None = None,
                  rate: tuple[int, int] = RUNNING_RATE) -> list[Speaker]:
    """``count`` speakers of ``language`` for ``split``, drawn from the split's voices, each
    with a rate drawn uniformly from ``rate`` (words per minute).

    Ids are numbered from ``first`` (``width`` digits), so that the speakers of a second
    engine follow those of the first in the same data dir.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split '{split}'")
    parts = engine_voices(engine, language)
    tag = ("speakers", language, split) if engine == "espeak" else ("speakers", language, split, engine)
    rng = np.random.default_rng([seed, stable_hash(*tag)])
    pool = list(parts[split])
    order = [pool[i] for i in rng.permutation(len(pool))]
    width = width or max(2, len(str(first + count - 1)))
    speakers = []
    for index in range(count):
        speakers.append(Speaker(
            id=speaker_id(language, split, first + index, width), language=language, split=split,
            variant=order[index % len(order)], engine=engine,
            formant_scale=round(float(rng.uniform(*FORMANT_SCALE)), 3),
            rate=int(rng.integers(rate[0], rate[1] + 1)),
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
    return TokenVoice(rate=int(np.clip(round(rate), *RATE_LIMITS)), pitch=int(np.clip(pitch, 0, 100)))


def _settings(variant: str) -> dict[str, list[str]]:
    """A variant file's settings: first word of each line -> the rest of its last such line."""
    lines = variant_file(variant).read_text(encoding="utf-8", errors="replace").splitlines()
    return {fields[0]: fields[1:] for fields in map(str.split, lines) if fields}


def vocal_tract_scale(variant: str) -> float:
    """The variant's mean frequency factor of formants 1-3 (its ``formant N FREQ ...``
    lines, in percent of the language's voice; 100 where a formant is not set), as a ratio."""
    lines = variant_file(variant).read_text(encoding="utf-8", errors="replace").splitlines()
    factors = {int(f[1]): float(f[2]) for f in map(str.split, lines)
               if len(f) >= 3 and f[0] == "formant" and f[1].isdigit()}
    return float(np.mean([factors.get(n, 100.0) for n in (1, 2, 3)])) / 100


def uses_klatt(variant: str) -> bool:
    """Whether an eSpeak variant selects a Klatt voice source (a ``klatt`` line)."""
    return "klatt" in _settings(variant)


def reproducible(variant: str) -> bool:
    """Whether the variant's audio depends only on the seed: eSpeak's Klatt source draws its
    breath noise from an unseeded generator, so a Klatt variant with ``breath`` is left out."""
    settings = _settings(variant)
    return not ("klatt" in settings and any(v != "0" for v in settings.get("breath", [])))


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
