"""SpecAugment masking: widths and positions within the options, padding untouched,
repeatable under torch's seed, off by default."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from awetools.errors import AweError
from awetools.models.embed import pad_batch
from awetools.train.specaugment import SpecAugment, augment_batch, mask_batch, warp_batch


def _batch(rows: int = 200, dims: int = 39) -> tuple[torch.Tensor, torch.Tensor]:
    lengths = torch.randint(8, 80, (rows,), generator=torch.Generator().manual_seed(0))
    return pad_batch([torch.rand(int(n), dims) + 1.0 for n in lengths])  # no zeros inside


def _runs(flags: np.ndarray) -> list[int]:
    """Lengths of the runs of True."""
    edges = np.diff(np.r_[0, flags.astype(int), 0])
    return list(np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1))


def test_one_mask_each_within_widths_and_inside_segment():
    feats, lengths = _batch()
    options = SpecAugment(time_masks=1, time_mask_width=5, time_mask_ratio=0.2,
                          freq_masks=1, freq_mask_width=5)
    torch.manual_seed(0)
    out = mask_batch(feats, lengths, options)
    widths_t, widths_f = [], []
    for row, n in enumerate(lengths.tolist()):
        zero = (out[row, :n] == 0).numpy()
        assert (out[row, n:] == 0).all()                         # padding stays padding
        frames, dims = zero.all(axis=1), zero.all(axis=0)
        # every zero is in a masked frame or a masked dimension; the rest is untouched
        assert (zero == (frames[:, None] | dims[None, :])).all()
        kept = ~zero
        assert torch.equal(out[row, :n][torch.from_numpy(kept)], feats[row, :n][torch.from_numpy(kept)])
        (t,) = _runs(frames) or [0]
        (f,) = _runs(dims) or [0]
        assert t <= min(5, int(0.2 * n)) and f <= 5
        widths_t.append(t)
        widths_f.append(f)
    assert set(widths_f) == {0, 1, 2, 3, 4, 5}                  # uniform over 0..F
    assert max(widths_t) == 5 and 0 in widths_t


def test_two_masks_cover_at_most_twice_the_width():
    feats, lengths = _batch()
    torch.manual_seed(1)
    out = mask_batch(feats, lengths, SpecAugment(2, 5, 0.2, 2, 5))
    for row, n in enumerate(lengths.tolist()):
        zero = (out[row, :n] == 0).numpy()
        assert zero.all(axis=1).sum() <= 2 * min(5, int(0.2 * n))
        assert zero.all(axis=0).sum() <= 10 or zero.all()


def test_repeatable_with_torch_seed_and_off_by_default():
    feats, lengths = _batch()
    options = SpecAugment(2, 5, 0.2, 2, 5)
    torch.manual_seed(7)
    a = mask_batch(feats, lengths, options)
    torch.manual_seed(7)
    b = mask_batch(feats, lengths, options)
    torch.manual_seed(8)
    c = mask_batch(feats, lengths, options)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert mask_batch(feats, lengths, SpecAugment()) is feats
    assert not SpecAugment().enabled


def test_bad_options():
    with pytest.raises(AweError, match="--time-mask-width -1: must be >= 0"):
        SpecAugment(time_masks=2, time_mask_width=-1)
    with pytest.raises(AweError, match="--time-mask-ratio 1.5"):
        SpecAugment(time_mask_ratio=1.5)


def test_time_warp_keeps_the_ends_and_is_piecewise_linear():
    lengths = torch.randint(3, 80, (300,), generator=torch.Generator().manual_seed(0))
    feats, lengths = pad_batch([torch.arange(1, int(n) + 1, dtype=torch.float32)[:, None].repeat(1, 4)
                                for n in lengths])                  # frame i holds i + 1
    torch.manual_seed(0)
    out, new = warp_batch(feats, lengths, SpecAugment(time_warp=0.2))
    assert out.shape[0] == 300 and out.shape[1] == int(new.max())
    for row, (n, m) in enumerate(zip(lengths.tolist(), new.tolist())):
        assert round(0.8 * n) <= m <= round(1.2 * n)
        values = out[row, :m, 0].double().numpy()
        assert (out[row, :m] == out[row, :m, :1]).all()            # every dimension read the same way
        assert (out[row, m:] == 0).all()                             # padding stays padding
        assert values[0] == 1 and values[-1] == pytest.approx(n)     # first and last frames in place
        steps = np.diff(values)
        assert (steps >= -1e-5).all()                                # time never runs backwards
        # two linear pieces: the step changes once, or twice around the frame astride the knot
        changes = np.flatnonzero(np.abs(np.diff(steps)) > 1e-4)
        assert len(changes) <= 1 or (len(changes) == 2 and changes[1] == changes[0] + 1)
    assert not torch.equal(new, lengths)


def test_time_warp_repeatable_and_off_by_default():
    feats, lengths = _batch()
    options = SpecAugment(time_warp=0.1)
    torch.manual_seed(3)
    a = augment_batch(feats, lengths, options)
    torch.manual_seed(3)
    b = augment_batch(feats, lengths, options)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert options.enabled and warp_batch(feats, lengths, SpecAugment())[0] is feats
    with pytest.raises(AweError, match="--time-warp 1.0: must be in"):
        SpecAugment(time_warp=1.0)
