"""Which frames belong to a segment, and per-group mean and variance normalisation.

Time-to-frame rule (all frame extractors): frame ``t`` is centred at
``t * frame_shift + frame_center`` seconds; a segment ``[start, end)`` takes the frames
whose centres fall inside it.  A segment shorter than one frame shift takes the single
frame nearest to its midpoint, so no segment is ever empty.
"""

from __future__ import annotations

import numpy as np


def frame_ranges(starts: np.ndarray, ends: np.ndarray, frame_shift: float, frame_center: float,
                 num_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """First (inclusive) and last (exclusive) frame of every segment, vectorised."""
    starts = np.asarray(starts, dtype=np.float64)
    ends = np.asarray(ends, dtype=np.float64)
    eps = 1e-9
    first = np.ceil((starts - frame_center) / frame_shift - eps).astype(np.int64)
    last = np.ceil((ends - frame_center) / frame_shift - eps).astype(np.int64)
    first = np.clip(first, 0, num_frames)
    last = np.clip(last, 0, num_frames)
    empty = last <= first
    if empty.any():
        middle = np.rint(((starts + ends) / 2 - frame_center) / frame_shift).astype(np.int64)
        middle = np.clip(middle, 0, max(num_frames - 1, 0))
        first = np.where(empty, middle, first)
        last = np.where(empty, middle + 1, last)
    return first, last


class MeanVarianceStats:
    """Accumulates Kaldi-style CMVN statistics (count, sum, sum of squares) in float64."""

    def __init__(self, dim: int):
        self.count = 0
        self.total = np.zeros(dim)
        self.squares = np.zeros(dim)

    def add(self, frames: np.ndarray) -> None:
        frames = frames.astype(np.float64)
        self.count += len(frames)
        self.total += frames.sum(axis=0)
        self.squares += (frames * frames).sum(axis=0)

    def mean_and_scale(self, variance_floor: float = 1e-10) -> tuple[np.ndarray, np.ndarray]:
        """Mean and 1/std per dimension (Kaldi floors the variance at 1e-10)."""
        if self.count == 0:
            dim = len(self.total)
            return np.zeros(dim), np.ones(dim)
        mean = self.total / self.count
        variance = np.maximum(self.squares / self.count - mean * mean, variance_floor)
        return mean, 1.0 / np.sqrt(variance)


def normalise(features: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Apply mean and variance normalisation whose statistics cover ``len(mean)`` dimensions.

    Statistics over every dimension (post-delta CMVN, as in Kamper's AWE recipes) are
    applied as they are.  Statistics over the static part only (``len(mean)`` divides
    the feature dim) are applied as Kaldi's ``apply-cmvn | add-deltas`` would: the
    regression windows of the deltas sum to zero, so the mean cancels for them and only
    the static scale applies.
    """
    repeats = features.shape[1] // len(mean)
    full_mean = np.concatenate([mean, np.zeros(len(mean) * (repeats - 1))])
    full_scale = np.tile(scale, repeats)
    return ((features - full_mean) * full_scale).astype(np.float32)


def group_mvn(x: np.ndarray, groups: np.ndarray, variance_floor: float = 1e-10,
              variance: bool = True) -> np.ndarray:
    """Rows of ``x`` normalised to zero mean and unit variance within their group (e.g. the
    segment vectors of one speaker), in one pass over all groups; float32 out.  With
    ``variance`` False, to zero mean only."""
    _, ids = np.unique(groups, return_inverse=True)
    x64 = x.astype(np.float64)
    count = np.bincount(ids)[:, None]
    mean = np.zeros((len(count), x.shape[1]))
    np.add.at(mean, ids, x64)
    mean /= count
    if not variance:
        return (x64 - mean[ids]).astype(np.float32)
    squares = np.zeros_like(mean)
    np.add.at(squares, ids, x64 * x64)
    spread = np.maximum(squares / count - mean * mean, variance_floor)
    return ((x64 - mean[ids]) / np.sqrt(spread[ids])).astype(np.float32)
