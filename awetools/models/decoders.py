"""Heads trained on top of the acoustic embedding.

- :class:`FrameDecoder` (correspondence autoencoder): an RNN fed the embedding at every
  step emits feature frames; it reconstructs the segment itself (autoencoder
  pre-training) or another token of the same word (correspondence training).
- :class:`PhoneDecoder` (multi-task, form): a 1-layer GRU whose initial hidden state is
  the embedding decodes the word's phone sequence without teacher forcing: each step is
  fed the phone it predicted at the previous step, starting from ``<s>``.
- :class:`MeaningHead` (multi-task, meaning): Linear + tanh regressing a word vector.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from awetools.models.encoder import RNN_TYPES

# Phone-decoder symbols before the inventory: padding (ignored by the loss), start, end.
PAD, BOS, EOS = 0, 1, 2
SPECIAL_SYMBOLS = ("<pad>", "<s>", "</s>")


class FrameDecoder(nn.Module):
    """Embedding [B, E] + target lengths [B] -> frames [B, max(lengths), feat_dim]."""

    def __init__(self, embed_dim: int, feat_dim: int, rnn: str = "gru", hidden: int = 256,
                 layers: int = 2, dropout: float = 0.0):
        super().__init__()
        self.rnn = RNN_TYPES[rnn](embed_dim, hidden, num_layers=layers, batch_first=True,
                                  dropout=dropout if layers > 1 else 0.0)
        self.out = nn.Linear(hidden, feat_dim)

    def forward(self, embedding: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        steps = int(lengths.max())
        inputs = embedding[:, None, :].expand(-1, steps, -1)
        packed = pack_padded_sequence(inputs, lengths.cpu(), batch_first=True, enforce_sorted=False)
        output, _ = pad_packed_sequence(self.rnn(packed)[0], batch_first=True, total_length=steps)
        return self.out(output)


class PhoneDecoder(nn.Module):
    """Embedding [B, E] -> phone logits [B, steps, n_symbols] (free-running decoding)."""

    def __init__(self, embed_dim: int, n_symbols: int, symbol_dim: int = 64):
        super().__init__()
        self.symbols = nn.Embedding(n_symbols, symbol_dim)
        self.cell = nn.GRUCell(symbol_dim, embed_dim)
        self.out = nn.Linear(embed_dim, n_symbols)

    def forward(self, embedding: torch.Tensor, steps: int) -> torch.Tensor:
        state = embedding
        previous = torch.full((embedding.shape[0],), BOS, dtype=torch.long, device=embedding.device)
        logits = []
        for _ in range(steps):  # autoregressive: one step per output phone
            state = self.cell(self.symbols(previous), state)
            step_logits = self.out(state)
            logits.append(step_logits)
            previous = step_logits.argmax(dim=1)
        return torch.stack(logits, dim=1)


class MeaningHead(nn.Module):
    """Embedding [B, E] -> predicted word vector [B, K] in (-1, 1)."""

    def __init__(self, embed_dim: int, vector_dim: int):
        super().__init__()
        self.linear = nn.Linear(embed_dim, vector_dim)

    def forward(self, embedding: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.linear(embedding))
