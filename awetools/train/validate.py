"""Validation score of a model: same-different AP (and SWDP-AP) of its embeddings of a set."""

from __future__ import annotations

from collections.abc import Callable

import torch

from awetools.metrics.samediff import samediff_vectors
from awetools.models.awe import AweModel
from awetools.models.embed import embed_matrices
from awetools.train.data import Segments


def has_cross_speaker_pairs(labels: list[str], speakers: list[str]) -> bool:
    """True when some word has tokens from two speakers (SWDP-AP is defined)."""
    speakers_of: dict[str, set[str]] = {}
    for label, speaker in zip(labels, speakers):
        speakers_of.setdefault(label, set()).add(speaker)
    return any(len(s) > 1 for s in speakers_of.values())


def validator(valid: Segments, batch_size: int, device: torch.device) -> Callable[[AweModel], dict]:
    """A ``validate(model) -> {"ap", "swdp_ap"}`` callable for :func:`awetools.train.loop.fit`.

    SWDP-AP is left out when no word of the set has tokens from two speakers.
    """
    speakers = valid.speakers if has_cross_speaker_pairs(valid.labels, valid.speakers) else None

    def validate(model: AweModel) -> dict:
        vectors = embed_matrices(model, valid.feats, batch_size, device)
        result = samediff_vectors(vectors, valid.labels, speakers, nj=torch.get_num_threads())
        return {"ap": result["ap"]} | ({"swdp_ap": result["swdp_ap"]} if speakers else {})
    return validate
