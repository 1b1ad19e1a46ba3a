"""``awe eval probe``: cross-validated linear probes of a per-segment property."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from awetools.cli.main import eval_app
from awetools.io.atomic import atomic_open
from awetools.metrics.probe import ProbeOptions, probe_table, summary_line


@eval_app.command("probe")
def probe_command(
    rspecifier: str = typer.Argument(..., metavar="RSPECIFIER", help="Segment embeddings, e.g. h5:emb.h5 or scp:emb.scp."),
    target: Path = typer.Option(..., "--target", help="'<segment> <value>' file: the property to predict (word, speaker, ...)."),
    folds: int = typer.Option(5, "--folds", help="Cross-validation folds (stratified)."),
    groups: Path | None = typer.Option(None, "--groups", help="'<segment> <group>' file (e.g. utt2spk): no group spans train and test."),
    c: float = typer.Option(1.0, "--C", help="Inverse L2 regularisation strength of the logistic regression."),
    max_iter: int = typer.Option(1000, "--max-iter", help="Solver iterations (lbfgs)."),
    min_count: int | None = typer.Option(None, "--min-count", help="Leave out classes with fewer segments (default: --folds)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the fold shuffling."),
    json_path: Path | None = typer.Option(None, "--json", help="Write full results as JSON."),
) -> None:
    """Linear probe: cross-validated logistic regression accuracy, with chance beside it.

    Usage: awe eval probe [options] RSPECIFIER --target FILE

    Chance is the majority class of each training fold scored on its test fold.  With
    --groups the folds are group-aware (StratifiedGroupKFold).  One line on stdout.

    Example:

    \b
      awe eval probe h5:exp/emb/test.h5 --target data/test_words/utt2spk --json exp/emb/probe_speaker.json
      awe eval probe h5:exp/emb/test.h5 --target data/test_words/text --groups data/test_words/utt2spk
    """
    options = ProbeOptions(folds=folds, c=c, max_iter=max_iter, min_count=min_count, seed=seed)
    result = probe_table(rspecifier, str(target), options, str(groups) if groups else None)
    if json_path is not None:
        with atomic_open(json_path) as out:
            json.dump(result, out, indent=2)
            out.write("\n")
    print(f"awe eval probe: {summary_line(result)}")
