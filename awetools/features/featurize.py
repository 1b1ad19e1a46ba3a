"""Per-segment feature matrices for a data dir (the library behind ``awe featurize``).

Frames are computed over each whole recording and then cut at the segment times, so
frames at a word's edges see their real acoustic context (deltas, SSL context).  Work
is split by speaker: one job reads a speaker's recordings, accumulates its CMVN
statistics and returns its normalised segments, so ``nj`` processes share nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from awetools.errors import AweError
from awetools.features.segments import MeanVarianceStats, frame_ranges, normalise
from awetools.features.vad import EnergyVad, frame_log_energy
from awetools.io.audio import read_audio, resample
from awetools.io.datadir import DataDir, c_sorted
from awetools.io.tables import open_writer
from awetools.progress import progress
from awetools.workers import worker_pool

CMVN_MODES = ("speaker", "utterance", "none")
# post-delta: statistics over every output dimension (static + deltas), as in Kamper's
# AWE recipes; pre-delta: over the static part only, Kaldi's ``apply-cmvn | add-deltas``.
CMVN_ORDERS = ("post-delta", "pre-delta")
CMVN_FRAMES = ("all", "voiced")  # which frames the statistics are taken over


class FrameExtractor(Protocol):
    """What featurisation needs from a feature type (Kaldi MFCC/fbank, SSL models).

    An extractor may also define ``extract_many(waveforms) -> iterator of frames`` (same
    order) to batch several recordings per computation; see :func:`_extract`.
    """

    sample_rate: int
    frame_shift: float
    frame_center: float
    static_dim: int
    dim: int

    def __call__(self, samples: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class SegmentSpan:
    key: str
    start: float
    end: float | None  # None: to the end of the recording


@dataclass(frozen=True)
class SpeakerJob:
    """All segments of one speaker, grouped by recording."""

    speaker: str
    recordings: tuple[tuple[str, str, tuple[SegmentSpan, ...]], ...]  # (id, wav.scp entry, spans)
    size: int


def speaker_jobs(data: DataDir) -> list[SpeakerJob]:
    """Group a data dir's segments (or whole recordings) by speaker and recording."""
    if data.segments:
        spans = {key: (s.recording, SegmentSpan(key, s.start, s.end))
                 for key, s in data.segments.items()}
    else:
        spans = {key: (key, SegmentSpan(key, 0.0, None)) for key in data.wav_scp}
    for key, (recording, _) in spans.items():
        if recording not in data.wav_scp:
            raise AweError(f"{data.path}/segments (key '{key}'): recording '{recording}' "
                           "is not in wav.scp")
    by_speaker: dict[str, dict[str, list[SegmentSpan]]] = {}
    for key in c_sorted(spans):
        recording, span = spans[key]
        speaker = data.utt2spk.get(key, key)
        by_speaker.setdefault(speaker, {}).setdefault(recording, []).append(span)
    return [
        SpeakerJob(speaker, tuple((rec, data.wav_scp[rec], tuple(s)) for rec, s in recs.items()),
                   sum(len(s) for s in recs.values()))
        for speaker, recs in sorted(by_speaker.items())
    ]


@dataclass(frozen=True)
class FeaturizeOptions:
    cmvn: str = "speaker"
    cmvn_order: str = "post-delta"
    cmvn_frames: str = "all"
    vad: EnergyVad = EnergyVad()  # what counts as voiced for ``cmvn_frames="voiced"``
    resample: bool = False
    max_overshoot: float = 0.1
    scp_name: str = "wav.scp"


def _read_recording(extractor: FrameExtractor, options: FeaturizeOptions, recording: str,
                    entry: str) -> np.ndarray:
    samples, rate = read_audio(entry, recording, options.scp_name)
    if rate != extractor.sample_rate:
        if not options.resample:
            raise AweError(f"{options.scp_name} (key '{recording}'): sample rate {rate} Hz differs "
                           f"from --sample-rate {extractor.sample_rate} (add --resample)")
        samples = resample(samples, rate, extractor.sample_rate)
    return samples


def _extract(extractor: FrameExtractor,
             waveforms: Iterable[np.ndarray]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """``(samples, frames)`` per waveform, lazily; an extractor with an ``extract_many``
    method (SSL models) gets them as a stream so that it can batch several at once."""
    many = getattr(extractor, "extract_many", None)
    if many is None:
        return ((samples, extractor(samples)) for samples in waveforms)
    waveforms, copies = itertools.tee(waveforms)
    return zip(copies, many(waveforms))


def _cut_recording(extractor: FrameExtractor, options: FeaturizeOptions, recording: str,
                   spans: tuple[SegmentSpan, ...], samples: np.ndarray,
                   frames: np.ndarray) -> list[np.ndarray]:
    duration = len(samples) / extractor.sample_rate
    starts = np.array([s.start for s in spans])
    ends = np.array([duration if s.end is None else s.end for s in spans])
    late = np.flatnonzero(ends > duration + options.max_overshoot)
    if late.size:
        span = spans[late[0]]
        segments = Path(options.scp_name).with_name("segments")
        raise AweError(f"{segments} (key '{span.key}'): ends at {span.end:.3f} s but recording "
                       f"'{recording}' is only {duration:.3f} s long")
    if len(frames) == 0:
        raise AweError(f"{options.scp_name} (key '{recording}'): {duration:.3f} s of audio is "
                       "shorter than one analysis window")
    first, last = frame_ranges(starts, ends, extractor.frame_shift, extractor.frame_center,
                               len(frames))
    return [frames[a:b] for a, b in zip(first, last)]


def featurize_speaker(job: SpeakerJob, extractor: FrameExtractor,
                      options: FeaturizeOptions) -> list[tuple[str, np.ndarray]]:
    """Features of one speaker's segments, normalised as ``options.cmvn``,
    ``options.cmvn_order`` and ``options.cmvn_frames`` say (a recording without a voiced
    frame counts all of its frames)."""
    stats_dim = extractor.dim if options.cmvn_order == "post-delta" else extractor.static_dim
    speaker_stats = MeanVarianceStats(stats_dim)
    cut: list[tuple[tuple[SegmentSpan, ...], list[np.ndarray], MeanVarianceStats]] = []
    waveforms = (_read_recording(extractor, options, recording, entry)
                 for recording, entry, _ in job.recordings)
    for (recording, _, spans), (samples, frames) in zip(job.recordings,
                                                        _extract(extractor, waveforms)):
        pieces = _cut_recording(extractor, options, recording, spans, samples, frames)
        counted = frames[:, :stats_dim]
        if options.cmvn_frames == "voiced":
            voiced = options.vad.voiced(frame_log_energy(
                samples, extractor.sample_rate, extractor.frame_shift,
                2 * extractor.frame_center, len(frames)))
            counted = counted[voiced] if voiced.any() else counted  # all silent: every frame
        stats = MeanVarianceStats(stats_dim)
        stats.add(counted)
        speaker_stats.add(counted)
        cut.append((spans, pieces, stats))
    out = []
    for spans, pieces, stats in cut:
        chosen = speaker_stats if options.cmvn == "speaker" else stats
        mean, scale = chosen.mean_and_scale()
        for span, piece in zip(spans, pieces):
            if options.cmvn != "none":
                piece = normalise(piece, mean, scale)
            out.append((span.key, np.ascontiguousarray(piece, dtype=np.float32)))
    return out


# Worker processes receive the extractor once (pool initializer), not with every job.
_worker: dict = {}


def _init_worker(extractor: FrameExtractor, options: FeaturizeOptions) -> None:
    _worker["extractor"], _worker["options"] = extractor, options


def _run_job(job: SpeakerJob) -> list[tuple[str, np.ndarray]]:
    return featurize_speaker(job, _worker["extractor"], _worker["options"])


def _describe_job(job: SpeakerJob) -> str:
    return f"speaker '{job.speaker}' ({job.size} segments)"


def iter_features(data: DataDir, extractor: FrameExtractor, options: FeaturizeOptions,
                  nj: int = 1) -> Iterator[tuple[str, np.ndarray]]:
    """Yield ``(segment id, [frames, dim])`` speaker by speaker, in sorted key order per speaker."""
    if options.cmvn not in CMVN_MODES:
        raise AweError(f"unknown CMVN mode '{options.cmvn}' (choose from {', '.join(CMVN_MODES)})")
    if options.cmvn_order not in CMVN_ORDERS:
        raise AweError(f"unknown CMVN order '{options.cmvn_order}' "
                       f"(choose from {', '.join(CMVN_ORDERS)})")
    if options.cmvn_frames not in CMVN_FRAMES:
        raise AweError(f"unknown CMVN frames '{options.cmvn_frames}' "
                       f"(choose from {', '.join(CMVN_FRAMES)})")
    jobs = speaker_jobs(data)
    bar = progress(sum(j.size for j in jobs), desc="featurize", unit="seg")
    with bar:
        if nj <= 1:
            results = (featurize_speaker(job, extractor, options) for job in jobs)
            for result in results:
                yield from result
                bar.update(len(result))
            return
        with worker_pool(nj, _init_worker, (extractor, options), "fork") as pool:
            for result in pool.results(_run_job, jobs, _describe_job):
                yield from result
                bar.update(len(result))


def featurize(data: DataDir, extractor: FrameExtractor, wspecifier: str,
              options: FeaturizeOptions, nj: int = 1) -> int:
    """Write every segment's features to ``wspecifier``; returns the number written."""
    with open_writer(wspecifier) as writer:
        for key, features in iter_features(data, extractor, options, nj):
            writer.write(key, features)
        return writer.count
