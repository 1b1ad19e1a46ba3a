"""Process-group context for training: one process by default, DDP under ``torchrun``.

``torchrun --nproc-per-node N -m awetools train-phonetic ...`` (or ``train-skipgram``) sets ``WORLD_SIZE``,
``RANK`` and ``LOCAL_RANK``; :func:`setup` then joins the process group (gloo on CPU,
nccl on GPUs).  Every rank builds the same batches from the same seed and takes every
N-th one; gradients are averaged by DDP; rank 0 validates, broadcasts the validation
score (so every rank takes the same LR and early-stopping decisions) and writes
checkpoints, logs and the model dir.
"""

from __future__ import annotations

import gc
import logging
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass
class Dist:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.world_size > 1

    def broadcast(self, value: float) -> float:
        """Rank 0's ``value`` on every rank."""
        if not self.active:
            return value
        box = [value]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def mean(self, value: float) -> float:
        """Mean of ``value`` over the ranks."""
        if not self.active:
            return value
        values: list = [None] * self.world_size
        dist.all_gather_object(values, value)  # works with gloo and nccl alike
        return sum(values) / self.world_size

    def barrier(self) -> None:
        if self.active:
            dist.barrier()

    def average_gradients(self, model: torch.nn.Module) -> None:
        """Average the gradients over the ranks (one all-reduce of a flat buffer).

        For models that are not called through ``forward`` (the semantic tasks call
        submodules), where DDP's hooks would not fire; a parameter without a gradient
        on this rank counts as a zero gradient.  Sparse embedding gradients are averaged
        densely and handed back sparse (the rows any rank touched).
        """
        if not self.active:
            return
        params = [p for p in model.parameters() if p.requires_grad]
        sparse = {id(m.weight) for m in model.modules()
                  if isinstance(m, torch.nn.Embedding) and m.sparse}
        for p in params:
            if p.grad is None:
                p.grad = torch.zeros_like(p)
            elif p.grad.is_sparse:  # embedding rows: averaged densely, handed back sparse
                p.grad = p.grad.to_dense()
        flat = torch.cat([p.grad.reshape(-1) for p in params])
        dist.all_reduce(flat)
        flat /= self.world_size
        for p, averaged in zip(params, flat.split([p.numel() for p in params])):
            p.grad.copy_(averaged.view_as(p))
            if id(p) in sparse:  # the rows some rank touched, for SparseAdam
                p.grad = p.grad.to_sparse(sparse_dim=1)

    def wrap(self, model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
        """The model DDP-wrapped when distributed, else unchanged."""
        if not self.active:
            return model
        ids = [device.index] if device.type == "cuda" else None
        return torch.nn.parallel.DistributedDataParallel(model, device_ids=ids)


def setup(device_name: str) -> tuple[Dist, str]:
    """Join the process group when launched by torchrun; returns the context and device name.

    Under torchrun with CUDA, each rank uses the GPU ``LOCAL_RANK``.
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Dist(), device_name
    rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = device_name.startswith("cuda") or (device_name == "auto" and torch.cuda.is_available())
    if not dist.is_initialized():
        dist.init_process_group("nccl" if use_cuda else "gloo")
    if rank != 0:  # one voice in the log
        logging.getLogger("awetools").setLevel(logging.WARNING)
    return Dist(rank, world, local), (f"cuda:{local}" if use_cuda else "cpu")


def teardown(context: Dist) -> None:
    """Leave the process group, then collect what still holds gloo's work objects, so that
    none is freed during interpreter shutdown (an abort in gloo's threads).  No barrier
    here: this also runs when one rank failed, and the others may never reach it (the
    success paths take theirs before returning)."""
    if context.active and dist.is_initialized():
        dist.destroy_process_group()
        gc.collect()
