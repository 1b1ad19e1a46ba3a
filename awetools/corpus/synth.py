"""Build the synthetic multilingual corpus (``awe synth``): plan, synthesise, write data dirs.

Layout of ``OUT``::

    OUT/manifest.json                 configuration and a summary of every data dir
    OUT/<lang>/<split>/               split in train, dev, test; a Kaldi data dir:
        wav.scp text utt2spk spk2utt  16 kHz 16-bit wavs under wav/<speaker>/
        words.ctm                     exact word boundaries (whole milliseconds)
        lexicon.txt                   word -> IPA phones, as eSpeak spoke them
        manifest.json                 counts, hours, speakers, seed, preset

Isolated-word languages get the most frequent words of the language, each said once by
every speaker (one word per utterance); the target language gets running speech:
sentences from text files, shuffled with the seed and shared out between the splits.

Every word is synthesised on its own and the words of an utterance are laid end to end
with short pauses, so word boundaries come from the audio itself (no estimation, no
merged WORD events).  Work is cut into jobs of a few hundred words of one speaker; each
job runs on a fresh eSpeak instance with a random generator derived from the seed and the
utterance id, so the corpus is identical for any ``nj``.  The whole ``OUT`` is built under
a temporary name and renamed when complete.
"""

from __future__ import annotations

import json
import multiprocessing
import signal
import sys
import wave
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from awetools.corpus.espeak import Espeak, Synthesis, language_files
from awetools.corpus.presets import RUNNING_FRACTIONS, CorpusConfig
from awetools.corpus.render import (SAMPLE_RATE, add_noise, assemble, milliseconds, render_words,
                                    to_pcm16)
from awetools.corpus.speakers import (SPLITS, Speaker, TokenVoice, make_speakers, stable_hash,
                                      token_voice, voice_definition)
from awetools.corpus.text import normalize_words, read_sentences, top_words
from awetools.errors import AweError
from awetools.io.atomic import atomic_dir, atomic_open
from awetools.io.datadir import DataDir, c_sorted
from awetools.log import get_logger
from awetools.progress import progress

log = get_logger(__name__)

JOB_WORDS = 400             # words per job (each job starts a fresh eSpeak: ~10 ms)
EDGE_SILENCE = (0.05, 0.15)  # silence before the first and after the last word (s)
GAP_JITTER = (0.5, 1.5)     # a pause is the speaker's mean pause times this factor
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


@dataclass
class Spoken:
    """A synthesised utterance: the words actually spoken and their spans in samples."""

    id: str
    speaker: str
    words: list[str]
    spans: list[tuple[int, int]]
    samples: int
    pronunciations: list[tuple[str, ...]]


@dataclass
class SplitResult:
    """What the jobs of one (language, split) produced."""

    utterances: list[Spoken] = field(default_factory=list)
    planned_words: int = 0

    @property
    def silent(self) -> int:
        """Words eSpeak did not speak (left out of audio and transcript)."""
        return self.planned_words - sum(len(u.words) for u in self.utterances)


def utterance_rng(seed: int, utt: str) -> np.random.Generator:
    """The random generator of one utterance: depends on the seed and its id only."""
    return np.random.default_rng([seed, stable_hash("utterance", utt)])


def plan_tokens(speaker: Speaker, count: int, rng: np.random.Generator) -> list[tuple[TokenVoice, int]]:
    """Voice and eSpeak noise seed of each of ``count`` tokens (drawn before any layout)."""
    return [(token_voice(speaker, rng), int(rng.integers(2 ** 31))) for _ in range(count)]


def say(engine: Espeak, word: str, voice: TokenVoice, seed: int) -> Synthesis:
    """One token at eSpeak's rate (``engine`` already has the speaker's voice)."""
    engine.set_parameters(rate=voice.rate, pitch=voice.pitch)
    return engine.synthesize(word, seed=seed)


def say_all(engine: Espeak, speaker: Speaker, words: list[str], rng: np.random.Generator) -> list[Synthesis]:
    """The tokens of one utterance, each synthesised on its own."""
    return [say(engine, word, voice, seed)
            for word, (voice, seed) in zip(words, plan_tokens(speaker, len(words), rng))]


def lay_out(speaker: Speaker, words: list[str], said: list[Synthesis], audio: list[np.ndarray],
            rng: np.random.Generator, snr: float | None = None
            ) -> tuple[np.ndarray, list[tuple[int, int]], list[str], list[tuple[str, ...]]]:
    """Rendered words end to end with the speaker's pauses (and noise) as one utterance.

    Returns int16 16 kHz samples, each spoken word's (start, length) in samples, the
    spoken words (eSpeak may stay silent on some) and their phone sequences.
    """
    kept = [i for i, samples in enumerate(audio) if len(samples)]
    gaps = [milliseconds(speaker.pause * rng.uniform(*GAP_JITTER)) for _ in kept[1:]]
    lead, tail = (milliseconds(rng.uniform(*EDGE_SILENCE)) for _ in range(2))
    signal, spans = assemble([audio[i] for i in kept], gaps, lead, tail)
    if snr is not None and spans:
        signal = add_noise(signal, spans, snr, rng)
    return to_pcm16(signal), spans, [words[i] for i in kept], [tuple(said[i].phonemes) for i in kept]


def speak(engine: Espeak, speaker: Speaker, words: list[str], rng: np.random.Generator,
          snr: float | None = None) -> tuple[np.ndarray, list[tuple[int, int]], list[str],
                                             list[tuple[str, ...]]]:
    """Synthesise ``words`` word by word as one utterance of ``speaker`` (see :func:`lay_out`).

    ``engine`` must already speak with the speaker's voice (:func:`prepare_engine`).
    """
    said = say_all(engine, speaker, words, rng)
    audio = render_words([s.samples for s in said], engine.sample_rate, speaker.tilt)
    return lay_out(speaker, words, said, audio, rng, snr)


def write_wav(path: Path, samples: np.ndarray) -> None:
    """16 kHz 16-bit mono wav (stdlib ``wave``: no fsync per file, unlike libsndfile)."""
    try:
        with open(path, "wb") as handle, wave.open(handle, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(SAMPLE_RATE)
            out.writeframes(samples.astype("<i2").tobytes())
    except OSError as exc:
        raise AweError(f"{path}: cannot write ({exc.strerror or exc})") from None


def prepare_engine(engine: Espeak, speaker: Speaker) -> None:
    """Give ``engine`` the speaker's voice, intonation range and volume."""
    engine.set_voice(voice_definition(speaker, language_files()[speaker.language]))
    engine.set_parameters(range=speaker.pitch_range, volume=speaker.volume)


def run_job(job: Job) -> list[Spoken]:
    """Synthesise a job and write its wavs; returns the utterances spoken.

    Does what :func:`speak` does for each utterance, but resamples all words of the job
    together (faster, same samples).
    """
    try:
        job.wav_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AweError(f"{job.wav_dir}: cannot create ({exc.strerror or exc})") from None
    rngs = [utterance_rng(job.seed, utt.id) for utt in job.utterances]
    with Espeak() as engine:
        prepare_engine(engine, job.speaker)
        said = [say_all(engine, job.speaker, utt.words, rng) for utt, rng in zip(job.utterances, rngs)]
        rate = engine.sample_rate
    audio = iter(render_words([s.samples for tokens in said for s in tokens], rate, job.speaker.tilt))
    done = []
    for utt, rng, tokens in zip(job.utterances, rngs, said):
        samples, spans, words, phones = lay_out(job.speaker, utt.words, tokens,
                                                [next(audio) for _ in tokens], rng, job.snr)
        if words:
            write_wav(job.wav_dir / f"{utt.id}.wav", samples)
            done.append(Spoken(utt.id, job.speaker.id, words, spans, len(samples), phones))
    return done


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
    """Every speaker of every split says each of the top ``num_words`` words once."""
    words = top_words(language, config.num_words)
    if len(words) < config.num_words:
        log.warning("%s: wordfreq gives only %d usable words (asked for %d)",
                    language, len(words), config.num_words)
    jobs = []
    for split in SPLITS:
        for speaker in make_speakers(language, split, config.isolated_speakers[split], config.seed):
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
        speakers = make_speakers(language, split, config.running_speakers[split], config.seed)
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
    for code in config.languages:
        if code not in wordfreq.available_languages():
            raise AweError(f"language '{code}' has no wordfreq word list, needed for isolated "
                           "words (awe synth --list-languages shows the usable ones)")
    if len(set(config.languages)) != len(config.languages):
        raise AweError(f"a language is listed twice in {','.join(config.languages)}")
    if config.target in config.languages:
        raise AweError(f"'{config.target}' is both an isolated-word language and the target")
    if config.target and not config.texts:
        raise AweError(f"no text for the running speech of '{config.target}' (give --text FILE)")


def run_jobs(jobs: list[Job], nj: int):
    """Yield ``(job, run_job(job))`` in order of completion, with a progress bar in words."""
    jobs = sorted(jobs, key=lambda j: -j.words)  # big jobs first: better load balance
    total = sum(j.words for j in jobs)
    if nj <= 1:
        with progress(total=total, desc="awe synth", unit="word") as bar:
            for job in jobs:
                yield job, run_job(job)
                bar.update(job.words)
        return
    with multiprocessing.get_context().Pool(nj, initializer=_ignore_sigint) as pool:
        with progress(total=total, desc="awe synth", unit="word") as bar:
            for index, spoken in pool.imap_unordered(_run_numbered, enumerate(jobs)):
                yield jobs[index], spoken
                bar.update(jobs[index].words)


def _run_numbered(item: tuple[int, Job]) -> tuple[int, list[Spoken]]:
    return item[0], run_job(item[1])


def _ignore_sigint() -> None:
    """Workers leave Ctrl-C to the parent, which stops the pool and removes the partial output."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def write_split(directory: Path, final: Path, result: SplitResult, speakers: list[Speaker],
                kind: str, config: CorpusConfig) -> dict:
    """Write one Kaldi data dir (``final`` is where it will live, for wav.scp) and its manifest."""
    utts = {u.id: u for u in result.utterances}
    data = DataDir(path=directory)
    ctm, lexicon = [], set()
    for utt_id in c_sorted(utts):
        utt = utts[utt_id]
        data.wav_scp[utt_id] = str(final / "wav" / utt.speaker / f"{utt_id}.wav")
        data.text[utt_id] = " ".join(utt.words)
        data.utt2spk[utt_id] = utt.speaker
        for word, (start, length), phones in zip(utt.words, utt.spans, utt.pronunciations):
            ctm.append(f"{utt_id} 1 {start / SAMPLE_RATE:.3f} {length / SAMPLE_RATE:.3f} {word}\n")
            if phones:
                lexicon.add(f"{word} {' '.join(phones)}")
    data.save(directory)
    with atomic_open(directory / "words.ctm") as out:
        out.writelines(ctm)
    with atomic_open(directory / "lexicon.txt") as out:
        out.writelines(line + "\n" for line in c_sorted(lexicon))
    seconds = sum(u.samples for u in utts.values()) / SAMPLE_RATE
    speech = sum(n for u in utts.values() for _, n in u.spans) / SAMPLE_RATE
    language, split = speakers[0].language, speakers[0].split
    manifest = {
        "language": language, "split": split, "kind": kind, "preset": config.preset,
        "seed": config.seed, "snr_db": config.snr, "sample_rate": SAMPLE_RATE,
        "utterances": len(utts), "speakers": len({u.speaker for u in utts.values()}),
        "tokens": len(ctm), "types": len({w for u in utts.values() for w in u.words}),
        "silent_words_dropped": result.silent,
        "hours": round(seconds / 3600, 4), "speech_hours": round(speech / 3600, 4),
        "speaker_definitions": [s.to_dict() for s in speakers
                                if any(u.speaker == s.id for u in utts.values())],
    }
    with atomic_open(directory / "manifest.json") as out:
        json.dump(manifest, out, indent=1, ensure_ascii=False)
    return manifest


def build_corpus(out: str | Path, config: CorpusConfig, nj: int = 1, overwrite: bool = False) -> dict:
    """Synthesise the corpus described by ``config`` into ``out``; returns the top manifest."""
    config.check()
    check_languages(config)
    out = Path(out)
    if out.exists() and not overwrite:
        raise AweError(f"{out}: output directory exists (use --overwrite to replace it)")
    sentences = read_sentences(list(config.texts)) if config.target else []
    final = out.resolve()
    with atomic_dir(out, overwrite=overwrite) as tmp:
        jobs, kinds = [], {}
        for language in config.languages:
            jobs += plan_isolated(language, config, tmp)
            kinds[language] = "isolated"
        if config.target:
            jobs += plan_running(config.target, sentences, config, tmp)
            kinds[config.target] = "running"
        speakers: dict[tuple[str, str], list[Speaker]] = defaultdict(list)
        for job in jobs:
            key = (job.speaker.language, job.speaker.split)
            if job.speaker not in speakers[key]:
                speakers[key].append(job.speaker)
        results: dict[tuple[str, str], SplitResult] = defaultdict(SplitResult)
        for job, spoken in run_jobs(jobs, nj):
            result = results[(job.speaker.language, job.speaker.split)]
            result.utterances += spoken
            result.planned_words += job.words
        summaries = [write_split(tmp / lang / split, final / lang / split, results[(lang, split)],
                                 speakers[(lang, split)], kinds[lang], config)
                     for lang, split in sorted(speakers)]
        manifest = {"config": config.to_dict(), "python": sys.version.split()[0],
                    "data_dirs": [{k: v for k, v in s.items() if k != "speaker_definitions"}
                                  for s in summaries]}
        with atomic_open(tmp / "manifest.json") as handle:
            json.dump(manifest, handle, indent=1, ensure_ascii=False)
    return manifest
