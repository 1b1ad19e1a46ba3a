"""Embedding normalisation before alignment: unit length, centring, or a sequence of both.

A spec is a comma-separated list of steps applied in order, as in MUSE:
``renorm`` (unit length), ``center`` (subtract the mean vector), ``none``; e.g.
``renorm,center,renorm``.  Centring helps distant spaces (speech and text) share an
origin.  The statistics used (the means) are recorded so the same transform can be
re-applied to new vectors of that space (:func:`apply_normalization`).
"""

from __future__ import annotations

import numpy as np

from awetools.errors import AweError

STEPS = ("renorm", "center", "none")


def parse_spec(spec: str) -> list[str]:
    """Validated list of steps (``""`` and ``none`` give no step)."""
    steps = [s.strip() for s in spec.split(",") if s.strip()]
    bad = [s for s in steps if s not in STEPS]
    if bad:
        raise AweError(f"normalisation '{spec}': unknown step '{bad[0]}' (use renorm, center, "
                       "none, comma-separated, e.g. renorm,center,renorm)")
    return [s for s in steps if s != "none"]


def _renorm(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def normalize(vectors: np.ndarray, spec: str) -> tuple[np.ndarray, list[dict]]:
    """``(normalised float32 copy, record)``; the record lists the steps with their means."""
    out = np.asarray(vectors, dtype=np.float32).copy()
    record: list[dict] = []
    for step in parse_spec(spec):
        if step == "renorm":
            out = _renorm(out)
            record.append({"op": "renorm"})
        else:
            mean = out.mean(axis=0, dtype=np.float64).astype(np.float32)
            out -= mean
            record.append({"op": "center", "mean": mean.tolist()})
    return out.astype(np.float32), record


def apply_normalization(vectors: np.ndarray, record: list[dict]) -> np.ndarray:
    """Apply a recorded normalisation (the recorded means, not recomputed ones)."""
    out = np.asarray(vectors, dtype=np.float32).copy()
    for step in record:
        if step["op"] == "renorm":
            out = _renorm(out)
        elif step["op"] == "center":
            mean = np.asarray(step["mean"], dtype=np.float32)
            if mean.shape != (out.shape[1],):
                raise AweError(f"recorded centring has dim {mean.shape[0]}, vectors have {out.shape[1]}")
            out -= mean
        else:
            raise AweError(f"unknown recorded normalisation step '{step['op']}'")
    return out.astype(np.float32)
