"""The training signal of every method, computed from a batch of (center, context) rows.

:class:`SkipgramTask` couples a model with what it reads (an input of
:mod:`awetools.semantic.inputs`), the soft labels (cluster-skipgram) and the loss
options.  Segments needed several times in a batch are encoded once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from awetools.cluster.soft import SoftLabels
from awetools.semantic.models import nt_xent_pairs, sgns, soft_cross_entropy
from awetools.train.losses import masked_mse


@dataclass(frozen=True)
class LossOptions:
    """``negatives`` per pair (SGNS), NT-Xent ``temperature``, ``hard`` one-hot cluster
    labels, and cluster-skipgram's ``objective`` (softmax or sgns)."""

    negatives: int = 10
    temperature: float = 0.1
    hard: bool = False
    objective: str = "softmax"


class SkipgramTask:
    """Loss and encoding for one method; ``noise`` is the negative-sampling distribution."""

    def __init__(self, method: str, model: nn.Module, inputs, options: LossOptions,
                 device: torch.device, soft: SoftLabels | None = None,
                 noise: np.ndarray | None = None):
        self.method, self.model, self.inputs, self.options = method, model, inputs, options
        self.device = device
        self.soft = soft
        self.noise = noise  # probabilities over what negatives are drawn from (rows or item ids)
        # negatives are items (word or cluster ids) with a table of their own, not segments
        self.item_negatives = method == "text" or options.objective == "sgns"

    def _encode(self, rows: np.ndarray) -> torch.Tensor:
        """Encode each distinct row once; returns vectors in the order of ``rows``."""
        unique, inverse = np.unique(rows, return_inverse=True)
        vectors = self.model.encode(*self.inputs.batch(unique, self.device))
        return vectors[torch.from_numpy(inverse).to(self.device)]

    def _negatives(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``[n, negatives]`` draws from the noise distribution.

        Segment-level methods draw from a shared pool of ``max(n, negatives)`` segments per
        batch, so a batch encodes at most about ``3n`` distinct segments, not ``n * (2 + k)``.
        """
        k = self.options.negatives
        if self.item_negatives:
            return rng.choice(len(self.noise), size=(n, k), p=self.noise)
        pool = rng.choice(len(self.noise), size=max(n, k), p=self.noise)
        return pool[rng.integers(0, len(pool), size=(n, k))]

    def loss(self, center: np.ndarray, context: np.ndarray, rng: np.random.Generator) -> torch.Tensor:
        model, method, b = self.model, self.method, len(center)
        if method == "cluster-skipgram" and not self.item_negatives:
            logits = model.output(self._encode(center))
            index = self.soft.index[context]
            weight = self.soft.weight[context]
            if self.options.hard:
                index, weight = index[:, :1], np.ones_like(weight[:, :1])
            return soft_cross_entropy(logits, torch.from_numpy(index).to(self.device),
                                      torch.from_numpy(weight).to(self.device))
        if method in ("projection", "contrastive"):
            both = self._encode(np.concatenate([center, context]))
            return nt_xent_pairs(both[:b], both[b:], self.options.temperature)
        if method == "speech2vec":
            target, lengths = self.inputs.batch(context, self.device)
            decoded = model.decoder(self._encode(center), lengths)
            return masked_mse(decoded, target, lengths)
        negatives = self._negatives(b, rng)
        if method == "units":  # shared encoder, linear head for the context role
            rows = np.concatenate([center, context, negatives.ravel()])
            vectors = self._encode(rows)
            outside = model.context(vectors[b:])
            return sgns(vectors[:b], outside[:b], outside[b:].view(b, -1, outside.shape[1]))
        if self.item_negatives:  # a context table over item ids; negatives are item ids
            # text: the context's word; cluster-skipgram sgns: the context's nearest cluster
            positives = self.inputs.ids[context] if method == "text" else self.soft.index[context, 0]
            ids = np.concatenate([positives, negatives.ravel()])
            outside = model.context(torch.from_numpy(ids).to(self.device))
        else:  # two-stage: context MLP over the AWEs of context and negative segments
            unique, inverse = np.unique(np.concatenate([context, negatives.ravel()]),
                                        return_inverse=True)
            outside = model.context(*self.inputs.batch(unique, self.device))
            outside = outside[torch.from_numpy(inverse).to(self.device)]
        return sgns(self._encode(center), outside[:b], outside[b:].view(b, -1, outside.shape[1]))
