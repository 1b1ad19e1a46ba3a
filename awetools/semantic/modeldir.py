"""Semantic model dirs: like phonetic ones, with their own format tag.

``config.json`` starts with ``format = "awetools-semantic-model"`` and its version; its
``model`` section (with the ``method``) rebuilds the network
(:func:`awetools.semantic.models.build_semantic_model`); ``model.pt`` holds the weights,
read with ``weights_only=True``.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

from awetools import __version__
from awetools.errors import AweError
from awetools.models.modeldir import CONFIG, WEIGHTS, load_weights, read_model_config
from awetools.semantic.models import build_semantic_model

FORMAT = "awetools-semantic-model"
FORMAT_VERSION = 1
VECTORS = "vectors.txt"  # text method: the learnt word vectors (word2vec text format)


def format_header() -> dict:
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "awetools_version": __version__}


def is_semantic_model(model_dir: str | Path) -> bool:
    """True when ``model_dir/config.json`` names the semantic format (no error otherwise)."""
    try:
        config = json.loads((Path(model_dir) / CONFIG).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(config, dict) and config.get("format") == FORMAT


def read_semantic_config(model_dir: str | Path) -> dict:
    """``config.json`` of a semantic model dir, checked for format and version."""
    return read_model_config(model_dir, FORMAT, FORMAT_VERSION, "semantic model")


def load_semantic_model(model_dir: str | Path, device: torch.device | str = "cpu") -> tuple[nn.Module, dict]:
    """Rebuild a semantic model in eval mode; returns ``(model, config)``."""
    config = read_semantic_config(model_dir)
    model = build_semantic_model(config)
    try:
        model.load_state_dict(load_weights(Path(model_dir) / WEIGHTS, device))
    except RuntimeError as exc:
        raise AweError(f"{Path(model_dir) / WEIGHTS}: weights do not match {CONFIG} "
                       f"({str(exc).splitlines()[0]})") from None
    return model.to(device).eval(), config
