"""Benchmark: skipgram training throughput of every `awe train-skipgram` method.

Synthetic word-segment data: U utterances of 10 words from a Zipfian vocabulary,
130-d "phonetic AWEs" and 39-d feature matrices of 20-60 frames per word token.  Each
method trains one epoch on a fixed number of (center, context) pairs (window 5, batch
256, default model sizes) on the CPU; the table shows training pairs per second as the
training loop logs it, plus the time of the vectorised context-pair builder for 1M
segments.  Prints a markdown table; writes bench/results/skipgram.json.

    .venv/bin/python bench/skipgram.py                 # 2 torch threads
    .venv/bin/python bench/skipgram.py --threads 1
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from awetools.io.datadir import DataDir, Segment
from awetools.io.tables import open_writer, write_vectors
from awetools.semantic.context import context_pairs
from awetools.semantic.train import SkipgramTraining, train_skipgram
from awetools.cluster.clusterdir import cluster_table
from awetools.cluster.kmeans import KMeansOptions

ROOT = Path(__file__).resolve().parents[1]
PAIRS = {"cluster-skipgram": 100_000, "projection": 100_000, "two-stage": 100_000,
         "text": 100_000, "units": 5_000, "contrastive": 2_000, "speech2vec": 2_000}


def make_corpus(root: Path, utterances: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    vocab = 2000
    p = 1.0 / np.arange(1, vocab + 1)
    awe = rng.normal(size=(vocab, 130)).astype(np.float32)
    lengths = rng.integers(20, 61, size=vocab)
    segs, text, utt2spk, seg2utt, seg2pos = {}, {}, {}, {}, {}
    keys, words = [], []
    for u in range(utterances):
        for pos, w in enumerate(rng.choice(vocab, size=10, p=p / p.sum())):
            key = f"s{u % 20:02d}-u{u:06d}-{pos:02d}"
            segs[key] = Segment(f"u{u:06d}", pos, pos + 0.5)
            text[key], utt2spk[key], seg2utt[key], seg2pos[key] = f"w{w}", f"s{u % 20:02d}", f"u{u:06d}", pos
            keys.append(key)
            words.append(w)
    DataDir(root / "words", segments=segs, text=text, utt2spk=utt2spk, seg2utt=seg2utt, seg2pos=seg2pos).save()
    words = np.array(words)
    write_vectors(f"h5:{root / 'awe.h5'}", keys, awe[words] + 0.3 * rng.normal(size=(len(keys), 130)).astype(np.float32))
    with open_writer(f"h5:{root / 'feats.h5'}") as out:
        for key, w in zip(keys, words):
            out.write(key, rng.normal(size=(lengths[w], 39)).astype(np.float32))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--utterances", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--methods", nargs="*", default=list(PAIRS))
    parser.add_argument("--out", default=str(ROOT / "bench/results/skipgram.json"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    os.environ.setdefault("AWE_NO_PROGRESS", "1")
    rng = np.random.default_rng(0)
    n = 1_000_000
    utts, pos = np.repeat(np.arange(n // 10), 10), np.tile(np.arange(10), n // 10)
    start = time.perf_counter()
    shuffle = rng.permutation(n)  # rows in random order, as segment ids rarely are in utterance order
    pairs = context_pairs(utts[shuffle], pos[shuffle], 5)
    pair_seconds = time.perf_counter() - start
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_corpus(root, args.utterances, 0)
        cluster_table(f"h5:{root / 'awe.h5'}", root / "clusters", KMeansOptions(k=500, seed=0))
        for method in args.methods:
            run = SkipgramTraining(out=root / method, method=method, data_dir=str(root / "words"),
                                   embeddings=f"h5:{root / 'awe.h5'}", features=f"h5:{root / 'feats.h5'}",
                                   clusters=str(root / "clusters"), epochs=1, valid_fraction=0.0,
                                   pairs_per_epoch=PAIRS[method], device="cpu", num_threads=args.threads)
            start = time.perf_counter()
            train_skipgram(run)
            total = time.perf_counter() - start
            entry = json.loads((root / method / "log.jsonl").read_text().splitlines()[0])
            rows.append({"method": method, "pairs": entry["pairs"], "pairs_per_s": entry["pairs_per_s"],
                         "train_s": entry["train_time_s"], "total_s": round(total, 2)})
            print(f"  {method}: {entry['pairs_per_s']:.0f} pairs/s", flush=True)
    segments = args.utterances * 10
    print(f"\n{segments:,} segments (window 5), batch 256, CPU, {args.threads} torch threads, "
          f"{os.cpu_count()} cores\n")
    print("| method | pairs trained | pairs/s | train s | whole command s (incl. loading) |")
    print("|---|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['method']} | {r['pairs']:,} | {r['pairs_per_s']:,.0f} | {r['train_s']:.1f} | {r['total_s']:.1f} |")
    print(f"\ncontext pairs for 1,000,000 segments (window 5): {len(pairs):,} pairs in {pair_seconds:.2f} s")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"segments": segments, "threads": args.threads,
                                          "cpus": os.cpu_count(), "rows": rows,
                                          "context_pairs_1M": {"pairs": len(pairs), "seconds": pair_seconds}},
                                         indent=2) + "\n")


if __name__ == "__main__":
    main()
