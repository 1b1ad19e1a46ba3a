"""Options of the whole-table vector transforms, shared by ``awe embed`` (after embedding)
and ``awe normalise`` (a table embedded earlier): :mod:`awetools.vector_transforms`."""

from __future__ import annotations

from pathlib import Path

import typer

from awetools.vector_transforms import VectorTransform, vector_transforms

SPEAKER_MVN = typer.Option(None, "--speaker-mvn", metavar="UTT2SPK", help="Normalise the vectors per speaker of UTT2SPK ('<segment> <speaker>', e.g. a word-segment dir's utt2spk): zero mean, unit variance per dimension (input AWEs of semantic models; phonetic AWEs of unseen speakers).")
SUBTRACT_MEAN = typer.Option(False, "--subtract-mean", help="Subtract the mean vector of the whole table from every vector (Kaldi's ivector-subtract-global-mean; needs no speakers): cosines measured from the centroid of the words compared, e.g. a synthetic-speech model on real recordings.")
SUBTRACT_MEAN_OF = typer.Option(None, "--subtract-mean-of", metavar="RSPECIFIER", help="As --subtract-mean, with the mean of the vector table RSPECIFIER (embedded by the same models, covering the same vocabulary) instead of the table's own: a search collection's mean for its queries, even a single one.")
CONTEXT = typer.Option(None, "--context", metavar="WORDS_DIR", help="Join each vector with the mean vector of its neighbours in the utterance (seg2utt, seg2pos of the word-segment dir WORDS_DIR), both centred per speaker (its utt2spk): contextual semantic AWEs, which tell apart sound-alike words a cluster-skipgram space merges.")
CONTEXT_WINDOW = typer.Option(5, "--context-window", metavar="N", help="With --context: neighbours within N word positions (the skipgram's window).")
CONTEXT_WEIGHT = typer.Option(0.5, "--context-weight", metavar="W", help="With --context: (1 - W) x the segment's centred unit vector + W x its context's (0: centred vectors only; 1: the context alone).")


def chain_of_options(subtract_mean: bool, subtract_mean_of: str | None, speaker_mvn: Path | None,
                     context: Path | None, context_window: int,
                     context_weight: float) -> list[VectorTransform]:
    """The transforms the options ask for, checked (usage errors exit 2); what they read
    besides the table is read now (a bad path exits 1 before any work)."""
    if context_window < 1 or not 0.0 <= context_weight <= 1.0:
        raise typer.BadParameter("--context-window must be >= 1 and --context-weight in [0, 1]")
    if sum([subtract_mean, subtract_mean_of is not None, speaker_mvn is not None]) > 1:
        raise typer.BadParameter("give one of --subtract-mean, --subtract-mean-of and --speaker-mvn "
                                 "(which already subtracts each speaker's mean)", param_hint="--subtract-mean")
    return vector_transforms(subtract_mean=subtract_mean, subtract_mean_of=subtract_mean_of,
                             speaker_mvn=speaker_mvn, context=context, context_window=context_window,
                             context_weight=context_weight)
