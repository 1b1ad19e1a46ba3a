"""Benchmark: does a model trained on the built-in synthetic corpus alone work on real speech?

A multilingual phonetic model (ContrastiveRNN, the default recipe's conf/phonetic.conf)
is trained on the isolated words of the corpus's non-English languages, once per
*variant* of the training data (no augmentation, each `awe augment` perturbation, all
of them, another corpus such as one with a second synthesis engine), and scored on real
speech it never heard: FSDD's two held-out speakers (theo, yweweler; 1,000 tokens of 10
English digits, 8 kHz microphone recordings resampled to 16 kHz), by same-different AP
and SWDP-AP beside DTW and downsampling on the same tokens and features, each vector
table also normalised per test speaker (``awe normalise --speaker-mvn``) and less its mean
over the scored tokens (``awe normalise --subtract-mean``, no speakers needed).  The
validation set (best epoch) is the corpus's clean dev split of the same languages: no
real speech and no English is seen before the test.

Prints a markdown table; writes bench/results/fsdd_transfer.json (one row per variant,
with the augmentation arguments, token counts, training time and the model's own
validation AP).

    .venv/bin/python bench/fsdd_transfer.py --corpus recipes/default/data/small/corpus \\
        --variant none= --variant speed='--speed 0.9,1.1' --variant all='--perturb all'
    .venv/bin/python bench/fsdd_transfer.py --corpus recipes/default/data/small/corpus \\
        --variant specaugment='|--spec-augment'
    .venv/bin/python bench/fsdd_transfer.py --corpus CORPUS_WITH_FESTIVAL --variant festival= \\
        --json bench/results/fsdd_transfer_festival.json
    .venv/bin/python bench/fsdd_transfer.py --corpus recipes/default/data/small/corpus \\
        --feature-options '--high-freq 3800' --work /tmp/narrowband --variant none=
    .venv/bin/python bench/fsdd_transfer.py --corpus recipes/default/data/small/corpus --epochs 6 \\
        --variant none= --variant noise='--perturb noise --keep-clean|--max-tokens-per-type 16'
    .venv/bin/python bench/fsdd_transfer.py --corpus recipes/default/data/small/corpus \\
        --ensemble noise3=W0/noise/model,W1/noise/model,W2/noise/model   # runs' --work dirs

``--feature-options`` changes the features of every set, baselines included (use a
separate ``--work``: features are cached there).  ``--speakers`` scores other FSDD
speakers instead of the two test ones: FSDD's other four (george, jackson, lucas,
nicolas; 2,000 tokens) are real speech that no zero-shot model heard either, a
development set on which to choose between settings before reading the test speakers
(again a separate ``--work``), e.g. for models already trained:

    .venv/bin/python bench/fsdd_transfer.py --corpus C150 --work /tmp/fsdd_dev \
        --speakers george,jackson,lucas,nicolas --ensemble a=W0/a/model --ensemble b=W0/b/model
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

from awetools.corpus.fsdd import prepare_fsdd
from awetools.io.datadir import read_kaldi_table

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "recipes" / "default"
ENV = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
       "AWE_NO_PROGRESS": "1"}
FSDD_TEST_SPEAKERS = ["theo", "yweweler"]


def awe(*argv) -> str:
    """Run ``awe ARGV``; exit with its stderr on failure; returns stdout."""
    command = ["awe", *map(str, argv)]
    result = subprocess.run(command, env=ENV, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"bench/fsdd_transfer.py: failed: {shlex.join(command)}\n{result.stderr}")
    return result.stdout


def words_and_features(utterances: Path, work: Path, nj: int, feature_options: list[str],
                       resample: bool = False) -> tuple[Path, str]:
    """Word segments of an utterance data dir with a CTM, and their MFCCs (recipe conf plus
    ``feature_options``)."""
    words = work / "words"
    if not (work / "feats.scp").exists():
        awe("segment", "--overwrite", "--ctm", utterances / "words.ctm", utterances, words)
        awe("featurize", "--config", RECIPE / "conf/mfcc.conf", *feature_options,
            *(["--resample"] if resample else []),
            "--nj", nj, words, f"ark,scp:{work}/feats.ark,{work}/feats.scp")
    return words, f"scp:{work}/feats.scp"


def samediff(words: Path, table: str, out: Path, *extra) -> dict:
    awe("eval", "samediff", "--labels", words / "text", "--utt2spk", words / "utt2spk",
        "--json", out, *extra, table)
    return json.loads(out.read_text())


def embed_and_score(words: Path, table: str, out: Path, *source) -> dict[str, dict]:
    """Same-different scores of ``awe embed SOURCE`` on the test tokens: as embedded
    (key ``""``), normalised per speaker (``"spkmvn"``: ``awe normalise --speaker-mvn``,
    each test speaker's vectors to zero mean and unit variance, as per-speaker CMVN does
    for frames) and less the mean over all tokens (``"centred"``: ``--subtract-mean``)."""
    vectors = f"h5:{out}.h5"
    awe("embed", *source, table, vectors)
    awe("normalise", "--speaker-mvn", words / "utt2spk", vectors, f"h5:{out}_spkmvn.h5")
    awe("normalise", "--subtract-mean", vectors, f"h5:{out}_centred.h5")
    return {kind: samediff(words, f"h5:{out}{suffix}.h5", Path(f"{out}{suffix}.json"))
            for kind, suffix in (("", ""), ("spkmvn", "_spkmvn"), ("centred", "_centred"))}


def score_fields(scores: dict[str, dict]) -> dict[str, float]:
    """``fsdd_ap``, ``fsdd_swdp_ap``, ``fsdd_spkmvn_ap``, ... of :func:`embed_and_score`'s scores."""
    return {f"fsdd_{kind}{'_' if kind else ''}{metric}": round(scores[kind][metric], 4)
            for kind in scores for metric in ("ap", "swdp_ap")}


def languages(corpus: Path, target: str) -> list[str]:
    return sorted(p.parent.parent.name for p in corpus.glob("*/train/words.ctm")
                  if p.parent.parent.name != target)


def train_variant(name: str, augment_args: list[str], train_extra: list[str], corpus: Path,
                  work: Path, valid: str, epochs: int, nj: int, seed: int,
                  feature_options: list[str]) -> dict:
    """Augment (when asked), featurize and train one variant's model; returns its record."""
    train_args, tokens = [], 0
    for lang in languages(corpus, "en"):
        source = corpus / lang / "train"
        if augment_args:
            source = work / lang / "augmented"
            if not (source / "words.ctm").exists():
                awe("augment", "--seed", seed, "--nj", nj, *augment_args, corpus / lang / "train", source)
        words, table = words_and_features(source, work / lang, nj, feature_options)
        tokens += len(read_kaldi_table(words / "utt2spk"))
        train_args += ["--train", f"{words}={table}"]
    model = work / "model"
    if not (model / "config.json").exists():  # a finished variant is reused
        awe("train-phonetic", "--config", RECIPE / "conf/phonetic.conf", "--epochs", epochs,
            "--seed", seed, "--overwrite", *train_extra, *train_args, "--valid", valid, model)
    config = json.loads((model / "config.json").read_text())
    return {"variant": name, "augment": shlex.join(augment_args),
            "train_options": shlex.join(train_extra), "train_tokens": tokens,
            "train_seconds": round(sum(json.loads(line).get("time_s", 0)  # the run's own log: a reused model too
                                       for line in (model / "log.jsonl").read_text().splitlines()), 1),
            "epochs": config["training"]["epochs"], "best_epoch": config["result"]["best_epoch"],
            "valid_ap": round(config["result"]["best_valid_ap"], 4), "model": str(model)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True, help="awe synth output dir")
    parser.add_argument("--variant", action="append", default=[],
                        metavar="NAME=AUGMENT_ARGS[|TRAIN_ARGS]",
                        help="a variant: awe augment arguments ('' = none), optionally '|' and "
                             "extra awe train-phonetic options (e.g. --spec-augment)")
    parser.add_argument("--ensemble", action="append", default=[], metavar="NAME=MODEL,MODEL,...",
                        help="score the ensemble of trained models (awe embed with several model "
                             "dirs), e.g. one variant's models of three --seed runs")
    parser.add_argument("--fsdd", type=Path, default=Path(os.environ.get(
        "AWE_SHARED_DATA", ROOT.parent / "shared" / "data")) / "fsdd" / "recordings")
    parser.add_argument("--work", type=Path, default=ROOT / "bench/results/fsdd_transfer_work")
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--nj", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=ROOT / "bench/results/fsdd_transfer.json")
    parser.add_argument("--speakers", default=",".join(FSDD_TEST_SPEAKERS),
                        help="FSDD speakers to score, comma-separated (default: the two test speakers)")
    parser.add_argument("--feature-options", default="",
                        help="extra awe featurize options for every set, e.g. '--high-freq 3800'")
    args = parser.parse_args()
    if not args.variant and not args.ensemble:
        parser.error("give at least one --variant or --ensemble")
    feature_options = shlex.split(args.feature_options)
    speakers = args.speakers.split(",")

    fsdd = args.work / "fsdd"
    if not (fsdd / "test" / "words.ctm").exists():
        prepare_fsdd(args.fsdd, fsdd / "test", speakers=speakers, overwrite=True)
    scored = sorted(set(read_kaldi_table(fsdd / "test" / "utt2spk").values()))
    if scored != sorted(speakers):  # a typo, or a --work cached for other speakers
        sys.exit(f"bench/fsdd_transfer.py: {fsdd}/test holds FSDD speakers {','.join(scored)}, "
                 f"not {','.join(sorted(speakers))} (check --speakers, or give another --work)")
    test_words, test_table = words_and_features(fsdd / "test", fsdd, args.nj, feature_options, resample=True)
    baselines = {f"downsample{'_' if kind else ''}{kind}": scores for kind, scores in embed_and_score(
        test_words, test_table, fsdd / "downsample", "--downsample", 10).items()}
    baselines["dtw"] = samediff(test_words, test_table, fsdd / "dtw.json", "--dtw", "--nj", args.nj)

    dev = []
    for lang in languages(args.corpus, "en"):
        words, table = words_and_features(args.corpus / lang / "dev", args.work / "dev" / lang, args.nj,
                                          feature_options)
        dev.append((words, table))
    valid_words = args.work / "dev" / "multi_words"
    subprocess.run(["bash", ROOT / "bin/combine_data.sh", valid_words, *[w for w, _ in dev]],
                   check=True, env=ENV, capture_output=True)
    scp = args.work / "dev" / "multi.scp"
    scp.write_text("".join(sorted(line for _, table in dev
                                  for line in Path(table[4:]).read_text().splitlines(keepends=True))))
    valid = f"{valid_words}=scp:{scp}"

    rows = []
    for spec in args.variant:
        name, _, augment = spec.partition("=")
        augment, _, train_extra = augment.partition("|")
        record = train_variant(name, shlex.split(augment), shlex.split(train_extra), args.corpus,
                               args.work / name, valid, args.epochs, args.nj, args.seed, feature_options)
        record.update(score_fields(embed_and_score(test_words, test_table, args.work / name / "fsdd",
                                                   record["model"])))
        rows.append(record)
        print(f"{name}: FSDD AP {record['fsdd_ap']:.3f} (valid AP {record['valid_ap']:.3f})", file=sys.stderr)
    for spec in args.ensemble:
        name, _, models = spec.partition("=")
        (args.work / name).mkdir(parents=True, exist_ok=True)
        rows.append({"variant": name, "ensemble": models.split(","), "augment": "", "train_options": "",
                     "train_tokens": None, "epochs": None, "valid_ap": None,
                     **score_fields(embed_and_score(test_words, test_table, args.work / name / "fsdd",
                                                    *models.split(",")))})
        print(f"{name}: FSDD AP {rows[-1]['fsdd_ap']:.3f} (ensemble of {len(models.split(','))})", file=sys.stderr)

    dtw, down = baselines["dtw"], baselines["downsample"]
    down_mvn, down_centred = baselines["downsample_spkmvn"], baselines["downsample_centred"]
    print("| variant | awe augment | train-phonetic | train tokens | epochs | valid AP (synthetic) | "
          "FSDD AP | FSDD SWDP-AP | speaker MVN: AP | SWDP-AP | less the mean: AP | SWDP-AP |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        trained = (f"{r['train_tokens']:,} | {r['epochs']} | {r['valid_ap']:.3f}" if "ensemble" not in r
                   else f"ensemble of {len(r['ensemble'])} | - | -")
        print(f"| {r['variant']} | `{r['augment'] or '-'}` | `{r['train_options'] or '-'}` | "
              f"{trained} | {r['fsdd_ap']:.3f} | "
              f"{r['fsdd_swdp_ap']:.3f} | {r['fsdd_spkmvn_ap']:.3f} | {r['fsdd_spkmvn_swdp_ap']:.3f} | "
              f"{r['fsdd_centred_ap']:.3f} | {r['fsdd_centred_swdp_ap']:.3f} |")
    print(f"| DTW on the same features | | | | | | {dtw['ap']:.3f} | {dtw['swdp_ap']:.3f} | - | - | - | - |")
    print(f"| downsampling (10 frames) | | | | | | {down['ap']:.3f} | {down['swdp_ap']:.3f} | "
          f"{down_mvn['ap']:.3f} | {down_mvn['swdp_ap']:.3f} | {down_centred['ap']:.3f} | "
          f"{down_centred['swdp_ap']:.3f} |")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({
        "corpus": str(args.corpus), "seed": args.seed, "feature_options": args.feature_options,
        "test": {"set": "FSDD", "speakers": speakers, "tokens": dtw["n"]},
        "baselines": {k: {"ap": v["ap"], "swdp_ap": v["swdp_ap"]} for k, v in baselines.items()},
        "variants": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
