"""Multi-task targets: phone sequences from a lexicon and pretrained word vectors.

A lexicon has one ``word phone1 phone2 ...`` line per entry (Kaldi ``lexicon.txt``;
tabs or spaces); the first pronunciation of a word is used.  Phones are coded after the
decoder's special symbols (padding, start, end); every sequence ends with the end symbol.
Word vectors are normalised as MUSE does before alignment (unit length, centred over
the training vocabulary, unit length again): a tanh head can reach them, the regression
loss (squared distance, 0..4) is on the scale of the phone cross-entropy, and the
common direction that all pretrained word vectors share is removed (without centring,
predicting that mean direction alone halves the loss and the head learns little else).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from awetools.errors import AweError
from awetools.io.datadir import read_lines
from awetools.models.decoders import EOS, PAD, SPECIAL_SYMBOLS


def read_lexicon(path: str | Path) -> dict[str, list[str]]:
    """``word -> phones`` (first pronunciation wins); errors name the file and line."""
    lexicon: dict[str, list[str]] = {}
    for number, line in enumerate(read_lines(path), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) < 2:
            raise AweError(f"{path}:{number}: word '{fields[0]}' has no phones")
        if any(p in SPECIAL_SYMBOLS for p in fields[1:]):
            raise AweError(f"{path}:{number}: phones may not be spelled {', '.join(SPECIAL_SYMBOLS)}")
        lexicon.setdefault(fields[0], fields[1:])
    if not lexicon:
        raise AweError(f"{path}: empty lexicon")
    return lexicon


def phone_inventory(pronunciations: list[list[str]]) -> list[str]:
    """Sorted set of the phones used."""
    return sorted({p for phones in pronunciations for p in phones})


def encode_phones(pronunciations: list[list[str]], inventory: list[str]) -> list[torch.Tensor]:
    """Symbol ids of each pronunciation followed by the end symbol."""
    index = {p: i + len(SPECIAL_SYMBOLS) for i, p in enumerate(inventory)}
    return [torch.tensor([index[p] for p in phones] + [EOS], dtype=torch.long)
            for phones in pronunciations]


def pad_phones(sequences: list[torch.Tensor]) -> torch.Tensor:
    """``[B, L_max]`` padded with :data:`PAD`."""
    return torch.nn.utils.rnn.pad_sequence(sequences, batch_first=True, padding_value=PAD)


def unit_vectors(vectors: np.ndarray, source: str) -> np.ndarray:
    """Rows scaled to unit length; an all-zero vector is refused."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    if (norms == 0).any():
        raise AweError(f"{source}: word vector of row {int(np.flatnonzero(norms[:, 0] == 0)[0])} is all zeros")
    return (vectors / norms).astype(np.float32)


def regression_targets(vectors: np.ndarray, source: str) -> np.ndarray:
    """Rows of the training vocabulary (one per word type): unit length, centred, unit length."""
    unit = unit_vectors(vectors, source)
    return unit_vectors(unit - unit.mean(axis=0), source)
