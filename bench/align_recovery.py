"""How many map steps adversarial training needs to find a rotation it could find.

The target is GloVe 6B 50-d (the ``--n`` most frequent words) rotated by a random
orthogonal matrix ``Q``, so the right map exists and is exact.  After every epoch the
benchmark records the unsupervised criterion (what ``awe align`` selects on), the
word-translation P@1 (CSLS) of the map against the known identity dictionary, and the
distance ``||W - Q||_F`` (a random rotation lies about 10 away in 50-d).  This is the
figure behind the adversarial budgets of the recipes' ``conf/adversarial*.conf``.

    .venv/bin/python -m bench.align_recovery [--n 5000] [--epochs 4] [--epoch-size 300000]

Prints a markdown table and writes bench/results/align_recovery.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from awetools.align.adversarial import AdversarialOptions, train_adversarial
from awetools.align.csls import Similarity
from awetools.align.dictionary import criterion
from awetools.align.normalize import normalize
from awetools.io.wordvectors import read_word_vectors

ROOT = Path(__file__).resolve().parents[1]
GLOVE = ROOT.parent / "shared" / "data" / "glove" / "glove.6B.50d.top50k.txt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--glove", type=Path, default=GLOVE)
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--epoch-size", type=int, default=300_000)
    parser.add_argument("--dis-hidden", type=int, default=512)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    _, vectors = read_word_vectors(args.glove, limit=args.n)
    rng = np.random.default_rng(args.seed)
    q, _ = np.linalg.qr(rng.standard_normal((vectors.shape[1],) * 2))
    src, _ = normalize(vectors, "renorm,center,renorm")
    tgt, _ = normalize(vectors @ q.T, "renorm,center,renorm")
    steps_per_epoch = max(1, args.epoch_size // 32)
    rows: list[dict] = []

    def score(w: np.ndarray) -> tuple[float, int]:
        value, pairs = criterion(src @ w.T, tgt)
        _, best = Similarity(src @ w.T, tgt).topk(1, "csls")
        rows.append({"map_steps": len(rows) * steps_per_epoch, "criterion": round(value, 4),
                     "criterion_pairs": pairs, "p_at_1_csls": float(np.mean(best[:, 0] == np.arange(len(src)))),
                     "distance_to_q": round(float(np.linalg.norm(w - q)), 3),
                     "seconds": round(time.perf_counter() - start, 1)})
        return value, pairs

    options = AdversarialOptions(epochs=args.epochs, epoch_size=args.epoch_size, dis_hidden=args.dis_hidden)
    start = time.perf_counter()
    train_adversarial(src, tgt, options, args.seed, score)
    print(f"GloVe 50-d, {len(src)} words, rotated; discriminator {args.dis_hidden} units, "
          f"{args.threads} thread(s); one row per epoch of {steps_per_epoch} map steps\n")
    print("| map steps | criterion (pairs) | P@1 CSLS | ||W - Q|| | seconds |")
    print("|---:|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['map_steps']} | {row['criterion']:.3f} ({row['criterion_pairs']}) | "
              f"{row['p_at_1_csls']:.3f} | {row['distance_to_q']:.2f} | {row['seconds']:.0f} |")
    out = ROOT / "bench" / "results" / "align_recovery.json"
    out.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "epochs": rows},
                              indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
