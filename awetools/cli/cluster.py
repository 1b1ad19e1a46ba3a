"""``awe cluster``: K-means over segment embeddings -> centroids, assignments, soft labels."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from awetools.cli.main import app
from awetools.cluster.clusterdir import SoftOptions, cluster_table
from awetools.cluster.kmeans import KMeansOptions
from awetools.cluster.merge import MergeOptions


@app.command("cluster")
def cluster_command(
    rspecifier: str = typer.Argument(..., help="Segment embeddings, e.g. scp:emb.scp or h5:emb.h5."),
    out_dir: Path = typer.Argument(..., help="Cluster dir to write."),
    k: int | None = typer.Option(None, "--k", "-k", help="Number of clusters (required unless --oracle)."),
    iterations: int = typer.Option(KMeansOptions.niter, "--iterations", help="Lloyd iterations per restart (swap rounds included)."),
    restarts: int = typer.Option(1, "--restarts", help="Restarts, each from its own initialisation; the lowest inertia wins."),
    init: str = typer.Option(KMeansOptions.init, "--init", help="Centroid initialisation: random vectors (swap rounds then move them where they serve), or kmeans++ (greedy, as scikit-learn, on K x --init-points-per-centroid vectors)."),
    init_points_per_centroid: int = typer.Option(KMeansOptions.init_points_per_centroid, "--init-points-per-centroid", help="kmeans++, and the re-seeding of the swap rounds, draw from a random sample of K times this many vectors."),
    swap_rounds: int = typer.Option(KMeansOptions.swap_rounds, "--swap-rounds", help="The first N Lloyd iterations also move the least useful centroids to where the objective drops most (0: plain Lloyd; at most --iterations - 1)."),
    spherical: bool = typer.Option(False, "--spherical/--euclidean", help="Cosine K-means on L2-normalised vectors, or plain Euclidean."),
    temperature: float | None = typer.Option(None, "--temperature", help="Soft-label temperature T in exp(-d^2/T) (default: --temperature-scale times the mean squared distance to own centroid)."),
    temperature_scale: float | None = typer.Option(None, "--temperature-scale", help="Without --temperature: T is this times the mean squared distance to own centroid (default 1; e.g. 0.33 for sharper labels)."),
    top_k: int = typer.Option(5, "--top-k", help="Nearest centroids kept in each soft label."),
    max_points_per_centroid: int = typer.Option(256, "--max-points-per-centroid", help="K-means trains on at most K times this many random vectors."),
    labels: Path | None = typer.Option(None, "--labels", help="Kaldi text file '<segment> <word>': report purity and NMI."),
    oracle: bool = typer.Option(False, "--oracle", help="Diagnosis: no K-means, the word types of --labels are the clusters (centroid: a type's mean; a segment's own word first in its soft label)."),
    merge_speakers: Path | None = typer.Option(None, "--merge-speakers", help="Kaldi table '<segment> <speaker>' (a word data dir's utt2spk): merge neighbouring clusters whose speakers are disjoint, i.e. one word split by voice; K becomes the number of merged groups."),
    merge_min_cosine: float = typer.Option(MergeOptions.min_cosine, "--merge-min-cosine", help="--merge-speakers: merge only clusters whose centroids have at least this cosine."),
    merge_max_overlap: float = typer.Option(MergeOptions.max_overlap, "--merge-max-overlap", help="--merge-speakers: merge only clusters whose speaker distributions overlap at most this much (0: disjoint, 1: the same)."),
    seed: int = typer.Option(0, "--seed", help="Random seed (initialisation, subsampling)."),
    device: str = typer.Option("auto", "--device", help="Where nearest-centroid searches run: auto, cpu or cuda (GPU faiss)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace OUT_DIR if it exists."),
) -> None:
    """Cluster segment embeddings with K-means and write soft pseudo-word labels.

    Usage: awe cluster [options] --k K RSPECIFIER OUT_DIR

    OUT_DIR gets centroids.npy, centroids.h5, assign.txt ('<segment> <cluster>'),
    soft.h5 (per segment a [2, top-k] matrix: cluster ids, softmax weights) and
    summary.json.  A summary line (inertia; purity and NMI with --labels) goes to stderr.

    Example:

      awe cluster --k 2000 --spherical --labels data/train_words/text h5:exp/emb/train.h5 exp/clusters
      awe cluster --oracle --spherical --labels data/train_words/text h5:exp/emb/train.h5 exp/oracle
      awe cluster --k 8000 --spherical --merge-speakers data/train_words/utt2spk h5:exp/emb/train.h5 exp/clusters
      awe cluster --k 8000 --spherical --temperature-scale 0.33 h5:exp/emb/train.h5 exp/clusters_sharp
    """
    if k is None and not oracle:
        raise typer.BadParameter("--k is required (or --oracle)", param_hint="--k")
    options = KMeansOptions(k=k or 1, niter=iterations, nredo=restarts, seed=seed, spherical=spherical,
                            init=init, max_points_per_centroid=max_points_per_centroid,
                            init_points_per_centroid=init_points_per_centroid, swap_rounds=swap_rounds,
                            device=device)
    summary = cluster_table(rspecifier, out_dir, options, SoftOptions(temperature, top_k, temperature_scale),
                            labels=labels, overwrite=overwrite, oracle=oracle, speakers=merge_speakers,
                            merge=MergeOptions(merge_min_cosine, merge_max_overlap))
    line = (f"awe cluster: K={summary['k']} N={summary['n']} inertia={summary['inertia']:.6g} "
            f"empty={summary['empty_clusters']} T={summary['temperature']:.4g} "
            f"top1_weight={summary['mean_top1_weight']:.3f}")
    if "speaker_merge" in summary:
        line += f" merged_from={summary['speaker_merge']['k_before']}"
    if "labels" in summary:
        line += f" purity={summary['labels']['purity']:.4f} NMI={summary['labels']['nmi']:.4f}"
    print(line, file=sys.stderr)
