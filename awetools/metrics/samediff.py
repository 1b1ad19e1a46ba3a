"""Same-different evaluation: average precision of "same word" over all pairs of segments.

All N(N-1)/2 pairs are ranked by distance (cosine by default); AP is the average
precision of the same-word pairs.  SWDP-AP (when speakers are known): positives are
same-word *different*-speaker pairs, same-word same-speaker pairs are left out of the
ranking, different-word pairs (any speaker) stay as negatives.

Exact, with ties handled as :func:`sklearn.metrics.average_precision_score` handles them
(pairs at equal distance form one operating point):

    AP = 1/P * sum over distinct positive distances t of  n_pos(t) * P(<= t) / A(<= t)

where ``P(<= t)`` counts positives and ``A(<= t)`` all ranked pairs at distance ``<= t``.
Positives are few (``sum_w n_w (n_w - 1) / 2``), so their distances are computed and sorted;
``A(<= t)`` comes from one streamed pass over all pairs (:mod:`awetools.metrics.pairdist`),
in memory that does not grow with N^2.  Distances come either from vectors
(:class:`~awetools.metrics.pairdist.VectorPairs`) or from a precomputed condensed list such
as DTW costs (:class:`~awetools.metrics.pairdist.CondensedPairs`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numba
import numpy as np

from awetools.errors import AweError
from awetools.metrics.pairdist import (MAX_CELLS, Bins, CondensedPairs, VectorPairs, group_layout,
                                       ordered_keys, same_code_pairs)

PairSource = VectorPairs | CondensedPairs


@dataclass
class Curve:
    """Operating points at the distinct positive distances: cumulative positives and ranked pairs."""

    positives: np.ndarray  # [U] positives at distance <= t
    ranked: np.ndarray     # [U] ranked pairs (positives + negatives) at distance <= t
    new: np.ndarray        # [U] positives at exactly t

    @property
    def total(self) -> int:
        return int(self.positives[-1]) if self.positives.size else 0

    def average_precision(self) -> float:
        """Sum over operating points of (recall gain) x precision."""
        keep = self.new > 0
        return float(np.sum(self.new[keep] * (self.positives[keep] / self.ranked[keep])) / self.total)

    def breakeven(self) -> float:
        """Precision-recall breakeven: where recall meets the (interpolated) precision."""
        keep = self.new > 0
        recall = self.positives[keep] / self.total
        precision = np.maximum.accumulate((self.positives[keep] / self.ranked[keep])[::-1])[::-1]
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


@contextlib.contextmanager
def threads(count: int | None):
    """Run numba kernels on ``count`` threads (all configured ones when None)."""
    if count is None:
        yield
        return
    previous = numba.get_num_threads()
    numba.set_num_threads(max(1, min(count, numba.config.NUMBA_NUM_THREADS)))
    try:
        yield
    finally:
        numba.set_num_threads(previous)


def samediff(source: PairSource, labels: Sequence[str], speakers: Sequence[str] | None = None,
             tick: Callable[[int], None] | None = None, max_cells: int = MAX_CELLS) -> dict:
    """AP (and SWDP-AP with ``speakers``) over all pairs of ``source``'s items.

    ``tick(items)`` is called as the all-pairs sweep advances (for a progress bar);
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
    uniq, inverse = np.unique(keys, return_inverse=True)
    ranked = source.count(Bins(uniq, max_cells), tick)
    new = np.bincount(inverse, minlength=uniq.size)
    curve = Curve(np.cumsum(new), ranked, new)
    result = {"ap": curve.average_precision(), "prb": curve.breakeven(),
              "swdp_ap": None, "swdp_prb": None,
              "n": n, "types": types, "pairs": n * (n - 1) // 2, "positives": int(pos.size),
              "swdp_positives": None, "swdp_pairs": None}
    if speakers is not None:
        spk, _ = _codes(speakers)
        ends, offsets = group_layout(bounds)
        same_spk = same_code_pairs(spk[order], ends, offsets)
        new_dp = np.bincount(inverse[~same_spk], minlength=uniq.size)
        same_cum = np.cumsum(np.bincount(inverse[same_spk], minlength=uniq.size))
        if new_dp.sum() == 0:
            raise AweError("no same-word different-speaker pairs: every word's tokens come from "
                           "one speaker, so SWDP-AP is undefined (leave out --utt2spk)")
        dp = Curve(np.cumsum(new_dp), ranked - same_cum, new_dp)
        result.update(swdp_ap=dp.average_precision(), swdp_prb=dp.breakeven(),
                      swdp_positives=dp.total, swdp_pairs=result["pairs"] - int(same_spk.sum()))
    return result


def samediff_vectors(vectors: np.ndarray, labels: Sequence[str], speakers: Sequence[str] | None = None,
                     metric: str = "cosine", nj: int | None = None,
                     tick: Callable[[int], None] | None = None) -> dict:
    """:func:`samediff` of ``[N, D]`` vectors under ``metric`` (cosine or euclidean)."""
    if metric == "cosine":
        zero = np.flatnonzero(~np.any(vectors != 0, axis=1))
        if zero.size:
            raise AweError(f"{zero.size} all-zero vectors (first: row {zero[0]}): "
                           "cosine distance is undefined for them")
    with threads(nj):
        return samediff(VectorPairs(vectors, metric), labels, speakers, tick)


def samediff_condensed(distances: np.ndarray, labels: Sequence[str],
                       speakers: Sequence[str] | None = None, nj: int | None = None,
                       tick: Callable[[int], None] | None = None) -> dict:
    """:func:`samediff` of precomputed distances in scipy ``pdist`` (condensed) order."""
    with threads(nj):
        return samediff(CondensedPairs(distances, len(labels)), labels, speakers, tick)
