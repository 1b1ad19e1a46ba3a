"""Cluster directories written by ``awe cluster`` and read by ``awe train-skipgram``.

Layout of ``OUT_DIR`` (built under a temporary name and renamed when complete):

- ``centroids.npy``: ``[K, D]`` float32 centroids (numpy);
- ``centroids.h5``: the same as an awetools vector table keyed ``c000000`` ... (cluster id);
- ``assign.txt``: ``<segment> <cluster id>`` per segment, C-sorted by segment;
- ``soft.h5``: soft pseudo-word labels, one ``[2, top]`` matrix per segment (row 0
  cluster ids, row 1 weights; see :mod:`awetools.cluster.soft`);
- ``summary.json``: K, N, dim, inertia, objective per iteration (swap rounds, then plain Lloyd), cluster sizes,
  the resolved temperature, label softness, options, and purity/NMI when labels were given.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from awetools.cluster.kmeans import KMeansOptions, KMeansResult, kmeans, nearest, prepare
from awetools.cluster.merge import MergeOptions, merged_result, speaker_merge
from awetools.cluster.quality import nmi, purity
from awetools.cluster.soft import SoftLabels, read_soft_labels, softmax_neg_distances, write_soft_labels
from awetools.errors import AweError
from awetools.io.atomic import atomic_dir, atomic_open
from awetools.io.datadir import read_kaldi_table, write_kaldi_table
from awetools.io.tables import read_vectors, write_vectors
from awetools.log import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class SoftOptions:
    """Soft-label options: ``temperature`` None means ``temperature_scale`` (None: 1) times the
    mean squared distance to the own centroid (a rule that does not depend on the embeddings' scale)."""

    temperature: float | None = None
    top: int = 5
    temperature_scale: float | None = None

    def __post_init__(self) -> None:
        if self.temperature_scale is None:
            return
        if not self.temperature_scale > 0:
            raise AweError(f"--temperature-scale must be positive (got {self.temperature_scale})")
        if self.temperature is not None:
            raise AweError("--temperature and --temperature-scale exclude each other: give one")


def label_quality(keys: list[str], assign: np.ndarray, labels_path: str | Path) -> dict:
    """Purity and NMI of ``assign`` against a Kaldi ``text`` file (segments without a label are skipped)."""
    table = read_kaldi_table(labels_path, check_sorted=False)
    rows = np.array([i for i, k in enumerate(keys) if k in table], dtype=np.int64)
    if rows.size == 0:
        raise AweError(f"{labels_path}: none of the {len(keys)} segment ids has a label "
                       f"(first segment '{keys[0]}')")
    words = np.array([table[keys[i]] for i in rows])
    return {"purity": purity(assign[rows], words), "nmi": nmi(assign[rows], words),
            "labelled": int(rows.size), "word_types": int(np.unique(words).size)}


def nearest_labels(x: np.ndarray, centroids: np.ndarray, top: int, temperature: float,
                   spherical: bool, gpu: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Cluster ids ``[N, top]`` of the ``top`` nearest centroids of each row and their
    weights (softmax of ``-d^2 / temperature``): the labels of ``awe cluster``, and of new
    segments with the centroids of a cluster dir."""
    dist, idx = nearest(prepare(x, spherical), centroids, top, gpu)
    return idx, softmax_neg_distances(dist, temperature)


def soft_labels(x: np.ndarray, keys: list[str], result: KMeansResult, spherical: bool,
                options: SoftOptions, own_first: bool = False) -> tuple[SoftLabels, float]:
    """Soft labels of every row of ``x`` and the temperature actually used.

    ``own_first`` (oracle clusters): each segment's own cluster (``result.assign``) comes
    first, whatever its distance, followed by the nearest others, so that the hard label
    is the true word and the soft label keeps the phonetic neighbours.
    """
    top = min(options.top, len(result.centroids))
    if top < 1:
        raise AweError(f"--top-k must be at least 1 (got {options.top})")
    temperature = options.temperature
    if temperature is None:
        scale = 1.0 if options.temperature_scale is None else options.temperature_scale
        temperature = max(scale * float(result.distances.mean()), 1e-12)
    if not own_first:
        idx, weight = nearest_labels(x, result.centroids, top, temperature, spherical, result.gpu)
        return SoftLabels(keys, idx, weight), temperature
    dist, idx = nearest(prepare(x, spherical), result.centroids, min(top + 1, len(result.centroids)),
                        result.gpu)
    others = np.argsort(idx == result.assign[:, None], axis=1, kind="stable")[:, :top - 1]
    idx = np.concatenate([result.assign[:, None], np.take_along_axis(idx, others, 1)], axis=1)
    dist = np.concatenate([result.distances[:, None], np.take_along_axis(dist, others, 1)], axis=1)
    return SoftLabels(keys, idx, softmax_neg_distances(dist, temperature)), temperature


def oracle_clusters(x: np.ndarray, keys: list[str], labels_path: str | Path,
                    spherical: bool) -> tuple[KMeansResult, list[str]]:
    """The word types of ``labels_path`` as clusters (a diagnosis: what perfect clustering
    gives): centroid = mean of a type's vectors, assignment = the segment's own word."""
    table = read_kaldi_table(labels_path, check_sorted=False)
    missing = next((k for k in keys if k not in table), None)
    if missing is not None:
        raise AweError(f"{labels_path}: no word for segment '{missing}' (--oracle needs every segment's label)")
    words, assign = np.unique(np.array([table[k] for k in keys]), return_inverse=True)
    xp = prepare(x, spherical)
    sums = np.zeros((len(words), xp.shape[1]), np.float64)
    np.add.at(sums, assign, xp)
    centroids = (sums / np.bincount(assign)[:, None]).astype(np.float32)
    distances = ((xp - centroids[assign]) ** 2).sum(axis=1)
    return KMeansResult(centroids, assign.astype(np.int64), distances), [str(w) for w in words]


def segment_speakers(keys: list[str], path: str | Path) -> np.ndarray:
    """Speaker code ``[N]`` of each segment from a Kaldi table ``<segment> <speaker>``
    (a word data dir's ``utt2spk``)."""
    table = read_kaldi_table(path, check_sorted=False)
    missing = next((k for k in keys if k not in table), None)
    if missing is not None:
        raise AweError(f"{path}: no speaker for segment '{missing}' (--merge-speakers needs every segment's)")
    return np.unique(np.array([table[k] for k in keys]), return_inverse=True)[1]


def cluster_table(rspecifier: str, out_dir: str | Path, options: KMeansOptions,
                  soft: SoftOptions = SoftOptions(), labels: str | Path | None = None,
                  overwrite: bool = False, oracle: bool = False,
                  speakers: str | Path | None = None, merge: MergeOptions = MergeOptions()) -> dict:
    """Cluster the vectors of ``rspecifier`` and write a cluster dir; returns its summary.

    ``oracle``: no K-means; the word types of ``labels`` are the clusters (K = types).
    ``speakers`` (``<segment> <speaker>``): K-means clusters that are one word split by
    voice are merged (:mod:`awetools.cluster.merge`); K is then the number of groups.
    """
    if oracle and labels is None:
        raise AweError("--oracle needs --labels (the word of every segment)")
    if oracle and speakers is not None:
        raise AweError("--oracle and --merge-speakers do not go together (oracle clusters are words)")
    keys, x = read_vectors(rspecifier)
    if Path(out_dir).exists() and not overwrite:
        raise AweError(f"{out_dir}: output directory exists (use --overwrite to replace it)")
    speaker_codes = segment_speakers(keys, speakers) if speakers is not None else None
    start = time.perf_counter()
    merge_summary = None
    if oracle:
        result, _ = oracle_clusters(x, keys, labels, options.spherical)
    else:
        result = kmeans(x, options, name=rspecifier)
    if speaker_codes is not None:
        before = {"speakers": str(speakers), "k_before": len(result.centroids),
                  "inertia_before": result.inertia, **merge.to_dict()}
        if labels is not None:
            before["labels_before"] = label_quality(keys, result.assign, labels)
        group = speaker_merge(result.centroids, result.assign, speaker_codes, merge)
        result = merged_result(prepare(x, options.spherical), result, group, options.spherical)
        merge_summary = {**before, "k_after": len(result.centroids)}
        log.info("speaker merge: %d clusters -> %d", before["k_before"], len(result.centroids))
    k = len(result.centroids)
    options = replace(options, k=k)
    seconds = time.perf_counter() - start
    labels_soft, temperature = soft_labels(x, keys, result, options.spherical, soft, own_first=oracle)
    sizes = np.bincount(result.assign, minlength=k)
    summary = {
        "input": rspecifier, "n": len(keys), "dim": int(x.shape[1]), "k": k, "oracle": oracle,
        "inertia": result.inertia, "mean_sq_distance": result.inertia / len(keys),
        "objective": result.objective, "seconds": seconds, "gpu": result.gpu,
        "empty_clusters": int((sizes == 0).sum()), "largest_cluster": int(sizes.max()),
        "temperature": temperature, "top_k": int(labels_soft.index.shape[1]),
        "mean_top1_weight": float(labels_soft.weight[:, 0].mean()),
        "options": options.to_dict(),
    }
    if merge_summary is not None:
        summary["speaker_merge"] = merge_summary
    if labels is not None:
        summary["labels"] = {"file": str(labels), **label_quality(keys, result.assign, labels)}
    with atomic_dir(out_dir, overwrite=overwrite) as tmp:
        np.save(tmp / "centroids.npy", result.centroids)
        write_vectors(f"h5:{tmp / 'centroids.h5'}", [f"c{i:06d}" for i in range(k)],
                      result.centroids)
        write_kaldi_table(tmp / "assign.txt", dict(zip(keys, map(str, result.assign.tolist()))))
        write_soft_labels(f"h5:{tmp / 'soft.h5'}", labels_soft)
        with atomic_open(tmp / "summary.json") as out:
            json.dump(summary, out, indent=2)
            out.write("\n")
    return summary


@dataclass
class ClusterDir:
    """What training needs from a cluster dir: K, the soft labels, and how to label new
    segments (centroids, temperature, top, spherical) as the dir's labels were made."""

    path: Path
    k: int
    soft: SoftLabels
    centroids: np.ndarray
    temperature: float
    top: int
    spherical: bool

    @classmethod
    def load(cls, path: str | Path) -> "ClusterDir":
        path = Path(path)
        summary_path = path / "summary.json"
        if not summary_path.is_file():
            raise AweError(f"{path}: not a cluster dir (no summary.json; make one with awe cluster)")
        try:
            summary = json.loads(summary_path.read_text(encoding="utf-8"))
            k, temperature, top = int(summary["k"]), float(summary["temperature"]), int(summary["top_k"])
            spherical = bool(summary["options"]["spherical"])
        except (ValueError, KeyError, TypeError) as exc:
            raise AweError(f"{summary_path}: unreadable summary ({exc})") from None
        try:
            centroids = np.load(path / "centroids.npy").astype(np.float32)
        except (OSError, ValueError) as exc:
            raise AweError(f"{path}/centroids.npy: unreadable ({exc})") from None
        if centroids.ndim != 2 or len(centroids) != k:
            raise AweError(f"{path}/centroids.npy: shape {centroids.shape}, expected [{k}, D]")
        soft = read_soft_labels(f"h5:{path / 'soft.h5'}")
        if soft.index.max() >= k:
            raise AweError(f"{path}/soft.h5: cluster id {int(soft.index.max())} >= K={k}")
        return cls(path, k, soft, centroids, temperature, top, spherical)

    def distances(self, x: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Squared distance ``[N]`` of each row of ``x`` to the centroid of its cluster
        ``items`` (after length normalisation for spherical clusters)."""
        if x.shape[1] != self.centroids.shape[1]:
            raise AweError(f"{self.path}: centroids are {self.centroids.shape[1]}-dim, the "
                           f"vectors {x.shape[1]}-dim (clustered from other vectors?)")
        return ((prepare(x, self.spherical) - self.centroids[items]) ** 2).sum(axis=1)

    def farthest(self, x: np.ndarray, items: np.ndarray, fraction: float) -> np.ndarray:
        """Mask ``[N]`` of the ``fraction`` of rows of ``x`` farthest from the centroid of
        their cluster ``items``: tokens no cluster describes well, mostly of words too rare
        to own a cluster (the pseudo-word counterpart of word2vec's ``min_count``)."""
        distance = self.distances(x, items)
        n_far = int(round(fraction * len(distance)))
        far = np.zeros(len(distance), dtype=bool)
        if n_far:
            far[np.argpartition(distance, len(distance) - n_far)[len(distance) - n_far:]] = True
        return far
