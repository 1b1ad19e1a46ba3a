"""``awe embed``: one vector per segment, from a model dir or by downsampling."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import torch
import typer

from awetools.cli.main import app
from awetools.cli.vector_options import (CONTEXT, CONTEXT_WEIGHT, CONTEXT_WINDOW, SPEAKER_MVN,
                                         SUBTRACT_MEAN, SUBTRACT_MEAN_OF, chain_of_options)
from awetools.models.device import resolve_device
from awetools.models.embed import downsample_table, embed_table
from awetools.semantic.embed import embed_semantic_table
from awetools.semantic.modeldir import is_semantic_model
from awetools.vector_transforms import describe, transform_table


@app.command("embed")
def embed_command(
    args: list[str] = typer.Argument(..., metavar="[MODEL_DIR...] RSPECIFIER WSPECIFIER", help="Model dir (omitted with --downsample; several phonetic ones: an ensemble), feature table in, vector table out."),
    downsample: int | None = typer.Option(None, "--downsample", metavar="N", help="No model: N frames sampled uniformly (interpolated) and flattened (N x dim)."),
    batch_size: int = typer.Option(256, "--batch-size", help="Segments per batch (batches are sorted by length)."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    nj: int = typer.Option(1, "--nj", help="CPU processes, one thread each (worth it for large inputs: each worker starts in a few seconds)."),
    speaker_mvn: Path | None = SPEAKER_MVN,
    subtract_mean: bool = SUBTRACT_MEAN,
    subtract_mean_of: str | None = SUBTRACT_MEAN_OF,
    context: Path | None = CONTEXT,
    context_window: int = CONTEXT_WINDOW,
    context_weight: float = CONTEXT_WEIGHT,
    output: str = typer.Option("embedding", "--output", help="embedding, or meaning: a multitask model's regressed word vectors (the text-vector space; for awe eval translate)."),
) -> None:
    """Embed every feature matrix of a table: one vector per segment, in input order.

    \b
    Usage: awe embed [options] MODEL_DIR [MODEL_DIR ...] RSPECIFIER WSPECIFIER
           awe embed --downsample N RSPECIFIER WSPECIFIER

    --subtract-mean (-of) or --speaker-mvn, and --context, transform the whole table once
    it is embedded, in that order (awe normalise does the same to a table embedded
    earlier).  Several phonetic model dirs make an ensemble: each model's vectors are
    scaled to unit length and concatenated (then to unit length), so the
    cosine similarity of two segments is the mean of the models'.  Works as a pipe stage
    (ark:- in and out).  A model is rebuilt from config.json and its weights loaded with
    weights_only=True: loading a model never executes code.

    Example:

    \b
      awe embed exp/contrastive scp:feats/test.scp ark,scp:emb/test.ark,emb/test.scp
      awe featurize data/test_words ark:- | awe embed --downsample 10 ark:- h5:emb/test_ds.h5
      awe embed --output meaning exp/meaning scp:feats/test.scp h5:emb/test_glove_space.h5
      awe embed --speaker-mvn data/train_words/utt2spk exp/phon scp:feats/train.scp h5:emb/train_spk.h5
      awe embed --subtract-mean exp/phon scp:feats/real.scp h5:emb/real_centred.h5
      awe embed --subtract-mean-of h5:emb/collection.h5 exp/phon scp:feats/queries.scp h5:emb/queries_centred.h5
      awe embed exp/phon_seed0 exp/phon_seed1 exp/phon_seed2 scp:feats/test.scp h5:emb/test_ens.h5
      awe embed exp/cluster_skipgram h5:exp/clusters/soft.h5 h5:emb/semantic.h5   # soft labels in
      awe embed --context data/train_words exp/cluster_skipgram h5:emb/phon.h5 h5:emb/contextual.h5
    """
    wrong_count = len(args) != 2 if downsample is not None else len(args) < 3
    if wrong_count:
        usage = ("--downsample N RSPECIFIER WSPECIFIER" if downsample is not None
                 else "MODEL_DIR [MODEL_DIR ...] RSPECIFIER WSPECIFIER (or --downsample N "
                      "RSPECIFIER WSPECIFIER)")
        raise typer.BadParameter(f"expected {usage}, got {len(args)} arguments",
                                 param_hint="arguments")
    if len(args) > 3 and any(is_semantic_model(m) for m in args[:-2]):
        raise typer.BadParameter("an ensemble (several MODEL_DIRs) is of phonetic models only",
                                 param_hint="arguments")
    if nj < 1 or batch_size < 1:
        raise typer.BadParameter("--nj and --batch-size must be >= 1")
    if output != "embedding" and (downsample is not None or is_semantic_model(args[0])):
        raise typer.BadParameter("only a phonetic (multitask) model has other outputs",
                                 param_hint="--output")
    chain = chain_of_options(subtract_mean, subtract_mean_of, speaker_mvn, context, context_window,
                             context_weight)  # read before the (long) embedding
    if chain:  # whole-table steps after embedding: they need every segment at once
        with tempfile.TemporaryDirectory(prefix="awe-embed-") as tmp:
            embedded = f"h5:{Path(tmp) / 'embedded.h5'}"
            _, how = _embed(args[:-1] + [embedded], downsample, batch_size, device, nj, output)
            count = transform_table(embedded, args[-1], chain, name=args[-2])
        what = f"{how}, {describe(chain)}"
    else:
        count, what = _embed(args, downsample, batch_size, device, nj, output)
    print(f"awe embed: wrote {count} vectors {what} to {args[-1]}", file=sys.stderr)


def _embed(args: list[str], downsample: int | None, batch_size: int, device: str, nj: int,
           output: str) -> tuple[int, str]:
    """Embed ``args`` (``[MODEL_DIR ...] RSPECIFIER WSPECIFIER``); returns the count and how."""
    if downsample is not None:
        count = downsample_table(args[0], args[1], downsample)
        what = f"downsampled ({downsample} frames)"
    elif is_semantic_model(args[0]):  # awe train-skipgram model dir (awetools.semantic)
        count = embed_semantic_table(args[0], args[1], args[2], batch_size, resolve_device(device))
        what = f"with {args[0]}"
    else:
        torch.set_num_threads(1)  # --nj counts CPU cores: one thread per process
        count = embed_table(args[:-2], args[-2], args[-1], batch_size, resolve_device(device), nj,
                            output=output)
        what = f"with {' + '.join(args[:-2])}"
    return count, what
