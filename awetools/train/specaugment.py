"""SpecAugment-style masking of the training input (Park et al. 2019), sized for words.

During training only, every segment of a padded batch gets ``time_masks`` spans of
0..W frames set to zero, where W = min(``time_mask_width``, ``time_mask_ratio`` x its
length), and ``freq_masks`` bands of 0..``freq_mask_width`` feature dimensions set to
zero over all its frames.  Zero is the mean of mean-and-variance-normalised features, so a
mask removes information without adding an outlier.  Validation and ``awe embed`` never
see masks.  Widths and positions come from torch's default generator, which the training
loop seeds from ``(seed, epoch)``: ``--seed`` runs stay repeatable and resumable.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from awetools.errors import AweError


@dataclass
class SpecAugment:
    """Masking options (0 masks: off)."""

    time_masks: int = 0
    time_mask_width: int = 5         # frames
    time_mask_ratio: float = 0.2     # a time mask covers at most this share of the segment
    freq_masks: int = 0
    freq_mask_width: int = 5         # feature dimensions

    def __post_init__(self) -> None:
        for name in ("time_masks", "time_mask_width", "freq_masks", "freq_mask_width"):
            if getattr(self, name) < 0:
                raise AweError(f"--{name.replace('_', '-')} {getattr(self, name)}: must be >= 0")
        if not 0 <= self.time_mask_ratio <= 1:
            raise AweError(f"--time-mask-ratio {self.time_mask_ratio}: must be in [0, 1]")

    @property
    def enabled(self) -> bool:
        return self.time_masks > 0 or self.freq_masks > 0


def _spans(size: torch.Tensor, max_width: torch.Tensor, count: int, axis: int) -> torch.Tensor:
    """``[B, axis]`` True inside ``count`` random spans per row (width 0..max_width, inside
    0..size); all rows at once."""
    rows = size.shape[0]
    widths = (torch.rand(rows, count) * (max_width[:, None] + 1)).floor()
    starts = (torch.rand(rows, count) * (size[:, None] - widths + 1)).floor()
    position = torch.arange(axis)[None, None, :]
    inside = (position >= starts[..., None]) & (position < (starts + widths)[..., None])
    return inside.any(dim=1)


def mask_batch(feats: torch.Tensor, lengths: torch.Tensor, options: SpecAugment) -> torch.Tensor:
    """A masked copy of the padded batch ``feats`` ``[B, T, D]`` (``lengths`` ``[B]``)."""
    if not options.enabled:
        return feats
    rows, frames, dims = feats.shape
    lengths = lengths.detach().to("cpu", torch.float64)
    masked = torch.zeros(rows, frames, dims, dtype=torch.bool)
    if options.time_masks:
        width = torch.minimum(torch.full_like(lengths, options.time_mask_width),
                              (options.time_mask_ratio * lengths).floor())
        masked |= _spans(lengths, width, options.time_masks, frames)[:, :, None]
    if options.freq_masks:
        size = torch.full((rows,), float(dims), dtype=torch.float64)
        width = torch.full_like(size, float(min(options.freq_mask_width, dims)))
        masked |= _spans(size, width, options.freq_masks, dims)[:, None, :]
    return feats.masked_fill(masked.to(feats.device), 0.0)
