"""Benchmark: are the CTM boundaries of an `awe synth` corpus exact?

For every data dir of a corpus (default: a fresh `awe synth --preset small` corpus), the
first --max-utterances utterances are checked with `awetools.corpus.verify.check_exactness`:
each word cut from its wav by the CTM is compared with the same word synthesised alone on
a fresh eSpeak by the same speaker and token voice (same length?  identical samples for
the first word of each speaker?), and the wav outside the CTM spans must be silent.
Prints a markdown table; writes bench/results/synth_exactness.json.

    .venv/bin/python bench/synth_exactness.py
    .venv/bin/python bench/synth_exactness.py --corpus data/synth --max-utterances 20
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from awetools.corpus.verify import Exactness, check_exactness

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, help="existing corpus (default: synthesise the small preset)")
    parser.add_argument("--max-utterances", type=int, default=40, help="per data dir")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="awe-bench-synth-") as tmp:
        corpus = args.corpus
        if corpus is None:
            corpus = Path(tmp) / "small"
            subprocess.run([sys.executable, "-m", "awetools", "synth", "--nj", "2", str(corpus)],
                           check=True, env={**os.environ, "AWE_NO_PROGRESS": "1"})
        rows, total = {}, Exactness()
        for manifest in sorted(corpus.glob("*/*/manifest.json")):
            stats = check_exactness(manifest.parent, args.max_utterances)
            rows[f"{manifest.parent.parent.name}/{manifest.parent.name}"] = stats.to_dict()
            for name, value in stats.to_dict().items():
                setattr(total, name, max(total.max_length_difference_ms, value)
                        if name == "max_length_difference_ms" else getattr(total, name) + value)
    rows["total"] = total.to_dict()

    print("| data dir | words | same length | Klatt words | Klatt same length | max diff ms "
          "| first words identical | utterances silent outside words |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in rows.items():
        print(f"| {name} | {r['words']} | {r['equal_length']} | {r['klatt_words']} | "
              f"{r['klatt_equal_length']} | {r['max_length_difference_ms']:.1f} | "
              f"{r['first_words_identical']}/{r['first_words']} | "
              f"{r['utterances_silent_outside']}/{r['utterances']} |")
    share = total.equal_length / max(1, total.words)
    print(f"\nsame length: {100 * share:.2f} % of {total.words} words; all differences in Klatt "
          f"voices: {total.words - total.equal_length == total.klatt_words - total.klatt_equal_length}")
    out = ROOT / "bench" / "results" / "synth_exactness.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"corpus": str(args.corpus), "max_utterances": args.max_utterances,
                               "data_dirs": rows}, indent=1))
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
