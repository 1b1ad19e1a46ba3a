"""Phonetic AWE models: encoder, decoders/heads, model dirs, embedding.

``build_model(config)`` rebuilds a network from ``config.json``; ``load_model(dir)``
loads a model dir without executing code; ``embed_matrices`` embeds numpy matrices.
"""

from awetools.models.awe import AweModel, ModelConfig, build_model
from awetools.models.embed import downsample, embed_matrices
from awetools.models.modeldir import load_model

__all__ = ["AweModel", "ModelConfig", "build_model", "downsample", "embed_matrices", "load_model"]
