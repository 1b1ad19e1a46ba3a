"""Benchmark: do K-means pseudo-words split words by speaker, and would merging undo it?

Cluster+Skipgram needs clusters that behave like words.  A cluster can fail two ways:
it merges several words (low purity) or it splits one word over several clusters, and
the second failure is worst when the split follows the speaker, since each speaker's
copy of a word then learns contexts of its own.  For each cluster dir (``awe cluster``
with ``--labels``' data dir's segments) this reports, over words with ``--min-tokens``
tokens:

- ``purity`` and ``nmi`` against the true words;
- ``word_top_share``: the mean fraction of a word's tokens in its largest cluster;
- ``word_speaker_top_share``: the same within one (word, speaker): near 1 when each
  speaker's tokens of a word stay together, so ``word_top_share`` well below it means
  the word is split *by speaker*;
- a merge diagnosis: each cluster's ``--neighbours`` nearest centroids (cosine >=
  ``--min-cosine``) are candidate pairs; binned by speaker overlap (sum over speakers of
  the smaller of the two clusters' speaker shares), the fraction of pairs whose two
  clusters have the same majority word.  Neighbours with disjoint speakers are the same
  word split by speaker; neighbours that share speakers are different words.
- the clusters after merging every candidate pair with overlap <= ``--max-overlap``
  (connected components), and their purity and ``word_top_share``;
- the clusters after the stricter, mutual-nearest merge of ``awe cluster --merge-speakers``
  (:mod:`awetools.cluster.merge`; ``--mutual-overlap`` is its ``--merge-max-overlap``).

Prints a markdown table; writes bench/results/speaker_splits.json.

    .venv/bin/python bench/speaker_splits.py --data recipes/default/data/semantic/en/train_words \\
        recipes/semantic/exp/ladder/clusters_en_indomain_spkmvn_k8000 recipes/semantic/exp/ladder/clusters_k8000
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components

from awetools.cluster.merge import MergeOptions, speaker_counts, speaker_merge
from awetools.cluster.quality import nmi, purity
from awetools.io.datadir import read_kaldi_table

ROOT = Path(__file__).resolve().parents[1]
OVERLAP_BINS = (0.0, 0.05, 0.1, 0.3, 0.6, 1.01)


def codes(values: list[str]) -> np.ndarray:
    return np.unique(np.asarray(values), return_inverse=True)[1]


def counts(rows: np.ndarray, cols: np.ndarray) -> csr_matrix:
    return coo_matrix((np.ones(len(rows)), (rows, cols))).tocsr()


def top_share(rows: np.ndarray, clusters: np.ndarray, keep: np.ndarray) -> float:
    """Mean over the distinct ``rows`` (of the kept segments) of the largest cluster's share."""
    table = counts(rows[keep], clusters[keep])
    sizes = np.asarray(table.sum(1)).ravel()
    used = sizes > 0
    return float((table.max(1).toarray().ravel()[used] / sizes[used]).mean())


def speaker_shares(clusters: np.ndarray, speakers: np.ndarray, k: int) -> np.ndarray:
    """``[K, speakers]``: each cluster's distribution over speakers."""
    table = speaker_counts(clusters, speakers, k)
    return table / np.maximum(table.sum(1, keepdims=True), 1)


def split_report(cluster_dir: Path, words: np.ndarray, speakers: np.ndarray, keys: list[str],
                 args: argparse.Namespace) -> dict:
    assign = read_kaldi_table(cluster_dir / "assign.txt", check_sorted=False)
    missing = next((key for key in keys if key not in assign), None)
    if missing is not None:
        raise SystemExit(f"bench/speaker_splits.py: {cluster_dir}/assign.txt has no segment '{missing}'")
    clusters = np.array([int(assign[k]) for k in keys])
    centroids = np.load(cluster_dir / "centroids.npy")
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    k = len(centroids)
    frequent = np.bincount(words)[words] >= args.min_tokens
    word_speaker = words * (speakers.max() + 1) + speakers

    def quality(labels: np.ndarray) -> dict:
        return {"clusters": int(len(np.unique(labels))), "purity": purity(labels, words),
                "nmi": nmi(labels, words), "word_top_share": top_share(words, labels, frequent)}

    similarity = centroids @ centroids.T
    np.fill_diagonal(similarity, -np.inf)
    neighbours = np.argpartition(-similarity, args.neighbours, axis=1)[:, :args.neighbours]
    a, b = np.repeat(np.arange(k), args.neighbours), neighbours.ravel()
    close = similarity[a, b] >= args.min_cosine
    a, b = a[close], b[close]
    shares = speaker_shares(clusters, speakers, k)
    overlap = np.minimum(shares[a], shares[b]).sum(1)
    majority = np.asarray(counts(clusters, words).argmax(1)).ravel()
    majority = np.concatenate([majority, np.full(k - len(majority), -1)])
    same_word = majority[a] == majority[b]
    bins = [{"overlap": f"[{lo:g}, {hi:g})", "pairs": int(sel.sum()),
             "same_word": float(same_word[sel].mean()) if sel.any() else None}
            for lo, hi in zip(OVERLAP_BINS[:-1], OVERLAP_BINS[1:])
            for sel in [(overlap >= lo) & (overlap < hi)]]
    merge = overlap <= args.max_overlap
    mutual = MergeOptions(args.min_cosine, args.mutual_overlap, args.neighbours)
    _, group = connected_components(coo_matrix((np.ones(merge.sum()), (a[merge], b[merge])), shape=(k, k)),
                                    directed=False)
    return {"cluster_dir": str(cluster_dir), "k": k, "tokens": len(keys),
            "frequent_words": int(len(np.unique(words[frequent]))),
            **quality(clusters), "word_speaker_top_share": top_share(word_speaker, clusters, frequent),
            "candidate_pairs_by_overlap": bins, "merged": quality(group[clusters]),
            "merged_mutual": quality(speaker_merge(centroids, clusters, speakers, mutual)[clusters])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cluster_dirs", nargs="+", type=Path)
    parser.add_argument("--data", required=True, type=Path, help="word data dir (text, utt2spk)")
    parser.add_argument("--min-tokens", type=int, default=20)
    parser.add_argument("--neighbours", type=int, default=10)
    parser.add_argument("--min-cosine", type=float, default=0.85)
    parser.add_argument("--max-overlap", type=float, default=0.05)
    parser.add_argument("--mutual-overlap", type=float, default=0.3)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/speaker_splits.json")
    args = parser.parse_args()
    text = read_kaldi_table(args.data / "text", check_sorted=False)
    utt2spk = read_kaldi_table(args.data / "utt2spk", check_sorted=False)
    keys = list(text)
    words, speakers = codes([text[k] for k in keys]), codes([utt2spk[k] for k in keys])
    rows = [split_report(d, words, speakers, keys, args) for d in args.cluster_dirs]
    print(f"| clusters | K | purity | NMI | word top share | (word, speaker) top share | "
          f"merged K | merged purity | merged word top share | mutual K | mutual NMI | mutual word top share |"
          f"\n|{'---|' * 12}")
    for r in rows:
        m, mm = r["merged"], r["merged_mutual"]
        print(f"| {r['cluster_dir']} | {r['k']} | {r['purity']:.3f} | {r['nmi']:.3f} | {r['word_top_share']:.3f} "
              f"| {r['word_speaker_top_share']:.3f} | {m['clusters']} | {m['purity']:.3f} | {m['word_top_share']:.3f} "
              f"| {mm['clusters']} | {mm['nmi']:.3f} | {mm['word_top_share']:.3f} |")
    print(f"\nCandidate neighbour pairs (cosine >= {args.min_cosine}): fraction with the same majority word")
    for r in rows:
        print(f"- {r['cluster_dir']}: " + ", ".join(
            f"overlap {b['overlap']}: {b['pairs']} pairs, "
            + ("-" if b["same_word"] is None else f"{b['same_word']:.3f}") for b in r["candidate_pairs_by_overlap"]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    settings = {k: v for k, v in vars(args).items() if k not in ("cluster_dirs", "out")}
    args.out.write_text(json.dumps({"settings": {k: str(v) for k, v in settings.items()}, "results": rows},
                                   indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
