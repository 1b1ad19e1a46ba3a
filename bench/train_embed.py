"""Benchmark: `awe train-phonetic` throughput and time to best validation AP, `awe embed` throughput.

Data: the real Free Spoken Digit Dataset (../shared/data/fsdd, or $AWE_SHARED_DATA/fsdd):
39-d MFCCs with per-speaker CMVN; training = speakers george, jackson, lucas, nicolas,
recordings 0-39 (1,600 tokens); validation = the same speakers, recordings 40-49 (400);
test = the held-out speakers theo and yweweler (1,000).

1. Training throughput per architecture and CPU thread count: segments per wall-clock
   second over the training part of an epoch (validation excluded; best of the timed
   epochs) and segments per CPU-second of this process (all its threads), which stays
   meaningful on a machine shared with other work.
2. A full contrastive run with the default options (1 thread): best epoch, wall time to
   the end of the best epoch, validation AP, and AP / SWDP-AP of the test speakers.
3. `embed` throughput (whole command path: read, embed, write; wall and CPU seconds of
   this process and its workers) with 1 and 2 worker processes, and the downsampling
   baseline.

Prints a markdown table; writes bench/results/train_embed.json.

    .venv/bin/python -m bench.train_embed              # about 10-20 minutes on 2 idle cores
    .venv/bin/python -m bench.train_embed --quick      # throughput only, 2 epochs each
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import time
from pathlib import Path

import torch

from awetools.corpus.fsdd import prepare_fsdd
from awetools.features.featurize import FeaturizeOptions, featurize
from awetools.features.kaldi import KaldiFeatureConfig, KaldiFeatures
from awetools.io.alignments import read_ctm
from awetools.io.datadir import DataDir, read_kaldi_table
from awetools.io.tables import read_vectors
from awetools.models.embed import downsample_table, embed_table
from awetools.segment import SegmentFilters, make_word_segments
from awetools.train.data import Caps, SetSpec
from awetools.train.loop import LoopOptions
from awetools.train.objectives import LossOptions
from awetools.train.phonetic import PhoneticTraining, train_phonetic
from awetools.metrics.samediff import samediff_vectors

ROOT = Path(__file__).resolve().parents[1]
TRAIN_SPEAKERS = ("george", "jackson", "lucas", "nicolas")
ARCHITECTURES = {  # name: (description, model options)
    "default": ("default (GRU 2x256, 128-d)", {"layers": 2, "hidden": 256, "embed_dim": 128}),
    "reference": ("reference ContrastiveRNN (GRU 3x400, 130-d)",
                  {"layers": 3, "hidden": 400, "embed_dim": 130}),
    "multitask": ("conv + GRU 3x512 (multitask encoder)",
                  {"layers": 3, "hidden": 512, "embed_dim": 512, "conv": True}),
}


def prepare(fsdd: Path, work: Path) -> dict[str, str]:
    """FSDD -> word segments -> features -> train/valid/test data dirs with scp files."""
    if not (work / "feats.scp").exists():
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        utts = prepare_fsdd(fsdd / "recordings", work / "utts")
        segments, _ = make_word_segments(DataDir.load(utts.path), read_ctm(work / "utts" / "words.ctm"),
                                         SegmentFilters(), labels=True)
        segments.path = work / "words"
        segments.save()
        featurize(DataDir.load(work / "words"), KaldiFeatures(KaldiFeatureConfig(sample_rate=8000)),
                  f"ark,scp:{work}/feats.ark,{work}/feats.scp",
                  FeaturizeOptions(scp_name=str(work / "words" / "wav.scp")), nj=2)
    words = DataDir.load(work / "words")
    scp = read_kaldi_table(work / "feats.scp")
    index = {k: int(k.split("-")[2]) for k in words.utt2spk}
    choose = {"train": lambda k: words.utt2spk[k] in TRAIN_SPEAKERS and index[k] < 40,
              "valid": lambda k: words.utt2spk[k] in TRAIN_SPEAKERS and index[k] >= 40,
              "test": lambda k: words.utt2spk[k] not in TRAIN_SPEAKERS}
    out = {}
    for name, keep in choose.items():
        keys = [k for k in words.utt2spk if keep(k)]
        sub = DataDir(path=work / name, wav_scp=words.wav_scp)
        for table in ("segments", "text", "utt2spk", "seg2utt", "seg2pos"):
            setattr(sub, table, {k: getattr(words, table)[k] for k in keys})
        sub.save()
        (work / f"{name}.scp").write_text("".join(f"{k} {scp[k]}\n" for k in keys))
        out[name] = str(work / name)
    return out


def run_training(work: Path, model: dict, epochs: int, threads: int, out: Path,
                 patience: int = 6, max_tokens: int | None = None) -> dict:
    run = PhoneticTraining(
        out=out, train=[SetSpec("train", str(work / "train"), f"scp:{work}/train.scp")],
        valid=SetSpec("valid", str(work / "valid"), f"scp:{work}/valid.scp"),
        model={"dropout": 0.0, **model}, loss=LossOptions("contrastive"),
        loop=LoopOptions(epochs=epochs, batch_size=128, patience=patience, lr_patience=3),
        caps=Caps(min_tokens=2, max_tokens=max_tokens), device="cpu", num_threads=threads, overwrite=True)
    train_phonetic(run)
    return json.loads((out / "config.json").read_text())


def history(model_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (model_dir / "log.jsonl").read_text().splitlines()]


def timed(fn) -> tuple[float, float]:
    """Wall and CPU seconds (this process and its reaped children) of ``fn()``."""
    def cpu() -> float:
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    start, cpu_start = time.perf_counter(), cpu()
    fn()
    return time.perf_counter() - start, cpu() - cpu_start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fsdd", default=os.path.join(os.environ.get("AWE_SHARED_DATA", str(ROOT.parent / "shared" / "data")), "fsdd"))
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--throughput-epochs", type=int, default=2)
    parser.add_argument("--throughput-tokens", type=int, default=60,
                        help="tokens per word type in the throughput runs (10 types)")
    parser.add_argument("--epochs", type=int, default=30, help="epochs of the time-to-best run")
    parser.add_argument("--arch", nargs="+", choices=list(ARCHITECTURES), default=list(ARCHITECTURES),
                        help="architectures of the throughput runs")
    parser.add_argument("--quick", action="store_true", help="throughput only")
    parser.add_argument("--out", default=str(ROOT / "bench/results/train_embed.json"))
    args = parser.parse_args()
    os.environ.setdefault("AWE_NO_PROGRESS", "1")
    work = Path(args.out).parent / "train_embed_work"
    prepare(Path(args.fsdd), work)
    results: dict = {"data": "FSDD: train 1600 / valid 400 tokens (4 speakers), test 1000 (2 held-out speakers)",
                     "cpu_count": os.cpu_count(), "load_average_start": os.getloadavg(),
                     "torch": torch.__version__, "training": [], "embed": []}
    rows = ["| what | threads / jobs | segments/s (wall) | segments per CPU-s |", "|---|---|---|---|"]
    for arch in args.arch:
        name, model = ARCHITECTURES[arch]
        for threads in args.threads:
            out = work / "m_throughput"
            run_training(work, model, args.throughput_epochs, threads, out,
                         max_tokens=args.throughput_tokens)
            log = history(out)
            speed = max(h["segments_per_s"] for h in log)
            per_cpu = max(h["segments"] / h["train_cpu_s"] for h in log)
            results["training"].append({"architecture": name, "threads": threads, "segments_per_s": speed,
                                        "segments_per_cpu_s": round(per_cpu, 1), "epochs": log})
            rows.append(f"| train {name} | {threads} | {speed:.0f} | {per_cpu:.0f} |")
            print(rows[-1], flush=True)
    model_dir = work / ("m_quick" if args.quick else "m_default")
    if not args.quick:
        config = run_training(work, ARCHITECTURES["default"][1], args.epochs, 1, model_dir)
        log = history(model_dir)
        best = config["result"]["best_epoch"]
        embed_table(str(model_dir), f"scp:{work}/test.scp", f"ark:{work}/test_emb.ark", device="cpu")
        keys, vectors = read_vectors(f"ark:{work}/test_emb.ark")
        test = DataDir.load(work / "test")
        scores = samediff_vectors(vectors, test.labels(keys), test.speakers(keys))
        results["time_to_best"] = {
            "architecture": "default (GRU 2x256, 128-d), contrastive, batch 128, 1 thread",
            "epochs_run": len(log), "best_epoch": best, "best_valid_ap": config["result"]["best_valid_ap"],
            "seconds_to_best": round(sum(h["time_s"] for h in log[:best]), 1),
            "train_cpu_seconds_to_best": round(sum(h["train_cpu_s"] for h in log[:best]), 1),
            "seconds_total": round(sum(h["time_s"] for h in log), 1), "epochs": log,
            "test_ap": scores["ap"], "test_swdp_ap": scores["swdp_ap"]}
        t = results["time_to_best"]
        rows.append(f"| time to best valid AP ({t['best_valid_ap']:.3f} at epoch {best}/{len(log)}; "
                    f"test AP {t['test_ap']:.3f}, SWDP-AP {t['test_swdp_ap']:.3f}) | 1 | "
                    f"{t['seconds_to_best']:.0f} s | {t['train_cpu_seconds_to_best']:.0f} CPU-s (training only) |")
        print(rows[-1], flush=True)
    else:
        run_training(work, ARCHITECTURES["default"][1], 1, 1, model_dir)
    all_scp = f"scp:{work}/feats.scp"
    torch.set_num_threads(1)
    runs = [("embed, default model, 1 thread", 1, lambda: embed_table(
                str(model_dir), all_scp, f"ark:{work}/emb.ark", device="cpu", nj=1)),
            ("embed, default model, 2 workers (incl. their start-up)", 2, lambda: embed_table(
                str(model_dir), all_scp, f"ark:{work}/emb.ark", device="cpu", nj=2)),
            ("embed --downsample 10", 1, lambda: downsample_table(all_scp, f"ark:{work}/ds.ark", 10))]
    for what, jobs, fn in runs:
        seconds, cpu = timed(fn)
        results["embed"].append({"what": what, "jobs": jobs, "segments": 3000, "seconds": round(seconds, 2),
                                 "cpu_seconds": round(cpu, 2), "segments_per_s": round(3000 / seconds, 1),
                                 "segments_per_cpu_s": round(3000 / cpu, 1)})
        rows.append(f"| {what} | {jobs} | {3000 / seconds:.0f} | {3000 / cpu:.0f} |")
        print(rows[-1], flush=True)
    results["load_average_end"] = os.getloadavg()
    print("\n".join(rows))
    print(f"\nload average at start {results['load_average_start']}, end {results['load_average_end']}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
