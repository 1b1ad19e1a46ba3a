"""Benchmark: `awe featurize` through bin/run_local.sh at 1 vs 2 jobs (and more with --jobs).

Data: the full Free Spoken Digit Dataset (3,000 recordings, 6 speakers, 8 kHz), prepared
as a data dir and cut into word segments once.  For each job count N the word data dir
is split by speaker with bin/split_data.sh (untimed: it is reused across repeats), then
`bin/run_local.sh JOB=1:N ... awe featurize --sample-rate 8000 split/JOB ...` is timed
end to end (process start-up included, as a recipe sees it); the median of --repeats
runs is reported, with the CPU time of all jobs together, and the fixed cost of one job
(`awe featurize` on a single segment: interpreter start-up and imports).  Each run's
outputs are checked to cover every segment exactly once.  The machine's load average is
recorded: other work on the machine skews wall times.
Prints a markdown table; writes bench/results/runner.json.

    .venv/bin/python bench/runner.py                         # 1 and 2 jobs, 3 repeats
    .venv/bin/python bench/runner.py --jobs 1 2 3 --repeats 1
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from awetools.corpus.fsdd import prepare_fsdd
from awetools.io.datadir import read_kaldi_table

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / "bin"
ENV = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
       "AWE_NO_PROGRESS": "1"}


def run(argv: list, cwd: Path) -> None:
    result = subprocess.run([str(a) for a in argv], cwd=cwd, env=ENV, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"bench/runner.py: failed: {' '.join(map(str, argv))}\n{result.stderr}")


def cpu_seconds() -> float:
    """User + system CPU time of every finished child process so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def featurize_jobs(words: Path, nj: int, work: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one run_local.sh featurize over NJ speaker splits (outputs checked)."""
    out = work / f"feats{nj}"
    start, cpu = time.perf_counter(), cpu_seconds()
    run([BIN / "run_local.sh", f"JOB=1:{nj}", out / "log/featurize.JOB.log",
         "awe", "featurize", "--sample-rate", "8000", words / f"split{nj}/JOB",
         f"ark,scp:{out}/feats.JOB.ark,{out}/feats.JOB.scp"], work)
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    keys = [k for job in range(1, nj + 1) for k in read_kaldi_table(out / f"feats.{job}.scp", check_sorted=False)]
    if sorted(keys) != sorted(read_kaldi_table(words / "utt2spk")):
        sys.exit(f"bench/runner.py: {nj} jobs did not write every segment exactly once")
    return seconds, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fsdd", default=str(ROOT.parent / "shared/data/fsdd/recordings"))
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "bench/results/runner.json"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="awe-bench-runner-") as tmp:
        work = Path(tmp)
        prepare_fsdd(args.fsdd, work / "data")
        run(["awe", "segment", "--ctm", work / "data/words.ctm", work / "data", work / "words"], work)
        words = work / "words"
        segments = len(read_kaldi_table(words / "utt2spk"))
        for nj in args.jobs:
            run([BIN / "split_data.sh", words, nj], work)
        featurize_jobs(words, args.jobs[0], work)  # warm the page cache and Python's bytecode
        # fixed cost of one job: `awe featurize` on a single segment
        one = work / "one"
        subprocess.run([BIN / "subset_data.sh", words, "-", one], env=ENV, check=True,
                       input=(words / "utt2spk").read_text().splitlines()[0] + "\n", text=True)
        start, cpu = time.perf_counter(), cpu_seconds()
        run(["awe", "featurize", "--sample-rate", "8000", one, f"ark:{work}/one.ark"], work)
        startup = {"wall_s": time.perf_counter() - start, "cpu_s": cpu_seconds() - cpu}
        times: dict[int, list[float]] = {nj: [] for nj in args.jobs}
        cpus: dict[int, list[float]] = {nj: [] for nj in args.jobs}
        loads = []
        for _ in range(args.repeats):  # interleaved, so drifting load hits every N alike
            for nj in args.jobs:
                wall, cpu = featurize_jobs(words, nj, work)
                times[nj].append(wall)
                cpus[nj].append(cpu)
                loads.append(os.getloadavg()[0])

    base = statistics.median(times[args.jobs[0]])
    rows = [{"jobs": nj, "wall_s": statistics.median(times[nj]), "runs_s": times[nj],
             "speedup": base / statistics.median(times[nj]),
             "cpu_s": statistics.median(cpus[nj]), "cpu_runs_s": cpus[nj]} for nj in args.jobs]
    print(f"featurize, {segments} FSDD segments, bin/run_local.sh, median of {args.repeats} "
          f"(cpus: {os.cpu_count()}, load average 1 min during runs: {min(loads):.1f}-{max(loads):.1f})\n")
    print(f"| jobs | wall time (s) | speed-up vs {args.jobs[0]} job(s) | CPU time, all jobs (s) | wall runs (s) |")
    print("|---:|---:|---:|---:|---|")
    for row in rows:
        print(f"| {row['jobs']} | {row['wall_s']:.1f} | {row['speedup']:.2f}x | {row['cpu_s']:.1f} | "
              + ", ".join(f"{t:.1f}" for t in row["runs_s"]) + " |")
    print(f"\none job's fixed cost (awe featurize on 1 segment): {startup['wall_s']:.1f} s wall, "
          f"{startup['cpu_s']:.1f} s CPU")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({
        "benchmark": "featurize through bin/run_local.sh", "corpus": args.fsdd,
        "segments": segments, "repeats": args.repeats, "cpus": os.cpu_count(),
        "load_average_1min": {"min": min(loads), "max": max(loads)},
        "command": "awe featurize --sample-rate 8000 split/JOB ark,scp:feats.JOB.ark,feats.JOB.scp",
        "startup_one_segment": startup, "results": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
