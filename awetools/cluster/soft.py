"""Soft pseudo-word labels: a softmax over negative squared distances to the centroids.

The label of a segment ``x`` is ``p_k ∝ exp(-||x - c_k||² / T)``, kept for the ``top``
nearest centroids only and renormalised over them (which is exactly the softmax over
those ``top`` distances).  Labels are stored sparsely, one ``[2, top]`` float32 matrix
per segment: row 0 the cluster indices (exact in float32 for K < 2^24), row 1 their
weights, in decreasing order of weight.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from awetools.errors import AweError
from awetools.io.tables import open_writer, read_matrices


@dataclass
class SoftLabels:
    """Sparse soft labels: ``index`` ``[N, top]`` int64 and ``weight`` ``[N, top]`` float32."""

    keys: list[str]
    index: np.ndarray
    weight: np.ndarray

    def hard(self) -> np.ndarray:
        """The most probable cluster of each segment ``[N]``."""
        return self.index[:, 0]

    def subset(self, rows: np.ndarray) -> "SoftLabels":
        return SoftLabels([self.keys[i] for i in rows], self.index[rows], self.weight[rows])


def softmax_neg_distances(dist: np.ndarray, temperature: float) -> np.ndarray:
    """Row-wise softmax of ``-dist / temperature`` (numerically stable)."""
    if not temperature > 0:
        raise AweError(f"--temperature must be positive (got {temperature})")
    logits = -(dist - dist.min(axis=1, keepdims=True)) / np.float32(temperature)
    weights = np.exp(logits.astype(np.float64))
    return (weights / weights.sum(axis=1, keepdims=True)).astype(np.float32)


def write_soft_labels(wspecifier: str, labels: SoftLabels) -> None:
    """Write one ``[2, top]`` matrix (indices, weights) per segment."""
    with open_writer(wspecifier) as out:
        out.write_block(list(labels.keys), np.stack([labels.index.astype(np.float32), labels.weight], axis=1))


def read_soft_labels(rspecifier: str) -> SoftLabels:
    """Read labels written by :func:`write_soft_labels`, checking their shape and weights."""
    keys, mats = read_matrices(rspecifier)
    shapes = {m.shape for m in mats}
    if len(shapes) != 1 or next(iter(shapes))[0] != 2:
        bad = next(k for k, m in zip(keys, mats) if m.shape != mats[0].shape or m.shape[0] != 2)
        raise AweError(f"{rspecifier}: key '{bad}' is not a [2, top] soft label matrix "
                       "(row 0 cluster ids, row 1 weights) like its neighbours")
    stacked = np.stack(mats)
    index = check_cluster_ids(rspecifier, keys, stacked[:, 0, :])
    return SoftLabels(keys, index, stacked[:, 1, :].astype(np.float32))


def check_cluster_ids(rspecifier: str, keys: list[str], index: np.ndarray, k: int | None = None) -> np.ndarray:
    """``index`` (row 0 of soft labels, float) as int64, refusing a row with an id that is not a
    non-negative integer (or not below ``k``), naming its key."""
    wrong = (index < 0) | (index != np.round(index))
    if k is not None:
        wrong |= index >= k
    if wrong.any():
        row = int(np.flatnonzero(wrong.any(axis=1))[0])
        what = "that is not a non-negative integer" if k is None else f"outside 0..{k - 1}"
        raise AweError(f"{rspecifier}: key '{keys[row]}' has a cluster id {what}")
    return index.astype(np.int64)
