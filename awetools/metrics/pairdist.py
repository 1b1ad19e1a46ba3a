"""Pairwise distances of many vectors, streamed tile by tile, and counts of pairs below thresholds.

Same-different evaluation needs, for every distinct distance ``t`` of a positive pair, the
number of *all* pairs at distance ``<= t``: N^2/2 distances (5e9 for N = 100,000) that are
never stored.  :func:`count_pairs_below` computes them tile by tile (a few rows against a
few hundred columns, so the operands stay in cache) and drops each distance straight into
a histogram over the sorted thresholds; memory is ``O(N*D + threads * thresholds)``.

Exactness: a positive pair's distance and the same pair's distance inside the all-pairs
sweep must be the *same float*, or ties and equalities would differ from a ranking of the
stored list.  Both come from :func:`_tile`, whose result for a pair does not depend on the
tile it falls in: each element is accumulated over the dimensions in a fixed order, one
IEEE multiply and one add per step (no fused multiply-add, no reassociation: the
vectorisation runs across columns, never across the sum).  A BLAS GEMM gives no such
guarantee (its kernels differ at tile edges and with memory alignment).

Distances are float32 (as the embeddings are): cosine ``1 - <x/|x|, y/|y|>``, euclidean
``sqrt(sum (x - y)^2)``.
"""

from __future__ import annotations

import numba
import numpy as np

METRICS = ("cosine", "euclidean")


def prepare(vectors: np.ndarray, metric: str) -> np.ndarray:
    """Float32 C-ordered rows ready for :func:`_tile`: unit-normalised for cosine."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric '{metric}' (use one of {', '.join(METRICS)})")
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    if metric == "cosine":
        x = x / np.linalg.norm(x.astype(np.float64), axis=1, keepdims=True).astype(np.float32)
    return np.ascontiguousarray(x)


@numba.njit(cache=True, nogil=True)
def _tile(x, xt, r, c0, c1, euclid, out):  # pragma: no cover - compiled
    """``out[: c1 - c0]`` = distances of row ``r`` of ``x`` to columns ``c0:c1`` of ``xt = x.T``."""
    n = c1 - c0
    for c in range(n):
        out[c] = 0.0
    for k in range(x.shape[1]):
        a = x[r, k]
        col = xt[k]
        if euclid:
            for c in range(n):
                diff = a - col[c0 + c]
                out[c] += diff * diff
        else:
            for c in range(n):
                out[c] += a * col[c0 + c]
    if euclid:
        for c in range(n):
            out[c] = np.sqrt(out[c])
    else:
        for c in range(n):
            out[c] = np.float32(1.0) - out[c]


@numba.njit(cache=True, nogil=True)
def _cell(v, lo, scale, cells):  # pragma: no cover - compiled
    """Monotone bucket of a distance on a uniform grid over the threshold range."""
    c = int((np.float64(v) - lo) * scale)
    return cells - 1 if c >= cells else c


@numba.njit(cache=True, nogil=True)
def _rank(v, thresholds, start, lo, scale):  # pragma: no cover - compiled
    """Number of thresholds strictly below ``v`` (``searchsorted(..., 'left')``), in O(1) cells.

    Only called with ``thresholds[0] < v <= thresholds[-1]``.  ``_cell`` is monotone, so
    every threshold in an earlier cell is below ``v`` and every one in a later cell above:
    only the thresholds of ``v``'s own cell are searched.
    """
    c = _cell(v, lo, scale, start.shape[0] - 1)
    a = start[c]
    b = start[c + 1]
    while a < b:
        m = (a + b) >> 1
        if thresholds[m] < v:
            a = m + 1
        else:
            b = m
    return a


@numba.njit(cache=True)
def _cell_starts(thresholds, lo, scale, cells):  # pragma: no cover - compiled
    """``start[c]`` = number of thresholds whose cell is below ``c`` (``cells + 1`` entries)."""
    start = np.zeros(cells + 1, dtype=np.int64)
    for t in thresholds:
        start[_cell(t, lo, scale, cells) + 1] += 1
    return np.cumsum(start)


class Thresholds:
    """Sorted distinct thresholds with the cell index used by :func:`_rank`."""

    def __init__(self, values: np.ndarray, dtype=np.float32):
        self.values = np.unique(np.asarray(values, dtype=dtype))
        if self.values.size == 0:
            raise ValueError("no thresholds")
        self.lo = float(self.values[0])
        hi = float(self.values[-1])
        self.cells = int(min(max(2 * self.values.size, 1024), 1 << 22))
        self.scale = (self.cells - 1) / (hi - self.lo) if hi > self.lo else 0.0
        self.start = _cell_starts(self.values, self.lo, self.scale, self.cells)

    def __len__(self) -> int:
        return self.values.size


@numba.njit(cache=True, nogil=True)
def _count(v, thresholds, start, lo, scale, hist):  # pragma: no cover - compiled
    """Histogram one distance: bin ``k`` holds distances in ``(t[k-1], t[k]]``; above ``t[-1]``: dropped."""
    if v > thresholds[-1]:
        return
    if v <= thresholds[0]:
        hist[0] += 1
    else:
        hist[_rank(v, thresholds, start, lo, scale)] += 1


@numba.njit(parallel=True, cache=True)
def _count_rows(x, xt, euclid, row_tiles, tile, cols, thresholds, start, lo, scale,
                hist):  # pragma: no cover - compiled
    """Histogram all pairs ``i < j`` whose row ``i`` lies in the given row tiles."""
    n = x.shape[0]
    for q in numba.prange(row_tiles.shape[0]):
        own = hist[numba.get_thread_id()]
        r0 = row_tiles[q] * tile
        r1 = min(r0 + tile, n)
        buf = np.empty(cols, dtype=np.float32)
        for c0 in range(r0 + 1, n, cols):
            c1 = min(c0 + cols, n)
            for r in range(r0, min(r1, c1 - 1)):
                first = max(c0, r + 1)
                _tile(x, xt, r, first, c1, euclid, buf)
                for c in range(c1 - first):
                    _count(buf[c], thresholds, start, lo, scale, own)


@numba.njit(parallel=True, cache=True)
def _within_groups(x, xt, euclid, bounds, offsets, cols, out):  # pragma: no cover - compiled
    """Distances of all pairs inside each group ``bounds[g]:bounds[g+1]`` of rows.

    Pair ``(a, b)``, ``a < b``, of group ``g`` goes to ``out[offsets[a] + b - a - 1]``
    (row-major upper triangle, group after group); parallel over rows.
    """
    g_of = np.empty(x.shape[0], dtype=np.int64)
    for g in range(bounds.shape[0] - 1):
        g_of[bounds[g]:bounds[g + 1]] = g
    for a in numba.prange(x.shape[0]):
        end = bounds[g_of[a] + 1]
        buf = np.empty(cols, dtype=np.float32)
        for c0 in range(a + 1, end, cols):
            c1 = min(c0 + cols, end)
            _tile(x, xt, a, c0, c1, euclid, buf)
            base = offsets[a] + c0 - a - 1
            out[base:base + c1 - c0] = buf[:c1 - c0]


def within_group_offsets(bounds: np.ndarray) -> np.ndarray:
    """``offsets[a]``: index of row ``a``'s first within-group pair in the canonical order."""
    later = np.repeat(bounds[1:], np.diff(bounds)) - np.arange(bounds[-1]) - 1  # pairs (a, b > a)
    return np.concatenate([[0], np.cumsum(later)])[:-1].astype(np.int64)
