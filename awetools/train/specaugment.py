"""SpecAugment-style time warping and masking of the training input (Park et al. 2019),
sized for words.

During training only, every segment of a padded batch is first *time-warped* when
``time_warp`` R > 0: its length is scaled by a random factor in [1 - R, 1 + R] and its
frames are re-read along a random piecewise-linear map with one inner knot (a random
point of the segment, moved by up to R of its position), by linear interpolation
between neighbouring frames.  First and last frames stay in place; only the timing
inside the word changes, which is what two spoken instances of one word differ in and
what DTW is invariant to.  Then every segment of a padded batch gets ``time_masks`` spans of
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
    time_warp: float = 0.0           # largest relative stretch or squeeze of a segment

    def __post_init__(self) -> None:
        for name in ("time_masks", "time_mask_width", "freq_masks", "freq_mask_width"):
            if getattr(self, name) < 0:
                raise AweError(f"--{name.replace('_', '-')} {getattr(self, name)}: must be >= 0")
        if not 0 <= self.time_mask_ratio <= 1:
            raise AweError(f"--time-mask-ratio {self.time_mask_ratio}: must be in [0, 1]")
        if not 0 <= self.time_warp < 1:
            raise AweError(f"--time-warp {self.time_warp}: must be in [0, 1)")

    @property
    def enabled(self) -> bool:
        return self.time_masks > 0 or self.freq_masks > 0 or self.time_warp > 0


def _spans(size: torch.Tensor, max_width: torch.Tensor, count: int, axis: int) -> torch.Tensor:
    """``[B, axis]`` True inside ``count`` random spans per row (width 0..max_width, inside
    0..size); all rows at once."""
    rows = size.shape[0]
    widths = (torch.rand(rows, count) * (max_width[:, None] + 1)).floor()
    starts = (torch.rand(rows, count) * (size[:, None] - widths + 1)).floor()
    position = torch.arange(axis)[None, None, :]
    inside = (position >= starts[..., None]) & (position < (starts + widths)[..., None])
    return inside.any(dim=1)


def _ratio(numerator: torch.Tensor, denominator: torch.Tensor) -> torch.Tensor:
    """``numerator / denominator``, 0 where the denominator is 0."""
    safe = torch.where(denominator > 0, denominator, torch.ones_like(denominator))
    return torch.where(denominator > 0, numerator / safe, torch.zeros_like(numerator))


def warp_batch(feats: torch.Tensor, lengths: torch.Tensor,
               options: SpecAugment) -> tuple[torch.Tensor, torch.Tensor]:
    """A time-warped copy of the padded batch ``feats`` ``[B, T, D]`` and its new lengths."""
    if options.time_warp <= 0:
        return feats, lengths
    rows, _, dims = feats.shape
    warp = options.time_warp
    old = lengths.detach().to("cpu", torch.float64)
    new = torch.clamp((old * (1 + warp * (2 * torch.rand(rows, dtype=torch.float64) - 1))).round(), min=1)
    knot = 0.25 + 0.5 * torch.rand(rows, dtype=torch.float64)            # share of the segment
    moved = torch.clamp(knot * (1 + warp * (2 * torch.rand(rows, dtype=torch.float64) - 1)), 0.1, 0.9)
    source_knot, target_knot = (knot * (old - 1))[:, None], (moved * (new - 1))[:, None]
    position = torch.arange(int(new.max()), dtype=torch.float64)[None, :]
    source = torch.where(position <= target_knot,
                         position * _ratio(source_knot, target_knot),
                         source_knot + (position - target_knot)
                         * _ratio(old[:, None] - 1 - source_knot, new[:, None] - 1 - target_knot))
    source = torch.minimum(source.clamp(min=0), old[:, None] - 1)
    low = source.floor()
    high = torch.minimum(low + 1, old[:, None] - 1)
    share = (source - low).to(feats.dtype).to(feats.device)[..., None]
    def frames_at(index: torch.Tensor) -> torch.Tensor:
        return feats.gather(1, index.long().to(feats.device)[..., None].expand(-1, -1, dims))

    warped = frames_at(low) * (1 - share) + frames_at(high) * share
    inside = (position < new[:, None]).to(feats.device)[..., None]
    return warped.masked_fill(~inside, 0.0), new.long().to(lengths.device)


def augment_batch(feats: torch.Tensor, lengths: torch.Tensor,
                  options: SpecAugment) -> tuple[torch.Tensor, torch.Tensor]:
    """The training input: the batch time-warped, then masked; and its lengths."""
    feats, lengths = warp_batch(feats, lengths, options)
    return mask_batch(feats, lengths, options), lengths


def mask_batch(feats: torch.Tensor, lengths: torch.Tensor, options: SpecAugment) -> torch.Tensor:
    """A masked copy of the padded batch ``feats`` ``[B, T, D]`` (``lengths`` ``[B]``)."""
    if options.time_masks == 0 and options.freq_masks == 0:
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
