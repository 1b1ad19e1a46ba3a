"""Where torch runs: ``--device auto|cpu|cuda`` resolved (a clear error for a missing GPU)
and ``--num-threads`` applied (checked, so a bad value is a one-line error)."""

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


def set_threads(num_threads: int | None) -> None:
    """Use ``num_threads`` CPU threads in torch; None keeps torch's default (all cores)."""
    if num_threads is None:
        return
    if num_threads < 1:
        raise AweError(f"--num-threads must be at least 1 (got {num_threads})")
    torch.set_num_threads(num_threads)
