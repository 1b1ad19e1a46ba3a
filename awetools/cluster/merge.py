"""Speaker-disjoint merging of K-means clusters: pseudo-words that are words, not voices.

K-means over the AWEs of many talkers tends to give a frequent word one cluster per
group of voices, and Cluster+Skipgram then learns each voice's copy of the word from a
fraction of its contexts.  Two neighbouring clusters whose tokens come from disjoint
speakers are nearly always one word split by voice, while neighbours that share their
speakers are different words (``bench/speaker_splits.py``: 90-100 % against under 40 %
with the same majority word).  Speaker identities are known for unlabelled speech (or
come from diarisation), so this uses no transcript.

The merge runs in rounds that cannot chain: each group's best candidate among its
``neighbours`` nearest groups (centroid cosine >= ``min_cosine``, speaker overlap <=
``max_overlap``; overlap = sum over speakers of the smaller of the two groups' speaker
shares) is merged with it only when the choice is mutual; group centroids and speaker
shares are then recomputed, until no pair merges.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import faiss
import numpy as np
from scipy.sparse import coo_matrix

from awetools.cluster.kmeans import KMeansResult, nearest
from awetools.errors import AweError


@dataclass(frozen=True)
class MergeOptions:
    """Which neighbouring clusters :func:`speaker_merge` joins (see ``man awe-cluster``)."""

    min_cosine: float = 0.85
    max_overlap: float = 0.3
    neighbours: int = 10

    def __post_init__(self) -> None:
        if not -1 <= self.min_cosine <= 1:
            raise AweError(f"--merge-min-cosine must be in [-1, 1] (got {self.min_cosine})")
        if not 0 <= self.max_overlap <= 1:
            raise AweError(f"--merge-max-overlap must be in [0, 1] (got {self.max_overlap})")
        if self.neighbours < 1:
            raise AweError(f"merge neighbours must be at least 1 (got {self.neighbours})")

    def to_dict(self) -> dict:
        return asdict(self)


def unit_rows(x: np.ndarray) -> np.ndarray:
    return (x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def group_means(centroids: np.ndarray, sizes: np.ndarray, group: np.ndarray) -> np.ndarray:
    """``[G, D]``: each group's centroid, the mean of its clusters' centroids weighted by size."""
    sums = np.zeros((int(group.max()) + 1, centroids.shape[1]))
    np.add.at(sums, group, centroids * sizes[:, None])
    return sums / np.maximum(np.bincount(group, weights=sizes), 1)[:, None]


def speaker_counts(assign: np.ndarray, speakers: np.ndarray, k: int) -> np.ndarray:
    """``[K, S]``: how many segments of each speaker every cluster holds."""
    return coo_matrix((np.ones(len(assign)), (assign, speakers)),
                      shape=(k, int(speakers.max()) + 1)).toarray()


def speaker_merge(centroids: np.ndarray, assign: np.ndarray, speakers: np.ndarray,
                  options: MergeOptions = MergeOptions()) -> np.ndarray:
    """Group id ``[K]`` (``0 .. G-1``) of each cluster after mutual-nearest, speaker-disjoint merges.

    ``assign`` is each segment's cluster, ``speakers`` its speaker code (``0 .. S-1``).
    """
    k = len(centroids)
    sizes = np.bincount(assign, minlength=k).astype(np.float64)
    counts = speaker_counts(assign, speakers, k)
    group = np.arange(k)
    while True:
        ids, member = np.unique(group, return_inverse=True)
        n = len(ids)
        if n < 2:
            return np.zeros(k, dtype=np.int64)
        mean = unit_rows(group_means(centroids, sizes, member))
        shares = np.zeros((n, counts.shape[1]))
        np.add.at(shares, member, counts)
        shares /= np.maximum(shares.sum(1, keepdims=True), 1)
        index = faiss.IndexFlatIP(mean.shape[1])
        index.add(mean)
        similarity, near = index.search(mean, min(options.neighbours + 1, n))
        rows = np.arange(n)
        overlap = np.minimum(shares[:, None, :], shares[np.maximum(near, 0)]).sum(2)
        allowed = ((near >= 0) & (near != rows[:, None]) & (similarity >= options.min_cosine)
                   & (overlap <= options.max_overlap))
        score = np.where(allowed, similarity, -np.inf)
        best = np.where(allowed.any(1), near[rows, score.argmax(1)], -1)
        mutual = (best >= 0) & (best[np.maximum(best, 0)] == rows) & (rows < best)
        if not mutual.any():
            return np.unique(group, return_inverse=True)[1]
        target = rows.copy()
        target[best[mutual]] = rows[mutual]
        group = ids[target[member]]


def merged_result(x: np.ndarray, result: KMeansResult, group: np.ndarray, spherical: bool) -> KMeansResult:
    """The clustering with one centroid per group: the size-weighted mean of its clusters'
    centroids (re-normalised when ``spherical``), every vector of ``x`` (prepared as for
    K-means) assigned to its nearest group centroid."""
    sizes = np.bincount(result.assign, minlength=len(result.centroids)).astype(np.float64)
    centroids = group_means(result.centroids, sizes, group)
    centroids = unit_rows(centroids) if spherical else centroids.astype(np.float32)
    distances, assign = nearest(x, centroids, 1, result.gpu)
    return KMeansResult(centroids, assign[:, 0], distances[:, 0], result.objective, result.gpu)
