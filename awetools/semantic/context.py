"""Skipgram training pairs from a word-segment data dir.

The context of a segment is every other segment of the same source utterance
(``seg2utt``) whose word position (``seg2pos``) differs by at most ``window``; positions
count dropped words, so distances are true distances in the utterance.  Pairs come out
in both directions, built with numpy over segments sorted by (utterance, position): for
each shift ``s = 1 .. window`` segment ``i`` and ``i + s`` are compared at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from awetools.errors import AweError
from awetools.io.datadir import DataDir


@dataclass
class ContextPairs:
    """``center`` and ``context`` segment rows ``[P]``; ``utterance`` id of every segment row."""

    center: np.ndarray
    context: np.ndarray
    utterance: np.ndarray

    def __len__(self) -> int:
        return len(self.center)

    def select(self, keep: np.ndarray) -> "ContextPairs":
        return ContextPairs(self.center[keep], self.context[keep], self.utterance)


def context_pairs(utterances: np.ndarray, positions: np.ndarray, window: int) -> ContextPairs:
    """All (center, context) rows within ``window`` positions in the same utterance."""
    if window < 1:
        raise AweError(f"--window must be at least 1 (got {window})")
    _, utt_ids = np.unique(utterances, return_inverse=True)
    order = np.lexsort((positions, utt_ids))
    u, p = utt_ids[order], positions[order]
    centers, contexts = [], []
    for shift in range(1, window + 1):
        near = (u[shift:] == u[:-shift]) & (p[shift:] - p[:-shift] <= window)
        a, b = order[:-shift][near], order[shift:][near]
        centers += [a, b]
        contexts += [b, a]
    center = np.concatenate(centers) if centers else np.empty(0, np.int64)
    context = np.concatenate(contexts) if contexts else np.empty(0, np.int64)
    return ContextPairs(center.astype(np.int64), context.astype(np.int64), utt_ids)


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


def split_utterances(pairs: ContextPairs, fraction: float, seed: int) -> tuple[ContextPairs, ContextPairs]:
    """Hold out the pairs of a random ``fraction`` of utterances for validation."""
    n_utts = int(pairs.utterance.max()) + 1 if len(pairs.utterance) else 0
    n_valid = int(round(fraction * n_utts))
    if fraction > 0 and n_utts >= 2:
        n_valid = min(max(n_valid, 1), n_utts - 1)
    held = np.zeros(n_utts, dtype=bool)
    held[np.random.default_rng([seed, 99]).permutation(n_utts)[:n_valid]] = True
    in_valid = held[pairs.utterance[pairs.center]]
    return pairs.select(~in_valid), pairs.select(in_valid)
