"""Benchmark of awetools.align on 20,000 x 300 vectors: adversarial epoch, refinement, CSLS eval.

Each phase runs in a fresh process so that its peak resident memory (ru_maxrss) is its
own.  Vectors are synthetic: a clustered, anisotropic source space and a rotated, noisy
copy as target (rows in the same "frequency" order).  The adversarial epoch is timed at
``--epoch-size`` samples; the time for MUSE's 1,000,000-sample epoch is extrapolated from
the measured time per iteration and marked as such.

    .venv/bin/python -m bench.align [--n 20000] [--dim 300] [--epoch-size 6400] [--threads 2]

Prints a markdown table and writes bench/results/align.json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import platform
import resource
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def make_spaces(n: int, dim: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(200, dim)) * 2
    x = centres[rng.integers(0, 200, n)] + rng.normal(size=(n, dim)) * np.linspace(1.5, 0.2, dim)
    q, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
    y = x @ q.T + 0.1 * rng.normal(size=(n, dim))
    return x.astype(np.float32), y.astype(np.float32)


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _phase(name: str, args: dict, queue) -> None:
    import torch

    from awetools.align.adversarial import AdversarialOptions, train_adversarial
    from awetools.align.csls import Similarity
    from awetools.align.dictionary import criterion, induce
    from awetools.align.normalize import normalize
    from awetools.align.procrustes import apply_map, fit_map, identity

    torch.set_num_threads(args["threads"])
    x, y = make_spaces(args["n"], args["dim"])
    x, _ = normalize(x, "renorm,center,renorm")
    y, _ = normalize(y, "renorm,center,renorm")
    base = _rss_mib()
    out: dict = {}
    if name == "adversarial":
        records: list[dict] = []
        options = AdversarialOptions(epochs=1, epoch_size=args["epoch_size"], dis_hidden=args["dis_hidden"])

        def crit(w):
            return criterion(apply_map(x, w), y)

        train_adversarial(x, y, options, 0, crit, on_epoch=records.append)
        rec = records[0]
        out = {"epoch_size": options.epoch_size, "iterations": rec["iterations"],
               "train_seconds": rec["train_seconds"], "criterion_seconds": rec["criterion_seconds"],
               "seconds_per_iteration": rec["train_seconds"] / rec["iterations"],
               "default_epoch_seconds_extrapolated": rec["train_seconds"] / rec["iterations"]
               * (AdversarialOptions().epoch_size // 32) + rec["criterion_seconds"],
               "muse_epoch_seconds_extrapolated": rec["train_seconds"] / rec["iterations"] * (1_000_000 // 32)
               + rec["criterion_seconds"]}
    elif name == "refinement":
        w = identity(args["dim"], args["dim"])
        start = time.perf_counter()
        dico = induce(apply_map(x, w), y, "mutual", "csls", 10, 15000)
        induced = time.perf_counter()
        w = fit_map(x[dico.src], y[dico.tgt])
        fitted = time.perf_counter()
        value, _ = criterion(apply_map(x, w), y)
        done = time.perf_counter()
        out = {"dictionary": len(dico), "induce_seconds": induced - start, "procrustes_seconds": fitted - induced,
               "criterion_seconds": done - fitted, "seconds": done - start, "criterion": value}
    elif name == "csls_eval":
        start = time.perf_counter()
        sim = Similarity(x, y, k=10)
        sim.neighbourhoods()
        neigh = time.perf_counter()
        _, best = sim.topk(10, "csls")
        csls = time.perf_counter()
        _, nn = sim.topk(10, "nn")
        done = time.perf_counter()
        out = {"queries": len(x), "keys": len(y), "block_rows": sim.block,
               "neighbourhood_seconds": neigh - start, "csls_top10_seconds": csls - neigh,
               "csls_total_seconds": csls - start, "nn_top10_seconds": done - csls,
               "csls_p@1_identity_pairs": float(np.mean(best[:, 0] == np.arange(len(x))))}
    out["baseline_rss_mib"] = base
    out["peak_rss_mib"] = _rss_mib()
    queue.put(out)


def run_phase(name: str, args: dict) -> dict:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_phase, args=(name, args, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--dim", type=int, default=300)
    parser.add_argument("--epoch-size", type=int, default=6400)
    parser.add_argument("--dis-hidden", type=int, default=2048)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--phases", default="adversarial,refinement,csls_eval")
    args = vars(parser.parse_args())
    results = {"config": args, "machine": {"python": platform.python_version(),
                                           "processor": platform.processor(),
                                           "cpus": multiprocessing.cpu_count()}}
    for name in args["phases"].split(","):
        results[name] = run_phase(name, args)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "align.json").write_text(json.dumps(results, indent=2) + "\n")
    n, d = args["n"], args["dim"]
    print(f"| phase ({n} x {d}, {args['threads']} threads) | seconds | peak RSS MiB |")
    print("|---|---:|---:|")
    if "adversarial" in results:
        a = results["adversarial"]
        print(f"| adversarial epoch, {a['epoch_size']} samples ({a['iterations']} iterations, "
              f"hidden {args['dis_hidden']}) | {a['train_seconds']:.1f} | {a['peak_rss_mib']:.0f} |")
        print(f"| per iteration (5 discriminator steps + 1 map step, batch 32) | "
              f"{a['seconds_per_iteration']:.4f} | |")
        print(f"| criterion after the epoch (mutual CSLS, top {min(n, 10000)} words per side) | "
              f"{a['criterion_seconds']:.1f} | |")
        print(f"| awe align default epoch, 100,000 samples (extrapolated) | "
              f"{a['default_epoch_seconds_extrapolated']:.0f} | |")
        print(f"| MUSE epoch of 1,000,000 samples (extrapolated) | {a['muse_epoch_seconds_extrapolated']:.0f} | |")
    if "refinement" in results:
        r = results["refinement"]
        print(f"| refinement: induce (mutual CSLS, top {min(n, 15000)} words per side) | "
              f"{r['induce_seconds']:.1f} | |")
        print(f"| refinement: Procrustes on {r['dictionary']} pairs | {r['procrustes_seconds']:.2f} | |")
        print(f"| refinement: criterion | {r['criterion_seconds']:.1f} | |")
        print(f"| refinement total | {r['seconds']:.1f} | {r['peak_rss_mib']:.0f} |")
    if "csls_eval" in results:
        c = results["csls_eval"]
        print(f"| CSLS top-10, {c['queries']} x {c['keys']} (blocks of {c['block_rows']} rows) | "
              f"{c['csls_total_seconds']:.1f} | {c['peak_rss_mib']:.0f} |")
        print(f"| NN top-10, {c['queries']} x {c['keys']} | {c['nn_top10_seconds']:.1f} | |")
    print(f"\nbaseline RSS with the vectors loaded: "
          f"{min(results[p]['baseline_rss_mib'] for p in args['phases'].split(',')):.0f} MiB; "
          f"one {n} x {n} float64 matrix would be {n * n * 8 / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
