"""A phonetic AWE model: the encoder plus the heads its training objective needs.

:class:`ModelConfig` is the JSON-serialisable description stored as ``config.json``'s
``"model"`` section; :func:`build_model` rebuilds the network from it, so a model dir
needs no pickled code.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

import torch
from torch import nn

from awetools.errors import AweError
from awetools.models.decoders import SPECIAL_SYMBOLS, FrameDecoder, MeaningHead, PhoneDecoder
from awetools.models.encoder import POOLINGS, RNN_TYPES, RNNEncoder

OBJECTIVES = ("contrastive", "triplet", "cae", "multitask")
PAIR_OBJECTIVES = ("contrastive", "triplet")  # losses over pairs of embeddings (a projection head serves them)
# the encoder's options: what a fine-tuned model (``--init``) keeps of the model it starts from
ENCODER_OPTIONS = ("rnn", "hidden", "layers", "bidirectional", "conv", "embed_dim", "dropout", "pooling")


@dataclass
class ModelConfig:
    """Architecture of an AWE model (``phones`` and ``vector_dim`` only for multitask)."""

    feat_dim: int
    objective: str = "contrastive"
    rnn: str = "gru"
    hidden: int = 256
    layers: int = 2
    bidirectional: bool = False
    conv: bool = False
    embed_dim: int = 128
    dropout: float = 0.0
    pooling: str = "last"  # "last" RNN state or "mean" of the outputs (absent in older models)
    projection_head: int = 0  # hidden units of the training-only MLP the loss sees (0: none)
    phones: list[str] = field(default_factory=list)  # phone inventory of the phone decoder
    phone_embed_dim: int = 64
    vector_dim: int = 0  # word-vector dim of the meaning head (0: no head)

    def __post_init__(self) -> None:
        if self.objective not in OBJECTIVES:
            raise AweError(f"unknown objective '{self.objective}' (one of {', '.join(OBJECTIVES)})")
        if self.rnn not in RNN_TYPES:
            raise AweError(f"unknown rnn '{self.rnn}' (gru or lstm)")
        if self.projection_head < 0:
            raise AweError(f"projection head units must be >= 0, not {self.projection_head}")
        if self.projection_head and self.objective not in PAIR_OBJECTIVES:
            raise AweError("a projection head serves the contrastive and triplet objectives, "
                           f"not {self.objective}")
        if self.pooling not in POOLINGS:
            raise AweError(f"unknown pooling '{self.pooling}' ({' or '.join(POOLINGS)})")
        for name in ("feat_dim", "hidden", "layers", "embed_dim"):
            if getattr(self, name) < 1:
                raise AweError(f"model option {name} must be >= 1, not {getattr(self, name)}")
        if not 0.0 <= self.dropout < 1.0:
            raise AweError(f"dropout must be in [0, 1), not {self.dropout}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, config: dict) -> "ModelConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(config) - known)
        if unknown:
            raise AweError(f"model config has unknown keys: {', '.join(unknown)}")
        return cls(**config)


class AweModel(nn.Module):
    """``model(feats, lengths)`` gives the embeddings; heads are used by training only."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        c = config
        self.encoder = RNNEncoder(c.feat_dim, c.embed_dim, c.rnn, c.hidden, c.layers,
                                  c.bidirectional, c.conv, c.dropout, c.pooling)
        self.frame_decoder = (FrameDecoder(c.embed_dim, c.feat_dim, c.rnn, c.hidden, c.layers,
                                           c.dropout) if c.objective == "cae" else None)
        self.phone_decoder = (PhoneDecoder(c.embed_dim, len(SPECIAL_SYMBOLS) + len(c.phones),
                                           c.phone_embed_dim) if c.phones else None)
        self.meaning_head = MeaningHead(c.embed_dim, c.vector_dim) if c.vector_dim else None
        # SimCLR's projection head: the loss compares head(embedding), the embedding is kept
        self.projection_head = (nn.Sequential(
            nn.Linear(c.embed_dim, c.projection_head), nn.ReLU(),
            nn.Linear(c.projection_head, c.embed_dim),
        ) if c.projection_head else None)

    def forward(self, feats: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return self.encoder(feats, lengths)


def build_model(config: dict) -> AweModel:
    """Rebuild a model from a ``config.json`` dict (its ``"model"`` section) or that section."""
    section = config["model"] if "model" in config else config
    return AweModel(ModelConfig.from_dict(section))
