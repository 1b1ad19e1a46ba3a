"""``awe embed`` for semantic model dirs: segments -> semantic vectors, in input order.

The input is what the model was trained on (``config.json``'s ``input``): frozen
phonetic AWEs (one vector per key) for cluster-skipgram, projection and two-stage;
feature matrices for contrastive, speech2vec and units (quantised with the model's own
codebook).  A cluster-skipgram model labels AWEs against its centroids, or reads soft
labels as ``awe cluster`` writes them (``soft.h5``: one ``[2, top]`` matrix per key, used
as they are; oracle clusters are scored this way).  A text model embeds word labels, not
segments: its word vectors are in ``vectors.txt``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from awetools.cluster.clusterdir import nearest_labels
from awetools.cluster.soft import check_cluster_ids
from awetools.errors import AweError
from awetools.io.tables import open_writer
from awetools.models.embed import checked_chunks, length_batches, pad_batch
from awetools.progress import progress
from awetools.semantic.inputs import frame_units
from awetools.semantic.modeldir import VECTORS, load_semantic_model


@torch.no_grad()
def embed_inputs(model: torch.nn.Module, kind: str, mats: list[np.ndarray], batch_size: int,
                 device: torch.device | str) -> np.ndarray:
    """Semantic vectors ``[N, dim]`` of a chunk of input matrices (input order)."""
    if kind == "vectors":
        x = torch.from_numpy(np.concatenate(mats).astype(np.float32))
        return np.concatenate([model.encode(x[i:i + batch_size].to(device)).cpu().numpy()
                               for i in range(0, len(x), batch_size)])
    if kind == "units":
        mats = frame_units(mats, model.codebook.cpu().numpy())
    tensors = [torch.tensor(m) for m in mats]  # copies: tables may be read-only
    parts, rows = [], []
    for batch in length_batches(np.array([len(m) for m in mats]), batch_size):
        padded, lengths = pad_batch([tensors[i] for i in batch])
        if kind == "units":
            padded = padded.long()
        parts.append(model.encode(padded.to(device), lengths.to(device)).cpu().numpy())
        rows.append(batch)
    vectors = np.concatenate(parts)
    out = np.empty_like(vectors, dtype=np.float32)
    out[np.concatenate(rows)] = vectors
    return out


def embed_semantic_table(model_dir: str | Path, rspecifier: str, wspecifier: str,
                         batch_size: int = 256, device: torch.device | str = "cpu") -> int:
    """Embed every segment of ``rspecifier`` with a semantic model dir; returns the count."""
    model, config = load_semantic_model(model_dir, device)
    kind = config["input"]
    if kind == "labels":
        raise AweError(f"{model_dir}: a text skipgram model embeds word labels, not segments; "
                       f"its word vectors are in {Path(model_dir) / VECTORS}")
    m = config["model"]
    dim = m["in_dim"] if kind == "vectors" else m.get("feat_dim", m.get("phonetic", {}).get("feat_dim"))
    clustered = m["method"] == "cluster-skipgram"  # AWEs or soft labels: told by the rows
    count = 0
    with open_writer(wspecifier) as writer, progress(desc="embed", unit="seg") as bar:
        for keys, mats in checked_chunks(rspecifier, None if clustered else dim, str(model_dir)):
            if clustered and mats[0].shape[0] == 2:
                vectors = embed_soft_labels(model, rspecifier, keys, mats, m, device)
            else:
                if clustered and mats[0].shape[1] != dim:
                    raise AweError(f"{rspecifier}: key '{keys[0]}' has {mats[0].shape[1]}-dim vectors; "
                                   f"the model in {model_dir} expects {dim}-dim AWEs or [2, top] soft labels")
                bad = next((k for k, x in zip(keys, mats) if x.shape[0] != 1), None) if kind == "vectors" else None
                if bad is not None:
                    raise AweError(f"{rspecifier}: key '{bad}' is a matrix; the model in {model_dir} "
                                   "reads one phonetic AWE per segment (run awe embed with the "
                                   "phonetic model first)")
                vectors = (embed_awes(model, np.concatenate(mats), m, device) if clustered else
                           embed_inputs(model, kind, mats, batch_size, device))
            writer.write_block(keys, vectors)
            count += len(keys)
            bar.update(len(keys))
    return count


def embed_awes(model: torch.nn.Module, x: np.ndarray, m: dict, device: torch.device | str) -> np.ndarray:
    """Semantic vectors of phonetic AWEs ``[N, D]`` with a cluster-skipgram model: labelled
    against the model's centroids as ``awe cluster`` labelled its training segments."""
    index, weight = nearest_labels(x, model.centroids.cpu().numpy(), m["top"], m["temperature"],
                                   m.get("spherical", False))
    return _encode_labels(model, index, weight, m, device)


def embed_soft_labels(model: torch.nn.Module, rspecifier: str, keys: list[str], mats: list[np.ndarray],
                      m: dict, device: torch.device | str) -> np.ndarray:
    """Semantic vectors of soft labels (``[2, top]``: cluster ids, weights) with a cluster-skipgram model."""
    bad = next((k for k, x in zip(keys, mats) if x.shape[0] != 2), None)
    if bad is not None:
        raise AweError(f"{rspecifier}: key '{bad}' is not a [2, top] soft label like the first key")
    labels = np.stack(mats)
    index = check_cluster_ids(rspecifier, keys, labels[:, 0, :m["top"]], m["k"])
    weight = labels[:, 1, :m["top"]]
    return _encode_labels(model, index, weight / weight.sum(axis=1, keepdims=True), m, device)


@torch.no_grad()
def _encode_labels(model: torch.nn.Module, index: np.ndarray, weight: np.ndarray, m: dict,
                   device: torch.device | str) -> np.ndarray:
    """A ``--hard`` model (top 1) reads the most probable cluster with weight 1, as in training."""
    if m["top"] == 1:
        weight = np.ones_like(weight)
    return model.encode(torch.from_numpy(index.astype(np.int64)).to(device),
                        torch.from_numpy(weight.astype(np.float32)).to(device)).cpu().numpy()
