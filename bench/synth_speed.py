"""Benchmark: `awe synth` speed in words per second per core (eSpeak NG in-process).

Part 1 runs the real job function (`awetools.corpus.speak.run_job`: word-by-word eSpeak
synthesis, spectral tilt, resampling to 16 kHz, layout, wav writing) in this one process,
for isolated frequent words of each language and for English running speech (sentences
from --text).  It reports words per CPU-second of this process (what one core sustains)
and per wall-second, from the best of --repeat runs: other processes on a shared machine
slow down even the CPU time (shared cores and caches).

Part 2 (unless --no-preset) times the whole command `awe synth --preset small` with
--nj 1 and --nj 2 as a subprocess (start-up included; CPU = user + sys of the command and
its workers) and checks that both corpora are identical.

Prints a markdown table; writes bench/results/synth_speed.json.

    .venv/bin/python bench/synth_speed.py
    .venv/bin/python bench/synth_speed.py --words 200 --no-preset     # quick
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from awetools.corpus.presets import DEFAULT_LANGUAGES, CorpusConfig
from awetools.corpus.plan import plan_isolated, plan_running
from awetools.corpus.speak import run_job
from awetools.corpus.text import read_sentences

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("AWE_SHARED_DATA", ROOT.parent / "shared" / "data"))


def timed_jobs(jobs, repeat: int) -> dict:
    """Run jobs in this process; words, wall and CPU seconds (best run), audio hours."""
    words = sum(job.words for job in jobs)
    runs = []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        samples = sum(u.samples for job in jobs for u in run_job(job))
        runs.append((time.process_time() - cpu, time.perf_counter() - wall))
    cpu, wall = min(runs)
    return {"words": words, "repeats": repeat, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
            "words_per_cpu_s": round(words / cpu, 1), "words_per_wall_s": round(words / wall, 1),
            "audio_h": round(samples / 16000 / 3600, 4)}


def in_process(languages: list[str], words: int, texts: list[Path], root: Path, repeat: int) -> dict:
    rows = {}
    one = {"train": 1, "dev": 1, "test": 1}
    for language in languages:  # one speaker per split: 3 x words tokens
        config = CorpusConfig(languages=(language,), num_words=words, isolated_speakers=one)
        rows[f"{language} (isolated)"] = timed_jobs(plan_isolated(language, config, root), repeat)
    config = CorpusConfig(target="en", texts=tuple(texts), running_words=3 * words,
                          running_speakers={"train": 2, "dev": 1, "test": 1})
    jobs = plan_running("en", read_sentences(texts), config, root)
    rows["en (running)"] = timed_jobs(jobs, repeat)
    total_words = sum(r["words"] for r in rows.values())
    total_cpu = sum(r["cpu_s"] for r in rows.values())
    total_wall = sum(r["wall_s"] for r in rows.values())
    rows["total"] = {"words": total_words, "wall_s": round(total_wall, 3), "cpu_s": round(total_cpu, 3),
                     "words_per_cpu_s": round(total_words / total_cpu, 1),
                     "words_per_wall_s": round(total_words / total_wall, 1),
                     "audio_h": round(sum(r["audio_h"] for r in rows.values()), 4)}
    return rows


def command(out: Path, nj: int) -> dict:
    """Time `awe synth --preset small --nj NJ OUT` as a subprocess."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "awetools", "synth", "--preset", "small", "--nj", str(nj),
                    str(out)], check=True, stderr=subprocess.DEVNULL,
                   env={**os.environ, "AWE_NO_PROGRESS": "1", "AWE_SHARED_DATA": str(SHARED)})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    manifest = json.loads((out / "manifest.json").read_text())
    words = sum(d["tokens"] for d in manifest["data_dirs"])
    return {"nj": nj, "words": words, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
            "words_per_wall_s": round(words / wall, 1)}


def same_corpus(a: Path, b: Path) -> bool:
    for path in a.rglob("*"):
        if path.is_file() and path.name not in ("wav.scp", "manifest.json"):
            if not filecmp.cmp(path, b / path.relative_to(a), shallow=False):
                return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=500, help="word types per language (x 3 speakers)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per material; the best counts")
    parser.add_argument("--languages", default=",".join(DEFAULT_LANGUAGES))
    parser.add_argument("--text", type=Path, nargs="+", default=sorted((SHARED / "text" / "en").glob("*.txt")))
    parser.add_argument("--no-preset", action="store_true", help="skip timing `awe synth --preset small`")
    args = parser.parse_args()
    os.environ.setdefault("AWE_NO_PROGRESS", "1")
    result = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "load_avg_start": os.getloadavg()}}
    with tempfile.TemporaryDirectory(prefix="awe-bench-synth-") as tmp:
        result["in_process"] = in_process(args.languages.split(","), args.words, args.text,
                                          Path(tmp) / "jobs", args.repeat)
        if not args.no_preset:
            runs = [command(Path(tmp) / f"small{nj}", nj) for nj in (1, 2)]
            result["small_preset"] = runs
            result["small_preset_identical_for_nj_1_2"] = same_corpus(Path(tmp) / "small1", Path(tmp) / "small2")
    result["machine"]["load_avg_end"] = os.getloadavg()

    print("| material | words | CPU s | wall s | words/s/core (CPU) | words/s (wall) | audio h |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, row in result["in_process"].items():
        print(f"| {name} | {row['words']} | {row['cpu_s']:.1f} | {row['wall_s']:.1f} | "
              f"{row['words_per_cpu_s']:.0f} | {row['words_per_wall_s']:.0f} | {row['audio_h']:.3f} |")
    if "small_preset" in result:
        print("\n| `awe synth --preset small` | words | wall s | CPU s | words/s (wall) |")
        print("|---|---:|---:|---:|---:|")
        for row in result["small_preset"]:
            print(f"| --nj {row['nj']} | {row['words']} | {row['wall_s']:.1f} | {row['cpu_s']:.1f} | "
                  f"{row['words_per_wall_s']:.0f} |")
        print(f"\nidentical corpora for --nj 1 and 2: {result['small_preset_identical_for_nj_1_2']}")
    print(f"load average (1, 5, 15 min) at start {result['machine']['load_avg_start']}, "
          f"end {result['machine']['load_avg_end']} on {os.cpu_count()} CPUs")
    out = ROOT / "bench" / "results" / "synth_speed.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
