"""``awe eval samediff``: same-different average precision over all pairs of segments."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from awetools.cli.main import eval_app
from awetools.errors import AweError
from awetools.io.atomic import atomic_open
from awetools.metrics.pairdist import METRICS
from awetools.metrics.samediff_inputs import SamediffOptions, evaluate_set, load_set, summary_line


@eval_app.command("samediff")
def samediff_command(
    rspecifier: str = typer.Argument(..., help="Segment embeddings (or feature matrices with --dtw)."),
    labels: Path = typer.Option(..., "--labels", help="Kaldi text '<segment> <word>' labelling the segments."),
    utt2spk: Path | None = typer.Option(None, "--utt2spk", help="'<segment> <speaker>': also report SWDP-AP."),
    metric: str = typer.Option("cosine", "--metric", help="Distance between embeddings: cosine or euclidean."),
    dtw: bool = typer.Option(False, "--dtw", help="RSPECIFIER holds feature matrices: DTW baseline (cosine frames)."),
    allow_subset: bool = typer.Option(False, "--allow-subset", help="Evaluate the segments with both a vector and a label instead of failing on a mismatch."),
    min_chars: int = typer.Option(0, "--min-chars", help="Keep words of at least this many characters."),
    min_duration: float = typer.Option(0.0, "--min-duration", help="Keep segments of at least this many seconds (needs --segments)."),
    segments: Path | None = typer.Option(None, "--segments", help="Kaldi segments file giving durations for --min-duration."),
    nj: int | None = typer.Option(None, "--nj", help="Threads (default: all CPUs)."),
    json_path: Path | None = typer.Option(None, "--json", help="Write full results as JSON."),
) -> None:
    """Same-different AP over all pairs of segments; SWDP-AP with --utt2spk.

    Usage: awe eval samediff [options] --labels TEXT RSPECIFIER

    Ranks all N(N-1)/2 pairs by distance and reports the average precision of the
    same-word pairs (exact, ties as scikit-learn handles them) and, with speakers,
    of same-word different-speaker pairs (same-speaker same-word pairs left out).
    Memory does not grow with N^2.  See man awe-eval-samediff.

    Example:

    \b
      awe eval samediff --labels data/test_words/text --utt2spk data/test_words/utt2spk \\
          --json exp/cae/samediff.json h5:exp/cae/test.h5
      awe eval samediff --dtw --nj 2 --labels data/test_words/text scp:feats/test.scp
    """
    if metric not in METRICS:
        raise typer.BadParameter(f"'{metric}' is not one of {', '.join(METRICS)}", param_hint="--metric")
    if dtw and metric != "cosine":
        raise typer.BadParameter("--dtw always uses cosine frame distances", param_hint="--metric")
    if nj is not None and nj < 1:
        raise AweError("--nj must be at least 1")
    if min_chars < 0 or min_duration < 0:
        raise AweError("--min-chars and --min-duration must not be negative")
    options = SamediffOptions(metric=metric, dtw=dtw, allow_subset=allow_subset,
                              min_chars=min_chars, min_duration=min_duration, nj=nj)
    data = load_set(rspecifier, labels, utt2spk, options, segments)
    result = evaluate_set(data, options)
    result["coverage"] = data.coverage
    result["inputs"] = {"rspecifier": rspecifier, "labels": str(labels),
                        "utt2spk": str(utt2spk) if utt2spk else None,
                        "segments": str(segments) if segments else None}
    result["config"] = {**options.__dict__, "distance": "dtw-cosine" if dtw else metric}
    if json_path is not None:
        with atomic_open(json_path) as out:
            json.dump(result, out, indent=2)
            out.write("\n")
    print(f"awe eval samediff: {summary_line(result)}")
