"""Contextual vectors of word segments (``awe embed --context``): each segment's vector
joined with the mean vector of its neighbours in the utterance.

Cluster+Skipgram gives a segment the vector of its pseudo-word, so a word whose tokens
fall into a more frequent sound-alike's cluster (meat / meet, hill / kill) gets that
word's meaning: the diagnosis ladder traced most of the gap to the text model to this
absorption (``recipes/semantic/results/ladder.md``).  The two words still occur in
different company.  The mean of a segment's context vectors (the segments within
``window`` word positions, as the skipgram's pairs are taken) carries that company;
averaged over a word's tokens it is the word's distributional profile in the learnt space,
which tells absorbed words apart where their own vectors cannot.

Both parts are centred before they are joined: cosine similarity of raw skipgram
vectors is dominated by the direction all of them share (frequency), as in "all-but-the-top"
post-processing (Mu and Viswanath 2018), and a mean of many vectors is dominated by it
even more.  The output is ``(1 - weight) * unit(c_i) + weight * unit(m_i)``, with
``c_i`` the segment's unit vector minus the table's mean unit vector and ``m_i`` the mean
of its context's unit vectors minus the mean over the table of those (zero for a segment
with no context).  ``weight`` 0 gives centred vectors, 1 the context alone.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy import sparse

from awetools.errors import AweError
from awetools.io.datadir import DataDir
from awetools.io.tables import read_vectors, write_vectors
from awetools.semantic.context import context_pairs


def _unit(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length; zero rows stay zero."""
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, norm, out=np.zeros_like(x), where=norm > 0)


def contextual_vectors(x: np.ndarray, utterances: np.ndarray, positions: np.ndarray,
                       window: int, weight: float) -> np.ndarray:
    """Contextual vectors ``[N, D]`` of segment vectors ``x`` ``[N, D]`` whose utterance
    and word position are ``utterances`` and ``positions`` (see the module docstring)."""
    if not 0.0 <= weight <= 1.0:
        raise AweError(f"--context-weight must be in [0, 1] (got {weight})")
    u = _unit(x.astype(np.float64))
    pairs = context_pairs(utterances, positions, window)
    n = len(u)
    neighbours = sparse.csr_matrix((np.ones(len(pairs)), (pairs.center, pairs.context)), shape=(n, n))
    counts = np.asarray(neighbours.sum(axis=1))
    context = np.divide(neighbours @ u, counts, out=np.zeros_like(u), where=counts > 0)
    context[counts[:, 0] > 0] -= context[counts[:, 0] > 0].mean(axis=0)
    centre = u - u.mean(axis=0)
    return ((1.0 - weight) * _unit(centre) + weight * _unit(context)).astype(np.float32)


def load_word_segments(words_dir: str | Path) -> DataDir:
    """The word-segment data dir whose ``seg2utt`` and ``seg2pos`` place each segment."""
    return DataDir.load(words_dir, require=("seg2utt", "seg2pos"))


def contextual_table(rspecifier: str, wspecifier: str, data: DataDir, window: int,
                     weight: float) -> int:
    """Write the contextual vectors of the table ``rspecifier``, whose keys are segments of
    the word-segment data dir ``data`` (:func:`load_word_segments`); returns the count."""
    keys, x = read_vectors(rspecifier)
    missing = next((k for k in keys if k not in data.seg2utt or k not in data.seg2pos), None)
    if missing is not None:
        raise AweError(f"{data.path}: segment '{missing}' of {rspecifier} is not in seg2utt and "
                       "seg2pos (--context needs the word-segment dir the segments came from)")
    utterances = np.array([data.seg2utt[k] for k in keys])
    positions = np.array([data.seg2pos[k] for k in keys], dtype=np.int64)
    write_vectors(wspecifier, keys, contextual_vectors(x, utterances, positions, window, weight))
    return len(keys)
