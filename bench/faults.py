"""Benchmark: faults of an HPC node (issue 15).

1. ``kill -9`` of one worker of ``awe featurize --nj 2``, ``awe embed --nj 2`` and
   ``awe synth --nj 2`` while they work: seconds from the kill to the tool's exit (goal
   < 5 s), exit status and the error line.
2. ``awe train-phonetic`` SIGKILLed mid-run (after epoch 2 of 4) and continued with
   ``--resume``, against an uninterrupted run with the same seed (CPU): best epoch, final
   validation AP, and whether every parameter is bit-identical.

Prints markdown tables; writes bench/results/faults.json.

    .venv/bin/python -P bench/faults.py    # -P: bench/ssl.py must not shadow the ssl module
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from awetools.corpus.fsdd import prepare_fsdd
from awetools.io.datadir import DataDir, read_kaldi_table
from awetools.io.tables import open_writer
from awetools.models.awe import ModelConfig, build_model
from awetools.models.modeldir import CONFIG, WEIGHTS, format_header, save_weights, write_json

ROOT = Path(__file__).resolve().parents[1]
AWE = [sys.executable, "-m", "awetools"]
ENV = {**os.environ, "AWE_NO_PROGRESS": "1", "OMP_NUM_THREADS": "1"}
TEXT = "".join(f"{s}\n\n" for s in (
    "Nobody expected the quiet river to rise so quickly after the storm!",
    "Could the old bridge survive another winter of heavy snow and ice?",
    "Farmers planted wheat and barley in the fields near the small town.",
    "The committee met in March, and it approved three new rules."))


def workers_of(pid: int) -> list[int]:
    """Children of ``pid`` that are pool workers (not multiprocessing's resource tracker)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    pids = [int(p) for p in path.read_text().split()] if path.exists() else []
    return [p for p in pids if b"resource_tracker" not in Path(f"/proc/{p}/cmdline").read_bytes()]


def kill_a_worker(name: str, command: list[str], busy, warmup: float) -> dict:
    """Run ``command``; once ``busy()`` and ``warmup`` seconds passed, SIGKILL one worker."""
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV)
    start = time.monotonic()
    workers: list[int] = []
    while proc.poll() is None and time.monotonic() - start < 300:
        if time.monotonic() - start > warmup and busy():
            workers = workers_of(proc.pid)
            if len(workers) >= 2:
                break
        time.sleep(0.01)
    if proc.poll() is not None or not workers:
        raise SystemExit(f"{name}: finished before a worker could be killed")
    os.kill(workers[0], signal.SIGKILL)
    killed = time.monotonic()
    _, stderr = proc.communicate(timeout=600)
    seconds = time.monotonic() - killed
    line = stderr.decode().strip().splitlines()[-1]
    print(f"  {name}: exit {proc.returncode} {seconds:.2f} s after the kill", file=sys.stderr)
    return {"tool": name, "seconds_to_exit": round(seconds, 3), "exit_status": proc.returncode,
            "ran_before_kill_s": round(killed - start, 2), "error": line}


def featurize_case(root: Path) -> dict:
    fsdd = root / "fsdd"
    prepare_fsdd(ROOT / "tests/data/fsdd", fsdd)
    wav_scp = read_kaldi_table(fsdd / "wav.scp")
    entries = {f"{u.split('-', 1)[0]}{r:02d}-{u.split('-', 1)[1]}": (p, f"{u.split('-', 1)[0]}{r:02d}")
               for r in range(40) for u, p in wav_scp.items()}
    data = root / "many"
    data.mkdir()
    DataDir(path=data, wav_scp={k: v[0] for k, v in entries.items()},
            utt2spk={k: v[1] for k, v in entries.items()}).save()
    out = root / "feats"
    out.mkdir()
    return kill_a_worker(
        "featurize", [*AWE, "featurize", "--nj", "2", "--sample-rate", "8000", str(data),
                      f"ark,scp:{out}/f.ark,{out}/f.scp"],
        lambda: any(p.stat().st_size > 0 for p in out.glob(".f.ark.*")), 0.0)


def embed_case(root: Path) -> dict:
    model = root / "model"
    model.mkdir()
    config = ModelConfig(feat_dim=39, hidden=64, layers=2, embed_dim=32)
    torch.manual_seed(0)
    save_weights(model / WEIGHTS, build_model(config.to_dict()).state_dict())
    write_json(model / CONFIG, {**format_header(), "model": config.to_dict()})
    rng = np.random.default_rng(0)
    with open_writer(f"ark:{root}/x.ark") as writer:
        for i in range(40_000):
            writer.write(f"seg{i:06d}", rng.normal(size=(60, 39)).astype(np.float32))
    out = root / "emb"
    out.mkdir()
    return kill_a_worker("embed", [*AWE, "embed", "--nj", "2", str(model), f"ark:{root}/x.ark",
                                   f"ark:{out}/e.ark"],
                         lambda: any(p.stat().st_size > 0 for p in out.glob(".e.ark.*")), 0.0)


def synth_case(root: Path) -> dict:
    (root / "en.txt").write_text(TEXT, encoding="utf-8")
    return kill_a_worker("synth", [*AWE, "synth", "--nj", "2", "--languages", "de,es,fr",
                                   "--num-words", "400", "--text", str(root / "en.txt"),
                                   str(root / "corpus")],
                         lambda: bool(list(root.glob(".corpus.*/de/*/wav/*/*.wav"))), 0.0)


def resume_case(root: Path) -> dict:
    fsdd, words = root / "fsdd", root / "words"
    feats = f"ark,scp:{root}/w.ark,{root}/w.scp"
    for args in (["segment", "--ctm", fsdd / "words.ctm", fsdd, words],
                 ["featurize", "--sample-rate", "8000", words, feats]):
        subprocess.run([*AWE, *map(str, args)], check=True, env=ENV, capture_output=True)
    data = f"{words}=scp:{root}/w.scp"
    base = [*AWE, "train-phonetic", "--train", data, "--valid", data, "--epochs", "4",
            "--layers", "1", "--hidden", "64", "--embed-dim", "16", "--num-threads", "1",
            "--seed", "3"]
    subprocess.run([*base, str(root / "whole")], check=True, env=ENV, capture_output=True)
    proc = subprocess.Popen([*base, str(root / "cut")], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=ENV)
    log = root / "cut.partial" / "log.jsonl"
    while proc.poll() is None and not (log.exists() and len(log.read_text().splitlines()) >= 2):
        time.sleep(0.005)
    proc.kill()
    proc.wait()
    subprocess.run([*base, "--resume", str(root / "cut")], check=True, env=ENV, capture_output=True)
    result = {}
    for name in ("whole", "cut"):
        config = json.loads((root / name / "config.json").read_text())
        lines = [json.loads(x) for x in (root / name / "log.jsonl").read_text().splitlines()]
        result[name] = {"best_epoch": config["result"]["best_epoch"],
                        "final_valid_ap": lines[-1]["valid_ap"],
                        "best_valid_ap": max(x["valid_ap"] for x in lines)}
    a, b = (torch.load(root / n / "model.pt", weights_only=True) for n in ("whole", "cut"))
    result["identical_parameters"] = a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    result["max_abs_difference"] = max(float((a[k].float() - b[k].float()).abs().max()) for k in a)
    return result


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        kills = []
        for case in (featurize_case, embed_case, synth_case):
            work = root / case.__name__
            work.mkdir()
            kills.append(case(work))
        resume = resume_case(root / "featurize_case")
    print("\n| tool (--nj 2) | seconds from kill -9 of a worker to exit | exit status | error |")
    print("|---|---:|---:|---|")
    for k in kills:
        print(f"| awe {k['tool']} | {k['seconds_to_exit']:.2f} | {k['exit_status']} | {k['error']} |")
    print("\n| train-phonetic, 4 epochs, seed 3 | best epoch | final valid AP | best valid AP |")
    print("|---|---:|---:|---:|")
    for name, label in (("whole", "uninterrupted"), ("cut", "SIGKILL after epoch 2, --resume")):
        r = resume[name]
        print(f"| {label} | {r['best_epoch']} | {r['final_valid_ap']:.4f} | {r['best_valid_ap']:.4f} |")
    print(f"\nparameters identical: {resume['identical_parameters']} "
          f"(max |difference| {resume['max_abs_difference']:.3g})")
    out = ROOT / "bench/results/faults.json"
    out.write_text(json.dumps({"cpus": os.cpu_count(), "worker_kills": kills, "resume": resume},
                              indent=2) + "\n")


if __name__ == "__main__":
    main()
