"""Linear maps from source to target space fitted on dictionary pairs.

``W`` is ``[D_tgt, D_src]`` and maps a source row ``x`` to ``W x`` (``X @ W.T`` for rows).

- ``orthogonal``: Procrustes, ``W = U V^T`` from the SVD ``U S V^T = Y^T X`` of the
  paired rows: the rotation that best superimposes them.  Needs equal dims.
- ``semi-orthogonal``: the same formula with a thin SVD when dims differ: ``W`` has
  orthonormal rows (a projection, ``D_src > D_tgt``) or orthonormal columns (an
  isometric embedding, ``D_src < D_tgt``); distances are preserved in the latter case.
- ``linear``: least-squares regression ``min ||X W^T - Y||^2 + ridge ||W||^2``, any dims;
  not distance-preserving, and so only for supervised use.
"""

from __future__ import annotations

import numpy as np

from awetools.errors import AweError
from awetools.log import get_logger

log = get_logger(__name__)

MAP_KINDS = ("orthogonal", "semi-orthogonal", "linear")


def check_dims(src_dim: int, tgt_dim: int, kind: str) -> None:
    """Refuse an orthogonal map between spaces of different dims, naming the alternatives."""
    if kind not in MAP_KINDS:
        raise AweError(f"unknown map '{kind}' (one of {', '.join(MAP_KINDS)})")
    if kind == "orthogonal" and src_dim != tgt_dim:
        raise AweError(f"SRC vectors have dim {src_dim} and TGT vectors dim {tgt_dim}: an orthogonal "
                       "map needs equal dims; choose a rectangular map with --map semi-orthogonal "
                       "(orthonormal rows/columns from the SVD) or --map linear (least squares, "
                       "procrustes only)")


def identity(src_dim: int, tgt_dim: int) -> np.ndarray:
    """``[D_tgt, D_src]`` identity (truncated or zero-padded when dims differ)."""
    return np.eye(tgt_dim, src_dim, dtype=np.float32)


def fit_map(x: np.ndarray, y: np.ndarray, kind: str = "orthogonal", ridge: float = 1e-3) -> np.ndarray:
    """``W`` ``[D_tgt, D_src]`` mapping the rows of ``x`` onto the paired rows of ``y``.

    Warns when there are fewer pairs than the map has input dimensions (the fit is then
    underdetermined: many maps fit equally well).
    """
    if len(x) != len(y):
        raise ValueError(f"{len(x)} source rows for {len(y)} target rows")
    if len(x) == 0:
        raise AweError("no dictionary pairs to fit a map on")
    check_dims(x.shape[1], y.shape[1], kind)
    needed = x.shape[1] if kind == "linear" else min(x.shape[1], y.shape[1])
    if len(x) < needed:
        log.warning("only %d dictionary pairs for a %s map with %d input dims: the map is "
                    "underdetermined (use more pairs)", len(x), kind, needed)
    x64 = np.asarray(x, dtype=np.float64)
    y64 = np.asarray(y, dtype=np.float64)
    if kind == "linear":
        gram = x64.T @ x64 + ridge * np.eye(x64.shape[1])
        return np.linalg.solve(gram, x64.T @ y64).T.astype(np.float32)
    u, _, vt = np.linalg.svd(y64.T @ x64, full_matrices=False)
    return (u @ vt).astype(np.float32)


def apply_map(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Map rows: ``X W^T``."""
    if x.shape[1] != w.shape[1]:
        raise AweError(f"vectors have dim {x.shape[1]}, the map expects {w.shape[1]}")
    return (np.asarray(x, dtype=np.float32) @ w.T).astype(np.float32)
