"""``awe segment``: utterance data dir + word alignment -> word-segment data dir."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from awetools.cli.main import app
from awetools.errors import AweError
from awetools.io.alignments import read_ctm, read_textgrid_dir, read_word_lines
from awetools.io.atomic import atomic_dir
from awetools.io.datadir import DataDir, read_lines
from awetools.segment import DEFAULT_DROP, SegmentFilters, make_word_segments


@app.command("segment")
def segment(
    src: Path = typer.Argument(..., help="Utterance data dir (wav.scp, utt2spk, optional segments)."),
    out: Path = typer.Argument(..., help="Word-segment data dir to write."),
    ctm: Path | None = typer.Option(None, "--ctm", help="Word CTM: <utt> <chan> <start> <dur> <word>."),
    textgrid: Path | None = typer.Option(None, "--textgrid", help="Directory of Praat TextGrids (MFA output); utterance id = file name."),
    alignment: Path | None = typer.Option(None, "--alignment", help="Lines '<utt> <start> <end> <word>'."),
    tier: str = typer.Option("words", "--tier", help="TextGrid tier holding the words."),
    min_duration: float = typer.Option(0.0, "--min-duration", help="Drop words shorter than this (seconds)."),
    min_chars: int = typer.Option(0, "--min-chars", help="Drop words with fewer characters."),
    vocabulary: Path | None = typer.Option(None, "--vocabulary", help="Keep only words listed in this file (one per line, first field)."),
    max_tokens_per_type: int | None = typer.Option(None, "--max-tokens-per-type", help="Keep at most this many random tokens of each word."),
    drop: list[str] = typer.Option(list(DEFAULT_DROP), "--drop", help="Words to drop (repeatable; replaces the default list)."),
    keep_marks: bool = typer.Option(False, "--keep-marks", help="Keep <...> and [...] tokens (dropped as noise marks by default)."),
    lowercase: bool = typer.Option(False, "--lowercase", help="Lower-case the words."),
    no_labels: bool = typer.Option(False, "--no-labels", help="Write no 'text' (unlabelled target language)."),
    seed: int = typer.Option(0, "--seed", help="Seed for --max-tokens-per-type sampling."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace OUT if it exists."),
) -> None:
    """Cut an utterance data dir into one segment per aligned word.

    Usage: awe segment [options] (--ctm F | --textgrid DIR | --alignment F) SRC_DATA_DIR OUT_DATA_DIR

    Writes segments (pointing into SRC's recordings), text, utt2spk, spk2utt, seg2utt,
    seg2pos and wav.scp; counts of kept and dropped tokens go to stderr.

    Example:

    \b
      awe segment --ctm data/train/words.ctm --min-duration 0.5 --min-chars 5 data/train data/train_words
    """
    given = [a for a in (ctm, textgrid, alignment) if a is not None]
    if len(given) != 1:
        raise typer.BadParameter("give exactly one of --ctm, --textgrid, --alignment")
    data = DataDir.load(src, require=("wav.scp", "utt2spk"))
    if ctm is not None:
        words = read_ctm(ctm)
    elif textgrid is not None:
        words = read_textgrid_dir(textgrid, tier)
    else:
        words = read_word_lines(alignment)
    vocab = None
    if vocabulary is not None:
        vocab = {line.split()[0] for line in read_lines(vocabulary) if line.strip()}
        if not vocab:
            raise AweError(f"{vocabulary}: empty vocabulary")
    filters = SegmentFilters(min_duration=min_duration, min_chars=min_chars, vocabulary=vocab,
                             max_tokens_per_type=max_tokens_per_type, drop=set(drop),
                             drop_marks=not keep_marks, lowercase=lowercase, seed=seed)
    segments, report = make_word_segments(data, words, filters, labels=not no_labels)
    with atomic_dir(out, overwrite=overwrite) as tmp:
        segments.save(tmp)
    for line in report.lines():
        print(f"awe segment: {line}", file=sys.stderr)
