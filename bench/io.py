"""Benchmark: writing and reading N x D float32 vectors as HDF5 and as a Kaldi ark + scp.

Goes through the library calls every tool uses (``awetools.io.tables``): ``write_vectors``
(one ``[N, D]`` block), a writer fed one key at a time (how a streaming tool writes),
``read_vectors`` (all vectors, with the non-empty/finite/unique-key checks),
sequential iteration, and ``RandomAccessTable`` look-ups of random keys (time to open
the table and build its index counted separately).  Reads follow the writes, so files
come from the page cache: the figures are CPU cost, not disk speed.  Every read is
checked against the data written.  Prints a markdown table; writes bench/results/io.json.

    .venv/bin/python bench/io.py                       # 1,000,000 x 128, 10,000 look-ups
    .venv/bin/python bench/io.py --n 100000            # quick
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import h5py
import kaldiio
import numpy as np

from awetools.io.tables import RandomAccessTable, open_reader, open_writer, read_vectors, write_vectors

ROOT = Path(__file__).resolve().parents[1]


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def write_one_by_one(wspecifier: str, keys: list[str], vectors: np.ndarray) -> None:
    with open_writer(wspecifier) as writer:
        for key, vector in zip(keys, vectors):
            writer.write(key, vector)


def iterate(rspecifier: str) -> int:
    return sum(1 for _ in open_reader(rspecifier))


def look_up(rspecifier: str, keys: list[str]) -> tuple[RandomAccessTable, float, np.ndarray, float]:
    table, t_open = timed(lambda: RandomAccessTable(rspecifier))
    rows, t_get = timed(lambda: np.stack([table[k] for k in keys]))
    return table, t_open, rows, t_get


def bench_format(name: str, wspec: str, rspecs: dict[str, str], keys: list[str],
                 vectors: np.ndarray, probe: np.ndarray, files: list[Path]) -> list[dict]:
    n = len(keys)
    rows = []

    def row(operation: str, seconds: float, count: int) -> None:
        rows.append({"format": name, "operation": operation, "seconds": round(seconds, 3),
                     "items_per_s": round(count / seconds) if seconds > 0 else None})
        print(f"  {name:8s} {operation:38s} {seconds:8.2f} s", file=sys.stderr, flush=True)

    _, t = timed(lambda: write_one_by_one(wspec, keys, vectors))
    row("write, one key at a time", t, n)
    _, t = timed(lambda: write_vectors(wspec, keys, vectors))
    row("write_vectors ([N, D] block)", t, n)
    size = sum(p.stat().st_size for p in files)
    for label, rspec in rspecs.items():
        (got_keys, got), t = timed(lambda: read_vectors(rspec))
        assert got_keys == keys and np.array_equal(got, vectors), rspec
        del got
        row(f"read_vectors ({label})", t, n)
        count, t = timed(lambda: iterate(rspec))
        assert count == n
        row(f"iterate open_reader ({label})", t, n)
    random_rspec = rspecs.get("scp", next(iter(rspecs.values())))
    chosen = [keys[i] for i in probe]
    _, t_open, got, t_get = look_up(random_rspec, chosen)
    assert np.array_equal(got, vectors[probe])
    row("RandomAccessTable open", t_open, n)
    row(f"{len(probe):,} random look-ups", t_get, len(probe))
    for r in rows:
        r["bytes"] = size
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--lookups", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tmp", default=None, help="directory for the files (default: a temp dir)")
    parser.add_argument("--out", default=str(ROOT / "bench/results/io.json"))
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    vectors = rng.standard_normal((args.n, args.dim), dtype=np.float32)
    keys = [f"spk{i % 1000:04d}-utt{i:07d}-0000" for i in range(args.n)]
    probe = rng.choice(args.n, size=min(args.lookups, args.n), replace=False)

    tmp = Path(tempfile.mkdtemp(prefix="awe-bench-io-", dir=args.tmp))
    try:
        h5 = tmp / "v.h5"
        ark, scp = tmp / "v.ark", tmp / "v.scp"
        results = bench_format("hdf5", f"h5:{h5}", {"h5": f"h5:{h5}"}, keys, vectors, probe,
                               [h5])
        results += bench_format("ark+scp", f"ark,scp:{ark},{scp}",
                                {"ark": f"ark:{ark}", "scp": f"scp:{scp}"}, keys, vectors,
                                probe, [ark, scp])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"\n{args.n:,} x {args.dim} float32 vectors ({vectors.nbytes / 2**20:.0f} MiB), "
          f"{len(probe):,} random look-ups\n")
    print("| format | operation | seconds | items/s | file size (MiB) |")
    print("|---|---|---:|---:|---:|")
    for r in results:
        print(f"| {r['format']} | {r['operation']} | {r['seconds']:.2f} | "
              f"{r['items_per_s']:,} | {r['bytes'] / 2**20:.0f} |")

    report = {
        "benchmark": "io",
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "n": args.n, "dim": args.dim, "lookups": len(probe), "seed": args.seed,
        "results": results,
        "environment": {"python": platform.python_version(), "h5py": h5py.__version__,
                        "hdf5": h5py.version.hdf5_version, "kaldiio": kaldiio.__version__,
                        "numpy": np.__version__, "machine": platform.machine(),
                        "cpus": os.cpu_count()},
        "note": "reads follow writes (warm page cache); single run each",
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
