"""Word-segment data dirs from an utterance data dir and a word alignment (``awe segment``).

Each aligned word becomes a segment ``<utt>-<position>`` (speaker-prefixed when the
utterance id is not) whose ``segments`` line points into the source *recording*, so
``awe featurize`` can compute frames over the whole recording and cut the word out.
Filters drop silence/noise marks, short words and surplus tokens; every drop is counted
by reason and reported.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from awetools.errors import AweError
from awetools.io.alignments import Alignment
from awetools.io.datadir import DataDir, Segment, c_sorted

DEFAULT_DROP = ("<eps>", "<sil>", "sil", "sp", "spn", "<unk>", "<noise>", "<spoken_noise>",
                "[noise]", "[laughter]", "[sil]", "<v-noise>", "!sil")
_MARK = re.compile(r"^(<.*>|\[.*\])$")


@dataclass
class SegmentFilters:
    """Which aligned words become segments."""

    min_duration: float = 0.0
    min_chars: int = 0
    vocabulary: set[str] | None = None
    max_tokens_per_type: int | None = None
    drop: set[str] = field(default_factory=lambda: set(DEFAULT_DROP))
    drop_marks: bool = True  # any <...> or [...] token is a non-speech mark
    lowercase: bool = False
    seed: int = 0


@dataclass
class SegmentReport:
    """Counts for the stderr summary of ``awe segment``."""

    utterances: int = 0
    utterances_without_alignment: int = 0
    tokens: int = 0
    kept: int = 0
    dropped: Counter = field(default_factory=Counter)
    types: int = 0

    def lines(self) -> list[str]:
        out = [f"utterances: {self.utterances} aligned, "
               f"{self.utterances_without_alignment} without alignment",
               f"tokens: {self.tokens} aligned, {self.kept} kept ({self.types} types)"]
        out += [f"  dropped {n} ({reason})" for reason, n in sorted(self.dropped.items())]
        return out


def _segment_id(utt: str, speaker: str, position: int, width: int) -> str:
    base = utt if utt.startswith(speaker) else f"{speaker}-{utt}"
    return f"{base}-{position:0{width}d}"


def make_word_segments(data: DataDir, alignment: Alignment, filters: SegmentFilters,
                       labels: bool = True) -> tuple[DataDir, SegmentReport]:
    """Build the word-segment data dir (in memory) and the counts of what was kept."""
    report = SegmentReport()
    utterances = set(data.utterances)
    for utt, words in alignment.items():
        if utt not in utterances:
            raise AweError(f"{words[0].source}: utterance '{utt}' is not in {data.path}")
    report.utterances = len(alignment)
    report.utterances_without_alignment = len(utterances - alignment.keys())

    candidates = []  # (segment id, utt, position, word, start, end)
    for utt in c_sorted(alignment):
        words = alignment[utt]
        speaker = data.utt2spk[utt]
        width = max(4, len(str(len(words) - 1)))
        for position, interval in enumerate(words):
            report.tokens += 1
            word = interval.word.lower() if filters.lowercase else interval.word
            reason = _drop_reason(word, interval.end - interval.start, filters)
            if reason:
                report.dropped[reason] += 1
                continue
            candidates.append((_segment_id(utt, speaker, position, width), utt, position, word,
                               interval.start, interval.end))
    candidates = _cap_tokens(candidates, filters, report)
    if not candidates:
        raise AweError(f"{data.path}: no word segments left after the filters "
                       f"({report.tokens} aligned tokens, all dropped)")

    out = DataDir(path=data.path)
    for seg, utt, position, word, start, end in candidates:
        source = data.segments.get(utt)
        recording, offset = (source.recording, source.start) if source else (utt, 0.0)
        if seg in out.segments:
            raise AweError(f"{data.path}: segment id '{seg}' is not unique")
        out.segments[seg] = Segment(recording, offset + start, offset + end)
        out.utt2spk[seg] = data.utt2spk[utt]
        out.seg2utt[seg] = utt
        out.seg2pos[seg] = position
        if labels:
            out.text[seg] = word
    used = {s.recording for s in out.segments.values()}
    out.wav_scp = {rec: entry for rec, entry in data.wav_scp.items() if rec in used}
    report.kept = len(candidates)
    report.types = len({c[3] for c in candidates})
    return out, report


def _drop_reason(word: str, duration: float, filters: SegmentFilters) -> str | None:
    if not word or word in filters.drop or (filters.drop_marks and _MARK.match(word)):
        return "silence/noise mark"
    if filters.vocabulary is not None and word not in filters.vocabulary:
        return "not in vocabulary"
    if duration < filters.min_duration:
        return f"shorter than {filters.min_duration:g} s"
    if len(word) < filters.min_chars:
        return f"fewer than {filters.min_chars} characters"
    return None


def _cap_tokens(candidates: list, filters: SegmentFilters, report: SegmentReport) -> list:
    """Keep at most ``max_tokens_per_type`` random tokens of each word (seeded)."""
    cap = filters.max_tokens_per_type
    if cap is None or not candidates:
        return candidates
    words = np.array([c[3] for c in candidates], dtype=object)
    order = np.random.default_rng(filters.seed).permutation(len(candidates))
    _, inverse = np.unique(words[order], return_inverse=True)
    # rank of each shuffled token within its type: position minus first position of its type
    sort = np.argsort(inverse, kind="stable")
    counts = np.bincount(inverse)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    rank = np.empty(len(order), dtype=np.int64)
    rank[sort] = np.arange(len(order)) - starts
    keep = np.sort(order[rank < cap])
    dropped = len(candidates) - len(keep)
    if dropped:
        report.dropped[f"over {cap} tokens per type"] += dropped
    return [candidates[i] for i in keep]
