"""``--device auto|cpu|cuda`` resolved to a torch device, with a clear error for cuda."""

from __future__ import annotations

import torch

from awetools.errors import AweError

DEVICES = ("auto", "cpu", "cuda")


def resolve_device(name: str) -> torch.device:
    """``auto`` is cuda when a GPU is visible, else cpu; ``cuda`` without one is an error."""
    if name not in DEVICES and not name.startswith("cuda:"):
        raise AweError(f"unknown device '{name}' (auto, cpu, cuda or cuda:N)")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise AweError(f"device '{name}' requested but no CUDA GPU is available "
                       "(use --device cpu or auto)")
    return torch.device(name)
