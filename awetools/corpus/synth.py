"""Build the synthetic multilingual corpus (``awe synth``): plan, synthesise, write data dirs.

Layout of ``OUT``::

    OUT/manifest.json                 configuration and a summary of every data dir
    OUT/<lang>/<split>/               split in train, dev, test; a Kaldi data dir:
        wav.scp text utt2spk spk2utt  16 kHz 16-bit wavs under wav/<speaker>/
        words.ctm                     exact word boundaries (whole milliseconds)
        lexicon.txt                   word -> IPA phones, as eSpeak spoke them
        lexicon_festival.txt          word -> Festival's phones (where Festival voices speak)
        lexicon_mbrola.txt            word -> phones of Debian's eSpeak NG (where MBROLA voices speak)
        manifest.json                 counts, hours, speakers and voices, seed, preset

What is said is planned in :mod:`awetools.corpus.plan`, how it is said in
:mod:`awetools.corpus.speak`.  Jobs run in this process or in a pool of ``nj`` workers;
each starts on a fresh eSpeak instance and every utterance has its own seeded generator,
so the corpus is identical for any ``nj``.  The whole ``OUT`` is built under a temporary
name and renamed when complete.

The isolated words of ``config.festival_languages`` and ``config.mbrola_languages`` are
also said by Festival voices (:mod:`awetools.corpus.festival`) and MBROLA voices
(:mod:`awetools.corpus.mbrola`), as extra speakers in the same data dirs.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

from awetools.corpus.plan import Job, check_languages, plan_isolated, plan_running
from awetools.corpus.presets import CorpusConfig
from awetools.corpus.render import SAMPLE_RATE
from awetools.corpus.speak import Spoken, run_job
from awetools.corpus.speakers import ENGINE_NAMES, SPLITS, VOICE_ENGINES, Speaker, engine_voices
from awetools.corpus.text import read_sentences
from awetools.errors import AweError
from awetools.io.atomic import atomic_dir, atomic_open
from awetools.io.datadir import DataDir, c_sorted
from awetools.progress import progress
from awetools.workers import worker_pool


@dataclass
class SplitResult:
    """What the jobs of one (language, split) produced."""

    utterances: list[Spoken] = field(default_factory=list)
    planned_words: int = 0

    @property
    def silent(self) -> int:
        """Words the engine did not speak (left out of audio and transcript)."""
        return self.planned_words - sum(len(u.words) for u in self.utterances)


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
    with worker_pool(min(nj, len(jobs))) as pool:
        with progress(total=total, desc="awe synth", unit="word") as bar:
            numbered = pool.results(_run_numbered, enumerate(jobs), _describe_job, ordered=False)
            for index, spoken in numbered:
                yield jobs[index], spoken
                bar.update(jobs[index].words)


def _run_numbered(item: tuple[int, Job]) -> tuple[int, list[Spoken]]:
    return item[0], run_job(item[1])


def _describe_job(item: tuple[int, Job]) -> str:
    speaker = item[1].speaker
    return f"a synthesis job of speaker '{speaker.id}' ({speaker.language}/{speaker.split})"


def write_split(directory: Path, final: Path, result: SplitResult, speakers: list[Speaker],
                kind: str, config: CorpusConfig) -> dict:
    """Write one Kaldi data dir (``final`` is where it will live, for wav.scp) and its manifest."""
    utts = {u.id: u for u in result.utterances}
    language, split = speakers[0].language, speakers[0].split
    if not utts:
        raise AweError(f"{language}/{split}: the synthesiser spoke none of the words")
    engine_of = {s.id: s.engine for s in speakers}
    data = DataDir(path=directory)
    ctm, lexicons = [], {engine: set() for engine in engine_of.values()}
    for utt_id in c_sorted(utts):
        utt = utts[utt_id]
        data.wav_scp[utt_id] = str(final / "wav" / utt.speaker / f"{utt_id}.wav")
        data.text[utt_id] = " ".join(utt.words)
        data.utt2spk[utt_id] = utt.speaker
        for word, (start, length), phones in zip(utt.words, utt.spans, utt.pronunciations):
            ctm.append(f"{utt_id} 1 {start / SAMPLE_RATE:.3f} {length / SAMPLE_RATE:.3f} {word}\n")
            if phones:
                lexicons[engine_of[utt.speaker]].add(f"{word} {' '.join(phones)}")
    data.save(directory)
    with atomic_open(directory / "words.ctm") as out:
        out.writelines(ctm)
    for engine, lexicon in lexicons.items():
        name = "lexicon.txt" if engine == "espeak" else f"lexicon_{engine}.txt"
        with atomic_open(directory / name) as out:
            out.writelines(line + "\n" for line in c_sorted(lexicon))
    seconds = sum(u.samples for u in utts.values()) / SAMPLE_RATE
    speech = sum(n for u in utts.values() for _, n in u.spans) / SAMPLE_RATE
    manifest = {
        "language": language, "split": split, "kind": kind, "preset": config.preset,
        "seed": config.seed, "snr_db": config.snr, "sample_rate": SAMPLE_RATE,
        "utterances": len(utts), "speakers": len({u.speaker for u in utts.values()}),
        "tokens": len(ctm), "types": len({w for u in utts.values() for w in u.words}),
        "silent_words_dropped": result.silent,
        "hours": round(seconds / 3600, 4), "speech_hours": round(speech / 3600, 4),
        "voices": voice_summary(speakers),
        "speaker_definitions": [s.to_dict() for s in speakers
                                if any(u.speaker == s.id for u in utts.values())],
    }
    with atomic_open(directory / "manifest.json") as out:
        json.dump(manifest, out, indent=1, ensure_ascii=False)
    return manifest


def voice_summary(speakers: list[Speaker]) -> dict:
    """Per engine, the voices the split's speakers use; for Festival and MBROLA also whether
    the language's voices are shared with other splits (a language with one or two voices)."""
    summary: dict = {}
    for speaker in speakers:
        entry = summary.setdefault(speaker.engine, {"voices": []})
        if speaker.variant not in entry["voices"]:
            entry["voices"].append(speaker.variant)
    for engine in set(summary) - {"espeak"}:
        parts = engine_voices(engine, speakers[0].language)
        mine = set(parts[speakers[0].split])
        shared = sorted(s for s in SPLITS if s != speakers[0].split and mine & set(parts[s]))
        summary[engine]["voice_also_in_splits"] = shared
    return summary


def check_engines(config: CorpusConfig) -> None:
    """Festival and MBROLA installed where asked for, with a voice for each of their
    languages; the target language never among them (it must stay unheard)."""
    for engine, module in VOICE_ENGINES.items():
        codes = config.engine_languages[engine]
        if not codes:
            continue
        if config.target in codes:
            raise AweError(f"'{config.target}' is the target language and also in --{engine}-languages")
        module.runtime()
        for code in codes:
            if code not in module.installed_voices():
                raise AweError(f"{ENGINE_NAMES[engine]} has no installed voice for '{code}' (have: "
                               f"{', '.join(module.installed_voices()) or 'none'}; {module.INSTALL_HINT})")
        if len(set(codes)) != len(codes):
            raise AweError(f"a language is listed twice in {','.join(codes)}")


def engine_versions(config: CorpusConfig) -> dict[str, str]:
    """Versions of the Debian packages behind the Festival and MBROLA voices the corpus uses."""
    versions = {}
    for engine, module in VOICE_ENGINES.items():
        codes = config.engine_languages[engine]
        if codes:
            versions.update(module.package_versions([v for code in codes for v in module.installed_voices()[code]]))
    return versions


def build_corpus(out: str | Path, config: CorpusConfig, nj: int = 1, overwrite: bool = False) -> dict:
    """Synthesise the corpus described by ``config`` into ``out``; returns the top manifest."""
    config.check()
    check_languages(config)
    check_engines(config)
    out = Path(out)
    if out.exists() and not overwrite:
        raise AweError(f"{out}: output directory exists (use --overwrite to replace it)")
    sentences = read_sentences(list(config.texts)) if config.target else []
    final = out.resolve()
    with atomic_dir(out, overwrite=overwrite) as tmp:
        jobs = [job for language in config.isolated_languages
                for job in plan_isolated(language, config, tmp)]
        if config.target:
            jobs += plan_running(config.target, sentences, config, tmp)
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
                                 speakers[(lang, split)],
                                 "running" if lang == config.target else "isolated", config)
                     for lang, split in sorted(speakers)]
        manifest = {"config": config.to_dict(),
                    "versions": {"python": sys.version.split()[0],
                                 **{name: version(name) for name in ("espeakng-loader", "wordfreq")},
                                 **engine_versions(config)},
                    "data_dirs": [{k: v for k, v in s.items() if k != "speaker_definitions"}
                                  for s in summaries]}
        with atomic_open(tmp / "manifest.json") as handle:
            json.dump(manifest, handle, indent=1, ensure_ascii=False)
    return manifest
