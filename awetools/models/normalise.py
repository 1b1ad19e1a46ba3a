"""Normalisation of a whole table of segment vectors (``--speaker-mvn``, ``--subtract-mean``
of ``awe embed`` and ``awe normalise``).

Speaker leaks into every semantic space trained on AWEs: context segments share the
centre's speaker, so "same speaker" is the easiest context signal to learn.  Normalising
the input AWEs per speaker (every dimension to zero mean and unit variance over the
speaker's segments, as per-speaker CMVN does for frames) takes the speaker's offset away.
The same holds for phonetic AWEs of speakers a model never heard: on real speech (FSDD)
it raises same-different AP by 0.03-0.05 for models trained on synthetic speech.

Subtracting a mean vector, as Kaldi's ``ivector-subtract-global-mean`` does for speaker
embeddings, needs no speakers at all: cosine similarities are then measured from the
centroid of the words being compared instead of the origin, which on real speech a
synthetic-trained model never heard ranks tokens better.  The mean must come from speech
of the same vocabulary (the table itself, or a search collection for its queries): on
FSDD a mean of other words lowers AP.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from awetools.errors import AweError
from awetools.features.segments import group_mvn
from awetools.io.datadir import read_kaldi_table
from awetools.io.tables import read_vectors


def speaker_normalised(keys: list[str], x: np.ndarray, utt2spk: str | Path) -> np.ndarray:
    """``x`` (one row per key) normalised per speaker of ``utt2spk`` (``<segment> <speaker>``)."""
    speaker_of = read_kaldi_table(utt2spk, check_sorted=False)
    missing = next((k for k in keys if k not in speaker_of), None)
    if missing is not None:
        raise AweError(f"{utt2spk}: no speaker for segment '{missing}' (--speaker-mvn needs one per segment)")
    return group_mvn(x, np.array([speaker_of[k] for k in keys]))


def table_mean(rspecifier: str) -> np.ndarray:
    """The mean vector (float64) of a vector table, e.g. a search collection's."""
    return read_vectors(rspecifier)[1].astype(np.float64).mean(axis=0)


def mean_subtracted(x: np.ndarray, name: str, mean: np.ndarray | None = None,
                    mean_of: str = "") -> np.ndarray:
    """``x`` less a mean vector: its own (the table ``name`` needs two rows), or ``mean``
    (the :func:`table_mean` of the table ``mean_of``, named in errors)."""
    x64 = x.astype(np.float64)
    if mean is None:
        if len(x) < 2:
            raise AweError(f"{name}: a single segment is zero less its own mean "
                           "(--subtract-mean-of takes the mean of a larger table)")
        mean = x64.mean(axis=0)
    elif len(mean) != x.shape[1]:
        raise AweError(f"{mean_of}: vectors of dim {len(mean)}, but {name}'s are of dim "
                       f"{x.shape[1]} (both must come from the same models)")
    return (x64 - mean).astype(np.float32)
