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

Both parts are centred per speaker before they are joined.  Embedding vectors share a
common direction ("all-but-the-top", Mu and Viswanath 2018), which a mean of many of them
makes dominant; and a segment's neighbours share its speaker, so their mean carries the
speaker's offset more clearly than any one of them (speaker probe of the space, demo
model: 0.43 centred over the table, 0.14 centred per speaker, input 0.07).  The output is
``(1 - weight) * unit(c_i) + weight * unit(m_i)``, with ``c_i`` the segment's unit
vector minus its speaker's mean unit vector and ``m_i`` the mean of its context's unit
vectors minus the speaker's mean of those (zero for a segment with no context).
``weight`` 0 gives centred vectors, 1 the context alone.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy import sparse

from awetools.errors import AweError
from awetools.features.segments import group_mvn
from awetools.io.datadir import DataDir
from awetools.semantic.context import context_pairs


def _unit(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length; zero rows stay zero."""
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, norm, out=np.zeros_like(x), where=norm > 0)


def _centred(x: np.ndarray, groups: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``x`` with each group's mean over ``rows`` (a mask) taken from those rows; others 0."""
    out = np.zeros_like(x)
    out[rows] = group_mvn(x[rows], groups[rows], variance=False)
    return out


def contextual_vectors(x: np.ndarray, utterances: np.ndarray, positions: np.ndarray,
                       speakers: np.ndarray, window: int, weight: float) -> np.ndarray:
    """Contextual vectors ``[N, D]`` of segment vectors ``x`` ``[N, D]`` whose utterance,
    word position and speaker are ``utterances``, ``positions``, ``speakers`` (see the
    module docstring)."""
    if not 0.0 <= weight <= 1.0:
        raise AweError(f"--context-weight must be in [0, 1] (got {weight})")
    u = _unit(x.astype(np.float64))
    pairs = context_pairs(utterances, positions, window)
    n = len(u)
    neighbours = sparse.csr_matrix((np.ones(len(pairs)), (pairs.center, pairs.context)), shape=(n, n))
    counts = np.asarray(neighbours.sum(axis=1))
    context = np.divide(neighbours @ u, counts, out=np.zeros_like(u), where=counts > 0)
    context = _centred(context, speakers, counts[:, 0] > 0)
    centre = _centred(u, speakers, np.ones(n, dtype=bool))
    return ((1.0 - weight) * _unit(centre) + weight * _unit(context)).astype(np.float32)


def load_word_segments(words_dir: str | Path) -> DataDir:
    """The word-segment data dir whose ``seg2utt``, ``seg2pos`` and ``utt2spk`` place each segment."""
    return DataDir.load(words_dir, require=("seg2utt", "seg2pos", "utt2spk"))


def contextual(keys: list[str], x: np.ndarray, data: DataDir, window: int, weight: float,
               name: str) -> np.ndarray:
    """The contextual vectors of ``x`` (one row per key of the table ``name``, named in
    errors), whose keys are segments of the word-segment data dir ``data``
    (:func:`load_word_segments`)."""
    missing = next((k for k in keys if k not in data.seg2utt or k not in data.seg2pos
                    or k not in data.utt2spk), None)
    if missing is not None:
        raise AweError(f"{data.path}: segment '{missing}' of {name} is not in seg2utt, seg2pos "
                       "and utt2spk (--context needs the word-segment dir the segments came from)")
    utterances = np.array([data.seg2utt[k] for k in keys])
    positions = np.array([data.seg2pos[k] for k in keys], dtype=np.int64)
    speakers = np.array([data.utt2spk[k] for k in keys])
    return contextual_vectors(x, utterances, positions, speakers, window, weight)
