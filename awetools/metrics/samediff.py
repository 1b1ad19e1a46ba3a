"""Same-different evaluation: average precision of "same word" over all pairs of segments.

All N(N-1)/2 pairs are ranked by distance (cosine by default); AP is the average
precision of the same-word pairs.  SWDP-AP (when speakers are known): positives are
same-word *different*-speaker pairs, same-word same-speaker pairs are left out of the
ranking, different-word pairs (any speaker) stay as negatives.

Exact, with ties handled as :func:`sklearn.metrics.average_precision_score` handles them
(pairs at equal distance form one operating point):

    AP = 1/P * sum over distinct positive distances t of  n_pos(t) * p(<= t) / A(<= t)

where ``P`` is the number of positive pairs, ``n_pos(t)`` those at exactly ``t``,
``p(<= t)`` those at distance ``<= t`` and ``A(<= t)`` all ranked pairs at distance ``<= t``.
Positives are few (``sum_w n_w (n_w - 1) / 2``), so their distances are computed and sorted;
``A(<= t)`` comes from one streamed pass over all pairs (:mod:`awetools.metrics.pairdist`),
in memory that does not grow with N^2.  Distances come either from vectors
(:class:`~awetools.metrics.pairdist.VectorPairs`) or from a precomputed condensed list such
as DTW costs (:class:`~awetools.metrics.pairdist.CondensedPairs`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from awetools.errors import AweError
from awetools.metrics.pairdist import (MAX_CELLS, Bins, CondensedPairs, VectorPairs, group_layout,
                                       numba_threads, ordered_keys, same_code_pairs)

PairSource = VectorPairs | CondensedPairs


@dataclass
class Curve:
    """Operating points at the distinct positive distances ``t`` (increasing)."""

    positives: np.ndarray  # [U] positives at distance <= t
    ranked: np.ndarray     # [U] ranked pairs (positives and negatives) at distance <= t

    @property
    def total(self) -> int:
        return int(self.positives[-1])

    def _points(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Recall gain, recall and precision where the positives grow."""
        gain = np.diff(self.positives, prepend=0)
        keep = gain > 0
        pos = self.positives[keep]
        return gain[keep], pos / self.total, pos / self.ranked[keep]

    def average_precision(self) -> float:
        """Sum over operating points of (recall gain) x precision."""
        gain, _, precision = self._points()
        return float(np.sum(gain * precision) / self.total)

    def breakeven(self) -> float:
        """Precision-recall breakeven: where recall meets the (interpolated) precision."""
        _, recall, precision = self._points()
        precision = np.maximum.accumulate(precision[::-1])[::-1]
        i = int(np.argmin(np.abs(recall - precision)))
        return float((recall[i] + precision[i]) / 2)


def _codes(values: Sequence[str]) -> tuple[np.ndarray, int]:
    """Integer codes of string labels and the number of distinct ones."""
    uniq, codes = np.unique(np.asarray(values, dtype=object).astype(str), return_inverse=True)
    return codes.astype(np.int64), len(uniq)


def _groups(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions sorted by code (stable) and the group bounds in that order."""
    order = np.argsort(codes, kind="stable")
    change = np.flatnonzero(np.diff(codes[order])) + 1
    return order, np.concatenate([[0], change, [codes.size]]).astype(np.int64)


def samediff(source: PairSource, labels: Sequence[str], speakers: Sequence[str] | None = None,
             tick: Callable[[int], None] | None = None, max_cells: int = MAX_CELLS) -> dict:
    """AP (and SWDP-AP with ``speakers``) over all pairs of ``source``'s items.

    ``tick(pairs)`` is called as the all-pairs sweep advances (for a progress bar);
    ``max_cells`` bounds the histogram (memory against speed, never exactness).
    Returns a dict: ``ap``, ``prb``, ``swdp_ap``, ``swdp_prb`` (None without speakers),
    ``n``, ``types``, ``pairs``, ``positives`` and the SWDP counts.
    """
    n = source.n
    if len(labels) != n or (speakers is not None and len(speakers) != n):
        raise ValueError("labels/speakers must have one entry per item")
    codes, types = _codes(labels)
    order, bounds = _groups(codes)
    pos = source.within_groups(order, bounds)
    if pos.size == 0:
        raise AweError(f"no positive pairs: each of the {types} word types has a single token "
                       f"among the {n} segments, so no two segments share a label")
    keys = ordered_keys(pos)
    same_spk = None
    if speakers is not None:
        spk, _ = _codes(speakers)
        same_spk = same_code_pairs(spk[order], *group_layout(bounds))
        same_keys = np.sort(keys[same_spk])
    del pos
    keys.sort()
    first = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    uniq = keys[first].astype(np.int64)
    cum = np.r_[first[1:], keys.size]  # positives at distance <= each distinct one
    del keys
    ranked = source.count(Bins(uniq, min(max_cells, max(4096, n * (n - 1) // 2))), tick)
    curve = Curve(cum, ranked)
    result = {"ap": curve.average_precision(), "prb": curve.breakeven(),
              "swdp_ap": None, "swdp_prb": None,
              "n": n, "types": types, "pairs": n * (n - 1) // 2, "positives": curve.total,
              "swdp_positives": None, "swdp_pairs": None}
    if same_spk is not None:
        same_cum = np.searchsorted(same_keys, uniq, side="right")
        dp = Curve(cum - same_cum, ranked - same_cum)
        if dp.total == 0:
            raise AweError("no same-word different-speaker pairs: every word's tokens come from "
                           "one speaker, so SWDP-AP is undefined (leave out --utt2spk)")
        result.update(swdp_ap=dp.average_precision(), swdp_prb=dp.breakeven(),
                      swdp_positives=dp.total, swdp_pairs=result["pairs"] - same_keys.size)
    return result


def samediff_vectors(vectors: np.ndarray, labels: Sequence[str], speakers: Sequence[str] | None = None,
                     metric: str = "cosine", nj: int | None = None,
                     tick: Callable[[int], None] | None = None,
                     keys: Sequence[str] | None = None) -> dict:
    """:func:`samediff` of ``[N, D]`` vectors under ``metric`` (cosine or euclidean).

    ``keys`` (optional) name the rows in error messages.
    """
    if metric == "cosine":
        zero = np.flatnonzero(~np.any(vectors != 0, axis=1))
        if zero.size:
            name = f"'{keys[zero[0]]}'" if keys is not None else f"row {zero[0]}"
            raise AweError(f"{zero.size} all-zero vector(s), first {name}: cosine distance is "
                           "undefined for them (use --metric euclidean or drop them)")
    with numba_threads(nj):
        return samediff(VectorPairs(vectors, metric), labels, speakers, tick)


def samediff_condensed(distances: np.ndarray, labels: Sequence[str],
                       speakers: Sequence[str] | None = None, nj: int | None = None,
                       tick: Callable[[int], None] | None = None) -> dict:
    """:func:`samediff` of precomputed distances in scipy ``pdist`` (condensed) order."""
    with numba_threads(nj):
        return samediff(CondensedPairs(distances, len(labels)), labels, speakers, tick)
