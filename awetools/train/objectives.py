"""One training step's loss for each objective, from token indices of a batch.

:class:`TrainTensors` holds everything a batch may need (features as tensors, type ids,
phone targets, word vectors); :func:`batch_loss` builds the batch and returns the loss.
Keeping this apart from the loop lets a distributed wrapper reuse it unchanged.

CAE: in ``"ae"`` phase every token reconstructs itself; in ``"cae"`` phase it
reconstructs another token of the same word in the batch (the next one in a cycle over
the word's tokens; a word alone in the batch reconstructs itself).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from awetools.errors import AweError
from awetools.models.awe import PAIR_OBJECTIVES, AweModel
from awetools.models.embed import pad_batch
from awetools.train.losses import (TRIPLET_NEGATIVES, masked_mse, nt_xent, phone_cross_entropy,
                                   triplet, vector_regression)
from awetools.train.specaugment import SpecAugment, augment_batch
from awetools.train.targets import pad_phones


@dataclass
class LossOptions:
    objective: str = "contrastive"
    temperature: float = 0.1
    margin: float = 0.4
    alpha: float = 1.0
    beta: float = 1.0
    spec_augment: SpecAugment = field(default_factory=SpecAugment)  # input warping and masking (training)
    triplet_negatives: str = "semi-hard"  # or "hardest" (the multi-task AWE paper's)

    def __post_init__(self) -> None:
        if self.triplet_negatives not in TRIPLET_NEGATIVES:
            raise AweError(f"unknown triplet negatives '{self.triplet_negatives}' "
                           f"(one of {', '.join(TRIPLET_NEGATIVES)})")


@dataclass
class TrainTensors:
    """Per-token training material, indexed by token number."""

    feats: list[torch.Tensor]
    labels: np.ndarray                          # int type id per token
    phones: list[torch.Tensor] | None = None    # multitask form targets
    vectors: torch.Tensor | None = None         # multitask meaning targets [N, K]

    @property
    def lengths(self) -> np.ndarray:
        return np.array([f.shape[0] for f in self.feats], dtype=np.int64)


def partners(labels: np.ndarray) -> np.ndarray:
    """For each position, another position with the same label (cyclic; itself if alone)."""
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    starts = np.flatnonzero(np.r_[True, sorted_labels[1:] != sorted_labels[:-1]])
    counts = np.diff(np.r_[starts, len(labels)])
    position = np.arange(len(labels)) - np.repeat(starts, counts)
    nxt = np.repeat(starts, counts) + (position + 1) % np.repeat(counts, counts)
    result = np.empty(len(labels), dtype=np.int64)
    result[order] = order[nxt]
    return result


def batch_loss(model: AweModel, data: TrainTensors, index: np.ndarray, options: LossOptions,
               device: torch.device, phase: str = "cae") -> torch.Tensor:
    """Loss of the batch made of tokens ``index`` (``phase``: ``ae`` or ``cae`` for cae)."""
    feats, lengths = pad_batch([data.feats[i] for i in index])
    feats, lengths = feats.to(device), lengths.to(device)
    labels = torch.as_tensor(data.labels[index], device=device)
    embeddings = model(*augment_batch(feats, lengths, options.spec_augment))
    objective = options.objective
    core = model.module if hasattr(model, "module") else model  # DDP wraps the model
    if objective in PAIR_OBJECTIVES:
        compared = embeddings if core.projection_head is None else core.projection_head(embeddings)
        if objective == "contrastive":
            return nt_xent(compared, labels, options.temperature)
        return triplet(compared, labels, options.margin, options.triplet_negatives)
    if objective == "cae":
        target = (np.arange(len(index)) if phase == "ae"
                  else partners(data.labels[index]))
        target = torch.as_tensor(target, device=device)
        decoded = core.frame_decoder(embeddings, lengths[target])
        return masked_mse(decoded, feats[target], lengths[target])
    loss = embeddings.new_zeros(())
    if options.alpha > 0:
        phones = pad_phones([data.phones[i] for i in index]).to(device)
        logits = core.phone_decoder(embeddings, phones.shape[1])
        loss = loss + options.alpha * phone_cross_entropy(logits, phones)
    if options.beta > 0:
        predicted = core.meaning_head(embeddings)
        loss = loss + options.beta * vector_regression(predicted, data.vectors[index].to(device))
    return loss
