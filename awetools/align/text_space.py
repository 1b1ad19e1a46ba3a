"""Count-based text word vectors (PPMI + truncated SVD) for alignment sanity checks.

Two spaces trained the same way on disjoint halves of a corpus should be nearly
isomorphic, so an alignment method that cannot map one onto the other without a
dictionary is broken.  PPMI-SVD (Levy, Goldberg and Dagan 2015) is deterministic, fast
on a few million tokens, and needs nothing beyond numpy/scipy/scikit-learn:

- tokens: lower-cased runs of letters ``[a-z]+`` (as in the GloVe vocabulary files);
- co-occurrences within ``window`` words each side, weighted ``(window - d + 1) / window``
  at distance ``d`` (word2vec's dynamic window in expectation), never across chunks;
- PPMI with context-distribution smoothing ``alpha``; vectors ``U S^power`` from a
  randomised SVD (seeded), rows in frequency order.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.utils.extmath import randomized_svd

from awetools.errors import AweError
from awetools.io.datadir import read_lines

_WORD = re.compile(r"[a-z]+")


@dataclass
class PPMISVDOptions:
    """Settings of :func:`train_ppmi_svd`."""

    dim: int = 100
    window: int = 5
    min_count: int = 5
    max_vocab: int = 20000
    alpha: float = 0.75
    power: float = 0.5
    seed: int = 0


def read_chunks(paths: list[str | Path], chunk_lines: int = 50) -> list[list[str]]:
    """Token lists of consecutive ``chunk_lines``-line chunks of each file (UTF-8, BOM and CRLF ok)."""
    chunks: list[list[str]] = []
    for path in paths:
        lines = read_lines(path)
        for start in range(0, len(lines), chunk_lines):
            tokens = _WORD.findall(" ".join(lines[start:start + chunk_lines]).lower())
            if tokens:
                chunks.append(tokens)
    if not chunks:
        raise AweError(f"no words in {', '.join(map(str, paths))}")
    return chunks


def split_halves(chunks: list[list[str]]) -> tuple[list[list[str]], list[list[str]]]:
    """Alternate chunks into two disjoint halves with the same mix of sources."""
    return chunks[0::2], chunks[1::2]


def vocabulary(chunks: list[list[str]], min_count: int, max_vocab: int) -> list[str]:
    """Words with at least ``min_count`` tokens, most frequent first (ties by spelling)."""
    counts = Counter(t for chunk in chunks for t in chunk)
    words = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
    return words[:max_vocab] if max_vocab > 0 else words


def cooccurrences(chunks: list[list[str]], words: list[str], window: int) -> sparse.csr_matrix:
    """Symmetric weighted co-occurrence counts ``[V, V]`` (out-of-vocabulary tokens keep their slot)."""
    index = {w: i for i, w in enumerate(words)}
    gap = [-1] * window
    ids = np.fromiter((index.get(t, -1) for chunk in chunks for t in (*chunk, *gap)), dtype=np.int64)
    rows, cols, weights = [], [], []
    for d in range(1, window + 1):
        a, b = ids[:-d], ids[d:]
        keep = (a >= 0) & (b >= 0)
        rows.append(a[keep])
        cols.append(b[keep])
        weights.append(np.full(int(keep.sum()), (window - d + 1) / window))
    r, c, v = np.concatenate(rows), np.concatenate(cols), np.concatenate(weights)
    counts = sparse.coo_matrix((v, (r, c)), shape=(len(words), len(words))).tocsr()
    return (counts + counts.T).tocsr()


def ppmi(counts: sparse.csr_matrix, alpha: float) -> sparse.csr_matrix:
    """Positive PMI with context counts raised to ``alpha`` (smoothing rare contexts)."""
    counts = counts.tocoo()
    row = np.asarray(counts.sum(axis=1)).ravel()
    col = np.asarray(counts.sum(axis=0)).ravel() ** alpha
    pmi = np.log(counts.data * col.sum() / (row[counts.row] * col[counts.col]))
    keep = pmi > 0
    return sparse.csr_matrix((pmi[keep], (counts.row[keep], counts.col[keep])), shape=counts.shape)


def train_ppmi_svd(chunks: list[list[str]], options: PPMISVDOptions) -> tuple[list[str], np.ndarray]:
    """Words (frequency order) and float32 ``[V, dim]`` PPMI-SVD vectors."""
    words = vocabulary(chunks, options.min_count, options.max_vocab)
    if len(words) <= options.dim:
        raise AweError(f"only {len(words)} words with >= {options.min_count} tokens: too few "
                       f"for {options.dim}-d vectors")
    matrix = ppmi(cooccurrences(chunks, words, options.window), options.alpha)
    u, s, _ = randomized_svd(matrix, options.dim, n_iter=5, random_state=options.seed)
    signs = np.sign(u[np.abs(u).argmax(axis=0), np.arange(u.shape[1])])
    return words, (u * signs * s ** options.power).astype(np.float32)
