"""``awe plot``: PNG pictures of embeddings and training curves."""

from __future__ import annotations

from pathlib import Path

import typer

from awetools.cli.main import app
from awetools.errors import AweError
from awetools.io.datadir import read_kaldi_table
from awetools.io.tables import read_vectors

plot_app = typer.Typer(help="Draw PNG pictures (needs the 'plot' extra: matplotlib).",
                       no_args_is_help=True, rich_markup_mode=None)
app.add_typer(plot_app, name="plot")


@plot_app.command("map")
def plot_map(
    rspecifier: str = typer.Argument(..., help="Embeddings, e.g. h5:exp/embed/test.h5."),
    out: Path = typer.Argument(..., help="PNG file to write."),
    labels: Path = typer.Option(..., "--labels", help="Kaldi text file: segment -> word."),
    max_words: int = typer.Option(12, "--max-words", help="Most frequent words to show."),
    max_points: int = typer.Option(2000, "--max-points", help="Subsample to this many tokens."),
    title: str = typer.Option("", "--title", help="Picture title."),
    seed: int = typer.Option(0, "--seed", help="Seed for subsampling and t-SNE."),
) -> None:
    """2-D t-SNE map of embeddings, one colour per word.

    Usage: awe plot map [options] --labels TEXT RSPECIFIER OUT.png

    Example:

    \b
      awe plot map --labels data/test_words/text h5:exp/embed/test.h5 exp/map.png
    """
    from awetools.plot import embedding_map

    keys, vectors = read_vectors(rspecifier)
    text = read_kaldi_table(labels)
    missing = [k for k in keys if k not in text]
    if missing:
        raise AweError(f"{labels}: no label for {len(missing)} of {len(keys)} keys "
                       f"(e.g. '{missing[0]}')")
    n = embedding_map(vectors, [text[k] for k in keys], out, max_words, max_points, seed, title)
    typer.echo(f"awe plot map: {n} tokens drawn to {out}", err=True)


@plot_app.command("curves")
def plot_curves(
    model_dirs: list[Path] = typer.Argument(..., help="Model dirs with a log.jsonl, then the PNG to write."),
    metrics: list[str] | None = typer.Option(None, "--metric", "-m", help="Log field to draw, one panel each; repeatable. A field holding an object (wordsim: rho per set) draws one line per key; FIELD.KEY one key. Default: those of loss, valid_ap, valid_loss, wordsim that some log has."),
) -> None:
    """Training curves (one panel per metric, one line per model) from model dirs' log.jsonl.

    \b
    Usage: awe plot curves [options] MODEL_DIR... OUT.png

    Phonetic model dirs (awe train-phonetic) log loss and valid_ap; semantic ones (awe
    train-skipgram) log loss, valid_loss and, with --wordsim, a wordsim object of
    Spearman rho per similarity set, drawn as one line per model and set.

    Example:

    \b
      awe plot curves -m loss -m valid_ap exp/phonetic_contrastive exp/phonetic_cae exp/curves.png
      awe plot curves -m valid_loss -m wordsim exp/text_skipgram exp/cluster_skipgram exp/semantic.png
      awe plot curves -m wordsim.simlex exp/cluster_skipgram exp/simlex.png
    """
    from awetools.plot import training_curves

    if len(model_dirs) < 2:
        raise typer.BadParameter("give at least one model dir and the output PNG")
    *dirs, out = model_dirs
    panels = training_curves({d.name: d / "log.jsonl" for d in dirs}, out, metrics or None)
    typer.echo(f"awe plot curves: {', '.join(panels)} of {len(dirs)} model dir(s) drawn to {out}", err=True)
