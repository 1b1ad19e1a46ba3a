"""Training losses, vectorised over the whole batch (no Python loop over pairs).

- :func:`nt_xent`: ContrastiveRNN's normalised-temperature cross-entropy over *every*
  ordered positive pair (i, j) in the batch (so both directions of each pair):
  ``-log exp(s_ij / tau) / sum_{k != i} exp(s_ik / tau)`` with ``s`` the cosine
  similarity; the denominator holds every other token of the batch, averaged over pairs.
- :func:`triplet`: for every ordered positive pair (a, p), ``max(0, margin + d(a, p) -
  d(a, n))`` with cosine distance ``d = 1 - cos``, averaged over pairs; n is a
  different-word token of the batch: the *hardest* (closest to a), or *semi-hard*
  (FaceNet's: the closest of those farther from a than p, the hardest where none is).
  From a random start every token is close to every other, and hardest negatives pin
  the loss at the margin with all embeddings alike for many epochs; semi-hard ones do not.
- :func:`masked_mse`: mean squared error over the valid frames of padded sequences.
- :func:`phone_cross_entropy`: per-phone cross-entropy, padding ignored.
- :func:`vector_regression`: squared Euclidean distance to the target word vector.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from awetools.models.decoders import PAD


def positive_mask(labels: torch.Tensor) -> torch.Tensor:
    """``[B, B]`` True where i != j and both tokens have the same label."""
    same = labels[:, None] == labels[None, :]
    return same & ~torch.eye(len(labels), dtype=torch.bool, device=labels.device)


def nt_xent(embeddings: torch.Tensor, labels: torch.Tensor, temperature: float = 0.1) -> torch.Tensor:
    """NT-Xent averaged over all ordered same-label pairs of the batch."""
    z = F.normalize(embeddings, dim=1)
    logits = (z @ z.T) / temperature
    self_mask = torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    log_prob = torch.log_softmax(logits.masked_fill(self_mask, float("-inf")), dim=1)
    positives = positive_mask(labels)
    if not positives.any():
        return embeddings.sum() * 0.0
    return -log_prob[positives].mean()


def cosine_distances(embeddings: torch.Tensor) -> torch.Tensor:
    z = F.normalize(embeddings, dim=1)
    return 1.0 - z @ z.T


TRIPLET_NEGATIVES = ("semi-hard", "hardest")


def triplet(embeddings: torch.Tensor, labels: torch.Tensor, margin: float = 0.4,
            negatives: str = "semi-hard") -> torch.Tensor:
    """Cosine triplet loss over all positive pairs, with one in-batch negative per pair."""
    if negatives not in TRIPLET_NEGATIVES:
        raise ValueError(f"negatives must be one of {TRIPLET_NEGATIVES}, not {negatives!r}")
    distances = cosine_distances(embeddings)
    positives = positive_mask(labels)
    if not positives.any():
        return embeddings.sum() * 0.0
    different = labels[:, None] != labels[None, :]
    negative_distances = distances.masked_fill(~different, float("inf"))
    chosen = negative_distances.min(dim=1, keepdim=True).values.expand_as(distances)
    if negatives == "semi-hard":
        ordered = negative_distances.sort(dim=1).values  # each anchor's negatives, then inf
        first = torch.searchsorted(ordered, distances.detach().contiguous(), right=True)
        semi_hard = ordered.gather(1, first.clamp(max=len(labels) - 1))
        chosen = torch.where(torch.isfinite(semi_hard) & (first < len(labels)), semi_hard, chosen)
    return F.relu(margin + distances - chosen)[positives].mean()


def masked_mse(predicted: torch.Tensor, target: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Mean over valid frames and dims of ``(predicted - target)^2`` ([B, T, D], lengths [B])."""
    steps = predicted.shape[1]
    valid = torch.arange(steps, device=lengths.device)[None, :] < lengths[:, None]
    squared = (predicted - target[:, :steps]) ** 2
    return squared[valid].mean()


def phone_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of ``[B, L, V]`` logits against ``[B, L]`` symbols, ``PAD`` ignored."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                           ignore_index=PAD)


def vector_regression(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Squared Euclidean distance per token (summed over dims), averaged over the batch."""
    return ((predicted - target) ** 2).sum(dim=1).mean()
