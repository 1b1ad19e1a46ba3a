"""Benchmark: can the distance to a token's cluster centroid tell the tokens of rare words?

word2vec drops words seen fewer than ``min_count`` times; Cluster+Skipgram cannot, since
it does not know the words, so K-means puts every token of a rare word into some frequent
word's cluster, whose contexts it then blurs.  ``awe train-skipgram --outlier-fraction F``
leaves out the fraction F of tokens farthest from the centroid of their pseudo-word (the
top soft label, as training uses it).  This measures how well that distance picks out the
tokens of rare words (fewer than ``--min-count`` tokens in ``--labels``): ROC AUC of the
distance, and for each fraction the share of rare-word tokens left out (recall) and the
share of left-out tokens that are rare words' (precision).

Prints a markdown table; writes bench/results/outlier_tokens.json.

    .venv/bin/python bench/outlier_tokens.py \\
        --labels recipes/default/data/semantic/en/train_words/text \\
        multilingual=h5:recipes/semantic/exp/swap/embed/phonetic.h5@recipes/semantic/exp/swap/clusters \\
        english=h5:recipes/semantic/exp/embed/phonetic_en_indomain_spkmvn.h5@recipes/semantic/exp/merge/clusters_en_indomain_k8000_merged
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from awetools.cluster.clusterdir import ClusterDir
from awetools.io.datadir import read_kaldi_table
from awetools.io.tables import read_vectors

ROOT = Path(__file__).resolve().parents[1]
FRACTIONS = (0.05, 0.1, 0.2)


def measure(embeddings: str, cluster_dir: str, words_of: dict[str, str], min_count: int) -> dict:
    """AUC, recall and precision of the farthest tokens as rare-word tokens."""
    clusters = ClusterDir.load(cluster_dir)
    keys, x = read_vectors(embeddings)
    rows = {k: i for i, k in enumerate(keys)}
    order = np.array([rows[k] for k in clusters.soft.keys if k in rows and k in words_of])
    kept = [keys[i] for i in order]
    soft_rows = {k: i for i, k in enumerate(clusters.soft.keys)}
    items = clusters.soft.index[[soft_rows[k] for k in kept], 0]
    words = [words_of[k] for k in kept]
    counts = Counter(words)
    rare = np.array([counts[w] < min_count for w in words])
    distance = clusters.distances(x[order], items)
    result = {"embeddings": embeddings, "clusters": cluster_dir, "tokens": len(kept),
              "rare_tokens": int(rare.sum()), "auc": float(roc_auc_score(rare, distance))}
    for fraction in FRACTIONS:
        far = clusters.farthest(x[order], items, fraction)
        result[f"recall_{fraction}"] = float((far & rare).sum() / max(rare.sum(), 1))
        result[f"precision_{fraction}"] = float(rare[far].mean()) if far.any() else 0.0
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="+", metavar="NAME=EMBEDDINGS@CLUSTER_DIR",
                        help="AWEs (rspecifier) and the cluster dir made from them")
    parser.add_argument("--labels", type=Path, required=True, help="Kaldi text: the word of each token")
    parser.add_argument("--min-count", type=int, default=5, help="rare: fewer tokens than this")
    parser.add_argument("--json", type=Path, default=ROOT / "bench/results/outlier_tokens.json")
    args = parser.parse_args()
    words_of = read_kaldi_table(args.labels, check_sorted=False)
    rows = {}
    for spec in args.inputs:
        name, _, pair = spec.partition("=")
        embeddings, _, cluster_dir = pair.rpartition("@")
        rows[name] = measure(embeddings, cluster_dir, words_of, args.min_count)
    print("| AWEs | tokens | rare-word tokens | ROC AUC | "
          + " | ".join(f"F = {f}: recall / precision" for f in FRACTIONS) + " |")
    print("|---|---|---|---|" + "---|" * len(FRACTIONS))
    for name, r in rows.items():
        cells = " | ".join(f"{r[f'recall_{f}']:.3f} / {r[f'precision_{f}']:.3f}" for f in FRACTIONS)
        print(f"| {name} | {r['tokens']:,} | {r['rare_tokens']:,} | {r['auc']:.3f} | {cells} |")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"min_count": args.min_count, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
