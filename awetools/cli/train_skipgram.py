"""``awe train-skipgram``: semantic AWE models trained on context windows of spoken words."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from awetools.cli.main import app
from awetools.semantic.models import METHODS
from awetools.semantic.objectives import LossOptions
from awetools.semantic.train import SkipgramTraining, train_skipgram


@app.command("train-skipgram")
def train_skipgram_command(
    data_dir: Path = typer.Argument(..., help="Word-segment data dir (seg2utt, seg2pos; text for --method text)."),
    out: Path = typer.Argument(..., help="Model dir to write."),
    method: str = typer.Option(..., "--method", help=f"{' | '.join(METHODS)}."),
    embeddings: str | None = typer.Option(None, "--embeddings", help="Frozen phonetic AWEs (cluster-skipgram, projection, two-stage)."),
    features: str | None = typer.Option(None, "--features", help="Feature matrices (units, contrastive, speech2vec)."),
    clusters: Path | None = typer.Option(None, "--clusters", help="Cluster dir from awe cluster: soft labels (cluster-skipgram), and pseudo-word ids for subsampling and unigram^0.75 negatives (any speech method)."),
    hard: bool = typer.Option(False, "--hard", help="cluster-skipgram: one-hot nearest cluster as input and target instead of soft labels."),
    objective: str = typer.Option("softmax", "--objective", help="cluster-skipgram: softmax (a K-way softmax over the clusters, the paper's) or sgns (word2vec's negative sampling over cluster ids, the text model's objective: unigram^0.75 negatives, the context's nearest cluster as the positive)."),
    init: Path | None = typer.Option(None, "--init", help="contrastive: phonetic model dir to start from (multilingual initialisation)."),
    labels: Path | None = typer.Option(None, "--labels", help="text: word labels (default DATA_DIR/text)."),
    window: int = typer.Option(5, "--window", help="Context: segments at most this many word positions away in the same utterance."),
    dim: int = typer.Option(130, "--dim", help="Semantic vector dimension."),
    hidden: int | None = typer.Option(None, "--hidden", help="MLP hidden units of projection, two-stage (0 = linear; default 512) or RNN units (default 256)."),
    layers: int = typer.Option(2, "--layers", help="RNN layers (units, speech2vec, fresh contrastive)."),
    units: int = typer.Option(100, "--units", help="units: K-means units over frames."),
    unit_dim: int = typer.Option(64, "--unit-dim", help="units: unit embedding dimension."),
    negatives: int = typer.Option(10, "--negatives", help="Negative samples per pair (two-stage, units, text, cluster-skipgram --objective sgns)."),
    temperature: float = typer.Option(0.1, "--temperature", help="NT-Xent temperature (contrastive, projection)."),
    epochs: int = typer.Option(10, "--epochs", help="Training epochs."),
    batch_size: int = typer.Option(256, "--batch-size", help="(center, context) pairs per batch."),
    lr: float = typer.Option(1e-3, "--lr", help="Adam learning rate."),
    pairs_per_epoch: int | None = typer.Option(None, "--pairs-per-epoch", help="Random subset of training pairs per epoch (default: all)."),
    valid_fraction: float = typer.Option(0.05, "--valid-fraction", help="Utterances held out for the validation loss curve (0: none)."),
    sample: float = typer.Option(1e-3, "--sample", help="Subsampling threshold t > 0: a segment whose item (word id; cluster id of --clusters for speech) has frequency f is kept with probability min(1, (sqrt(f/t)+1) t/f)."),
    subsample: bool = typer.Option(True, "--subsample/--no-subsample", help="Frequent-item subsampling (needs --clusters for speech methods other than cluster-skipgram)."),
    outlier_fraction: float = typer.Option(0.0, "--outlier-fraction", help="With --clusters and --embeddings: never train on this fraction of segments, those farthest from their cluster's centroid (mostly words too rare to own a cluster: word2vec's min-count for pseudo-words); they are still embedded."),
    dynamic_window: bool = typer.Option(True, "--dynamic-window/--fixed-window", help="Each centre draws its window uniformly from 1..--window (word2vec)."),
    lr_decay: str = typer.Option("none", "--lr-decay", help="none, linear (word2vec) or cosine: from --lr down to 0.01 % of it over the run."),
    select: str = typer.Option("last", "--select", help="Epoch to keep: last, valid-loss (lowest held-out loss; does not follow embedding quality) or wordsim (highest mean rho on --wordsim)."),
    wordsim: list[Path] | None = typer.Option(None, "--wordsim", help="Word-similarity file scored after every epoch (repeatable): rho curves in log.jsonl and valid_curve.tsv."),
    wordsim_min_count: int = typer.Option(5, "--wordsim-min-count", help="--wordsim: pairs whose words both have at least this many tokens."),
    seed: int = typer.Option(0, "--seed", help="Seed: same data and seed give the same model on CPU."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    num_threads: int | None = typer.Option(None, "--num-threads", help="CPU threads for torch."),
    resume: bool = typer.Option(False, "--resume", help="Continue the unfinished run in OUT.partial (same options)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing OUT or unfinished run."),
) -> None:
    """Train a semantic model on (center, context) pairs of spoken words.

    \b
    Usage: awe train-skipgram [options] --method METHOD DATA_DIR OUT_DIR

    The context of a segment: the segments of the same utterance within --window word
    positions.  word2vec's rules apply to every method: frequent-item subsampling,
    dynamic windows, optional linear learning-rate decay, unigram^0.75 negatives.
    The last epoch is kept unless --select says otherwise; --wordsim files give rho
    per epoch.  Writes model.pt, config.json, log.jsonl, valid_curve.tsv (and, for
    text, vectors.txt); awe embed OUT_DIR turns segments into semantic vectors.

    Example:

    \b
      awe cluster --k 2000 h5:exp/phon/train.h5 exp/clusters
      awe train-skipgram --method cluster-skipgram --embeddings h5:exp/phon/train.h5 \\
          --clusters exp/clusters data/train_words exp/cluster_skipgram
      awe train-skipgram --method cluster-skipgram --hard --objective sgns \
          --embeddings h5:exp/phon/train.h5 --clusters exp/clusters data/train_words exp/cluster_sgns
      awe train-skipgram --method text --epochs 15 --wordsim simlex.txt --wordsim men.txt \\
          data/train_words exp/text_skipgram
    """
    run = SkipgramTraining(
        out=out, method=method, data_dir=str(data_dir), embeddings=embeddings, features=features,
        clusters=str(clusters) if clusters else None, init=str(init) if init else None,
        labels=str(labels) if labels else None, window=window, dim=dim, hidden=hidden,
        layers=layers, units=units, unit_dim=unit_dim,
        loss=LossOptions(negatives=negatives, temperature=temperature, hard=hard, objective=objective),
        epochs=epochs, batch_size=batch_size, lr=lr, pairs_per_epoch=pairs_per_epoch,
        valid_fraction=valid_fraction, sample=sample if subsample else None,
        outlier_fraction=outlier_fraction,
        dynamic_window=dynamic_window, lr_decay=lr_decay, select=select,
        wordsim=tuple(str(w) for w in wordsim or ()), wordsim_min_count=wordsim_min_count, seed=seed, device=device, num_threads=num_threads,
        resume=resume, overwrite=overwrite)
    config = train_skipgram(run)
    result = config["result"]
    rhos = "".join(f", {name} rho {value}" for name, value in result["wordsim"].items())
    print(f"awe train-skipgram: {method} model in {out} (epoch {result['best_epoch']} of "
          f"{result['epochs_run']} by --select {result['select']}, valid loss {result['valid_loss']}"
          f"{rhos})", file=sys.stderr)
