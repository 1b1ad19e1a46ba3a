"""What to synthesise: utterances of isolated words and of running speech, cut into jobs.

Isolated-word languages get the most frequent words of the language, each said once by
every speaker (one word per utterance).  The target language gets running speech:
sentences from text files, shuffled with the seed, shared out between the splits and
dealt round-robin to each split's speakers.  A job is a run of one speaker's utterances
(about JOB_WORDS words) synthesised on one fresh eSpeak instance, so that what a job says
does not depend on which process runs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from awetools.corpus.espeak import language_files
from awetools.corpus.presets import RUNNING_FRACTIONS, CorpusConfig
from awetools.corpus.speakers import SPLITS, Speaker, make_speakers, stable_hash
from awetools.corpus.text import normalize_words, top_words
from awetools.errors import AweError
from awetools.log import get_logger

log = get_logger(__name__)

JOB_WORDS = 400               # words per job (each job starts a fresh eSpeak: ~10 ms)
MIN_WORDS, MAX_WORDS = 3, 40  # words per running-speech utterance (longer sentences are cut)


@dataclass
class Utterance:
    """An utterance to synthesise."""

    id: str
    words: list[str]


@dataclass
class Job:
    """Consecutive utterances of one speaker, synthesised on one fresh eSpeak instance."""

    speaker: Speaker
    utterances: list[Utterance]
    wav_dir: Path
    seed: int
    snr: float | None

    @property
    def words(self) -> int:
        return sum(len(u.words) for u in self.utterances)


def _jobs(speaker: Speaker, utterances: list[Utterance], root: Path, config: CorpusConfig) -> list[Job]:
    """Cut one speaker's utterances into jobs of about JOB_WORDS words."""
    wav_dir = root / speaker.language / speaker.split / "wav" / speaker.id
    jobs, current, words = [], [], 0
    for utt in utterances:
        current.append(utt)
        words += len(utt.words)
        if words >= JOB_WORDS:
            jobs.append(Job(speaker, current, wav_dir, config.seed, config.snr))
            current, words = [], 0
    if current:
        jobs.append(Job(speaker, current, wav_dir, config.seed, config.snr))
    return jobs


def plan_isolated(language: str, config: CorpusConfig, root: Path) -> list[Job]:
    """Every speaker of every split says each of the top ``num_words`` words once
    (``isolated_speakers`` per split for each engine that speaks the language)."""
    words = top_words(language, config.num_words)
    if len(words) < config.num_words:
        log.warning("%s: wordfreq gives only %d usable words (asked for %d)",
                    language, len(words), config.num_words)
    engines = [engine for engine, codes in config.engine_languages.items() if language in codes]
    jobs = []
    for split in SPLITS:
        count = config.isolated_speakers[split]  # per engine; ids run on across engines
        width = max(2, len(str(count * len(engines))))
        for k, engine in enumerate(engines):
            for speaker in make_speakers(language, split, count, config.seed, engine, 1 + k * count, width,
                                         config.isolated_rate):
                utts = [Utterance(f"{speaker.id}-{i:05d}", [w]) for i, w in enumerate(words)]
                jobs += _jobs(speaker, utts, root, config)
    return jobs


def select_sentences(sentences: list[str], language: str, budgets: dict[str, int],
                     seed: int) -> dict[str, list[list[str]]]:
    """Shuffled, normalised sentences shared out until each split has its word budget.

    Each sentence goes to the split that is furthest from its budget, so a short text
    still gives every split its share.  Sentences with fewer than MIN_WORDS words are
    skipped; longer ones than MAX_WORDS are cut.
    """
    rng = np.random.default_rng([seed, stable_hash("sentences", language)])
    chosen: dict[str, list[list[str]]] = {split: [] for split in budgets}
    left = dict(budgets)
    for index in rng.permutation(len(sentences)):
        words = normalize_words(sentences[index], language)
        for start in range(0, len(words), MAX_WORDS):
            piece = words[start:start + MAX_WORDS]
            split = max(left, key=lambda s: left[s] / budgets[s])
            if len(piece) < MIN_WORDS or left[split] <= 0:
                continue
            chosen[split].append(piece)
            left[split] -= len(piece)
        if max(left.values()) <= 0:
            break
    return chosen


def plan_running(language: str, sentences: list[str], config: CorpusConfig, root: Path) -> list[Job]:
    """Running speech of the target language, sentences dealt round-robin to the split's speakers."""
    budgets = {s: max(1, round(config.running_words * f)) for s, f in RUNNING_FRACTIONS.items()}
    chosen = select_sentences(sentences, language, budgets, config.seed)
    got = sum(len(w) for ws in chosen.values() for w in ws)
    if got < sum(budgets.values()):
        log.warning("%s: the text gives only %d of the %d running words asked for",
                    language, got, sum(budgets.values()))
    jobs = []
    for split in SPLITS:
        if not chosen[split]:
            raise AweError(f"too little usable text for the '{split}' split of '{language}' "
                           f"({len(sentences)} sentences in {', '.join(map(str, config.texts))})")
        speakers = make_speakers(language, split, config.running_speakers[split], config.seed,
                                 rate=config.running_rate)
        for k, speaker in enumerate(speakers):
            mine = chosen[split][k::len(speakers)]
            utts = [Utterance(f"{speaker.id}-{i:05d}", words) for i, words in enumerate(mine)]
            jobs += _jobs(speaker, utts, root, config)
    return jobs


def supported_languages() -> list[str]:
    """Languages that both eSpeak NG and wordfreq cover (usable for isolated words)."""
    import wordfreq

    return sorted(set(wordfreq.available_languages()) & set(language_files()))


def check_languages(config: CorpusConfig) -> None:
    """Unknown codes, languages without wordfreq, target among the training languages."""
    import wordfreq

    espeak = language_files()
    for code in [*config.languages, *([config.target] if config.target else [])]:
        if code not in espeak:
            raise AweError(f"unknown language '{code}' (eSpeak NG has no voice for it; "
                           "awe synth --list-languages shows the usable ones)")
    for code in config.isolated_languages:
        if code not in wordfreq.available_languages():
            raise AweError(f"language '{code}' has no wordfreq word list, needed for isolated "
                           "words (awe synth --list-languages shows the usable ones)")
    if len(set(config.languages)) != len(config.languages):
        raise AweError(f"a language is listed twice in {','.join(config.languages)}")
    if config.target in config.languages:
        raise AweError(f"'{config.target}' is both an isolated-word language and the target")
    if config.target and not config.texts:
        raise AweError(f"no text for the running speech of '{config.target}' (give --text FILE)")


