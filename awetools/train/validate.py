"""Validation score of a model: same-different AP of its embeddings of a labelled set."""

from __future__ import annotations

import numpy as np
import torch

from awetools.models.awe import AweModel
from awetools.models.embed import embed_matrices
from awetools.train.data import Segments


def samediff_scores(vectors: np.ndarray, labels: list[str], speakers: list[str]) -> dict:
    """``{"ap": ..., "swdp_ap": ...}`` over all pairs (cosine distance).

    TEMPORARY: replaced by awetools.metrics.samediff once it lands.
    """
    from sklearn.metrics import average_precision_score
    z = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    i, j = np.triu_indices(len(labels), k=1)
    lab = np.asarray(labels)
    spk = np.asarray(speakers)
    score = (z[i] * z[j]).sum(1)
    same = lab[i] == lab[j]
    diff_spk = spk[i] != spk[j]
    keep = ~same | diff_spk
    return {"ap": float(average_precision_score(same, score)),
            "swdp_ap": float(average_precision_score(same[keep] & diff_spk[keep], score[keep]))}


def validator(valid: Segments, batch_size: int, device: torch.device):
    """A ``validate(model) -> {"ap", "swdp_ap"}`` callable for :func:`awetools.train.loop.fit`."""
    def validate(model: AweModel) -> dict:
        vectors = embed_matrices(model, valid.feats, batch_size, device)
        return samediff_scores(vectors, valid.labels, valid.speakers)
    return validate
