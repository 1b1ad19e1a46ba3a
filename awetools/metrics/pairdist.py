"""Counting, for every threshold, how many of N^2/2 pairwise distances lie at or below it.

Same-different AP needs, for each distinct distance ``t`` of a positive pair, the number of
*all* pairs at distance ``<= t``.  Those N(N-1)/2 distances (5e9 for N = 100,000) are
never stored: :meth:`VectorPairs.count` computes them tile by tile (four rows against a
thousand columns, operands in cache) and drops each one into a histogram straight away,
in parallel (numba threads, one histogram each, uint8 counters that carry into int64
ones); :meth:`CondensedPairs.count` does the same for a precomputed condensed distance
list (scipy ``pdist`` order, e.g. DTW costs).  Memory is
``O(N*D + threads * (cells + thresholds))``, never O(N^2).

Distances are binned by their *ordered integer key* (the float's bits, negatives flipped,
so that integer order is float order): with ``shift = 0`` a histogram cell is one
representable float, so a pair lands in exactly one cell and no search is needed; when
the thresholds span more floats than ``max_cells``, cells hold ``2**shift`` floats and
pairs falling in a cell that holds thresholds are also ranked among those thresholds.

Exactness: a positive pair's distance and the same pair's distance inside the all-pairs
sweep must be the *same float*, or ties would differ from ranking the stored list.  Both
come from :func:`_tile`, whose value for a pair does not depend on the tile it falls in:
each element is accumulated over the dimensions in a fixed order, one IEEE multiply and
one add per step (no fused multiply-add, no reassociation: the vectorisation runs across
columns, never along the sum; :func:`_tile4` does the same four rows at a time).  A BLAS GEMM gives no such guarantee (its kernels differ at
tile edges and with memory alignment).  Distances are float32, as the embeddings are:
cosine ``1 - <x/|x|, y/|y|>``, euclidean ``sqrt(sum (x - y)^2)``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import numba
import numpy as np

METRICS = ("cosine", "euclidean")
MAX_CELLS = 1 << 24
TILE_ROWS = 64
TILE_COLS = 1024


@contextlib.contextmanager
def numba_threads(count: int | None) -> Iterator[None]:
    """Run numba kernels on ``count`` threads inside the block (all configured ones when None)."""
    if count is None:
        yield
        return
    previous = numba.get_num_threads()
    numba.set_num_threads(max(1, min(count, numba.config.NUMBA_NUM_THREADS)))
    try:
        yield
    finally:
        numba.set_num_threads(previous)


def prepare(vectors: np.ndarray, metric: str) -> np.ndarray:
    """Float32 C-ordered rows ready for :func:`_tile`: unit-normalised for cosine."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric '{metric}' (use one of {', '.join(METRICS)})")
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    if metric == "cosine":
        norms = np.linalg.norm(x.astype(np.float64), axis=1, keepdims=True)
        x = np.ascontiguousarray(x / norms.astype(np.float32))
    return x


def ordered_keys(distances: np.ndarray) -> np.ndarray:
    """Integer keys (same width as the floats) in the floats' order; -0.0 and +0.0 share key 0."""
    d = np.ascontiguousarray(distances)
    itype = {4: np.int32, 8: np.int64}[d.dtype.itemsize]
    keys = d.view(itype).copy()
    flip = keys < 0
    keys[flip] ^= itype(np.iinfo(itype).max)
    keys[keys == -1] = 0
    return keys


class Bins:
    """Histogram layout over sorted distinct threshold keys (see the module docstring)."""

    def __init__(self, keys: np.ndarray, max_cells: int = MAX_CELLS):
        self.keys = np.asarray(keys, dtype=np.int64)
        if self.keys.size == 0:
            raise ValueError("no thresholds")
        self.k0 = int(self.keys[0])
        self.khi = int(self.keys[-1])
        span = self.khi - self.k0
        self.shift = max(0, span.bit_length() - (max_cells - 1).bit_length())
        self.cells = (span >> self.shift) + 1
        # offsets from k0 in uint64: float64 keys can span more than the int64 range
        offset = self.keys.astype(np.uint64) - np.uint64(self.k0 % (1 << 64))
        self.cell_of = (offset >> np.uint64(self.shift)).astype(np.int64)
        if self.shift:
            self.start = np.searchsorted(self.cell_of, np.arange(self.cells + 1)).astype(np.int64)
        else:
            self.start = np.zeros(1, dtype=np.int64)


class Counts:
    """Per-thread histograms: uint8 counters (small, so they stay in cache) that carry
    into int64 ones every 256 counts."""

    def __init__(self, bins: Bins, threads: int):
        self.bins = bins
        fine = len(bins.keys) if bins.shift else 1
        self.below = np.zeros(threads, dtype=np.int64)
        self.cells = np.zeros((threads, bins.cells), dtype=np.uint8)
        self.cells_carry = np.zeros((threads, bins.cells), dtype=np.int64)  # pages touched lazily
        self.fine = np.zeros((threads, fine), dtype=np.uint8)
        self.fine_carry = np.zeros((threads, fine), dtype=np.int64)

    def args(self) -> tuple:
        """The kernel arguments ``keys, k0, khi, shift, start, below, cells, cells_carry, fine,
        fine_carry``."""
        b = self.bins
        return (b.keys, b.k0, b.khi, b.shift, b.start, self.below, self.cells, self.cells_carry,
                self.fine, self.fine_carry)

    def at_thresholds(self) -> np.ndarray:
        """``[U]`` int64: number of counted distances ``<= keys[k]``."""
        b = self.bins
        cells = self.cells.sum(axis=0, dtype=np.int64) + self.cells_carry.sum(axis=0)
        before = int(self.below.sum()) + np.concatenate([[0], np.cumsum(cells)[:-1]])[b.cell_of]
        if not b.shift:
            return before + cells[b.cell_of]
        cum = np.cumsum(self.fine.sum(axis=0, dtype=np.int64) + self.fine_carry.sum(axis=0))
        first = b.start[b.cell_of]  # the cell's first threshold
        return before + cum - np.where(first > 0, cum[first - 1], 0)


@numba.njit(cache=True, nogil=True, inline="always")
def _bump(low, carry, t, i):  # pragma: no cover - compiled
    """Add one to the counter ``[t, i]`` kept as ``low`` (uint8) + ``carry`` (int64)."""
    v = low[t, i]
    if v == 255:
        low[t, i] = 0
        carry[t, i] += 256
    else:
        low[t, i] = v + 1


@numba.njit(cache=True, nogil=True, inline="always")
def _count(q, keys, k0, khi, shift, start, below, cells, cells_carry, fine, fine_carry, t):  # pragma: no cover - compiled
    """Histogram one ordered key ``q`` into thread ``t``'s counters."""
    if q > khi:
        return
    if q < k0:
        below[t] += 1
        return
    c = np.int64((np.uint64(q) - np.uint64(k0)) >> np.uint64(shift))  # no int64 overflow
    _bump(cells, cells_carry, t, c)
    if shift:
        a = start[c]
        b = start[c + 1]
        if a < b and q <= keys[b - 1]:
            while a < b:  # rank among the cell's thresholds: first key >= q
                m = (a + b) >> 1
                if keys[m] < q:
                    a = m + 1
                else:
                    b = m
            _bump(fine, fine_carry, t, a)


@numba.njit(cache=True, nogil=True)
def _okey32(b):  # pragma: no cover - compiled
    """Ordered key of float32 bits ``b`` (see :func:`ordered_keys`)."""
    q = np.int64(b)
    q = q ^ ((q >> 31) & 0x7FFFFFFF)
    return 0 if q == -1 else q


@numba.njit(cache=True, nogil=True)
def _finish(acc, euclid):  # pragma: no cover - compiled
    """Accumulated sums -> distances: ``sqrt`` (euclidean) or ``1 - dot`` (cosine)."""
    for c in range(acc.shape[0]):
        acc[c] = np.sqrt(acc[c]) if euclid else np.float32(1.0) - acc[c]


@numba.njit(cache=True, nogil=True)
def _tile(x, xt, r, c0, c1, euclid, out):  # pragma: no cover - compiled
    """``out[:c1 - c0]`` = float32 distances of row ``r`` of ``x`` to rows ``c0:c1`` (``xt = x.T``)."""
    acc = out[:c1 - c0]
    acc[:] = 0.0
    for k in range(x.shape[1]):
        a = x[r, k]
        col = xt[k, c0:c1]
        if euclid:
            for c in range(acc.shape[0]):
                diff = a - col[c]
                acc[c] += diff * diff
        else:
            for c in range(acc.shape[0]):
                acc[c] += a * col[c]
    _finish(acc, euclid)


@numba.njit(cache=True, nogil=True)
def _tile4(x, xt, r, c0, c1, euclid, o0, o1, o2, o3):  # pragma: no cover - compiled
    """:func:`_tile` for rows ``r .. r+3`` at once (each column loaded once for four rows).

    Every element gets the same operations in the same order as in :func:`_tile`, so the
    same float.
    """
    n = c1 - c0
    a0, a1, a2, a3 = o0[:n], o1[:n], o2[:n], o3[:n]
    a0[:] = 0.0
    a1[:] = 0.0
    a2[:] = 0.0
    a3[:] = 0.0
    for k in range(x.shape[1]):
        x0, x1, x2, x3 = x[r, k], x[r + 1, k], x[r + 2, k], x[r + 3, k]
        col = xt[k, c0:c1]
        if euclid:
            for c in range(n):
                v = col[c]
                a0[c] += (x0 - v) * (x0 - v)
                a1[c] += (x1 - v) * (x1 - v)
                a2[c] += (x2 - v) * (x2 - v)
                a3[c] += (x3 - v) * (x3 - v)
        else:
            for c in range(n):
                v = col[c]
                a0[c] += x0 * v
                a1[c] += x1 * v
                a2[c] += x2 * v
                a3[c] += x3 * v
    for acc in (a0, a1, a2, a3):
        _finish(acc, euclid)


@numba.njit(parallel=True, cache=True)
def _count_rows(x, xt, euclid, row_tiles, tile, cols, keys, k0, khi, shift, start,
                below, cells, cells_carry, fine, fine_carry):  # pragma: no cover - compiled
    """Histogram the distances of all pairs ``i < j`` with row ``i`` in the given row tiles.

    Rows go four at a time through :func:`_tile4` over a shared column range; each row
    then counts only its columns ``j > i``.
    """
    n = x.shape[0]
    for q in numba.prange(row_tiles.shape[0]):
        t = numba.get_thread_id()
        r0 = row_tiles[q] * tile
        r1 = min(r0 + tile, n)
        b0 = np.empty(cols, dtype=np.float32)  # four arrays, not rows of one: keeps _tile4 vectorised
        b1 = np.empty(cols, dtype=np.float32)
        b2 = np.empty(cols, dtype=np.float32)
        b3 = np.empty(cols, dtype=np.float32)
        bits = (b0.view(np.int32), b1.view(np.int32), b2.view(np.int32), b3.view(np.int32))
        for c0 in range(r0 + 1, n, cols):
            c1 = min(c0 + cols, n)
            last = min(r1, c1 - 1)  # rows below this have a column j > i in c0:c1
            r = r0
            while r < last:
                first = max(c0, r + 1)
                rows = 4 if r + 4 <= last else 1
                if rows == 4:
                    _tile4(x, xt, r, first, c1, euclid, b0, b1, b2, b3)
                else:
                    _tile(x, xt, r, first, c1, euclid, b0)
                for i in range(rows):  # row r + i counts its columns j > r + i
                    row_bits = bits[i]
                    for c in range(max(0, r + i + 1 - first), c1 - first):
                        _count(_okey32(row_bits[c]), keys, k0, khi, shift, start, below, cells,
                               cells_carry, fine, fine_carry, t)
                r += rows


@numba.njit(parallel=True, cache=True)
def _count_keys(values, chunk, keys, k0, khi, shift, start, below, cells, cells_carry, fine,
                fine_carry):  # pragma: no cover - compiled
    """Histogram precomputed ordered keys, ``chunk`` at a time per task."""
    for q in numba.prange((values.shape[0] + chunk - 1) // chunk):
        t = numba.get_thread_id()
        for i in range(q * chunk, min((q + 1) * chunk, values.shape[0])):
            _count(values[i], keys, k0, khi, shift, start, below, cells, cells_carry, fine,
                   fine_carry, t)


@numba.njit(parallel=True, cache=True)
def _within_groups(x, xt, euclid, rows, ends, offsets, cols, out):  # pragma: no cover - compiled
    """Distances of the pairs ``(a, b)``, ``a < b < ends[a]``: row ``a``'s go to ``out[offsets[a]:]``."""
    for q in numba.prange(rows.shape[0]):
        a = rows[q]
        buf = np.empty(cols, dtype=np.float32)
        for c0 in range(a + 1, ends[a], cols):
            c1 = min(c0 + cols, ends[a])
            _tile(x, xt, a, c0, c1, euclid, buf)
            base = offsets[a] + c0 - a - 1
            out[base:base + c1 - c0] = buf[:c1 - c0]


def group_layout(bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For positions grouped as ``bounds[g]:bounds[g+1]``: each position's group end, and
    ``offsets`` (``N + 1``) locating position ``a``'s pairs ``(a, b > a)`` in the canonical order."""
    bounds = np.asarray(bounds, dtype=np.int64)
    ends = np.repeat(bounds[1:], np.diff(bounds))
    later = ends - np.arange(ends.size) - 1
    return ends, np.concatenate([[0], np.cumsum(later)]).astype(np.int64)


@numba.njit(parallel=True, cache=True)
def _gather_condensed(d, n, order, ends, offsets, out):  # pragma: no cover - compiled
    """``out`` (canonical within-group order) from the condensed list ``d``."""
    for a in numba.prange(order.shape[0]):
        for b in range(a + 1, ends[a]):
            i = min(order[a], order[b])
            j = max(order[a], order[b])
            out[offsets[a] + b - a - 1] = d[n * i - i * (i + 1) // 2 + j - i - 1]


@numba.njit(parallel=True, cache=True)
def same_code_pairs(codes, ends, offsets):  # pragma: no cover - compiled
    """For the canonical within-group pairs: do both positions have the same code (speaker)?"""
    out = np.empty(offsets[-1], dtype=np.bool_)
    for a in numba.prange(codes.shape[0]):
        for b in range(a + 1, ends[a]):
            out[offsets[a] + b - a - 1] = codes[a] == codes[b]
    return out


def balanced_order(count: int) -> np.ndarray:
    """``0, count-1, 1, count-2, ...``: long and short row tiles alternate across threads."""
    order = np.empty(count, dtype=np.int64)
    order[0::2] = np.arange((count + 1) // 2)
    order[1::2] = np.arange(count - 1, (count + 1) // 2 - 1, -1)
    return order


class VectorPairs:
    """All pairs of ``N`` vectors under a metric, never materialised."""

    def __init__(self, vectors: np.ndarray, metric: str = "cosine",
                 tile: int = TILE_ROWS, cols: int = TILE_COLS):
        self.x = prepare(vectors, metric)
        self.xt = np.ascontiguousarray(self.x.T)
        self.euclid = metric == "euclidean"
        self.n = self.x.shape[0]
        self.tile, self.cols = tile, cols

    def within_groups(self, order: np.ndarray, bounds: np.ndarray) -> np.ndarray:
        """Distances of the pairs inside each group of ``order[bounds[g]:bounds[g+1]]``.

        Canonical order: group after group, pairs ``(a, b)`` of positions ``a < b`` row-major.
        """
        x = np.ascontiguousarray(self.x[order])
        ends, offsets = group_layout(bounds)
        out = np.empty(int(offsets[-1]), dtype=np.float32)
        rows = np.random.default_rng(0).permutation(self.n)  # spreads big groups over threads
        _within_groups(x, np.ascontiguousarray(x.T), self.euclid, rows, ends, offsets,
                       self.cols, out)
        return out

    def count(self, bins: Bins, tick: Callable[[int], None] | None = None) -> np.ndarray:
        """Number of pairs at distance ``<= t`` for every threshold key of ``bins``."""
        counts = Counts(bins, numba.get_num_threads())
        tiles = balanced_order((self.n + self.tile - 1) // self.tile)
        step = max(numba.get_num_threads(), len(tiles) // 50 + 1)
        for s in range(0, len(tiles), step):
            r0 = tiles[s:s + step] * self.tile
            rows = np.minimum(r0 + self.tile, self.n) - r0
            pairs = int(np.sum(rows * (self.n - 1) - (2 * r0 + rows - 1) * rows // 2))
            _count_rows(self.x, self.xt, self.euclid, tiles[s:s + step], self.tile, self.cols,
                        *counts.args())
            if tick is not None:
                tick(pairs)
        return counts.at_thresholds()


class CondensedPairs:
    """Precomputed distances of all pairs ``i < j`` in scipy ``pdist`` (condensed) order."""

    def __init__(self, distances: np.ndarray, n: int):
        if distances.shape != (n * (n - 1) // 2,):
            raise ValueError(f"{distances.shape[0]} condensed distances do not fit {n} items")
        self.d = np.ascontiguousarray(distances)
        self.n = n

    def within_groups(self, order: np.ndarray, bounds: np.ndarray) -> np.ndarray:
        """Same contract as :meth:`VectorPairs.within_groups`."""
        ends, offsets = group_layout(bounds)
        out = np.empty(int(offsets[-1]), dtype=self.d.dtype)
        _gather_condensed(self.d, self.n, np.asarray(order, dtype=np.int64), ends, offsets, out)
        return out

    def count(self, bins: Bins, tick: Callable[[int], None] | None = None) -> np.ndarray:
        """Same contract as :meth:`VectorPairs.count`."""
        counts = Counts(bins, numba.get_num_threads())
        step = 1 << 26
        for s in range(0, self.d.size, step):
            keys = ordered_keys(self.d[s:s + step])
            _count_keys(keys, 1 << 16, *counts.args())
            if tick is not None:
                tick(keys.size)
        return counts.at_thresholds()
