"""Acoustic encoder: a variable-length feature sequence -> one fixed-size vector.

An optional Conv1d front end (64 filters, kernel 5, stride 2, as in the multi-task AWE
paper) halves the frame rate; a GRU or LSTM stack (uni- or bidirectional) reads the
packed sequence; its last layer's final hidden state (both directions concatenated when
bidirectional), or with ``pooling="mean"`` the mean of the last layer's outputs over the
valid frames, is projected linearly to the embedding dimension.  Padding never leaks
into the result: the conv uses zero padding of 2 on both sides, so the zeros that pad a
batch are exactly the zeros the conv would see on a lone segment, and the RNN only reads
the valid frames (``pack_padded_sequence``).  A segment therefore gets the same vector
whatever batch it is in.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

CONV_CHANNELS = 64
CONV_KERNEL = 5
CONV_STRIDE = 2
RNN_TYPES = {"gru": nn.GRU, "lstm": nn.LSTM}
POOLINGS = ("last", "mean")


def conv_lengths(lengths: torch.Tensor) -> torch.Tensor:
    """Frames after the front end: ceil(T / 2) (kernel 5, stride 2, padding 2)."""
    return (lengths + CONV_STRIDE - 1) // CONV_STRIDE


class RNNEncoder(nn.Module):
    """[B, T, feat_dim] padded features + lengths -> [B, embed_dim] embeddings."""

    def __init__(self, feat_dim: int, embed_dim: int = 128, rnn: str = "gru", hidden: int = 256,
                 layers: int = 2, bidirectional: bool = False, conv: bool = False,
                 dropout: float = 0.0, pooling: str = "last"):
        super().__init__()
        self.conv = (nn.Sequential(
            nn.Conv1d(feat_dim, CONV_CHANNELS, CONV_KERNEL, stride=CONV_STRIDE,
                      padding=CONV_KERNEL // 2),
            nn.ReLU(),
        ) if conv else None)
        self.rnn = RNN_TYPES[rnn](
            input_size=CONV_CHANNELS if conv else feat_dim, hidden_size=hidden,
            num_layers=layers, bidirectional=bidirectional, batch_first=True,
            dropout=dropout if layers > 1 else 0.0)
        self.layers = layers
        self.directions = 2 if bidirectional else 1
        self.pooling = pooling
        self.proj = nn.Linear(self.directions * hidden, embed_dim)

    def forward(self, feats: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        if self.conv is not None:
            feats = self.conv(feats.transpose(1, 2)).transpose(1, 2)
            lengths = conv_lengths(lengths)
        packed = pack_padded_sequence(feats, lengths.cpu(), batch_first=True, enforce_sorted=False)
        outputs, hidden = self.rnn(packed)
        if self.pooling == "mean":
            padded, _ = pad_packed_sequence(outputs, batch_first=True)  # zeros past each length
            return self.proj(padded.sum(dim=1) / lengths.to(padded)[:, None])
        if isinstance(hidden, tuple):  # LSTM: (h_n, c_n)
            hidden = hidden[0]
        last = hidden.view(self.layers, self.directions, *hidden.shape[1:])[-1]  # [dirs, B, H]
        return self.proj(last.transpose(0, 1).reshape(last.shape[1], -1))
