"""Benchmark: size of `awe synth` corpora (hours, tokens, types per language) for both presets.

Two modes, combinable:

--corpus DIR ...   summarise corpora already written by `awe synth` (from their
                   manifest.json files): per language, tokens, types, speakers, hours of
                   audio and of speech, over all splits (measured).
--large-slice      estimate the full `large` preset without writing all of it: for every
                   isolated-word language, the large vocabulary spoken by one speaker per
                   split (3 x 2,500 tokens instead of 12 x 2,500); for the target, a
                   --running-words slice with the preset's speakers.  Hours are scaled to
                   the preset's token counts (extrapolated; marked as such).

Prints a markdown table; writes bench/results/synth_corpus.json.

    .venv/bin/python bench/synth_corpus.py --corpus data/synth
    .venv/bin/python bench/synth_corpus.py --large-slice --nj 2
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

from awetools.corpus.presets import PRESETS
from awetools.corpus.synth import build_corpus

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("AWE_SHARED_DATA", ROOT.parent / "shared" / "data"))


def summarise(corpus: Path) -> dict[str, dict]:
    """Per language: kind, utterances, speakers, tokens, types, hours (all splits)."""
    rows: dict[str, dict] = defaultdict(lambda: defaultdict(float))
    types: dict[str, set] = defaultdict(set)
    for manifest_path in sorted(corpus.glob("*/*/manifest.json")):
        m = json.loads(manifest_path.read_text())
        row = rows[m["language"]]
        row["kind"] = m["kind"]
        for key in ("utterances", "speakers", "tokens", "hours", "speech_hours"):
            row[key] += m[key]
        row[f"{m['split']}_tokens"] = m["tokens"]
        lexicon = (manifest_path.parent / "lexicon.txt").read_text(encoding="utf-8").splitlines()
        types[m["language"]].update(line.split(" ", 1)[0] for line in lexicon)
    for language, row in rows.items():
        row["types"] = len(types[language])
    return {k: dict(v) for k, v in rows.items()}


def large_slice(running_words: int, nj: int, root: Path) -> dict[str, dict]:
    """The large preset's vocabulary with 1 speaker per split, and a running slice, scaled up."""
    large = PRESETS["large"]
    texts = tuple(sorted((SHARED / "text" / large.target).glob("*.txt")))
    config = replace(large, isolated_speakers={"train": 1, "dev": 1, "test": 1},
                     running_words=running_words, texts=texts)
    start = time.perf_counter()
    build_corpus(root / "large_slice", config, nj=nj)
    seconds = time.perf_counter() - start
    rows = summarise(root / "large_slice")
    full_isolated = large.num_words * sum(large.isolated_speakers.values())
    for language, row in rows.items():
        full = full_isolated if row["kind"] == "isolated" else large.running_words
        factor = full / row["tokens"]
        row.update(measured_tokens=row["tokens"], measured_hours=row["hours"], tokens=full,
                   hours=row["hours"] * factor, speech_hours=row["speech_hours"] * factor,
                   speakers=sum((large.isolated_speakers if row["kind"] == "isolated"
                                 else large.running_speakers).values()),
                   extrapolated=True)
    rows["_timing"] = {"wall_s": round(seconds, 1), "nj": nj}
    return rows


def table(title: str, rows: dict[str, dict]) -> None:
    print(f"\n{title}\n")
    print("| language | kind | speakers | tokens | types | hours | speech hours | note |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    total_tokens = total_hours = 0.0
    for language, row in sorted(rows.items()):
        if language.startswith("_"):
            continue
        note = (f"extrapolated from {int(row['measured_tokens'])} tokens" if row.get("extrapolated")
                else "measured")
        types = row["types"]
        if row.get("extrapolated") and row["kind"] == "running":  # types grow sublinearly: not scaled
            types = f"{types} in the slice"
        print(f"| {language} | {row['kind']} | {int(row['speakers'])} | {int(row['tokens'])} | "
              f"{types} | {row['hours']:.2f} | {row['speech_hours']:.2f} | {note} |")
        total_tokens += row["tokens"]
        total_hours += row["hours"]
    print(f"| total | | | {int(total_tokens)} | | {total_hours:.2f} | | |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, nargs="*", default=[])
    parser.add_argument("--large-slice", action="store_true")
    parser.add_argument("--running-words", type=int, default=20000, help="running slice (--large-slice)")
    parser.add_argument("--nj", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("AWE_NO_PROGRESS", "1")
    result = {}
    for corpus in args.corpus:
        result[str(corpus)] = summarise(corpus)
        table(f"corpus {corpus} (measured)", result[str(corpus)])
    if args.large_slice:
        with tempfile.TemporaryDirectory(prefix="awe-bench-synth-") as tmp:
            result["large (extrapolated)"] = large_slice(args.running_words, args.nj, Path(tmp))
        table("preset large (isolated: 3 of 12 speakers synthesised; running: "
              f"{args.running_words} of {PRESETS['large'].running_words} words)",
              result["large (extrapolated)"])
    out = ROOT / "bench" / "results" / "synth_corpus.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
