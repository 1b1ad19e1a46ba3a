"""Benchmark: the text skipgram topline against gensim on a built-in corpus's transcripts.

The transcripts are exactly those `awe synth` speaks for a preset's running English
(the same sentence selection, no audio needed), as a word-segment data dir (seg2utt,
seg2pos, text).  `awe train-skipgram --method text` trains on the train split at its
default settings and with each of word2vec's rules turned off (subsampling, dynamic
window) or on (linear learning-rate decay); the row "--select valid-loss" is the epoch
of the default run with the lowest held-out loss (what the old default kept), read off
its per-epoch curve; gensim's skipgram (the reference: 100-d,
window 5, 5 negatives, sample 1e-3, min_count 1, 1 thread) trains on the same
sentences.  Every space is scored like `awe eval wordsim --min-count 5`: pairs whose
two words both have >= 5 training tokens; the all-pairs figure is in the JSON.  The rho
curve per epoch of the default run comes from `--wordsim`.

    .venv/bin/python bench/semantic_text.py --preset semantic
    .venv/bin/python bench/semantic_text.py --running-words 300000 --epochs 15 --variants ""  # gensim only
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from awetools.corpus.plan import plan_running
from awetools.corpus.presets import preset_config
from awetools.corpus.text import default_texts, read_sentences
from awetools.io.datadir import DataDir, Segment
from awetools.io.wordvectors import read_word_vectors
from awetools.metrics.wordsim import Tokens, WordsimConfig, WordTable, evaluate_wordsim, read_pairs
from awetools.semantic.train import SkipgramTraining, train_skipgram

ROOT = Path(__file__).resolve().parents[1]
SETS = {"SimLex": "EN-SIMLEX-999.txt", "WS-353": "EN-WS-353-ALL.txt", "MEN": "EN-MEN-TR-3k.txt"}
WORDSIM = ROOT.parent / "shared" / "data" / "wordsim" / "en"
VARIANTS = {  # name -> SkipgramTraining overrides
    "awe default": {},
    "awe --no-subsample": {"sample": None},
    "awe --fixed-window": {"dynamic_window": False},
    "awe --lr-decay linear": {"lr_decay": "linear"},
}
DEFAULT_VARIANTS = "awe default,awe --no-subsample,awe --lr-decay linear"


def transcripts(preset: str, running_words: int | None, seed: int) -> dict[str, list[list[str]]]:
    """Split -> utterances (word lists) of the preset's running English, as awe synth plans them."""
    config = preset_config(preset, languages=(), target="en", texts=tuple(default_texts("en")),
                           running_words=running_words, seed=seed)
    jobs = plan_running("en", read_sentences(list(config.texts)), config, Path(tempfile.gettempdir()))
    out: dict[str, list[list[str]]] = {}
    for job in jobs:
        out.setdefault(job.speaker.split, []).extend(u.words for u in job.utterances)
    return out


def word_segments(root: Path, utterances: list[list[str]]) -> Path:
    """A word-segment data dir (seg2utt, seg2pos, text; nominal times, no audio) of the utterances."""
    wav_scp, segments, seg2utt, seg2pos, text = {}, {}, {}, {}, {}
    for u, words in enumerate(utterances):
        utt = f"u{u:07d}"
        wav_scp[utt] = "/dev/null"
        for pos, word in enumerate(words):
            key = f"{utt}-{pos:04d}"
            segments[key] = Segment(utt, 0.5 * pos, 0.5 * pos + 0.4)
            seg2utt[key], seg2pos[key], text[key] = utt, pos, word
    DataDir(root, wav_scp=wav_scp, segments=segments, text=text, seg2utt=seg2utt, seg2pos=seg2pos).save()
    return root


def score(words: list[str], vectors: np.ndarray, counts: dict[str, int], sets: list, min_count: int) -> dict:
    """rho per set on the frequent pairs (and all covered pairs), from a word table."""
    tokens = Tokens.from_table(WordTable(words, vectors), counts)
    result = evaluate_wordsim(tokens, sets, config=WordsimConfig(draws=0, min_count=min_count))
    return {name: {"rho": entry["rho_avg"], "pairs": entry["pairs_used"],
                   "rho_all_pairs": entry["all_pairs"]["rho_avg"],
                   "all_pairs": entry["all_pairs"]["pairs_used"]} for name, entry in result["sets"].items()}


def gensim_vectors(utterances: list[list[str]], epochs: int, seed: int) -> tuple[list[str], np.ndarray, float]:
    from gensim.models import Word2Vec

    start = time.perf_counter()
    model = Word2Vec(utterances, vector_size=100, window=5, min_count=1, sg=1, negative=5,
                     sample=1e-3, epochs=epochs, seed=seed, workers=1)
    words = list(model.wv.index_to_key)
    return words, model.wv.vectors, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="semantic")
    parser.add_argument("--running-words", type=int, default=None)
    parser.add_argument("--epochs", type=int, default=None, help="default: the method's default")
    parser.add_argument("--min-count", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--variants", default=DEFAULT_VARIANTS, help=f"of: {', '.join(VARIANTS)}")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "semantic_text.json")
    args = parser.parse_args()
    splits = transcripts(args.preset, args.running_words, args.seed)
    train = splits["train"]
    counts = dict(zip(*np.unique([w for u in train for w in u], return_counts=True)))
    sets = [read_pairs(WORDSIM / f) for f in SETS.values()]
    logged = {pairs.name: name for pairs, name in zip(sets, SETS)}  # --wordsim names -> ours
    for pairs, name in zip(sets, SETS):
        pairs.name = name
    epochs = args.epochs or SkipgramTraining.epochs
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        data = word_segments(Path(tmp) / "words", train)
        for name in [v for v in args.variants.split(",") if v]:  # "": gensim only
            start = time.perf_counter()
            run = SkipgramTraining(out=Path(tmp) / name.replace(" ", "_"), method="text",
                                   data_dir=str(data), epochs=epochs, seed=args.seed,
                                   wordsim=tuple(str(WORDSIM / f) for f in SETS.values()),
                                   wordsim_min_count=args.min_count, **VARIANTS[name])
            config = train_skipgram(run)
            seconds = time.perf_counter() - start
            model = Path(run.out)
            vocab = (model / "vocab.txt").read_text(encoding="utf-8").split("\n")[:-1]
            words, vectors = read_word_vectors(model / "vectors.txt")
            curve = [{logged[k]: v for k, v in json.loads(line)["wordsim"].items()}
                     for line in (model / "log.jsonl").read_text().splitlines()]
            rows[name] = {"scores": score(words, vectors, counts, sets, args.min_count),
                          "epoch_kept": config["result"]["best_epoch"], "seconds": round(seconds, 1),
                          "curve": curve, "vocab": len(vocab)}
        if "awe default" in rows:  # the epoch the held-out loss would have kept
            log = [json.loads(line) for line in (Path(tmp) / "awe_default" / "log.jsonl").read_text().splitlines()]
            pick = min(log, key=lambda e: (e["valid_loss"], e["epoch"]))
            rows["awe --select valid-loss"] = {
                "scores": {n: {"rho": pick["wordsim"][k], "pairs": rows["awe default"]["scores"][n]["pairs"]}
                           for k, n in logged.items()}, "epoch_kept": pick["epoch"], "seconds": None}
        words, vectors, seconds = gensim_vectors(train, epochs, args.seed)
        rows["gensim skipgram"] = {"scores": score(words, vectors, counts, sets, args.min_count),
                                   "epoch_kept": epochs, "seconds": round(seconds, 1)}
    tokens = sum(len(u) for u in train)
    print(f"| space ({tokens:,} train tokens, {len(counts):,} types, {epochs} epochs, min-count "
          f"{args.min_count}) | " + " | ".join(f"{n}" for n in SETS) + " | epoch kept | seconds |")
    print("|---|" + "---|" * (len(SETS) + 2))
    for name, row in rows.items():
        cells = [f"{row['scores'][n]['rho']:.3f} ({row['scores'][n]['pairs']})" for n in SETS]
        print(f"| {name} | " + " | ".join(cells) + f" | {row['epoch_kept']} | {row['seconds']} |")
    ref = rows["gensim skipgram"]["scores"]
    ratio = {n: rows["awe default"]["scores"][n]["rho"] / ref[n]["rho"] for n in SETS
             if "awe default" in rows and ref[n]["rho"]}
    print("awe default / gensim: " + ", ".join(f"{n} {r:.2f}x" for n, r in ratio.items()))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"preset": args.preset, "running_words": args.running_words,
                                    "train_tokens": tokens, "types": len(counts), "epochs": epochs,
                                    "min_count": args.min_count, "rows": rows,
                                    "ratio_to_gensim": ratio}, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
