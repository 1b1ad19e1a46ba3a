"""``awe embed``: one vector per segment, from a model dir or by downsampling."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import torch
import typer

from awetools.cli.main import app
from awetools.errors import AweError
from awetools.models.device import resolve_device
from awetools.models.embed import downsample_table, embed_table
from awetools.models.normalise import mean_subtracted_table, speaker_normalised_table, table_mean
from awetools.semantic.contextual import contextual_table, load_word_segments
from awetools.semantic.embed import embed_semantic_table
from awetools.semantic.modeldir import is_semantic_model


@app.command("embed")
def embed_command(
    args: list[str] = typer.Argument(..., metavar="[MODEL_DIR...] RSPECIFIER WSPECIFIER", help="Model dir (omitted with --downsample; several phonetic ones: an ensemble), feature table in, vector table out."),
    downsample: int | None = typer.Option(None, "--downsample", metavar="N", help="No model: N frames sampled uniformly (interpolated) and flattened (N x dim)."),
    batch_size: int = typer.Option(256, "--batch-size", help="Segments per batch (batches are sorted by length)."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    nj: int = typer.Option(1, "--nj", help="CPU processes, one thread each (worth it for large inputs: each worker starts in a few seconds)."),
    speaker_mvn: Path | None = typer.Option(None, "--speaker-mvn", metavar="UTT2SPK", help="Normalise the vectors per speaker of UTT2SPK ('<segment> <speaker>', e.g. a word-segment dir's utt2spk): zero mean, unit variance per dimension (input AWEs of semantic models; phonetic AWEs of unseen speakers)."),
    subtract_mean: bool = typer.Option(False, "--subtract-mean", help="Subtract the mean vector of the whole table from every vector (Kaldi's ivector-subtract-global-mean; needs no speakers): cosines measured from the centroid of the words compared, e.g. a synthetic-speech model on real recordings."),
    subtract_mean_of: str | None = typer.Option(None, "--subtract-mean-of", metavar="RSPECIFIER", help="As --subtract-mean, with the mean of the vector table RSPECIFIER (embedded by the same models, covering the same vocabulary) instead of the table's own: a search collection's mean for its queries, even a single one."),
    context: Path | None = typer.Option(None, "--context", metavar="WORDS_DIR", help="Join each vector with the mean vector of its neighbours in the utterance (seg2utt, seg2pos of the word-segment dir WORDS_DIR), both centred per speaker (its utt2spk): contextual semantic AWEs, which tell apart sound-alike words a cluster-skipgram space merges."),
    context_window: int = typer.Option(5, "--context-window", metavar="N", help="With --context: neighbours within N word positions (the skipgram's window)."),
    context_weight: float = typer.Option(0.5, "--context-weight", metavar="W", help="With --context: (1 - W) x the segment's centred unit vector + W x its context's (0: centred vectors only; 1: the context alone)."),
    output: str = typer.Option("embedding", "--output", help="embedding, or meaning: a multitask model's regressed word vectors (the text-vector space; for awe eval translate)."),
) -> None:
    """Embed every feature matrix of a table: one vector per segment, in input order.

    \b
    Usage: awe embed [options] MODEL_DIR [MODEL_DIR ...] RSPECIFIER WSPECIFIER
           awe embed --downsample N RSPECIFIER WSPECIFIER

    --subtract-mean (-of) or --speaker-mvn, and --context, transform the whole table once
    it is embedded, in that order.  Several phonetic model dirs make an ensemble: each model's
    vectors are scaled to unit length and concatenated (then to unit length), so the
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
    if context_window < 1 or not 0.0 <= context_weight <= 1.0:
        raise typer.BadParameter("--context-window must be >= 1 and --context-weight in [0, 1]")
    if sum([subtract_mean, subtract_mean_of is not None, speaker_mvn is not None]) > 1:
        raise typer.BadParameter("give one of --subtract-mean, --subtract-mean-of and --speaker-mvn "
                                 "(which already subtracts each speaker's mean)", param_hint="--subtract-mean")
    transforms = []  # whole-table steps after embedding: they need every segment at once
    if subtract_mean:
        transforms.append((mean_subtracted_table, "less their mean"))
    if subtract_mean_of is not None:
        reference = table_mean(subtract_mean_of)  # read before the (long) embedding
        transforms.append((lambda src, dst: mean_subtracted_table(src, dst, reference, subtract_mean_of),
                           f"less the mean of {subtract_mean_of}"))
    if speaker_mvn is not None:
        transforms.append((lambda src, dst: speaker_normalised_table(src, dst, speaker_mvn),
                           f"normalised per speaker of {speaker_mvn}"))
    if context is not None:
        words = load_word_segments(context)  # checked before the (long) embedding
        transforms.append((lambda src, dst: contextual_table(src, dst, words, context_window, context_weight),
                           f"with their context in {context} (window {context_window}, weight {context_weight})"))
    if transforms:
        with tempfile.TemporaryDirectory(prefix="awe-embed-") as tmp:
            source = f"h5:{Path(tmp) / 'raw.h5'}"
            embedded, _ = _embed(args[:-1] + [source], downsample, batch_size, device, nj, output)
            if subtract_mean and embedded < 2:
                raise AweError(f"{args[-2]}: a single segment is zero less its own mean "
                               "(--subtract-mean-of takes the mean of a larger table)")
            for step, (transform, _) in enumerate(transforms):
                target = args[-1] if step == len(transforms) - 1 else f"h5:{Path(tmp) / f'step{step}.h5'}"
                count = transform(source, target)
                source = target
        what = ", ".join(description for _, description in transforms)
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
