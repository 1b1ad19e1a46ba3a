"""Benchmark: `awe featurize` real-time factor (seconds of compute per second of audio).

Two inputs, both real speech from the Free Spoken Digit Dataset (FSDD):
- fsdd: the 3,000 FSDD recordings as they are (8 kHz, ~0.44 s each, ~22 min), one word
  segment per file;
- long: the same recordings resampled to 16 kHz and concatenated per speaker, with
  0.1 s pauses, into recordings of about one minute, with a CTM of the digit times (so
  frames are computed over long recordings and cut into many segments, as for corpora of
  running speech).
Each is segmented with `awe segment --ctm` and featurized (39-d MFCC, per-speaker CMVN,
ark,scp output) with `awe featurize --nj 1` and `--nj 2`, run as a subprocess; the time
is the command's wall clock, start-up included; CPU seconds (user + sys of the command and
its workers) are reported too, and CPU seconds less those of `awe --version` (the
start-up: interpreter and imports).  RTF = seconds / audio seconds; "total" pools both
inputs (>= 30 min of audio).  The --nj 1 and --nj 2 archives are checked to be identical.
Prints a markdown table; writes bench/results/featurize.json.

    .venv/bin/python bench/featurize.py
    .venv/bin/python bench/featurize.py --fsdd tests/data/fsdd    # quick (180 files)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile
from scipy.signal import resample_poly

from awetools.corpus.fsdd import DIGITS, prepare_fsdd
from awetools.io.datadir import DataDir, c_sorted, read_kaldi_table

ROOT = Path(__file__).resolve().parents[1]
PAUSE_S = 0.1


def awe(*args: str | Path, stderr=subprocess.DEVNULL) -> tuple[float, float]:
    """Run ``awe ARGS``; (wall seconds, CPU seconds of it and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "awetools", *map(str, args)], check=True,
                   stdout=subprocess.DEVNULL, stderr=stderr)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def audio_seconds(data: Path) -> float:
    return sum(soundfile.info(p).duration for p in read_kaldi_table(data / "wav.scp").values())


def long_recordings(fsdd: Path, out: Path, minutes: float = 1.0, rate: int = 16000) -> Path:
    """Per-speaker concatenations of FSDD files at ``rate`` Hz, ~``minutes`` long, + CTM."""
    wavs_dir = out / "wavs"
    wavs_dir.mkdir(parents=True)
    by_speaker: dict[str, list[Path]] = {}
    for wav in sorted(fsdd.glob("*.wav")):
        digit, speaker, index = wav.stem.split("_")
        by_speaker.setdefault(speaker, []).append(wav)
    data = DataDir(path=out / "data")
    ctm: list[str] = []
    pause = np.zeros(int(PAUSE_S * rate), dtype=np.float32)
    for speaker, files in sorted(by_speaker.items()):
        pieces: list[np.ndarray] = []
        words: list[tuple[float, float, str]] = []
        length = 0

        def flush() -> None:
            nonlocal pieces, words, length
            utt = f"{speaker}-long{len(data.wav_scp):03d}"
            path = wavs_dir / f"{utt}.wav"
            soundfile.write(path, np.concatenate(pieces), rate, subtype="PCM_16")
            data.wav_scp[utt], data.utt2spk[utt] = str(path), speaker
            data.text[utt] = " ".join(w for _, _, w in words)
            ctm.extend(f"{utt} 1 {s:.3f} {d:.3f} {w}" for s, d, w in words)
            pieces, words, length = [], [], 0

        for wav in files:
            samples, file_rate = soundfile.read(wav, dtype="float32")
            g = np.gcd(file_rate, rate)
            samples = resample_poly(samples, rate // g, file_rate // g).astype(np.float32)
            words.append((length / rate, len(samples) / rate, DIGITS[int(wav.name[0])]))
            pieces += [samples, pause]
            length += len(samples) + len(pause)
            if length >= minutes * 60 * rate:
                flush()
        if pieces:
            flush()
    data.save()
    (out / "data" / "words.ctm").write_text("\n".join(c_sorted(ctm)) + "\n")
    return out / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fsdd", default="/work/shared/data/fsdd/recordings",
                        help="directory of FSDD wavs ({digit}_{speaker}_{index}.wav)")
    parser.add_argument("--nj", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--tmp", default=None, help="directory for the files (default: a temp dir)")
    parser.add_argument("--out", default=str(ROOT / "bench/results/featurize.json"))
    args = parser.parse_args()
    fsdd = Path(args.fsdd)

    startup, startup_cpu = awe("--version")  # interpreter + imports, paid by every command
    tmp = Path(tempfile.mkdtemp(prefix="awe-bench-featurize-", dir=args.tmp))
    rows = []
    try:
        inputs = {}
        prepare_fsdd(fsdd, tmp / "fsdd")
        inputs["fsdd"] = (tmp / "fsdd", 8000)
        inputs["long"] = (long_recordings(fsdd, tmp / "long"), 16000)
        for name, (data, rate) in inputs.items():
            awe("segment", "--ctm", data / "words.ctm", data, tmp / f"{name}_words")
            seconds = audio_seconds(data)
            segments = len(read_kaldi_table(tmp / f"{name}_words" / "segments"))
            recordings = len(read_kaldi_table(data / "wav.scp"))
            arks = []
            for nj in args.nj:
                ark, scp = tmp / f"{name}_nj{nj}.ark", tmp / f"{name}_nj{nj}.scp"
                load = os.getloadavg()[0]
                wall, cpu = awe("featurize", "--nj", nj, "--sample-rate", rate,
                                tmp / f"{name}_words", f"ark,scp:{ark},{scp}")
                arks.append(ark)
                rows.append({"input": name, "nj": nj, "recordings": recordings,
                             "segments": segments, "sample_rate": rate,
                             "audio_s": round(seconds, 2), "wall_s": round(wall, 3),
                             "cpu_s": round(cpu, 3), "rtf": wall / seconds,
                             "cpu_rtf": cpu / seconds,
                             "compute_rtf": (cpu - startup_cpu) / seconds, "load_before": load})
                print(f"{name} nj={nj}: {seconds:.0f} s audio, {wall:.2f} s wall, "
                      f"{cpu:.2f} s CPU", file=sys.stderr, flush=True)
            first = arks[0].read_bytes()
            assert all(a.read_bytes() == first for a in arks[1:]), "--nj changes the output"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    for nj in args.nj:
        chosen = [r for r in rows if r["nj"] == nj]
        audio, wall, cpu = (sum(r[k] for r in chosen) for k in ("audio_s", "wall_s", "cpu_s"))
        rows.append({"input": "total", "nj": nj, "recordings": sum(r["recordings"] for r in chosen),
                     "segments": sum(r["segments"] for r in chosen), "sample_rate": None,
                     "audio_s": round(audio, 2), "wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
                     "rtf": wall / audio, "cpu_rtf": cpu / audio,
                     "compute_rtf": (cpu - len(chosen) * startup_cpu) / audio,
                     "load_before": None})

    print("| input | --nj | recordings | segments | audio (min) | wall (s) | CPU (s) "
          "| RTF (wall) | RTF (CPU) | RTF (CPU - start-up) | load before |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        load = "" if r["load_before"] is None else f"{r['load_before']:.1f}"
        print(f"| {r['input']} | {r['nj']} | {r['recordings']:,} | {r['segments']:,} | "
              f"{r['audio_s'] / 60:.1f} | {r['wall_s']:.2f} | {r['cpu_s']:.2f} | "
              f"{r['rtf']:.4f} | {r['cpu_rtf']:.4f} | {r['compute_rtf']:.4f} | {load} |")
    print(f"\n`awe --version` (start-up alone): {startup:.2f} s wall, {startup_cpu:.2f} s CPU; "
          f"load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")

    report = {
        "benchmark": "featurize",
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "features": "39-d MFCC (13 + deltas + delta-deltas), per-speaker CMVN, ark,scp output",
        "fsdd": str(fsdd), "results": rows, "startup_s": round(startup, 3),
        "startup_cpu_s": round(startup_cpu, 3),
        "load_after": os.getloadavg()[0],
        "environment": {"python": platform.python_version(), "machine": platform.machine(),
                        "cpus": os.cpu_count()},
        "note": "wall time of the `awe featurize` subprocess, start-up included; one run each",
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
