"""Kaldi-compatible MFCC and log-mel filterbank frames through ``kaldi-native-fbank``.

Same arithmetic as Kaldi's ``compute-mfcc-feats`` / ``compute-fbank-feats`` (povey window,
pre-emphasis 0.97, snip-edges) with dither off so that features are reproducible, and
Kaldi's ``add-deltas`` for dynamic features.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import kaldi_native_fbank as knf
import numpy as np


@dataclass(frozen=True)
class KaldiFeatureConfig:
    """Options of ``awe featurize --type mfcc|fbank`` (defaults: DESIGN.md reference settings)."""

    type: str = "mfcc"
    sample_rate: int = 16000
    frame_length_ms: float = 25.0
    frame_shift_ms: float = 10.0
    num_ceps: int = 13
    num_mel_bins: int = 23
    low_freq: float = 20.0
    high_freq: float = 0.0
    delta_order: int = 2

    def to_dict(self) -> dict:
        return asdict(self)


class KaldiFeatures:
    """Callable that maps a waveform (float32, [-1, 1]) to ``[frames, dim]`` features."""

    def __init__(self, config: KaldiFeatureConfig):
        if config.type not in ("mfcc", "fbank"):
            raise ValueError(f"unknown Kaldi feature type {config.type}")
        self.config = config
        self.sample_rate = config.sample_rate
        self.frame_shift = config.frame_shift_ms / 1000.0
        # Frame t covers samples [t * shift, t * shift + length): its centre is
        # half a window after its start.
        self.frame_center = config.frame_length_ms / 2000.0
        opts = knf.MfccOptions() if config.type == "mfcc" else knf.FbankOptions()
        frame = opts.frame_opts
        frame.samp_freq = float(config.sample_rate)
        frame.frame_length_ms = config.frame_length_ms
        frame.frame_shift_ms = config.frame_shift_ms
        frame.dither = 0.0
        frame.snip_edges = True
        opts.mel_opts.num_bins = config.num_mel_bins
        opts.mel_opts.low_freq = config.low_freq
        opts.mel_opts.high_freq = config.high_freq
        if config.type == "mfcc":
            opts.num_ceps = config.num_ceps
        self._opts = opts
        self._delta_opts = knf.DeltaOptions()
        self._delta_opts.order = config.delta_order
        self.static_dim = config.num_ceps if config.type == "mfcc" else config.num_mel_bins
        self.dim = self.static_dim * (config.delta_order + 1)

    def static(self, samples: np.ndarray) -> np.ndarray:
        """Static frames ``[frames, static_dim]`` (Kaldi scales samples to 16-bit range)."""
        computer = (knf.OnlineMfcc if self.config.type == "mfcc" else knf.OnlineFbank)(self._opts)
        computer.accept_waveform(float(self.sample_rate), np.asarray(samples, np.float32) * 32768.0)
        computer.input_finished()
        n = computer.num_frames_ready
        if n == 0:
            return np.zeros((0, self.static_dim), dtype=np.float32)
        return np.stack([computer.get_frame(i) for i in range(n)]).astype(np.float32)

    def __call__(self, samples: np.ndarray) -> np.ndarray:
        """Static frames plus deltas (``delta_order`` of them), ``[frames, dim]``."""
        frames = self.static(samples)
        if self.config.delta_order == 0 or len(frames) == 0:
            return frames
        return knf.compute_deltas(self._delta_opts, frames)
