"""Benchmark: where do the tokens of the words that word similarity scores go?

Cluster+Skipgram gives a word the meaning of the clusters its tokens fall in, and its
similarity figures are averaged over the words of the similarity pairs (both words with
``--min-count`` tokens, the protocol of ``awe eval wordsim``).  Those are content words of modest frequency (MEN's median word
here has a few dozen tokens), exactly the ones K-means serves worst: it spends centroids
where tokens are dense, so a word heard 5-30 times is often absorbed by a frequent word
that sounds like it (meat -> meet, hill -> kill).  Purity over all tokens, which the
frequent function words dominate, does not show this.  For each cluster dir (made with
``awe cluster`` over the segments of ``--data``) and each similarity set this reports,
over the set's evaluated words:

- ``top_share``: mean fraction of a word's tokens in its main (largest) cluster;
- ``owner``: fraction of words that are the majority word of their main cluster (always
  1 for oracle clusters); a word that is not shares the meaning of the one that is;
- ``main_purity``: mean purity of the words' main clusters;
- ``main_rare``: mean fraction of their main clusters' tokens that are rare words
  (< ``--min-count`` tokens): contexts of words the evaluation never sees;
- ``shared``: fraction of words whose main cluster is also another evaluated word's, so
  that hard labels give the two the same vector;

and a few absorbed words with their main cluster's leading words.  Prints a markdown
table; writes bench/results/wordsim_clusters.json.

    .venv/bin/python bench/wordsim_clusters.py --data recipes/default/data/semantic/en/train_words \\
        recipes/semantic/exp/merged/clusters recipes/semantic/exp/merge/clusters_en_indomain_k8000_merged
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from scipy.sparse import coo_matrix

from awetools.io.datadir import read_kaldi_table

ROOT = Path(__file__).resolve().parents[1]
SETS = ("EN-SIMLEX-999", "EN-WS-353-ALL", "EN-MEN-TR-3k")


def scored_words(path: Path, counts: dict[str, int], min_count: int) -> set[str]:
    """The words of the pairs of a similarity file ``<w1> <w2> <score>`` that are scored:
    both words (lower-cased) with at least ``min_count`` tokens."""
    pairs = [line.lower().split()[:2] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {w for pair in pairs if min(counts.get(w, 0) for w in pair) >= min_count for w in pair}


def word_report(words: np.ndarray, clusters: np.ndarray, evaluated: np.ndarray,
                min_count: int, examples: int) -> dict:
    """The figures above for the word codes ``evaluated`` (tokens: ``words``, ``clusters``)."""
    table = coo_matrix((np.ones(len(words)), (words, clusters))).tocsr()
    word_tokens = np.asarray(table.sum(1)).ravel()
    cluster_tokens = np.asarray(table.sum(0)).ravel()
    main = np.asarray(table.argmax(1)).ravel()
    by_cluster = table.tocsc()
    owner_of = np.asarray(by_cluster.argmax(0)).ravel()
    owner_tokens = np.asarray(by_cluster.max(0).todense()).ravel()
    rare = word_tokens < min_count
    rare_tokens = np.asarray(table[rare].sum(0)).ravel()
    m = main[evaluated]
    per_main = np.bincount(m, minlength=len(cluster_tokens))
    absorbed = evaluated[owner_of[m] != evaluated]
    return {
        "words": int(len(evaluated)),
        "top_share": float(np.mean(table[evaluated, m].A1 / word_tokens[evaluated])),
        "owner": float(np.mean(owner_of[m] == evaluated)),
        "main_purity": float(np.mean(owner_tokens[m] / cluster_tokens[m])),
        "main_rare": float(np.mean(rare_tokens[m] / cluster_tokens[m])),
        "shared": float(np.mean(per_main[m] > 1)),
        "absorbed_examples": [int(w) for w in absorbed[:examples]],
        "absorbed_by": [int(owner_of[main[w]]) for w in absorbed[:examples]],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("cluster_dirs", nargs="+", type=Path)
    parser.add_argument("--data", type=Path, default=ROOT / "recipes/default/data/semantic/en/train_words")
    parser.add_argument("--wordsim", type=Path, default=ROOT.parent / "shared/data/wordsim/en")
    parser.add_argument("--min-count", type=int, default=5)
    parser.add_argument("--examples", type=int, default=8)
    parser.add_argument("--json", type=Path, default=ROOT / "bench/results/wordsim_clusters.json")
    args = parser.parse_args()
    text = read_kaldi_table(args.data / "text", check_sorted=False)
    keys = sorted(text)
    vocab, words = np.unique([text[k].lower() for k in keys], return_inverse=True)
    counts = np.bincount(words)
    results = []
    print("| clusters | set | words | top_share | owner | main_purity | main_rare | shared |")
    print("|---|---|---|---|---|---|---|---|")
    for cluster_dir in args.cluster_dirs:
        assign = read_kaldi_table(cluster_dir / "assign.txt", check_sorted=False)
        clusters = np.array([int(assign[k]) for k in keys])
        for name in SETS:
            wanted = scored_words(args.wordsim / f"{name}.txt", dict(zip(vocab, counts)), args.min_count)
            evaluated = np.flatnonzero(np.isin(vocab, sorted(wanted)))
            report = word_report(words, clusters, evaluated, args.min_count, args.examples)
            report["absorbed_examples"] = [
                f"{vocab[w]} ({counts[w]}) -> {vocab[o]} ({counts[o]})"
                for w, o in zip(report["absorbed_examples"], report.pop("absorbed_by"))]
            results.append({"clusters": str(cluster_dir), "set": name, **report})
            print(f"| {cluster_dir} | {name} | {report['words']} | {report['top_share']:.3f} | "
                  f"{report['owner']:.3f} | {report['main_purity']:.3f} | {report['main_rare']:.3f} | "
                  f"{report['shared']:.3f} |")
    for r in results:
        if r["set"] == "EN-MEN-TR-3k":
            print(f"{r['clusters']}, MEN words absorbed: {'; '.join(r['absorbed_examples'])}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"data": str(args.data), "min_count": args.min_count,
                                     "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
