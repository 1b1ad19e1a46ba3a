"""``awe augment`` as a library call: an utterance data dir -> an augmented data dir.

Every recording of ``wav.scp`` gives one output recording per copy (see
:meth:`AugmentOptions.prefixes`): keys, speakers and recordings get the copy's prefix
(``sp0.9-``, ``aug1-``, ``sp1.1-aug2-``), so speakers stay distinct and keys stay
speaker-prefixed.  ``text``, ``utt2spk``, ``spk2utt``, ``words.ctm`` and ``segments``
follow, with times divided by the speed factor (the only perturbation that moves them)
and, with ``--boundary-jitter``, word boundaries moved at random (:mod:`boundaries`).
Wavs go to ``OUT/wav/<key>.wav`` (16-bit PCM; a copy whose peak would clip is scaled to
a peak of 0.99).  The input is checked before any audio is processed, and OUT is built
under a temporary name and renamed when complete: an error or Ctrl-C leaves the old
output or none.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import soundfile

from awetools.augment.boundaries import jitter_times
from awetools.augment.chain import perturb
from awetools.augment.options import AugmentOptions
from awetools.augment.seeding import copy_rng
from awetools.augment.speed import scale_time
from awetools.errors import AweError
from awetools.io.alignments import Alignment, read_ctm
from awetools.io.atomic import atomic_dir, atomic_open
from awetools.io.audio import read_audio, write_wav
from awetools.io.datadir import DataDir, Segment, c_sorted
from awetools.progress import progress
from awetools.workers import worker_pool

PEAK = 0.99


@dataclass(frozen=True)
class Job:
    """One source recording and the speakers heard in it (babble avoids them)."""

    key: str
    entry: str
    speakers: frozenset[str]


@dataclass(frozen=True)
class Context:
    """What every worker needs besides its job."""

    options: AugmentOptions
    rate: int
    scp: str
    first: str                # key whose sample rate the others must match
    wav_dir: str              # where the wavs are written (inside the temporary OUT)
    sources: tuple[Job, ...]  # babble material


_context: dict[str, Context] = {}


def _init_worker(context: Context) -> None:
    _context["context"] = context


@lru_cache(maxsize=128)  # babble voices, reused across the recordings of a worker
def _voice(entry: str, key: str, scp: str) -> np.ndarray:
    return read_audio(entry, key, scp)[0]


def _read(job: Job, context: Context) -> np.ndarray:
    samples, rate = read_audio(job.entry, job.key, context.scp)
    if rate != context.rate:
        raise AweError(f"{context.scp} (key '{job.key}'): sample rate {rate} Hz, but "
                       f"'{context.first}' has {context.rate} Hz; resample the data dir first")
    return samples


def _voice_picker(job: Job, context: Context):
    """babble material for ``job``: recordings without any of its speakers."""
    others = [s for s in context.sources if not s.speakers & job.speakers]

    def pick(count: int, rng: np.random.Generator) -> list[np.ndarray]:
        if not others:
            raise AweError(f"{context.scp} (key '{job.key}'): babble needs recordings of other "
                           "speakers, and the data dir has none")
        chosen = rng.choice(len(others), size=min(count, len(others)), replace=False)
        voices = [_voice(others[i].entry, others[i].key, context.scp) for i in chosen]
        return [np.resize(v, max(len(v), 1)) for v in voices]
    return pick


def augment_recording(job: Job, context: Context | None = None) -> list[tuple[str, int]]:
    """Write every copy of one recording; returns ``(output key, samples)`` per copy."""
    context = context or _context["context"]
    samples = _read(job, context)
    picker = _voice_picker(job, context)
    written = []
    for speed, prefix, perturbed in context.options.prefixes():
        key = prefix + job.key
        out = perturb(samples, context.rate, speed, perturbed, context.options,
                      copy_rng(context.options.seed, key), picker)
        peak = float(np.max(np.abs(out))) if len(out) else 0.0
        if peak > PEAK:
            out = out * (PEAK / peak)
        write_wav(Path(context.wav_dir) / f"{key}.wav", out, context.rate)
        written.append((key, len(out)))
    return written


def _probe_rate(entry: str, key: str, scp: str) -> int:
    """Sample rate of a recording from its header (a pipe is run and read)."""
    entry = entry.strip()
    if entry.endswith("|"):
        return read_audio(entry, key, scp)[1]
    if not Path(entry).is_file():
        raise AweError(f"{scp} (key '{key}'): no such audio file '{entry}'")
    try:
        return int(soundfile.info(entry).samplerate)
    except (soundfile.LibsndfileError, RuntimeError) as exc:
        raise AweError(f"{scp} (key '{key}'): cannot read audio '{entry}' ({exc})") from None


def check_rates(wav_scp: dict[str, str], scp: str) -> int:
    """The common sample rate of every recording; a missing, unreadable or different one
    is an error naming its key."""
    first = next(iter(wav_scp))
    rate = _probe_rate(wav_scp[first], first, scp)
    for key, entry in wav_scp.items():
        other = _probe_rate(entry, key, scp)
        if other != rate:
            raise AweError(f"{scp} (key '{key}'): sample rate {other} Hz, but '{first}' has "
                           f"{rate} Hz; resample the data dir first")
    return rate


def load_ctm(path: Path, data: DataDir) -> Alignment:
    """The source CTM: present, not empty, only utterances of the data dir."""
    if not path.is_file():
        raise AweError(f"{path}: no such CTM (awe augment keeps word times; give --ctm)")
    alignment = read_ctm(path)
    if not alignment:
        raise AweError(f"{path}: empty CTM (no word alignments)")
    known = set(data.utterances)
    for utt, words in alignment.items():
        if utt not in known:
            raise AweError(f"{words[0].source}: utterance '{utt}' is not in {data.path}")
    return alignment


def _jobs(data: DataDir) -> list[Job]:
    speakers: dict[str, set[str]] = {key: set() for key in data.wav_scp}
    if data.segments:
        for seg, segment in data.segments.items():
            speakers[segment.recording].add(data.utt2spk[seg])
    else:
        for utt in data.wav_scp:
            speakers[utt].add(data.utt2spk[utt])
    return [Job(key, data.wav_scp[key], frozenset(speakers[key])) for key in c_sorted(data.wav_scp)]


def _copy_tables(data: DataDir, alignment: Alignment, options: AugmentOptions, out: Path,
                 samples: dict[str, int], rate: int) -> tuple[DataDir, list[str]]:
    """The output data dir's tables and CTM lines (times divided by the speed, word
    boundaries jittered where ``options`` say; ``samples``: length of each written copy)."""
    new = DataDir(path=out)
    ctm: list[str] = []
    for speed, prefix, perturbed in options.prefixes():
        new.wav_scp.update({prefix + k: str(out / "wav" / f"{prefix + k}.wav") for k in data.wav_scp})
        new.segments.update({prefix + k: Segment(prefix + s.recording, scale_time(s.start, speed),
                                                 scale_time(s.end, speed))
                             for k, s in data.segments.items()})
        new.text.update({prefix + k: v for k, v in data.text.items()})
        new.utt2spk.update({prefix + k: prefix + v for k, v in data.utt2spk.items()})
        for utt in c_sorted(alignment):
            words = alignment[utt]
            starts = scale_time(np.array([w.start for w in words]), speed)
            ends = scale_time(np.array([w.end for w in words]), speed)
            if options.jitters(perturbed):
                key = prefix + utt
                duration = (new.segments[key].end - new.segments[key].start if data.segments
                            else samples[key] / rate)
                starts, ends = jitter_times(starts, ends, duration, options.boundary_jitter,
                                            copy_rng(options.seed, key + "/boundaries"))
            ctm.extend(f"{prefix + utt} 1 {s:.6f} {e - s:.6f} {w.word}\n"
                       for s, e, w in zip(starts, ends, words))
    return new, sorted(ctm, key=lambda line: line.split(" ", 1)[0].encode("utf-8"))


def augment_data_dir(src: str | Path, out: str | Path, options: AugmentOptions, nj: int = 1,
                     ctm: str | Path | None = None, overwrite: bool = False) -> int:
    """Augment the data dir ``src`` into ``out``; returns the number of recordings written."""
    src, out = Path(src), Path(out)
    data = DataDir.load(src, require=("wav.scp", "utt2spk"))
    missing = [u for u in data.utterances if u not in data.utt2spk]
    if missing:
        raise AweError(f"{src}/utt2spk: no speaker for utterance '{missing[0]}'")
    alignment = load_ctm(Path(ctm) if ctm else src / "words.ctm", data)
    scp = str(src / "wav.scp")
    rate = check_rates(data.wav_scp, scp)
    jobs = _jobs(data)
    with atomic_dir(out, overwrite=overwrite) as tmp:
        (tmp / "wav").mkdir()
        context = Context(options, rate, scp, jobs[0].key, str(tmp / "wav"), tuple(jobs))
        samples: dict[str, int] = {}
        with progress(len(jobs), desc="augment", unit="rec") as bar:
            if nj <= 1:
                for job in jobs:
                    samples.update(augment_recording(job, context))
                    bar.update(1)
            else:
                with worker_pool(nj, _init_worker, (context,), "fork") as pool:
                    for written in pool.results(augment_recording, jobs, lambda j: f"recording '{j.key}'"):
                        samples.update(written)
                        bar.update(1)
        tables, lines = _copy_tables(data, alignment, options, out, samples, rate)
        tables.save(tmp)
        with atomic_open(tmp / "words.ctm") as handle:
            handle.writelines(lines)
        with atomic_open(tmp / "augment.json") as handle:
            json.dump({"source": str(src), "options": asdict(options)}, handle, indent=1)
    return len(jobs) * len(options.prefixes())
