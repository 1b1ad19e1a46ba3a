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
    keep: float = 0.1
    patience: int = 5
    final_iterations: int = 20  # with keep = 1, before stopping

    def check(self) -> None:
        if self.vocab < 2 or not 0.0 < self.keep <= 1.0 or self.patience < 1 or self.final_iterations < 1:
            raise AweError("self-learning needs --init-vocab >= 2 (and keep in (0, 1], patience >= 1)")


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
        w = fit_map(src[dico.src], tgt[dico.tgt], map_kind)
        dico = induce(apply_map(src[:n], w), tgt[:n], build="union", method="csls", k=csls_k,
                      max_rank=0, keep=keep, generator=generator)
        iteration += 1
        settled += keep >= 1.0
        if iteration % options.patience == 0:
            keep = min(1.0, 2 * keep)
    return fit_map(src[dico.src], tgt[dico.tgt], map_kind)
