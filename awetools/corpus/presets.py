"""What the synthetic corpus contains: :class:`CorpusConfig` and the ``small``/``large`` presets.

- ``small``: the README's main command; 10 languages x 150 words x 20 speakers of
  isolated words (16 train, 2 dev, 2 test: for real speech, speakers help more than
  words) and 6,000 running English words, so the whole pipeline runs in minutes on two
  cores.
- ``large``: benchmarks; 2,500 words x 12 speakers per language (20,000 training
  tokens) and 300,000 running English words from 52 speakers.
- ``semantic``: running English only, 600,000 words from 52 speakers: enough text for
  word meaning (gensim's skipgram, 15 epochs, on its 480,005 training words: MEN 0.316,
  SimLex 0.184 on pairs of words seen >= 5 times, against MEN 0.251 at 240,004 and 0.014
  at 120,006; ``bench/semantic_text.py --running-words N --epochs 15 --variants ""``);
  phonetic models come from another preset's languages.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from awetools.corpus.speakers import ISOLATED_RATE, RATE_LIMITS, RUNNING_RATE
from awetools.errors import AweError

# Isolated-word (phonetic training) languages: covered by both eSpeak NG and wordfreq,
# written in alphabets, from five families.
DEFAULT_LANGUAGES = ("de", "es", "fr", "it", "nl", "pl", "pt", "ru", "sv", "tr")
DEFAULT_TARGET = "en"

# Share of the running words that goes to each split.
RUNNING_FRACTIONS = {"train": 0.8, "dev": 0.1, "test": 0.1}


@dataclass(frozen=True)
class CorpusConfig:
    """Languages, sizes and randomness of a synthetic corpus.

    ``isolated_speakers``/``running_speakers`` give the speakers per split (train, dev,
    test); every isolated-word speaker says each of the ``num_words`` words once.
    ``isolated_rate``/``running_rate``: the range each speaker's rate is drawn from
    (words per minute on eSpeak's scale).
    """

    languages: tuple[str, ...] = DEFAULT_LANGUAGES
    festival_languages: tuple[str, ...] = ()  # isolated words also said by Festival voices
    mbrola_languages: tuple[str, ...] = ()    # isolated words also said by MBROLA voices
    target: str | None = DEFAULT_TARGET
    texts: tuple[Path, ...] = ()
    num_words: int = 100
    isolated_speakers: dict[str, int] = field(default_factory=lambda: {"train": 6, "dev": 2, "test": 2})
    running_words: int = 6000
    running_speakers: dict[str, int] = field(default_factory=lambda: {"train": 8, "dev": 2, "test": 2})
    isolated_rate: tuple[int, int] = ISOLATED_RATE
    running_rate: tuple[int, int] = RUNNING_RATE
    seed: int = 0
    snr: float | None = None
    preset: str = "small"

    def to_dict(self) -> dict:
        values = asdict(self)
        values["texts"] = [str(p) for p in self.texts]
        values["languages"] = list(self.languages)
        values["festival_languages"] = list(self.festival_languages)
        values["mbrola_languages"] = list(self.mbrola_languages)
        values["isolated_rate"] = list(self.isolated_rate)
        values["running_rate"] = list(self.running_rate)
        return values

    @property
    def engine_languages(self) -> dict[str, tuple[str, ...]]:
        """Engine -> the isolated-word languages its voices say."""
        return {"espeak": self.languages, "festival": self.festival_languages,
                "mbrola": self.mbrola_languages}

    @property
    def isolated_languages(self) -> list[str]:
        """Every isolated-word language once: eSpeak's, then the other engines' new ones."""
        return list(dict.fromkeys(code for codes in self.engine_languages.values() for code in codes))

    def check(self) -> None:
        """Refuse impossible sizes early, before any synthesis."""
        if not self.isolated_languages and not self.target:
            raise AweError("nothing to synthesise: no isolated-word language and no target language")
        if self.num_words < 1 and self.isolated_languages:
            raise AweError(f"--num-words must be at least 1 (got {self.num_words})")
        if self.target and self.running_words < 10:
            raise AweError(f"--running-words must be at least 10 (got {self.running_words})")
        for name, counts in (("isolated", self.isolated_speakers), ("running", self.running_speakers)):
            if sorted(counts) != sorted(RUNNING_FRACTIONS) or min(counts.values()) < 1:
                raise AweError(f"{name} speakers: need at least one speaker in each of train, dev, test")
        for option, (low, high) in (("--isolated-rate", self.isolated_rate),
                                    ("--running-rate", self.running_rate)):
            if not RATE_LIMITS[0] <= low <= high <= RATE_LIMITS[1]:
                raise AweError(f"{option} {low}:{high}: need {RATE_LIMITS[0]} <= LOW <= HIGH <= "
                               f"{RATE_LIMITS[1]} words per minute")
        if self.snr is not None and not -20.0 <= self.snr <= 100.0:
            raise AweError(f"--snr {self.snr} dB is out of range (-20 to 100)")


PRESETS: dict[str, CorpusConfig] = {
    "small": CorpusConfig(num_words=150, isolated_speakers={"train": 16, "dev": 2, "test": 2}),
    "large": CorpusConfig(num_words=2500, isolated_speakers={"train": 8, "dev": 2, "test": 2},
                          running_words=300_000,
                          running_speakers={"train": 40, "dev": 6, "test": 6}, preset="large"),
    "semantic": CorpusConfig(languages=(), running_words=600_000,
                             running_speakers={"train": 40, "dev": 6, "test": 6}, preset="semantic"),
}


def speakers_per_split(value: str, option: str) -> dict[str, int]:
    """'16,2,2' -> {'train': 16, 'dev': 2, 'test': 2}: speakers per split, as ``option`` takes them."""
    fields = value.split(",")
    try:
        counts = [int(field) for field in fields]
    except ValueError:
        counts = []
    if len(counts) != len(RUNNING_FRACTIONS) or min(counts) < 1:
        raise AweError(f"{option} '{value}': need three positive counts TRAIN,DEV,TEST (e.g. 16,2,2)")
    return dict(zip(RUNNING_FRACTIONS, counts))


def rate_range(value: str, option: str) -> tuple[int, int]:
    """'100:205' -> (100, 205): a speaking-rate range in words per minute, as ``option`` takes it."""
    fields = value.split(":")
    try:
        low, high = (int(field) for field in fields)
    except ValueError:
        raise AweError(f"{option} '{value}': need LOW:HIGH in words per minute (e.g. 100:205)") from None
    return low, high


def preset_config(name: str, **overrides) -> CorpusConfig:
    """The named preset with some fields replaced (``None`` values are ignored)."""
    if name not in PRESETS:
        raise AweError(f"unknown preset '{name}' (choose from {', '.join(PRESETS)})")
    return replace(PRESETS[name], **{k: v for k, v in overrides.items() if v is not None})
