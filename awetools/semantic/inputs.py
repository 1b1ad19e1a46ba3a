"""What a skipgram model reads per segment, gathered into batch tensors by segment row.

- :class:`VectorInput`: one frozen phonetic AWE per segment ``[N, D]``;
- :class:`FeatureInput`: one feature matrix ``[T, D]`` per segment (padded per batch);
- :class:`UnitInput`: one sequence of discrete frame units per segment: every frame gets
  its nearest codebook centroid (faiss), consecutive repeats are collapsed, ids are
  shifted by one so that 0 pads;
- :class:`SoftLabelInput`: the soft pseudo-word label of every segment (cluster-skipgram);
- :class:`LabelInput`: the word type id of every segment (the text topline).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from awetools.cluster.kmeans import nearest
from awetools.models.embed import pad_batch


@dataclass
class VectorInput:
    vectors: np.ndarray

    def batch(self, rows: np.ndarray, device: torch.device) -> tuple[torch.Tensor]:
        return (torch.from_numpy(self.vectors[rows]).to(device),)


@dataclass
class FeatureInput:
    feats: list[np.ndarray]

    def batch(self, rows: np.ndarray, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        padded, lengths = pad_batch([torch.tensor(self.feats[i]) for i in rows])  # copies: tables may be read-only
        return padded.to(device), lengths.to(device)


def frame_units(feats: list[np.ndarray], codebook: np.ndarray) -> list[np.ndarray]:
    """Collapsed unit sequences (ids 1..U) of feature matrices, one faiss search for all frames."""
    frames = np.concatenate(feats).astype(np.float32)
    units = nearest(frames, codebook.astype(np.float32), 1)[1][:, 0] + 1
    lengths = np.array([len(m) for m in feats])
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    keep = np.r_[True, units[1:] != units[:-1]]
    keep[starts] = True  # every segment starts a new run
    kept_per_segment = np.add.reduceat(keep.astype(np.int64), starts)
    return np.split(units[keep], np.cumsum(kept_per_segment)[:-1])


@dataclass
class UnitInput:
    seqs: list[np.ndarray]

    def batch(self, rows: np.ndarray, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        padded, lengths = pad_batch([torch.from_numpy(self.seqs[i]) for i in rows])
        return padded.long().to(device), lengths.to(device)


@dataclass
class SoftLabelInput:
    index: np.ndarray   # [N, top] cluster ids
    weight: np.ndarray  # [N, top] their weights

    def batch(self, rows: np.ndarray, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.from_numpy(self.index[rows]).to(device), torch.from_numpy(self.weight[rows]).to(device)


@dataclass
class LabelInput:
    ids: np.ndarray

    def batch(self, rows: np.ndarray, device: torch.device) -> tuple[torch.Tensor]:
        return (torch.from_numpy(self.ids[rows]).to(device),)
