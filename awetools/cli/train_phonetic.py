"""``awe train-phonetic``: labelled word segments -> phonetic AWE model dir."""

from __future__ import annotations

from pathlib import Path

import typer

from awetools.cli.main import app
from awetools.models.awe import OBJECTIVES
from awetools.train.data import Caps, SetSpec, set_specs
from awetools.train.loop import LoopOptions
from awetools.train.losses import TRIPLET_NEGATIVES
from awetools.train.objectives import LossOptions
from awetools.train.phonetic import PhoneticTraining, train_phonetic
from awetools.train.specaugment import SpecAugment


def _pair(value: str, option: str) -> tuple[str, str]:
    """``DATA_DIR=RSPECIFIER`` split at the first ``=``."""
    data_dir, sep, rspecifier = value.partition("=")
    if not sep or not data_dir or not rspecifier:
        raise typer.BadParameter(f"'{value}': expected DATA_DIR=RSPECIFIER, e.g. "
                                 "data/de/train_words=scp:feats/de_train.scp", param_hint=option)
    return data_dir, rspecifier


def _lexicons(values: list[str], sets: list[SetSpec]) -> dict[str, str]:
    """``--lexicon FILE`` (every set) or ``--lexicon SET=FILE``."""
    names = {s.name for s in sets}
    out = {}
    for value in values:
        name, sep, path = value.partition("=")
        if sep and name not in names:
            raise typer.BadParameter(f"'{value}': no training set '{name}' (sets: "
                                     f"{', '.join(sorted(names))})", param_hint="--lexicon")
        out.update({name: path} if sep else {"*": value})
    return out


@app.command("train-phonetic")
def train_phonetic_command(
    out: Path = typer.Argument(..., metavar="OUT_MODEL_DIR", help="Model dir to write."),
    train: list[str] = typer.Option(..., "--train", metavar="DATA_DIR=RSPECIFIER", help="Labelled word-segment data dir and its features (repeat for several languages: labels are namespaced by set)."),
    valid: str = typer.Option(..., "--valid", metavar="DATA_DIR=RSPECIFIER", help="Validation set: same-different AP every epoch selects the best epoch."),
    objective: str = typer.Option("contrastive", "--objective", help=f"{' | '.join(OBJECTIVES)}."),
    lexicon: list[str] = typer.Option([], "--lexicon", metavar="[SET=]FILE", help="multitask: 'word phone1 phone2 ...' lines; FILE for every set or SET=FILE per set (repeatable)."),
    word_vectors: str | None = typer.Option(None, "--word-vectors", help="multitask: word2vec/GloVe vectors the meaning head regresses."),
    alpha: float = typer.Option(1.0, "--alpha", help="multitask: weight of the phone cross-entropy (0 = meaning only)."),
    beta: float = typer.Option(1.0, "--beta", help="multitask: weight of the word-vector regression (0 = form only)."),
    temperature: float = typer.Option(0.1, "--temperature", help="contrastive: NT-Xent temperature."),
    margin: float = typer.Option(0.4, "--margin", help="triplet: cosine margin."),
    triplet_negatives: str = typer.Option("semi-hard", "--triplet-negatives", help="triplet: semi-hard (the closest negative farther than the positive, else the hardest) or hardest (the closest in the batch, as the multi-task AWE paper; prone to collapse from a random start)."),
    cae_pretrain_epochs: int = typer.Option(5, "--cae-pretrain-epochs", help="cae: autoencoder epochs before correspondence training."),
    spec_augment: bool = typer.Option(False, "--spec-augment/--no-spec-augment", help="SpecAugment: mask random time spans and feature bands of the training input (never validation)."),
    time_masks: int = typer.Option(2, "--time-masks", help="spec-augment: time masks per segment."),
    time_mask_width: int = typer.Option(5, "--time-mask-width", help="spec-augment: largest time mask in frames."),
    time_mask_ratio: float = typer.Option(0.2, "--time-mask-ratio", help="spec-augment: a time mask covers at most this share of a segment."),
    freq_masks: int = typer.Option(2, "--freq-masks", help="spec-augment: feature-dimension masks per segment."),
    freq_mask_width: int = typer.Option(5, "--freq-mask-width", help="spec-augment: largest feature mask in dimensions."),
    time_warp: float = typer.Option(0.0, "--time-warp", help="Time-warp each training segment (with or without --spec-augment's masks): stretch it by a random factor in [1-R, 1+R] along a random piecewise-linear map; 0 = off."),
    rnn: str = typer.Option("gru", "--rnn", help="gru or lstm."),
    bidirectional: bool = typer.Option(False, "--bidirectional/--unidirectional", help="Bidirectional RNN (last states of both directions concatenated)."),
    conv: bool = typer.Option(False, "--conv/--no-conv", help="Conv1d front end (64 filters, kernel 5, stride 2)."),
    pooling: str = typer.Option("last", "--pooling", help="last: the RNN's final state is the segment's summary; mean: the mean of the last layer's outputs over the segment's frames."),
    projection_head: int = typer.Option(0, "--projection-head", help="contrastive/triplet: the loss compares the embeddings through a training-only MLP with this many hidden units (SimCLR's projection head); the model embeds without it.  0 = none."),
    layers: int = typer.Option(2, "--layers", help="RNN layers."),
    hidden: int = typer.Option(256, "--hidden", help="RNN units per layer (and direction)."),
    embed_dim: int = typer.Option(128, "--embed-dim", help="Embedding dimension."),
    dropout: float = typer.Option(0.0, "--dropout", help="Dropout between RNN layers."),
    batch_size: int = typer.Option(128, "--batch-size", help="Tokens per batch."),
    lr: float = typer.Option(1e-3, "--lr", help="Adam learning rate."),
    epochs: int = typer.Option(30, "--epochs", help="Maximum epochs."),
    lr_decay: str = typer.Option("none", "--lr-decay", help="none, linear or cosine: the LR falls from --lr to 0.01 % of it over --epochs, step by step (on top of any --lr-patience halving)."),
    lr_patience: int = typer.Option(3, "--lr-patience", help="Halve the LR after this many epochs without a better validation AP."),
    patience: int = typer.Option(6, "--patience", help="Stop after this many epochs without a better validation AP."),
    ema_decay: float = typer.Option(0.0, "--ema-decay", help="Validate and keep an exponential moving average of the weights, updated every step with this decay (e.g. 0.995; 0 = off, the last step's weights)."),
    max_types: int | None = typer.Option(None, "--max-types-per-set", help="Keep the most frequent N word types of each set."),
    min_tokens: int | None = typer.Option(None, "--min-tokens-per-type", help="Drop types with fewer tokens (default 2; 1 for multitask)."),
    max_tokens: int | None = typer.Option(None, "--max-tokens-per-type", help="Keep at most N random tokens per type."),
    seed: int = typer.Option(0, "--seed", help="Seed: same data and seed give the same model on CPU."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    num_threads: int = typer.Option(1, "--num-threads", help="CPU threads for torch (more help only on an otherwise idle machine)."),
    init: Path | None = typer.Option(None, "--init", help="Fine-tune: start from this model dir's encoder (its architecture replaces --rnn/--layers/--hidden/--embed-dim/...; heads are new)."),
    resume: bool = typer.Option(False, "--resume", help="Continue the unfinished run in OUT.partial (same options required)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing OUT or unfinished run."),
) -> None:
    """Train a phonetic AWE model on one or more labelled sets.

    \b
    Usage: awe train-phonetic [options] --train DATA_DIR=RSPEC [--train ...]
                              --valid DATA_DIR=RSPEC OUT_MODEL_DIR

    Training state goes to OUT.partial after every epoch (checkpoint.pt, log.jsonl);
    OUT (model.pt of the best epoch, config.json, log.jsonl, valid_curve.tsv,
    checkpoint.pt) appears when training ends.  Under torchrun, runs data-parallel.

    Example:

    \b
      awe train-phonetic --train data/de/train_words=scp:feats/de_train.scp \\
          --train data/fr/train_words=scp:feats/fr_train.scp \\
          --valid data/de/dev_words=scp:feats/de_dev.scp --epochs 20 --spec-augment \\
          exp/multi_contrastive
      awe train-phonetic --init exp/multi_contrastive --lr 2e-4 \\
          --train data/mine/train_words=scp:feats/mine_train.scp \\
          --valid data/mine/dev_words=scp:feats/mine_dev.scp exp/mine_finetuned
    """
    if objective not in OBJECTIVES:
        raise typer.BadParameter(f"'{objective}' (one of {', '.join(OBJECTIVES)})", param_hint="--objective")
    if triplet_negatives not in TRIPLET_NEGATIVES:
        raise typer.BadParameter(f"'{triplet_negatives}' (one of {', '.join(TRIPLET_NEGATIVES)})",
                                 param_hint="--triplet-negatives")
    sets = set_specs([_pair(v, "--train") for v in train])
    valid_dir, valid_rspec = _pair(valid, "--valid")
    run = PhoneticTraining(
        out=out, train=sets, valid=SetSpec("valid", valid_dir, valid_rspec),
        model={"rnn": rnn, "hidden": hidden, "layers": layers, "bidirectional": bidirectional,
               "conv": conv, "embed_dim": embed_dim, "dropout": dropout, "pooling": pooling,
               "projection_head": projection_head},
        loss=LossOptions(objective, temperature, margin, alpha, beta,
                         SpecAugment(time_masks, time_mask_width, time_mask_ratio, freq_masks,
                                     freq_mask_width, time_warp) if spec_augment
                         else SpecAugment(time_warp=time_warp), triplet_negatives),
        loop=LoopOptions(epochs=epochs, batch_size=batch_size, lr=lr, lr_patience=lr_patience,
                         patience=patience, seed=seed, ema_decay=ema_decay, lr_decay=lr_decay,
                         cae_pretrain_epochs=cae_pretrain_epochs if objective == "cae" else 0),
        caps=Caps(max_types=max_types,
                  min_tokens=min_tokens if min_tokens is not None else (1 if objective == "multitask" else 2),
                  max_tokens=max_tokens),
        lexicons=_lexicons(lexicon, sets), word_vectors=word_vectors,
        init=str(init) if init else None, device=device, num_threads=num_threads, resume=resume, overwrite=overwrite)
    train_phonetic(run)
