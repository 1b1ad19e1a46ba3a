"""Benchmark: `awe eval samediff` (exact AP over all pairs, streamed) against the common reference.

Data: N random 128-d vectors (standard normal, float32) with Zipf-distributed word labels
(N/10 types, p(k) ~ 1/k).  Reference, as same-different scripts usually do it: scipy
``pdist`` (condensed float64 distances) + a same-word mask over all pairs +
``sklearn.metrics.average_precision_score`` (one argsort over all pairs).  Only where it
fits in memory (10k and 20k): at 100k ``pdist`` alone would hold 5e9 float64 (40 GB).
Every measurement runs in its own process (wall and CPU seconds of the evaluation, peak
resident memory of the whole process).  At the smallest N the streamed AP is also checked
against sklearn on the *same* float32 distances (they must agree to rounding).

Also the DTW baseline: 2,000 real FSDD word segments (39-d MFCC + deltas, per-speaker
CMVN, from `awe segment` and `awe featurize`), all pairs, cosine frames, on --nj threads.

Prints a markdown table; writes bench/results/samediff.json.

    .venv/bin/python bench/samediff.py                     # 10k, 20k, 100k + DTW 2,000
    .venv/bin/python bench/samediff.py --sizes 10000 --dtw-segments 500   # quick
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DIM = 128
REFERENCE_MAX_N = 20_000
AWE = [sys.executable, "-m", "awetools"]
ENV = {**os.environ, "AWE_NO_PROGRESS": "1"}


def synthetic(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random vectors and Zipf word labels (N/10 types, p(k) ~ 1/k)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, DIM), dtype=np.float32)
    types = max(2, n // 10)
    p = 1.0 / np.arange(1, types + 1)
    return x, rng.choice(types, size=n, p=p / p.sum())


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # KiB on Linux


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn()
    return value, time.perf_counter() - wall, time.process_time() - cpu


def reference_ap(x: np.ndarray, labels: np.ndarray) -> float:
    """pdist + same-word mask over all pairs + sklearn average_precision_score."""
    from scipy.spatial.distance import pdist
    from sklearn.metrics import average_precision_score
    n = len(labels)
    distances = pdist(x, "cosine")
    same = np.empty(distances.size, dtype=bool)
    at = 0
    for i in range(n - 1):
        same[at:at + n - i - 1] = labels[i + 1:] == labels[i]
        at += n - i - 1
    return float(average_precision_score(same, -distances))


def exact_check(x: np.ndarray, labels: np.ndarray, ours: float) -> float:
    """|AP - sklearn AP| on the same float32 distances (the library's own kernel, row by row)."""
    from sklearn.metrics import average_precision_score
    from awetools.metrics.pairdist import VectorPairs, _tile
    pairs = VectorPairs(x)
    n = len(labels)
    distances = np.empty(n * (n - 1) // 2, dtype=np.float32)
    same = np.empty(distances.size, dtype=bool)
    at = 0
    for i in range(n - 1):
        _tile(pairs.x, pairs.xt, i, i + 1, n, False, distances[at:at + n - i - 1])
        same[at:at + n - i - 1] = labels[i + 1:] == labels[i]
        at += n - i - 1
    return abs(ours - float(average_precision_score(same, -distances.astype(np.float64))))


def child(method: str, n: int, nj: int) -> dict:
    """One measurement (run in a fresh process)."""
    x, labels = synthetic(n)
    base = peak_gb()
    if method == "reference":
        ap, wall, cpu = timed(lambda: reference_ap(x, labels))
        extra = {}
    else:
        from awetools.metrics.samediff import samediff_vectors
        samediff_vectors(x[:50], (np.arange(50) % 5).astype(str), nj=nj)  # load compiled kernels
        result, wall, cpu = timed(lambda: samediff_vectors(x, labels.astype(str), nj=nj))
        ap = result["ap"]
        extra = {"positives": result["positives"], "pairs": result["pairs"]}
    peak = peak_gb()  # before the exactness check, which stores all pairs
    if method == "ours+exact":
        extra["abs_diff_vs_sklearn_same_float32"] = exact_check(x, labels, ap)
    return {"method": method.split("+")[0], "n": n, "ap": ap, "wall_s": wall, "cpu_s": cpu,
            "peak_rss_gb": peak, "rss_before_gb": base, **extra}


def run_child(method: str, n: int, nj: int) -> dict:
    cmd = [sys.executable, __file__, "--child", method, "--n", str(n), "--nj", str(nj)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        return {"method": method.split("+")[0], "n": n, "error": proc.stderr.strip().splitlines()[-1:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def dtw_inputs(fsdd: Path, work: Path, segments: int) -> tuple[list[str], int]:
    """FSDD word segments -> features; a seeded subset of ``segments`` keys with its text and
    utt2spk.  Returns the evaluation arguments and the number of segments."""
    from awetools.corpus.fsdd import prepare_fsdd
    from awetools.io.datadir import read_kaldi_table, write_kaldi_table
    prepare_fsdd(fsdd, work / "data")
    for argv in (["segment", "--ctm", work / "data/words.ctm", work / "data", work / "words"],
                 ["featurize", "--sample-rate", "8000", work / "words",
                  f"ark,scp:{work}/feats.ark,{work}/feats.scp"]):
        subprocess.run([*AWE, *map(str, argv)], check=True, env=ENV, capture_output=True)
    scp = read_kaldi_table(work / "feats.scp", check_sorted=False)
    keys = np.random.default_rng(0).choice(sorted(scp), size=min(segments, len(scp)), replace=False)
    for name in ("text", "utt2spk"):
        table = read_kaldi_table(work / "words" / name)
        write_kaldi_table(work / f"subset.{name}", {k: table[k] for k in keys})
    write_kaldi_table(work / "subset.scp", {k: scp[k] for k in keys})
    return ["--labels", f"{work}/subset.text", "--utt2spk", f"{work}/subset.utt2spk",
            f"scp:{work}/subset.scp"], len(keys)


def dtw_bench(fsdd: Path, segments: int, nj: int) -> dict:
    """Time `awe eval samediff --dtw` on FSDD segments (features made first, untimed)."""
    from awetools.io.tables import read_matrices
    with tempfile.TemporaryDirectory(prefix="awe-bench-samediff-") as tmp:
        warm, _ = dtw_inputs(fsdd, Path(tmp) / "warm", 60)
        subprocess.run([*AWE, "eval", "samediff", "--dtw", *warm], env=ENV, capture_output=True)
        inputs, n = dtw_inputs(fsdd, Path(tmp) / "run", segments)
        cmd = [*AWE, "eval", "samediff", "--dtw", "--nj", str(nj), "--json", f"{tmp}/dtw.json", *inputs]
        start = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        proc = subprocess.run(cmd, env=ENV, capture_output=True, text=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        if proc.returncode != 0:
            return {"segments": n, "error": proc.stderr.strip().splitlines()[-1:]}
        result = json.loads(Path(f"{tmp}/dtw.json").read_text())
        lengths = [len(m) for m in read_matrices(inputs[-1])[1]]
    return {"segments": n, "pairs": result["pairs"], "command_wall_s": wall, "command_cpu_s": cpu,
            "eval_seconds": result["seconds"], "ap": result["ap"], "swdp_ap": result["swdp_ap"],
            "frames_mean": float(np.mean(lengths)), "frames_max": int(np.max(lengths)),
            "command": " ".join(cmd[2:]), "summary": proc.stdout.strip()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 20_000, 100_000])
    parser.add_argument("--nj", type=int, default=2)
    parser.add_argument("--dtw-segments", type=int, default=2000)
    parser.add_argument("--fsdd", default=str(ROOT.parent / "shared/data/fsdd/recordings"))
    parser.add_argument("--out", default=str(ROOT / "bench/results/samediff.json"))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.n, args.nj)))
        return

    rows = []
    loads = [os.getloadavg()[0]]
    for i, n in enumerate(args.sizes):
        methods = ["ours+exact" if i == 0 else "ours"]
        if n <= REFERENCE_MAX_N:
            methods.append("reference")
        for method in methods:
            print(f"  N={n} {method} ...", file=sys.stderr, flush=True)
            rows.append(run_child(method, n, args.nj))
            loads.append(os.getloadavg()[0])
            print(f"    {rows[-1]}", file=sys.stderr, flush=True)
    dtw = None
    if args.dtw_segments:
        print(f"  DTW {args.dtw_segments} FSDD segments ...", file=sys.stderr, flush=True)
        dtw = dtw_bench(Path(args.fsdd), args.dtw_segments, args.nj)
        loads.append(os.getloadavg()[0])

    print(f"same-different AP over all pairs, random {DIM}-d vectors, Zipf labels (N/10 types); "
          f"{args.nj} threads; cpus {os.cpu_count()}; load average (1 min) during runs "
          f"{min(loads):.1f}-{max(loads):.1f}\n")
    print("| N | pairs | method | wall (s) | CPU (s) | peak RSS (GB) | AP | speed-up (wall) |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|")
    for n in args.sizes:
        ours = next((r for r in rows if r["n"] == n and r["method"] == "ours"), None)
        ref = next((r for r in rows if r["n"] == n and r["method"] == "reference"), None)
        for r in (ours, ref):
            if r is None:
                continue
            if "error" in r:
                print(f"| {n:,} | | {r['method']} | failed: {r['error']} | | | | |")
                continue
            speed = (f"{ref['wall_s'] / ours['wall_s']:.1f}x" if r is ours and ref and "error" not in ref
                     else "")
            print(f"| {n:,} | {n * (n - 1) // 2:,} | {'awe eval samediff (streamed)' if r is ours else 'pdist + sklearn AP'} "
                  f"| {r['wall_s']:.1f} | {r['cpu_s']:.1f} | {r['peak_rss_gb']:.2f} | {r['ap']:.6f} | {speed} |")
        if ref is None:
            print(f"| {n:,} | {n * (n - 1) // 2:,} | pdist + sklearn AP | not run: pdist alone needs "
                  f"{n * (n - 1) // 2 * 8 / 1e9:.0f} GB | | | | |")
    exact = next((r for r in rows if "abs_diff_vs_sklearn_same_float32" in r), None)
    if exact:
        print(f"\nExactness at N={exact['n']:,}: |AP - sklearn AP on the same float32 distances| = "
              f"{exact['abs_diff_vs_sklearn_same_float32']:.2e}")
    if dtw:
        if "error" in dtw:
            print(f"\nDTW: failed: {dtw['error']}")
        else:
            print(f"\nDTW baseline, {dtw['segments']:,} FSDD segments ({dtw['pairs']:,} pairs, "
                  f"{dtw['frames_mean']:.0f} frames on average, max {dtw['frames_max']}), {args.nj} threads: "
                  f"{dtw['eval_seconds']:.1f} s evaluation ({dtw['command_wall_s']:.1f} s wall, "
                  f"{dtw['command_cpu_s']:.1f} s CPU for the whole command); "
                  f"{dtw['summary']}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({
        "benchmark": "same-different AP over all pairs", "dim": DIM, "labels": "Zipf, N/10 types",
        "threads": args.nj, "cpus": os.cpu_count(),
        "load_average_1min": {"min": min(loads), "max": max(loads)},
        "reference": "scipy pdist (cosine, float64) + same-word mask + sklearn average_precision_score",
        "results": rows, "dtw": dtw}, indent=2) + "\n")


if __name__ == "__main__":
    main()
