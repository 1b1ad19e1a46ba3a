"""K-means with faiss (GPU faiss when it is installed and a GPU is visible).

faiss runs Lloyd iterations with BLAS-backed nearest-centroid search; ``nredo`` restarts
keep the run with the lowest objective.  In *spherical* mode the vectors are L2-normalised
first and centroids are re-normalised every iteration (cosine K-means); distances are
then squared Euclidean distances between unit vectors, ``2 - 2 cos``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import faiss
import numpy as np

from awetools.errors import AweError
from awetools.log import get_logger

log = get_logger(__name__)

INIT_METHODS = ("random", "kmeans++")


@dataclass(frozen=True)
class KMeansOptions:
    """Options of :func:`kmeans` (see ``man awe-cluster``)."""

    k: int
    niter: int = 20
    nredo: int = 1
    seed: int = 0
    spherical: bool = False
    init: str = "kmeans++"
    max_points_per_centroid: int = 256
    device: str = "auto"

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class KMeansResult:
    """Centroids ``[K, D]``, hard assignment and squared distance of each vector ``[N]``."""

    centroids: np.ndarray
    assign: np.ndarray
    distances: np.ndarray
    objective: list[float] = field(default_factory=list)
    gpu: bool = False

    @property
    def inertia(self) -> float:
        """Sum of squared distances of the vectors to their centroids (scikit-learn's ``inertia_``)."""
        return float(self.distances.sum(dtype=np.float64))


def use_gpu(device: str) -> bool:
    """Whether faiss should use the GPU for ``--device auto|cpu|cuda``."""
    if device not in ("auto", "cpu", "cuda"):
        raise AweError(f"--device: unknown device '{device}' (auto, cpu or cuda)")
    gpus = faiss.get_num_gpus() if hasattr(faiss, "get_num_gpus") else 0
    if device == "cuda" and gpus == 0:
        raise AweError("--device cuda: this faiss has no GPU support or sees no GPU "
                       "(install faiss-gpu, or use --device cpu)")
    return device != "cpu" and gpus > 0


def prepare(x: np.ndarray, spherical: bool) -> np.ndarray:
    """Contiguous float32 copy of ``x``, L2-normalised rows when ``spherical``."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    if spherical:
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        x = x / np.maximum(norms, np.float32(1e-12))
    return x


def nearest(x: np.ndarray, centroids: np.ndarray, top: int = 1,
            gpu: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Squared distances ``[N, top]`` and indices ``[N, top]`` of each row's nearest centroids."""
    index = faiss.IndexFlatL2(centroids.shape[1])
    if gpu:
        index = faiss.index_cpu_to_all_gpus(index)
    index.add(np.ascontiguousarray(centroids, dtype=np.float32))
    dist, idx = index.search(np.ascontiguousarray(x, dtype=np.float32), top)
    return np.maximum(dist, 0.0), idx.astype(np.int64)


def kmeans(x: np.ndarray, options: KMeansOptions, name: str = "input") -> KMeansResult:
    """Cluster the rows of ``x`` ``[N, D]`` into ``options.k`` clusters.

    ``name`` (the table the vectors came from) is used in error messages.  Raises
    :class:`AweError` when K is not between 1 and N.
    """
    n, dim = x.shape
    if options.k < 1:
        raise AweError(f"--k must be at least 1 (got {options.k})")
    if options.k > n:
        raise AweError(f"{name}: K={options.k} is larger than the number of segments ({n})")
    if options.niter < 1 or options.nredo < 1:
        raise AweError("--iterations and --restarts must be at least 1")
    if options.init not in INIT_METHODS:
        raise AweError(f"--init: unknown method '{options.init}' ({', '.join(INIT_METHODS)})")
    gpu = use_gpu(options.device)
    x = prepare(x, options.spherical)
    params = dict(niter=options.niter, nredo=options.nredo, seed=options.seed,
                  spherical=options.spherical, verbose=False,
                  max_points_per_centroid=options.max_points_per_centroid,
                  min_points_per_centroid=1)
    if options.init == "kmeans++":
        params["init_method"] = faiss.ClusteringInitMethod_KMEANS_PLUS_PLUS
    km = faiss.Kmeans(dim, options.k, gpu=bool(gpu), **params)
    log.info("K-means: %d x %d vectors, K=%d, %d iterations x %d restarts, %s, on %s",
             n, dim, options.k, options.niter, options.nredo,
             "spherical" if options.spherical else "Euclidean", "GPU" if gpu else "CPU")
    km.train(x)
    centroids = np.asarray(km.centroids, dtype=np.float32).reshape(options.k, dim)
    dist, idx = nearest(x, centroids, 1, gpu)
    return KMeansResult(centroids=centroids, assign=idx[:, 0], distances=dist[:, 0],
                        objective=[float(v) for v in np.asarray(km.obj)], gpu=gpu)
