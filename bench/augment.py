"""Benchmark: `awe augment` throughput in x real time per core, per perturbation and chain.

Runs the real per-recording job (`awetools.augment.datadir.augment_recording`: read the
wav, perturb, write a 16-bit wav) in this one process over the first --seconds of audio
of a data dir (default: the German training set of the default recipe's small corpus,
16 kHz synthetic isolated words; or --src DIR), once per configuration: each
perturbation alone (probability 1), speed perturbation, and the full chain (every
perturbation, probability 1, plus speed 0.9).  Throughput = seconds of output audio per
CPU-second of this process (what one core sustains); the best of --repeat runs is kept,
since other processes on a shared machine slow even the CPU time.  Simulated rooms are
built on first use and cached (as in a real run); the first, cold pass is timed
separately.

Prints a markdown table; writes bench/results/augment.json.

    .venv/bin/python bench/augment.py
    .venv/bin/python bench/augment.py --seconds 60 --repeat 1     # quick
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import soundfile

from awetools.augment.datadir import Context, Job, _jobs, augment_recording, check_rates
from awetools.augment.options import PERTURBATIONS, AugmentOptions, Step
from awetools.augment.rooms import room_response
from awetools.io.datadir import DataDir

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SRC = ROOT / "recipes/default/data/base_small/corpus/de/train"
TARGET = 50.0  # x real time per core (issue 14)


def pick(jobs: list[Job], seconds: float) -> tuple[list[Job], float]:
    """The first recordings adding up to ``seconds`` of audio, and their total length."""
    chosen, total = [], 0.0
    for job in jobs:
        if total >= seconds:
            break
        chosen.append(job)
        total += soundfile.info(job.entry).duration
    return chosen, total


def configurations() -> dict[str, AugmentOptions]:
    configs = {"speed 0.9": AugmentOptions(speeds=(0.9,))}
    configs.update({name: AugmentOptions(chain=(Step(name),)) for name in PERTURBATIONS})
    configs["full chain (speed 0.9 + all 8)"] = AugmentOptions(
        speeds=(0.9,), chain=tuple(Step(n) for n in PERTURBATIONS))
    return configs


def time_config(jobs: list[Job], sources: list[Job], options: AugmentOptions, rate: int,
                scp: str, repeat: int) -> tuple[float, float]:
    """(best CPU seconds, audio seconds written) over ``repeat`` passes."""
    best, written = float("inf"), 0.0
    with tempfile.TemporaryDirectory() as tmp:
        context = Context(options, rate, scp, jobs[0].key, tmp, tuple(sources))
        for _ in range(repeat):
            start = time.process_time()
            samples = sum(n for job in jobs for _, n in augment_recording(job, context))
            best = min(best, time.process_time() - start)
            written = samples / rate
    return best, written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=DEFAULT_SRC)
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, default=ROOT / "bench/results/augment.json")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    data = DataDir.load(args.src, require=("wav.scp", "utt2spk"))
    scp = str(args.src / "wav.scp")
    rate = check_rates(data.wav_scp, scp)
    every = _jobs(data)
    jobs, seconds = pick(every, args.seconds)
    start = time.process_time()
    for index in range(AugmentOptions().num_rooms):
        room_response(0, index, rate, AugmentOptions().rt60)
    rooms_cpu = time.process_time() - start
    rows = []
    print(f"{len(jobs)} recordings, {seconds:.1f} s of {rate} Hz audio from {args.src}; "
          f"{AugmentOptions().num_rooms} rooms simulated in {rooms_cpu:.2f} CPU s (once per run)\n")
    print("| perturbation | CPU s | audio s | x real time per core | >= 50x |")
    print("|---|---|---|---|---|")
    for name, options in configurations().items():
        cpu, audio = time_config(jobs, every, options, rate, scp, args.repeat)
        speed = audio / cpu
        rows.append({"perturbation": name, "cpu_s": round(cpu, 3), "audio_s": round(audio, 2),
                     "x_real_time_per_core": round(speed, 1), "meets_target": speed >= TARGET})
        print(f"| {name} | {cpu:.2f} | {audio:.1f} | {speed:.0f} | {'yes' if speed >= TARGET else 'no'} |")
    result = {"source": str(args.src), "recordings": len(jobs), "input_seconds": round(seconds, 2),
              "sample_rate": rate, "repeat": args.repeat, "target_x_real_time": TARGET,
              "rooms": AugmentOptions().num_rooms, "rooms_cpu_s": round(rooms_cpu, 3),
              "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
              "results": rows}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
