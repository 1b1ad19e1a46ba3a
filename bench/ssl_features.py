"""Benchmark: `awe featurize --type ssl` speed (frames per second) and memory on CPU.

Models are randomly initialised from a config and saved as Hugging Face checkpoints:
- tiny: the test model (2 layers, hidden 32, 16 CNN channels; ~30k parameters);
- base: the wav2vec2-base configuration (CNN 7 x 512, 12 layers, hidden 768; ~94M
  parameters; speed is the same as with trained weights).
Audio is real speech: the FSDD test recordings resampled to 16 kHz and concatenated
(78 s), tiled for longer inputs.

Measured through the library (`SslFeatures`, what `awe featurize --type ssl` runs):
- long: frames per second over one long recording (default chunking: 20 s + 2 s context),
  last layer (all blocks run) and a middle layer (blocks above it are skipped);
- short: FSDD words (~0.45 s each) one forward per recording vs batched by length
  (`extract_many`, 60 s of audio per forward);
- memory: peak RSS while featurizing one recording of 10 minutes with chunking, in a
  fresh process (Linux: the high-water mark is reset after the model is loaded), and, for
  comparison, shorter recordings without chunking (unchunked 10 min
  is out of reach on this machine: conv outputs alone take ~8 GB and attention grows with
  the square of the length).  Memory runs use layer 1 (the CNN and one block) so they finish in
  minutes; blocks run one after another, so activations do not grow with depth.
Prints a markdown table; writes bench/results/ssl.json.

    .venv/bin/python bench/ssl_features.py                 # ~5 min on 2 cores
    .venv/bin/python bench/ssl_features.py --quick         # smaller inputs, ~1 min
"""

from __future__ import annotations

import sys  # noqa: I001 (must come first: see below)

# Run as a script, this file's directory leads sys.path and this file would shadow the
# standard library's `ssl` module (imported by asyncio, hence by torch): drop it.
if sys.path and sys.path[0] == __import__("os").path.dirname(__file__):
    sys.path.pop(0)

import argparse
import json
import os
import platform
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile
import torch

ROOT = Path(__file__).resolve().parents[1]
RATE = 16000
TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
            conv_dim=(16,) * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2)


def speech(fsdd: Path) -> list[np.ndarray]:
    """The FSDD recordings at 16 kHz, in file order."""
    from awetools.io.audio import resample

    out = []
    for wav in sorted(fsdd.glob("*.wav")):
        samples, rate = soundfile.read(wav, dtype="float32")
        out.append(resample(samples, rate, RATE))
    return out


def recording(words: list[np.ndarray], seconds: float) -> np.ndarray:
    whole = np.concatenate(words)
    return np.tile(whole, int(np.ceil(seconds * RATE / len(whole))))[:int(seconds * RATE)]


def save_models(root: Path) -> dict[str, Path]:
    import transformers

    transformers.utils.logging.disable_progress_bar()
    torch.manual_seed(0)
    out = {"tiny": root / "tiny", "base": root / "base"}
    transformers.Wav2Vec2Model(transformers.Wav2Vec2Config(**TINY)).save_pretrained(out["tiny"])
    transformers.Wav2Vec2Model(transformers.Wav2Vec2Config()).save_pretrained(out["base"])
    return out


def extractor(model: Path, layer: int, chunk_seconds: float = 20.0):
    from awetools.features.ssl import SslConfig, SslFeatures

    return SslFeatures(SslConfig(model=str(model), layers=(layer, layer), device="cpu",
                                 chunk_seconds=chunk_seconds))


def timed(function) -> tuple[float, object]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def status_mib(field: str) -> float:
    """A memory figure of this process from /proc/self/status (VmRSS, VmHWM), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def memory_child(model: str, seconds: float, chunk_seconds: float, fsdd: str) -> None:
    """Run in a fresh process: featurize one recording; print RSS after loading the model,
    the peak RSS while featurizing (the high-water mark is reset after loading, whose own
    peak would hide it) and the peak of the whole process."""
    torch.set_num_threads(int(os.environ.get("AWE_BENCH_THREADS", "1")))
    audio = recording(speech(Path(fsdd)), seconds)
    ssl = extractor(Path(model), layer=1, chunk_seconds=chunk_seconds)
    ssl(audio[:RATE])  # load the model and warm up
    process_peak = status_mib("VmHWM")
    loaded = status_mib("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    wall, frames = timed(lambda: ssl(audio))
    print(json.dumps({"frames": len(frames), "wall_s": wall, "rss_loaded_mib": loaded,
                      "peak_rss_mib": status_mib("VmHWM"),
                      "load_peak_rss_mib": process_peak}))


def memory_run(model: Path, seconds: float, chunk_seconds: float, fsdd: Path,
               limit_s: float) -> dict:
    command = [sys.executable, __file__, "--memory-child", str(model), str(seconds),
               str(chunk_seconds), "--fsdd", str(fsdd)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=limit_s)
    except subprocess.TimeoutExpired:
        return {"error": f"over {limit_s:.0f} s"}
    if result.returncode != 0:
        return {"error": (result.stderr.strip().splitlines() or ["failed"])[-1][:200]}
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure(models: dict[str, Path], words: list[np.ndarray], fsdd: Path,
            quick: bool) -> tuple[list[dict], list[dict]]:
    """Speed rows and memory rows (see the module doc)."""
    rows: list[dict] = []
    long_seconds = {"tiny": 20.0 if quick else 78.0, "base": 10.0 if quick else 30.0}
    for name, layers in (("tiny", (2, 1)), ("base", (12, 6))):
        audio = recording(words, long_seconds[name])
        for layer in layers:
            ssl = extractor(models[name], layer)
            ssl(audio[:RATE])  # load + warm-up
            # the tiny model is quick: best of 2 runs (the first meets new tensor shapes)
            wall, frames = min((timed(lambda: ssl(audio)) for _ in range(2 if name == "tiny" else 1)),
                               key=lambda run: run[0])
            rows.append({"model": name, "input": "long", "layer": layer, "mode": "chunked 20+2 s",
                         "audio_s": len(audio) / RATE, "frames": len(frames), "wall_s": wall,
                         "frames_per_s": len(frames) / wall, "rtf": wall / (len(audio) / RATE)})
            print(f"{name} long layer {layer}: {len(frames)} frames in {wall:.2f} s",
                  file=sys.stderr, flush=True)
    count = {"tiny": 60 if quick else 180, "base": 10 if quick else 30}
    for name, layer in (("tiny", 2), ("base", 12)):
        batch = words[:count[name]]
        ssl = extractor(models[name], layer)
        ssl(batch[0])
        audio_s = sum(len(w) for w in batch) / RATE
        for mode, run in (("one by one", lambda: [ssl(w) for w in batch]),
                          ("batched", lambda: list(ssl.extract_many(batch)))):
            wall, frames = timed(run)
            n = sum(len(f) for f in frames)
            rows.append({"model": name, "input": f"{len(batch)} words", "layer": layer,
                         "mode": mode, "audio_s": audio_s, "frames": n, "wall_s": wall,
                         "frames_per_s": n / wall, "rtf": wall / audio_s})
            print(f"{name} words {mode}: {n} frames in {wall:.2f} s", file=sys.stderr, flush=True)

    memory = []
    plan = [(600.0, 20.0)] + [(s, 0.0) for s in ((20.0, 60.0) if quick else (20.0, 60.0, 120.0))]
    for seconds, chunk in plan:
        result = memory_run(models["base"], seconds, chunk, fsdd, limit_s=400)
        memory.append({"model": "base", "layer": 1, "audio_s": seconds,
                       "chunking": f"{chunk:g} s + 2 s" if chunk else "none", **result})
        print(f"memory {seconds:.0f} s chunk {chunk}: {result}", file=sys.stderr, flush=True)

    return rows, memory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fsdd", default=str(ROOT / "tests/data/fsdd"))
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads (1: stable figures on a shared machine)")
    parser.add_argument("--quick", action="store_true", help="smaller inputs")
    parser.add_argument("--memory-child", nargs=3, metavar=("MODEL", "SECONDS", "CHUNK"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--out", default=str(ROOT / "bench/results/ssl.json"))
    args = parser.parse_args()
    if args.memory_child:
        model, seconds, chunk = args.memory_child
        memory_child(model, float(seconds), float(chunk), args.fsdd)
        return
    torch.set_num_threads(args.threads)
    os.environ["AWE_BENCH_THREADS"] = str(args.threads)
    fsdd = Path(args.fsdd)
    words = speech(fsdd)
    tmp = Path(tempfile.mkdtemp(prefix="awe-bench-ssl-"))
    try:
        load = os.getloadavg()[0]
        rows, memory = measure(save_models(tmp), words, fsdd, args.quick)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"CPU, {args.threads} torch threads, load average {load:.1f} before the run\n")
    print("| model | input | layer | mode | audio (s) | frames | wall (s) | frames/s | RTF |")
    print("|---|---|---:|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['model']} | {r['input']} | {r['layer']} | {r['mode']} | {r['audio_s']:.1f} | "
              f"{r['frames']:,} | {r['wall_s']:.2f} | {r['frames_per_s']:,.0f} | {r['rtf']:.3f} |")
    print("\n| model (layer 1) | audio | chunking | RSS after loading (MiB) "
          "| peak RSS featurizing (MiB) | growth (MiB) | wall (s) |")
    print("|---|---:|---|---:|---:|---:|---:|")
    for m in memory:
        if "error" in m:
            print(f"| base | {m['audio_s']:.0f} s | {m['chunking']} | {m['error']} | | | |")
        else:
            print(f"| base | {m['audio_s']:.0f} s | {m['chunking']} | {m['rss_loaded_mib']:,.0f} | "
                  f"{m['peak_rss_mib']:,.0f} | {m['peak_rss_mib'] - m['rss_loaded_mib']:,.0f} | "
                  f"{m['wall_s']:.1f} |")

    report = {
        "benchmark": "ssl", "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "models": {"tiny": TINY, "base": "transformers.Wav2Vec2Config() defaults (wav2vec2-base)"},
        "speed": rows, "memory": memory, "threads": args.threads, "load_before": load,
        "environment": {"python": platform.python_version(), "torch": torch.__version__,
                        "machine": platform.machine(), "cpus": os.cpu_count()},
        "note": "random weights; wall clock of one run each on a shared machine",
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
