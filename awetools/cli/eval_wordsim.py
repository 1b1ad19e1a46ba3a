"""``awe eval wordsim``: Spearman rho of embedding cosines against human similarity judgments."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from awetools.cli.main import eval_app
from awetools.errors import AweError
from awetools.io.atomic import atomic_open
from awetools.metrics.wordsim import (WordsimConfig, evaluate_wordsim, load_tokens, load_word_table,
                                      pair_files, read_counts, read_pairs, summary_line)


@eval_app.command("wordsim")
def wordsim_command(
    rspecifier: str | None = typer.Argument(None, help="Segment embeddings (needs --labels); or give --vectors."),
    labels: Path | None = typer.Option(None, "--labels", help="Kaldi text '<segment> <word>' labelling the segments."),
    vectors: Path | None = typer.Option(None, "--vectors", help="Evaluate a word2vec/GloVe file instead of segment embeddings."),
    pairs: list[Path] = typer.Option([], "--pairs", help="Word-pair file or directory of *.txt files (repeatable)."),
    reference: Path | None = typer.Option(None, "--reference", help="Reference word vectors (word2vec/GloVe): rho over pairs of frequent vocabulary words."),
    min_count: int = typer.Option(5, "--min-count", help="Score a pair only when both words have at least this many tokens (the rho over all covered pairs is reported beside it)."),
    counts: Path | None = typer.Option(None, "--counts", help="With --vectors: Kaldi text '<key> <word> ...' whose word tokens give the counts for --min-count (without it word vectors are not filtered)."),
    draws: int = typer.Option(10, "--draws", help="Single-sample draws (one random token per word)."),
    max_pairs: int = typer.Option(500_000, "--max-pairs", help="Vocabulary pairs for --reference and edit distance (random subset above this)."),
    case_sensitive: bool = typer.Option(False, "--case-sensitive", help="Match words as spelled (default: lower-case everything)."),
    seed: int = typer.Option(0, "--seed", help="Seed for draws and pair sampling."),
    json_path: Path | None = typer.Option(None, "--json", help="Write full results as JSON."),
) -> None:
    """Word similarity: rho between cosines and human scores, averaged and single-sample.

    Usage: awe eval wordsim [options] (RSPECIFIER --labels TEXT | --vectors FILE) --pairs FILE...

    Pairs count only when both words have at least --min-count tokens (default 5); the
    rho over all covered pairs is reported beside it.  Also rho against a reference
    embedding over the same frequent words (--reference) and against the normalised edit
    distance of the words (phonetic leakage).  One line on stdout.

    Word vectors have no tokens: give --counts (a Kaldi text, e.g. their transcripts) to
    filter them too; without it no pair is left out and the output says so.

    Example:

    \b
      awe eval wordsim h5:exp/sem/test.h5 --labels data/test_words/text --min-count 5 \\
          --pairs ../shared/data/wordsim/en/EN-SIMLEX-999.txt --reference exp/text/vectors.txt --json exp/sem/wordsim.json
      awe eval wordsim --vectors exp/text/vectors.txt --counts data/train_words/text --min-count 10 \\
          --pairs ../shared/data/wordsim/en
    """
    if (rspecifier is None) == (vectors is None):
        raise typer.BadParameter("give either RSPECIFIER (with --labels) or --vectors")
    if rspecifier is not None and labels is None:
        raise typer.BadParameter("RSPECIFIER needs --labels TEXT", param_hint="--labels")
    if not pairs and reference is None:
        raise typer.BadParameter("give --pairs and/or --reference")
    if counts is not None and vectors is None:
        raise typer.BadParameter("--counts is for --vectors (token counts come from --labels)",
                                 param_hint="--counts")
    if min_count < 1:
        raise AweError(f"--min-count must be at least 1 (got {min_count})")
    if draws < 1 or max_pairs < 1:
        raise AweError("--draws and --max-pairs must be at least 1")
    lowercase = not case_sensitive
    sets = [read_pairs(p, lowercase) for p in pair_files(pairs)]
    if rspecifier is not None:
        source = load_tokens(rspecifier, labels, lowercase)
    else:
        source = load_word_table(vectors, lowercase)
        if counts is not None:
            source = source.with_counts(read_counts(counts, lowercase))
    ref = load_word_table(reference, lowercase) if reference is not None else None
    config = WordsimConfig(draws=draws, seed=seed, max_pairs=max_pairs, min_count=min_count)
    result = evaluate_wordsim(source, sets, ref, config)
    result["inputs"] = {"embeddings": rspecifier, "labels": str(labels) if labels else None,
                        "vectors": str(vectors) if vectors else None,
                        "counts": str(counts) if counts else None,
                        "pairs": [str(p) for p in pair_files(pairs)],
                        "reference": str(reference) if reference else None}
    result["config"] = {**config.__dict__, "lowercase": lowercase}
    if json_path is not None:
        with atomic_open(json_path) as out:
            json.dump(result, out, indent=2)
            out.write("\n")
    print(f"awe eval wordsim: {summary_line(result)}")
