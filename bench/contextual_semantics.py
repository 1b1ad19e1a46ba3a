"""Benchmark: semantic spaces with their context (``awe embed --context``) on word similarity.

For each token table given (``NAME=RSPECIFIER``: segment vectors of ``--words``, e.g. a
cluster-skipgram space from ``awe embed``) and each ``--weight``, the contextual vectors
(:func:`awetools.semantic.contextual.contextual_vectors`) are scored as ``awe eval
wordsim`` scores them: SimLex-999, WS-353, MEN over pairs whose both words have >=
``--min-count`` tokens, type-averaged and single-token, and rho against the text model
(``--text``) over the frequent words.  The tables as given are scored beside them, and so
is the text model itself, as given and through the same transform (its word vectors put
on every token of the transcripts): the fair reference for a contextual speech space is
a contextual text space.  Prints a markdown table; writes
bench/results/contextual_semantics.json.

    .venv/bin/python bench/contextual_semantics.py --words recipes/default/data/semantic/en/train_words \\
        --text recipes/semantic/exp/jit/semantic_text/vectors.txt \\
        demo_s0=h5:recipes/semantic/exp/context/embed/jit_soft_s0_raw.h5
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from awetools.io.datadir import read_kaldi_table
from awetools.io.tables import read_vectors
from awetools.metrics.wordsim import (Tokens, WordsimConfig, WordTable, evaluate_wordsim,
                                      load_word_table, read_pairs)
from awetools.semantic.contextual import contextual_vectors, load_word_segments

SETS = ("EN-SIMLEX-999", "EN-WS-353-ALL", "EN-MEN-TR-3k")
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def text_tokens(text: WordTable, keys: list[str], labels: dict[str, str]) -> np.ndarray:
    """The text model's vector of every token's word (zeros for a word it has none of)."""
    padded = np.vstack([text.vectors, np.zeros((1, text.vectors.shape[1]), text.vectors.dtype)])
    return padded[[text.index.get(labels[k].lower(), len(text.words)) for k in keys]]


def scores(result: dict) -> dict:
    """The figures of one ``evaluate_wordsim`` result the table shows."""
    out = {"rho_text_avg": result["reference"]["rho_avg"], "rho_text_single": result["reference"]["rho_single"]}
    for name in SETS:
        out[f"{name}_avg"] = result["sets"][name]["rho_avg"]
        out[f"{name}_single"] = result["sets"][name]["rho_single"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tables", nargs="+", metavar="NAME=RSPECIFIER")
    parser.add_argument("--words", required=True, help="word-segment data dir of the tables' keys")
    parser.add_argument("--text", required=True, help="text skipgram vectors.txt (the reference)")
    parser.add_argument("--weight", type=float, action="append", help="context weights (default 0, 0.5, 1)")
    parser.add_argument("--window", type=int, default=5)
    parser.add_argument("--min-count", type=int, default=5)
    parser.add_argument("--wordsim", default=str(SHARED / "wordsim" / "en"))
    parser.add_argument("--json", default="bench/results/contextual_semantics.json")
    args = parser.parse_args()
    weights = args.weight or [0.0, 0.5, 1.0]
    words = load_word_segments(args.words)
    labels = read_kaldi_table(Path(args.words) / "text")
    sets = [read_pairs(Path(args.wordsim) / f"{name}.txt") for name in SETS]
    reference = load_word_table(args.text)
    config = WordsimConfig(min_count=args.min_count)
    tables = [spec.split("=", 1) for spec in args.tables]
    keys = read_vectors(tables[0][1])[0]
    rows = {}

    def score(name: str, table_keys: list[str], x: np.ndarray) -> None:
        context = {"utterances": np.array([words.seg2utt[k] for k in table_keys]),
                   "positions": np.array([words.seg2pos[k] for k in table_keys]),
                   "speakers": np.array([words.utt2spk[k] for k in table_keys])}
        token_words = [labels[k].lower() for k in table_keys]
        rows[name] = scores(evaluate_wordsim(Tokens(token_words, x), sets, reference, config))
        for weight in weights:
            out = contextual_vectors(x, **context, window=args.window, weight=weight)
            rows[f"{name} w={weight:g}"] = scores(evaluate_wordsim(Tokens(token_words, out), sets, reference, config))
        print(f"scored {name}", flush=True)

    score("text", keys, text_tokens(reference, keys, labels))
    for name, rspecifier in tables:
        score(name, *read_vectors(rspecifier))
    header = ["space", "rho vs text (single)", *(f"{s} (single)" for s in SETS)]
    print("| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    for name, row in rows.items():
        cells = [f"{row['rho_text_avg']:.3f} ({row['rho_text_single']:.3f})",
                 *(f"{row[f'{s}_avg']:.3f} ({row[f'{s}_single']:.3f})" for s in SETS)]
        print(f"| {name} | " + " | ".join(cells) + " |")
    Path(args.json).write_text(json.dumps({"config": vars(args) | {"weight": weights}, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
