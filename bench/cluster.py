"""Benchmark: `awe cluster`'s K-means against scikit-learn's (MiniBatch)KMeans and faiss's.

Data: N synthetic "segment embeddings" of dimension D drawn around 2K true word centres
with Zipfian token counts (a few frequent words, a long tail), as AWEs of running speech
look.  Every method gets the same iteration budget and one initialisation; inertia is
recomputed for all of them the same way (sum of squared distances to the nearest
centroid over all N vectors), and inertia and speed are given relative to scikit-learn's
``KMeans`` of the same run (``--sklearn-defaults`` adds one run to its own convergence).
Prints a markdown table; writes bench/results/cluster.json.

    .venv/bin/python bench/cluster.py                      # 200,000 x 130, K = 2,000
    .venv/bin/python bench/cluster.py --n 20000 --k 200    # quick
    .venv/bin/python bench/cluster.py --input h5:recipes/semantic/exp/embed/phonetic.h5 \\
        --normalise --out bench/results/cluster_real.json  # real AWEs instead

``--input`` clusters a vector table instead (e.g. the AWEs of running speech that
Cluster+Skipgram clusters); ``--normalise`` L2-normalises its rows first, so that every
method, scikit-learn's included, runs Euclidean K-means on the unit vectors that
``awe cluster --spherical`` sees.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import faiss
import numpy as np
from sklearn.cluster import KMeans, MiniBatchKMeans

from awetools.cluster.kmeans import KMeansOptions, kmeans, nearest
from awetools.io.tables import read_vectors, write_vectors

ROOT = Path(__file__).resolve().parents[1]


def synthetic(n: int, dim: int, types: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(types, dim)).astype(np.float32)
    p = 1.0 / np.arange(1, types + 1)
    words = rng.choice(types, size=n, p=p / p.sum())
    return (centres[words] + 0.35 * rng.normal(size=(n, dim))).astype(np.float32)


def inertia(x: np.ndarray, centroids: np.ndarray) -> float:
    return float(nearest(x, centroids.astype(np.float32))[0].sum(dtype=np.float64))


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--dim", type=int, default=130)
    parser.add_argument("--k", type=int, default=2000)
    parser.add_argument("--niter", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-kmeans", action="store_true", help="skip scikit-learn's full KMeans")
    parser.add_argument("--sklearn-defaults", action="store_true",
                        help="also run scikit-learn's KMeans at its own defaults (to convergence)")
    parser.add_argument("--input", help="cluster this vector table (rspecifier) instead of synthetic data")
    parser.add_argument("--normalise", action="store_true", help="L2-normalise the rows first")
    parser.add_argument("--out", default=str(ROOT / "bench/results/cluster.json"))
    args = parser.parse_args()
    if args.input:
        x = np.ascontiguousarray(read_vectors(args.input)[1], dtype=np.float32)
        args.n, args.dim = x.shape
    else:
        x = synthetic(args.n, args.dim, 2 * args.k, args.seed)
    if args.normalise:
        x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), np.float32(1e-12))
    rows = []

    def add(name, centroids, seconds, note=""):
        rows.append({"method": name, "seconds": round(seconds, 2),
                     "inertia": inertia(x, centroids), "note": note})
        print(f"  {name}: {seconds:.1f} s", file=sys.stderr)

    variants = [  # command-line options, KMeansOptions overrides, note
        ("--swap-rounds 12 --init random", {"swap_rounds": 12, "init": "random"},
         "random vectors as centroids; {swaps} of the {niter} iterations with swap rounds"),
        ("--swap-rounds 12 --init random --init-points-per-centroid 50",
         {"swap_rounds": 12, "init": "random", "init_points_per_centroid": 50},
         "as the default, re-seeding from {points} x K vectors (the default of the morning of 2026-12-06)"),
        ("--swap-rounds 12 --init kmeans++ --init-points-per-centroid 3",
         {"swap_rounds": 12, "init": "kmeans++", "init_points_per_centroid": 3},
         "greedy k-means++ on {points} x K vectors; {swaps} of the {niter} iterations with swap rounds"),
        ("--swap-rounds 0 --init kmeans++ --init-points-per-centroid 50",
         {"swap_rounds": 0, "init": "kmeans++", "init_points_per_centroid": 50},
         "greedy k-means++ on {points} x K vectors, {niter} Lloyd iterations (the default before 2026-12-06)"),
        ("--swap-rounds 0 --init random", {"swap_rounds": 0, "init": "random"},
         "random vectors as centroids, {niter} Lloyd iterations"),
    ]
    defaults = KMeansOptions(k=args.k)
    for flags, overrides, note in variants:
        opts = KMeansOptions(k=args.k, niter=args.niter, seed=args.seed, device="cpu", **overrides)
        label = " (the default)" if replace(opts, niter=defaults.niter, seed=defaults.seed,
                                             device=defaults.device) == defaults else ""
        result, sec = timed(lambda: kmeans(x, opts))
        add(f"awe K-means {flags}{label}", result.centroids, sec,
            note.format(niter=args.niter, swaps=opts.swap_rounds, points=opts.init_points_per_centroid))

    def faiss_kmeans(init_method):
        km = faiss.Kmeans(args.dim, args.k, niter=args.niter, seed=args.seed, max_points_per_centroid=256,
                          min_points_per_centroid=1, init_method=init_method)
        km.train(x)
        return km.centroids
    centroids, sec = timed(lambda: faiss_kmeans(faiss.ClusteringInitMethod_RANDOM))
    add("faiss Kmeans, random init", centroids, sec,
        f"faiss's own Lloyd ({args.niter} iterations), the engine of awe cluster until 2026-12-06")
    centroids, sec = timed(lambda: faiss_kmeans(faiss.ClusteringInitMethod_KMEANS_PLUS_PLUS))
    add("faiss's own k-means++ (plain)", centroids, sec, f"{args.niter} iterations (before issue 15)")

    with tempfile.TemporaryDirectory() as tmp:
        write_vectors(f"h5:{tmp}/x.h5", [f"s{i:07d}" for i in range(args.n)], x)
        cmd = [str(ROOT / ".venv/bin/awe"), "cluster", "-k", str(args.k), "--iterations",
               str(args.niter), "--seed", str(args.seed), f"h5:{tmp}/x.h5", f"{tmp}/out"]
        _, sec = timed(lambda: subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL))
        add("awe cluster at its defaults (whole command)", np.load(f"{tmp}/out/centroids.npy"), sec,
            "read h5 + K-means + soft labels + write dir")

    mbk = MiniBatchKMeans(n_clusters=args.k, batch_size=4096, max_iter=args.niter, n_init=1,
                          init="k-means++", random_state=args.seed)
    _, sec = timed(lambda: mbk.fit(x))
    add("sklearn MiniBatchKMeans", mbk.cluster_centers_, sec,
        f"batch 4096, max_iter {args.niter} epochs, k-means++")
    if not args.no_kmeans:
        km = KMeans(n_clusters=args.k, max_iter=args.niter, n_init=1, init="k-means++",
                    algorithm="lloyd", random_state=args.seed)
        _, sec = timed(lambda: km.fit(x))
        add("sklearn KMeans (lloyd)", km.cluster_centers_, sec,
            f"max_iter {args.niter}, k-means++")
    if args.sklearn_defaults:
        converged = KMeans(n_clusters=args.k, random_state=args.seed)
        _, sec = timed(lambda: converged.fit(x))
        add("sklearn KMeans at its defaults", converged.cluster_centers_, sec,
            f"max_iter 300, tol 1e-4: stopped after {converged.n_iter_} iterations")

    reference = next((r for r in rows if r["method"].startswith("sklearn KMeans")),
                     min(rows, key=lambda r: r["inertia"]))
    for r in rows:
        r["inertia_vs_sklearn"] = r["inertia"] / reference["inertia"]
        r["speedup_vs_sklearn"] = reference["seconds"] / max(r["seconds"], 1e-9)
    print(f"\n{args.n:,} x {args.dim} vectors, K = {args.k:,}, {os.cpu_count()} CPU cores; "
          f"relative to {reference['method']}\n")
    print("| method | seconds | speed-up | inertia | inertia / sklearn | note |")
    print("|---|---:|---:|---:|---:|---|")
    for r in rows:
        print(f"| {r['method']} | {r['seconds']:.1f} | {r['speedup_vs_sklearn']:.1f}x | "
              f"{r['inertia']:.4g} | {r['inertia_vs_sklearn']:.4f} | {r['note']} |")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"input": args.input or "synthetic", "normalised": args.normalise,
                                          "n": args.n, "dim": args.dim, "k": args.k,
                                          "niter": args.niter, "cpus": os.cpu_count(),
                                          "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
