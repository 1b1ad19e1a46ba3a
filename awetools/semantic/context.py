"""Skipgram training pairs from a word-segment data dir.

The context of a segment is every other segment of the same source utterance
(``seg2utt``) whose word position (``seg2pos``) differs by at most ``window``; positions
count dropped words, so distances are true distances in the utterance.  Pairs come out
in both directions, built with numpy over segments sorted by (utterance, position): for
each shift ``s = 1 .. window`` segment ``i`` and ``i + s`` are compared at once.

Per epoch, :class:`EpochPairs` applies word2vec's two sampling rules to the training
utterances (a function of the epoch's generator, so resumed runs repeat them):

- *frequent-item subsampling*: a segment of an item (word id, or pseudo-word cluster id
  for speech) of relative frequency ``f`` is kept with probability
  ``min(1, (sqrt(f / t) + 1) t / f)`` (word2vec's rule, threshold ``t``), and the dropped
  segments are removed from their utterance before windows are taken, so the remaining
  words come closer, as in word2vec; segments ``left_out`` altogether (cluster-skipgram's
  ``--outlier-fraction``) are removed the same way in every epoch;
- *dynamic window*: every centre segment draws its own window ``b`` uniformly from
  ``1 .. window`` and keeps the contexts at most ``b`` positions away, so near words
  count more (word2vec weights distance ``d`` by ``(window - d + 1) / window``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from awetools.errors import AweError
from awetools.io.datadir import DataDir


@dataclass
class ContextPairs:
    """``center`` and ``context`` segment rows ``[P]``, their ``distance`` in word positions
    ``[P]``; ``utterance`` id of every segment row."""

    center: np.ndarray
    context: np.ndarray
    utterance: np.ndarray
    distance: np.ndarray

    def __len__(self) -> int:
        return len(self.center)

    def select(self, keep: np.ndarray) -> "ContextPairs":
        return ContextPairs(self.center[keep], self.context[keep], self.utterance, self.distance[keep])


def context_pairs(utterances: np.ndarray, positions: np.ndarray, window: int) -> ContextPairs:
    """All (center, context) rows within ``window`` positions in the same utterance."""
    if window < 1:
        raise AweError(f"--window must be at least 1 (got {window})")
    _, utt_ids = np.unique(utterances, return_inverse=True)
    order = np.lexsort((positions, utt_ids))
    u, p = utt_ids[order], positions[order]
    centers, contexts, distances = [], [], []
    for shift in range(1, window + 1):
        gap = p[shift:] - p[:-shift]
        near = (u[shift:] == u[:-shift]) & (gap <= window)
        a, b = order[:-shift][near], order[shift:][near]
        centers += [a, b]
        contexts += [b, a]
        distances += [gap[near]] * 2
    empty = np.empty(0, np.int64)
    return ContextPairs(np.concatenate([empty, *centers]).astype(np.int64),
                        np.concatenate([empty, *contexts]).astype(np.int64), utt_ids,
                        np.concatenate([empty, *distances]).astype(np.int64))


def keep_probability(items: np.ndarray, threshold: float) -> np.ndarray:
    """word2vec's probability of keeping each segment, from the frequency of its item id."""
    counts = np.bincount(items)
    frequency = counts[items] / len(items)
    return np.minimum(1.0, (np.sqrt(frequency / threshold) + 1.0) * threshold / frequency)


def closed_up(utterances: np.ndarray, positions: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """Positions once the segments not ``kept`` are taken out of their utterances: each
    position moves back by the number of removed segments before it in its utterance."""
    order = np.lexsort((positions, utterances))
    dropped = ~kept[order]
    removed_before = np.cumsum(dropped) - dropped  # over all utterances so far
    first = np.r_[True, utterances[order][1:] != utterances[order][:-1]]
    before = removed_before - np.maximum.accumulate(np.where(first, removed_before, 0))
    out = np.empty_like(positions)
    out[order] = positions[order] - before
    return out


def aligned_keys(keys: list[str], data: DataDir, sources: dict[str, set[str]]) -> list[str]:
    """Segment ids in ``keys`` that the data dir (seg2utt, seg2pos) and every source know.

    ``sources`` maps a description (e.g. the soft labels' file) to its key set.  No common
    id at all is an error naming both sides; a partial overlap is reported by the caller.
    """
    for name in ("seg2utt", "seg2pos"):
        if not getattr(data, name):
            raise AweError(f"{data.path}: word-segment data dir has no '{name}' "
                           "(needed for context windows; made by awe segment)")
    known = [k for k in keys if k in data.seg2utt and k in data.seg2pos]
    if not known:
        raise AweError(f"{data.path}/seg2utt and the input share no segment ids (first input key "
                       f"'{keys[0]}', first data dir segment '{next(iter(data.seg2utt))}')")
    for name, source in sources.items():
        kept = [k for k in known if k in source]
        if not kept:
            raise AweError(f"{name} shares no segment ids with the input and {data.path} "
                           f"(first input key '{known[0]}', first of {name} "
                           f"'{next(iter(source), '(none)')}')")
        known = kept
    return known


@dataclass
class EpochPairs:
    """The training pairs of each epoch: subsampled and dynamically windowed when asked.

    ``utterances``/``positions`` per segment row, ``train_utterances`` marks the utterance
    ids (``utterance`` of :class:`ContextPairs`) that training may use, ``items`` the
    item id of every row (frequencies for subsampling; None: no subsampling).
    """

    utterances: np.ndarray
    positions: np.ndarray
    train_utterances: np.ndarray
    window: int
    items: np.ndarray | None = None
    threshold: float = 0.0
    dynamic: bool = False
    left_out: np.ndarray | None = None  # rows never trained on (taken out like dropped ones)

    def __post_init__(self) -> None:
        self.all = context_pairs(self.utterances, self.positions, self.window)
        self.training_rows = self.train_utterances[self.all.utterance]  # per segment row
        self.fixed = self.all.select(self.training_rows[self.all.center])
        self.keep = keep_probability(self.items, self.threshold) if self.items is not None else None
        if self.left_out is not None:
            self.keep = np.where(self.left_out, 0.0, 1.0 if self.keep is None else self.keep)

    def __call__(self, rng: np.random.Generator) -> ContextPairs:
        pairs = self.fixed
        if self.keep is not None:  # subsample the training utterances, then take windows
            kept = rng.random(len(self.keep)) < self.keep
            rows = np.flatnonzero(kept & self.training_rows)
            segment_utts = self.all.utterance
            near = context_pairs(segment_utts[rows],
                                 closed_up(segment_utts, self.positions, kept)[rows], self.window)
            pairs = ContextPairs(rows[near.center], rows[near.context], segment_utts, near.distance)
        if self.dynamic:
            reach = rng.integers(1, self.window + 1, size=len(self.utterances))
            pairs = pairs.select(pairs.distance <= reach[pairs.center])
        return pairs


def held_out(n_utts: int, fraction: float, seed: int) -> np.ndarray:
    """Which of ``n_utts`` utterances validation holds out: a random ``fraction`` (at least
    one and not all, when the fraction is positive)."""
    n_valid = int(round(fraction * n_utts))
    if fraction > 0 and n_utts >= 2:
        n_valid = min(max(n_valid, 1), n_utts - 1)
    held = np.zeros(n_utts, dtype=bool)
    held[np.random.default_rng([seed, 99]).permutation(n_utts)[:n_valid]] = True
    return held
