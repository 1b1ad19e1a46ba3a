"""Fully unsupervised mapping by robust self-learning (Artetxe et al. 2018, VecMap).

Where adversarial training has nothing to hold on to, VecMap starts from the *shape* of
each space: a word's sorted similarities to the other frequent words (rows of the square
root of the similarity matrix, sorted, so that the order of the words does not matter) look
alike in two isomorphic spaces.  CSLS nearest neighbours between those distributions (as
VecMap's start: plain nearest neighbours let a few hub rows collect the dictionary) give a
first, mostly wrong dictionary; self-learning then alternates a Procrustes fit with a new
dictionary of CSLS nearest neighbours (both directions), dropping each candidate score with
probability ``1 - keep`` so that early, noisy dictionaries do not lock in a bad map; ``keep``
starts small and doubles every ``patience`` iterations until it reaches 1.

While the dropout lasts (``keep`` < 1) each new dictionary is read, as in VecMap's
unsupervised setting, from both spaces put into a common space by the last one
(:func:`reweighted_spaces`: whitening, a rotation onto the shared axes, re-weighting by
the axes' agreement, de-whitening), not from the source under a plain rotation: the axes
on which the two spaces agree count more than the rest, which is what lets a wrong start
find its way.  The last ``final_iterations`` (``keep`` = 1) use the plain rotation, the
map this returns, so that its dictionary is the one that rotation ranks best.  Measured
(recipes/semantic/results/context): on the contextual cluster-skipgram space at W = 0.5,
where the plain rotation never left its wrong start (CSLS P@10 0.167), this finds the map
(0.559; supervised Procrustes 0.623); re-weighting to the end found a worse rotation on a
W = 1 space (0.787 against 0.925).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from awetools.align.dictionary import Dictionary, induce
from awetools.align.normalize import normalize
from awetools.align.procrustes import apply_map, fit_map
from awetools.errors import AweError


@dataclass
class SelfLearningOptions:
    """``vocab``: the most frequent words of each side that the start and the dictionaries use."""

    vocab: int = 4000
    reweight: float | None = 0.5  # None: dictionaries from the plainly rotated source
    keep: float = 0.1
    patience: int = 5
    final_iterations: int = 20  # with keep = 1, before stopping

    def check(self) -> None:
        if self.vocab < 2 or not 0.0 < self.keep <= 1.0 or self.patience < 1 or self.final_iterations < 1:
            raise AweError("self-learning needs --init-vocab >= 2 (and keep in (0, 1], patience >= 1)")
        if self.reweight is not None and not 0.0 <= self.reweight <= 1.0:
            raise AweError(f"--reweight {self.reweight}: must be between 0 and 1")


def similarity_distributions(x: np.ndarray) -> np.ndarray:
    """Each row's sorted similarities (square root of ``x x^T``), unit length and centred."""
    u, s, _ = np.linalg.svd(x, full_matrices=False)
    return normalize(np.sort((u * s) @ u.T, axis=1), "renorm,center,renorm")[0]


def initial_dictionary(src: np.ndarray, tgt: np.ndarray, vocab: int, csls_k: int = 10) -> Dictionary:
    """CSLS nearest neighbours both ways between the similarity distributions of the
    ``vocab`` most frequent words of each side (rows are in frequency order)."""
    n = min(vocab, len(src), len(tgt))
    return induce(similarity_distributions(src[:n]), similarity_distributions(tgt[:n]),
                  build="union", method="csls", k=csls_k, max_rank=0)


def whitening(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The symmetric ``(x^T x)^(-1/2)`` (rows times it have an identity covariance) and its
    inverse ``(x^T x)^(1/2)``, both from one SVD."""
    _, s, vt = np.linalg.svd(x, full_matrices=False)
    s = np.maximum(s, 1e-12)
    return (vt.T / s) @ vt, (vt.T * s) @ vt


def reweighted_spaces(src: np.ndarray, tgt: np.ndarray, dico: Dictionary, reweight: float
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Both spaces in VecMap's common space fitted on the dictionary pairs (Artetxe et al.
    2018, AAAI): each side whitened on its dictionary rows, both rotated onto the singular
    axes of their cross-covariance, each axis scaled by its singular value to the power
    ``reweight`` (the axes on which the pairs agree count more), each side de-whitened in
    its own rotated frame.  Dimensions must match (as for the orthogonal map)."""
    x, z = src.astype(np.float64), tgt.astype(np.float64)
    (white_x, colour_x), (white_z, colour_z) = whitening(x[dico.src]), whitening(z[dico.tgt])
    u, s, vt = np.linalg.svd((x[dico.src] @ white_x).T @ (z[dico.tgt] @ white_z))
    scale = s ** reweight
    dewhite_x = u.T @ colour_x @ u
    dewhite_z = vt @ colour_z @ vt.T
    mapped_x = (x @ white_x @ u) * scale @ dewhite_x
    mapped_z = (z @ white_z @ vt.T) * scale @ dewhite_z
    return mapped_x.astype(np.float32), mapped_z.astype(np.float32)


def self_learning(src: np.ndarray, tgt: np.ndarray, options: SelfLearningOptions, map_kind: str,
                  csls_k: int, rng: np.random.Generator) -> np.ndarray:
    """The map ``w`` (``apply_map(src, w)`` ~ ``tgt``) after stochastic self-learning from
    the similarity-distribution start; both sides normalised, rows in frequency order."""
    options.check()
    n = min(options.vocab, len(src), len(tgt))
    generator = torch.Generator().manual_seed(int(rng.integers(2**62)))
    dico = initial_dictionary(src, tgt, n, csls_k)
    keep, iteration, settled = options.keep, 0, 0
    while settled < options.final_iterations:
        if options.reweight is None or src.shape[1] != tgt.shape[1] or keep >= 1.0:
            spaces = apply_map(src[:n], fit_map(src[dico.src], tgt[dico.tgt], map_kind)), tgt[:n]
        else:
            spaces = reweighted_spaces(src[:n], tgt[:n], dico, options.reweight)
        dico = induce(*spaces, build="union", method="csls", k=csls_k, max_rank=0, keep=keep,
                      generator=generator)
        iteration += 1
        settled += keep >= 1.0
        if iteration % options.patience == 0:
            keep = min(1.0, 2 * keep)
    return fit_map(src[dico.src], tgt[dico.tgt], map_kind)
