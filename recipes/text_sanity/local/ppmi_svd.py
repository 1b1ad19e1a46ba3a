#!/usr/bin/env python3
"""Train PPMI-SVD word vectors on disjoint halves of a text corpus (and on all of it).

Usage: local/ppmi_svd.py [--dim N] [--max-vocab N] [--window N] [--tag TAG] TEXT_DIR OUT_DIR

Writes OUT_DIR/half_a.TAG.txt, half_b.TAG.txt (alternating 50-line chunks of every *.txt
file, so both halves mix the same sources) and all.TAG.txt, word2vec text format,
words in frequency order.  TAG defaults to the dimension.
"""

import argparse
from pathlib import Path

from awetools.align.text_space import PPMISVDOptions, read_chunks, split_halves, train_ppmi_svd
from awetools.io.wordvectors import write_word_vectors

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("text_dir", type=Path)
parser.add_argument("out_dir", type=Path)
parser.add_argument("--dim", type=int, default=100)
parser.add_argument("--max-vocab", type=int, default=20000)
parser.add_argument("--window", type=int, default=5)
parser.add_argument("--parts", default="half_a,half_b,all")
parser.add_argument("--tag", default=None)
args = parser.parse_args()

files = sorted(args.text_dir.glob("*.txt"))
if not files:
    parser.error(f"no *.txt files in {args.text_dir}")
chunks = read_chunks(files)
half_a, half_b = split_halves(chunks)
parts = {"half_a": half_a, "half_b": half_b, "all": chunks}
options = PPMISVDOptions(dim=args.dim, max_vocab=args.max_vocab, window=args.window)
args.out_dir.mkdir(parents=True, exist_ok=True)
for name in args.parts.split(","):
    words, vectors = train_ppmi_svd(parts[name], options)
    out = args.out_dir / f"{name}.{args.tag or args.dim}.txt"
    write_word_vectors(out, words, vectors)
    print(f"{out}: {len(words)} words x {args.dim}, {sum(map(len, parts[name]))} tokens")
