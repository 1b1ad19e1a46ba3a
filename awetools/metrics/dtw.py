"""Dynamic time warping distances between all pairs of feature matrices (the classic baseline).

Frame distance: cosine, ``1 - <f/|f|, g/|g|>`` (an all-zero frame is at distance 1 from
every frame).  Steps: match ``(i-1, j-1)``, insertion ``(i-1, j)``, deletion ``(i, j-1)``,
as in Kamper's ``speech_dtw``; on equal costs the earlier of those wins.  The distance of
a pair is the cost of the best path divided by its length in cells (path-length
normalisation, so long words are not penalised; ``speech_dtw``'s ``dur_normalize``
divides by ``n + m`` instead).

:func:`dtw_condensed` returns the distances of all pairs ``i < j`` in scipy ``pdist``
(condensed) order, computed in parallel by numba threads (rows of pairs per task, two
rolling rows of the cost matrix per pair, no Python per cell).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numba
import numpy as np

from awetools.metrics.pairdist import balanced_order, numba_threads


def stack_frames(matrices: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Unit-normalised float64 frames of all matrices, concatenated, and their offsets."""
    frames = np.concatenate([np.asarray(m, dtype=np.float64) for m in matrices], axis=0)
    norms = np.linalg.norm(frames, axis=1, keepdims=True)
    frames = frames / np.where(norms > 0, norms, 1.0)
    offsets = np.concatenate([[0], np.cumsum([len(m) for m in matrices])]).astype(np.int64)
    return np.ascontiguousarray(frames), offsets


@numba.njit(cache=True, nogil=True)
def _dtw_pair(frames, frames_t, s0, s1, t0, t1, dist, cost, length):  # pragma: no cover
    """Path-length-normalised DTW cost of frames ``s0:s1`` against ``t0:t1``.

    ``dist``, ``cost`` and ``length`` are scratch rows of at least ``2 * (t1 - t0 + 1)``.
    """
    m = t1 - t0
    prev_c = cost[:m + 1]
    cur_c = cost[m + 1:2 * m + 2]
    prev_l = length[:m + 1]
    cur_l = length[m + 1:2 * m + 2]
    prev_c[:] = np.inf
    prev_c[0] = 0.0
    prev_l[:] = 0
    d = dist[:m]
    for i in range(s0, s1):
        d[:] = 1.0
        for k in range(frames.shape[1]):
            a = frames[i, k]
            col = frames_t[k, t0:t1]
            for j in range(m):
                d[j] -= a * col[j]
        cur_c[0] = np.inf
        cur_l[0] = 0
        for j in range(m):
            best = prev_c[j]        # match
            steps = prev_l[j]
            if prev_c[j + 1] < best:  # insertion
                best = prev_c[j + 1]
                steps = prev_l[j + 1]
            if cur_c[j] < best:       # deletion
                best = cur_c[j]
                steps = cur_l[j]
            cur_c[j + 1] = d[j] + best
            cur_l[j + 1] = steps + 1
        prev_c, cur_c = cur_c, prev_c
        prev_l, cur_l = cur_l, prev_l
    return prev_c[m] / prev_l[m]


@numba.njit(parallel=True, cache=True)
def _dtw_rows(frames, frames_t, offsets, rows, out):  # pragma: no cover - compiled
    """Condensed distances of the pairs ``(a, b > a)`` for each ``a`` in ``rows``."""
    n = offsets.shape[0] - 1
    longest = 0
    for a in range(n):
        longest = max(longest, offsets[a + 1] - offsets[a])
    for q in numba.prange(rows.shape[0]):
        a = rows[q]
        dist = np.empty(longest, dtype=np.float64)
        cost = np.empty(2 * longest + 2, dtype=np.float64)
        length = np.empty(2 * longest + 2, dtype=np.int64)
        base = n * a - a * (a + 1) // 2 - a - 1
        for b in range(a + 1, n):
            out[base + b] = _dtw_pair(frames, frames_t, offsets[a], offsets[a + 1],
                                      offsets[b], offsets[b + 1], dist, cost, length)


def dtw_condensed(matrices: Sequence[np.ndarray], tick: Callable[[int], None] | None = None,
                  nj: int | None = None) -> np.ndarray:
    """Float64 DTW distances of all pairs ``i < j`` of ``[T_i, D]`` matrices, condensed order.

    ``tick(pairs)`` is called as batches of rows finish (for a progress bar); ``nj``
    threads (default: all).
    """
    with numba_threads(nj):
        return _all_rows(matrices, tick)


def _all_rows(matrices: Sequence[np.ndarray], tick: Callable[[int], None] | None) -> np.ndarray:
    n = len(matrices)
    frames, offsets = stack_frames(matrices)
    frames_t = np.ascontiguousarray(frames.T)
    out = np.empty(n * (n - 1) // 2, dtype=np.float64)
    order = balanced_order(n)
    step = max(numba.get_num_threads(), n // 50 + 1)
    for s in range(0, n, step):
        batch = order[s:s + step]
        _dtw_rows(frames, frames_t, offsets, batch, out)
        if tick is not None:
            tick(int(np.sum(n - 1 - batch)))
    return out
