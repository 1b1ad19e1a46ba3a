"""Turn feature matrices into one vector each: with a model, or by downsampling.

:func:`embed_matrices` is the in-memory core (used by training for validation too):
segments are sorted by length and embedded in batches, so padding is minimal, and the
vectors come back in input order; ``output="meaning"`` gives a multitask model's
regressed word vectors (the joint speech-text space) instead of its embeddings.
:func:`embed_table` streams a table through a model
in chunks (memory bounded, works with ``ark:-`` in and out, output in input order),
optionally with ``nj`` CPU worker processes (at most ``2 * nj`` chunks in flight).  :func:`downsample` is the classic
no-training baseline: ``n`` frames sampled uniformly over the segment (linear
interpolation between neighbouring frames) and flattened into an ``n * dim`` vector.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import torch

from awetools.errors import AweError
from awetools.io.tables import open_reader, open_writer
from awetools.models.awe import AweModel
from awetools.models.modeldir import load_model
from awetools.progress import progress
from awetools.workers import worker_pool

CHUNK = 2048  # segments read, embedded and written together
OUTPUTS = ("embedding", "meaning")


def check_output(model: AweModel, output: str, model_dir: str) -> None:
    """Refuse an output the model cannot give (a meaning head exists only in multitask models)."""
    if output not in OUTPUTS:
        raise AweError(f"--output: unknown output '{output}' ({', '.join(OUTPUTS)})")
    if output == "meaning" and model.meaning_head is None:
        raise AweError(f"{model_dir}: --output meaning needs a multitask model trained with "
                       "--word-vectors and --beta > 0 (this model has no meaning head)")


def pad_batch(mats: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Zero-padded ``[B, T_max, D]`` batch and the ``[B]`` lengths."""
    lengths = torch.tensor([m.shape[0] for m in mats], dtype=torch.long)
    return torch.nn.utils.rnn.pad_sequence(list(mats), batch_first=True), lengths


def length_batches(lengths: np.ndarray, batch_size: int) -> list[np.ndarray]:
    """Indices sorted by length (stable) and cut into batches of ``batch_size``."""
    order = np.argsort(lengths, kind="stable")
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


@torch.no_grad()
def embed_matrices(model: AweModel, mats: Sequence[np.ndarray | torch.Tensor],
                   batch_size: int = 256, device: torch.device | str = "cpu",
                   output: str = "embedding") -> np.ndarray:
    """Vectors ``[N, dim]`` (float32, input order) of ``[T, D]`` matrices: the embeddings,
    or with ``output="meaning"`` the meaning head's regressed word vectors."""
    was_training = model.training
    model.eval()
    tensors = [m if isinstance(m, torch.Tensor) else torch.tensor(m, dtype=torch.float32)
               for m in mats]
    meaning = output == "meaning"
    dim = model.config.vector_dim if meaning else model.config.embed_dim
    out = np.empty((len(tensors), dim), dtype=np.float32)
    for batch in length_batches(np.array([t.shape[0] for t in tensors]), batch_size):
        feats, lengths = pad_batch([tensors[i] for i in batch])
        vectors = model(feats.to(device), lengths.to(device))
        if meaning:
            vectors = model.meaning_head(vectors)
        out[batch] = vectors.float().cpu().numpy()
    model.train(was_training)
    return out


def ensemble_matrices(models: Sequence[AweModel], mats: Sequence[np.ndarray | torch.Tensor],
                      batch_size: int = 256, device: torch.device | str = "cpu",
                      output: str = "embedding") -> np.ndarray:
    """:func:`embed_matrices` of one model, or of several: each member's vectors scaled to
    unit length and concatenated (then scaled by 1/sqrt(M) to unit length), so that the
    cosine similarity of two segments is the mean of the M members' (an ensemble of
    models trained with different seeds)."""
    if len(models) == 1:
        return embed_matrices(models[0], mats, batch_size, device, output)
    parts = [embed_matrices(model, mats, batch_size, device, output) for model in models]
    return np.concatenate([part / np.maximum(np.linalg.norm(part, axis=1, keepdims=True), 1e-12)
                           for part in parts], axis=1) / np.sqrt(len(parts), dtype=np.float32)


def downsample(mat: np.ndarray, n: int) -> np.ndarray:
    """``n`` frames at evenly spaced positions 0 .. T-1 (interpolated), flattened: ``[n * D]``."""
    frames = mat.shape[0]
    positions = np.linspace(0.0, frames - 1, n)
    low = np.floor(positions).astype(np.int64)
    high = np.minimum(low + 1, frames - 1)
    weight = (positions - low)[:, None].astype(np.float32)
    return ((1.0 - weight) * mat[low] + weight * mat[high]).reshape(-1).astype(np.float32)


def checked_chunks(rspecifier: str, feat_dim: int | None, model_dir: str | None = None,
                   chunk: int = CHUNK) -> Iterator[tuple[list[str], list[np.ndarray]]]:
    """Read a feature table in chunks, refusing empty tables, empty/NaN matrices, mixed dims.

    With ``feat_dim`` given (a model's), the first key of another dim is named.
    """
    keys: list[str] = []
    mats: list[np.ndarray] = []
    seen = 0
    for key, mat in open_reader(rspecifier):
        if mat.ndim == 1:
            mat = mat[None, :]
        if feat_dim is None:
            feat_dim = mat.shape[1]
        if mat.shape[1] != feat_dim:
            expected = (f"the model in {model_dir} expects {feat_dim}" if model_dir
                        else f"earlier keys have {feat_dim}")
            raise AweError(f"{rspecifier}: key '{key}' has {mat.shape[1]}-dim features; {expected}")
        if mat.shape[0] == 0:
            raise AweError(f"{rspecifier}: key '{key}' has no frames")
        if not np.isfinite(mat).all():
            raise AweError(f"{rspecifier}: key '{key}' contains NaN or Inf")
        keys.append(key)
        mats.append(mat)
        seen += 1
        if len(keys) == chunk:
            yield keys, mats
            keys, mats = [], []
    if keys:
        yield keys, mats
    if not seen:
        raise AweError(f"{rspecifier}: empty table")


def _write_results(results: Iterator[tuple[list[str], np.ndarray]], wspecifier: str) -> int:
    """Write ``(keys, vectors)`` blocks as they come; returns the count."""
    with open_writer(wspecifier) as writer, progress(desc="embed", unit="seg") as bar:
        for keys, vectors in results:
            writer.write_block(keys, vectors)
            bar.update(len(keys))
        return writer.count


def _describe_chunk(chunk: tuple[list[str], list[np.ndarray]]) -> str:
    keys = chunk[0]
    return f"segments '{keys[0]}' .. '{keys[-1]}' ({len(keys)} keys)"


_worker: dict = {}


def _worker_init(model_dirs: list[str], batch_size: int, output: str) -> None:
    torch.set_num_threads(1)
    _worker["models"] = [load_model(model_dir, "cpu")[0] for model_dir in model_dirs]
    _worker["batch_size"], _worker["output"] = batch_size, output


def _worker_chunk(chunk: tuple[list[str], list[np.ndarray]]) -> tuple[list[str], np.ndarray]:
    keys, mats = chunk
    return keys, ensemble_matrices(_worker["models"], mats, _worker["batch_size"],
                                   output=_worker["output"])


def load_members(model_dirs: Sequence[str], device: torch.device | str,
                 output: str) -> tuple[list[AweModel], int]:
    """The models of ``model_dirs`` and their common input dim (all must read the same features)."""
    models, feat_dims = [], []
    for model_dir in model_dirs:
        model, config = load_model(model_dir, device)
        check_output(model, output, str(model_dir))
        models.append(model)
        feat_dims.append(config["model"]["feat_dim"])
    other = next((i for i, dim in enumerate(feat_dims) if dim != feat_dims[0]), None)
    if other is not None:
        raise AweError(f"{model_dirs[other]}: the model takes {feat_dims[other]}-dim features, "
                       f"{model_dirs[0]} {feat_dims[0]}-dim (an ensemble's models must read the "
                       "same features)")
    return models, feat_dims[0]


def embed_table(model_dirs: str | Sequence[str], rspecifier: str, wspecifier: str,
                batch_size: int = 256, device: torch.device | str = "cpu", nj: int = 1,
                chunk: int = CHUNK, output: str = "embedding") -> int:
    """Embed every matrix of ``rspecifier`` with the model in ``model_dirs`` (or the ensemble
    of several, see :func:`ensemble_matrices`); returns the count.

    ``nj > 1`` runs that many single-threaded CPU worker processes (ignored on a GPU), each
    embedding whole chunks of ``chunk`` segments.  ``output``: see :func:`embed_matrices`.
    """
    model_dirs = [str(model_dirs)] if isinstance(model_dirs, (str, Path)) else [str(m) for m in model_dirs]
    models, feat_dim = load_members(model_dirs, device, output)
    chunks = checked_chunks(rspecifier, feat_dim, model_dirs[0], chunk)
    if nj > 1 and torch.device(device).type == "cpu":
        with worker_pool(nj, _worker_init, (model_dirs, batch_size, output), "spawn") as pool:
            return _write_results(pool.results(_worker_chunk, chunks, _describe_chunk), wspecifier)
    return _write_results(((keys, ensemble_matrices(models, mats, batch_size, device, output))
                           for keys, mats in chunks), wspecifier)


def downsample_table(rspecifier: str, wspecifier: str, n: int) -> int:
    """Write the :func:`downsample` vector of every matrix; returns the count."""
    if n < 1:
        raise AweError(f"--downsample must be >= 1, not {n}")
    return _write_results(((keys, np.stack([downsample(m, n) for m in mats]))
                           for keys, mats in checked_chunks(rspecifier, None)), wspecifier)
