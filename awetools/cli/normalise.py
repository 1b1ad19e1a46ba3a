"""``awe normalise``: ``awe embed``'s whole-table transforms, on a vector table embedded earlier."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from awetools.cli.main import app
from awetools.cli.vector_options import (CONTEXT, CONTEXT_WEIGHT, CONTEXT_WINDOW, SPEAKER_MVN,
                                         SUBTRACT_MEAN, SUBTRACT_MEAN_OF, chain_of_options)
from awetools.vector_transforms import describe, transform_table


@app.command("normalise")
def normalise_command(
    rspecifier: str = typer.Argument(..., metavar="RSPECIFIER", help="Vector table in (one vector per key, e.g. from awe embed)."),
    wspecifier: str = typer.Argument(..., metavar="WSPECIFIER", help="Vector table out (may be the input table: it is read whole first, written atomically)."),
    speaker_mvn: Path | None = SPEAKER_MVN,
    subtract_mean: bool = SUBTRACT_MEAN,
    subtract_mean_of: str | None = SUBTRACT_MEAN_OF,
    context: Path | None = CONTEXT,
    context_window: int = CONTEXT_WINDOW,
    context_weight: float = CONTEXT_WEIGHT,
) -> None:
    """Normalise (or contextualise) a vector table already embedded, as awe embed's options
    of the same names would have: one model run, several normalisations.

    \b
    Usage: awe normalise OPTION... RSPECIFIER WSPECIFIER

    --subtract-mean (-of) or --speaker-mvn, then --context, in that order, over the whole
    table (each needs every segment at once: a mean, a speaker's statistics, an
    utterance's neighbours).  Keys and their order are kept.  Kaldi's
    ivector-subtract-global-mean is --subtract-mean.

    Example:

    \b
      awe embed exp/phon scp:feats/real.scp h5:emb/real.h5
      awe normalise --subtract-mean h5:emb/real.h5 h5:emb/real_centred.h5
      awe normalise --speaker-mvn data/real_words/utt2spk h5:emb/real.h5 h5:emb/real_spkmvn.h5
      awe normalise --subtract-mean-of h5:emb/collection.h5 ark:emb/queries.ark h5:emb/queries_centred.h5
      awe normalise --context data/train_words --context-weight 1 h5:emb/semantic.h5 h5:emb/semantic_ctx1.h5
    """
    chain = chain_of_options(subtract_mean, subtract_mean_of, speaker_mvn, context, context_window,
                             context_weight)
    if not chain:
        raise typer.BadParameter("give at least one of --subtract-mean, --subtract-mean-of, "
                                 "--speaker-mvn and --context", param_hint="options")
    count = transform_table(rspecifier, wspecifier, chain)
    print(f"awe normalise: wrote {count} vectors {describe(chain)} to {wspecifier}", file=sys.stderr)
