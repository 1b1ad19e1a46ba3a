"""Unsupervised alignment by adversarial training (MUSE, Conneau et al. 2018).

A linear map ``W`` (initialised to the identity) plays against a discriminator that tells
mapped source vectors from target vectors.  The discriminator (input dropout, two
hidden layers with LeakyReLU 0.2, label smoothing) takes several SGD steps per map
step; the map is trained to fool it and, after every step, pulled back towards the
orthogonal matrices with ``W <- (1 + b) W - b (W W^T) W``.  After each epoch an
unsupervised criterion (:func:`awetools.align.dictionary.criterion`) scores the map; the
best epoch is kept, the map learning rate decays every epoch and shrinks when the
criterion drops (the second time on), and training stops when it falls below a floor.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from awetools.align.procrustes import identity
from awetools.errors import AweError
from awetools.progress import progress


@dataclass
class AdversarialOptions:
    """Settings of adversarial training (defaults from MUSE but ``epoch_size``)."""

    epochs: int = 5
    epoch_size: int = 100_000
    batch_size: int = 32
    dis_steps: int = 5
    dis_layers: int = 2
    dis_hidden: int = 2048
    dis_input_dropout: float = 0.1
    dis_dropout: float = 0.0
    dis_smooth: float = 0.1
    dis_most_frequent: int = 75000
    dis_lr: float = 0.1
    map_lr: float = 0.1
    map_beta: float = 0.001
    lr_decay: float = 0.98
    lr_shrink: float = 0.5
    min_lr: float = 1e-6

    def check(self) -> None:
        """Refuse impossible settings at start (not after an hour of training)."""
        if self.epochs < 0 or self.epoch_size < 1 or self.batch_size < 1 or self.dis_steps < 1:
            raise AweError("--epochs must be >= 0 and --epoch-size, --batch-size, --dis-steps >= 1")
        if self.dis_layers < 0 or self.dis_hidden < 1:
            raise AweError("--dis-layers must be >= 0 and --dis-hidden >= 1")
        if not (0 <= self.dis_input_dropout < 1 and 0 <= self.dis_dropout < 1):
            raise AweError("discriminator dropouts must be in [0, 1)")
        if not 0 <= self.dis_smooth < 0.5:
            raise AweError("--dis-smooth must be in [0, 0.5)")
        if min(self.dis_lr, self.map_lr) <= 0 or self.map_beta < 0:
            raise AweError("learning rates must be > 0 and --map-beta >= 0")
        if not (0 < self.lr_decay <= 1 and 0 < self.lr_shrink <= 1):
            raise AweError("--lr-decay and --lr-shrink must be in (0, 1]")

    def as_dict(self) -> dict:
        return asdict(self)


class Discriminator(nn.Module):
    """MLP scoring "mapped source" (logit > 0) against "target"."""

    def __init__(self, dim: int, hidden: int, layers: int, input_dropout: float, dropout: float):
        super().__init__()
        modules: list[nn.Module] = [nn.Dropout(input_dropout)]
        width = dim
        for _ in range(layers):
            modules += [nn.Linear(width, hidden), nn.LeakyReLU(0.2)]
            if dropout > 0:
                modules.append(nn.Dropout(dropout))
            width = hidden
        modules.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*modules)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)


def orthogonalize(w: torch.Tensor, beta: float) -> None:
    """In place: ``W <- (1 + beta) W - beta (W W^T) W`` (pushes singular values to 1)."""
    if beta > 0:
        w.copy_((1 + beta) * w - beta * (w @ w.T) @ w)


Criterion = Callable[[np.ndarray], tuple[float, int]]


def train_adversarial(src: np.ndarray, tgt: np.ndarray, options: AdversarialOptions, seed: int,
                      criterion: Criterion, device: torch.device | str = "cpu",
                      on_epoch: Callable[[dict], None] | None = None,
                      ) -> tuple[np.ndarray, float]:
    """Train a map ``[D_tgt, D_src]``; returns the best epoch's map and its criterion.

    Rows of ``src`` and ``tgt`` are in frequency order: the discriminator sees the
    ``dis_most_frequent`` first words of each side.  ``criterion(W)`` returns
    ``(value, dictionary size)``; ``on_epoch`` receives one log record per epoch.
    """
    options.check()
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    x = torch.as_tensor(src, dtype=torch.float32, device=device)
    y = torch.as_tensor(tgt, dtype=torch.float32, device=device)
    w = torch.tensor(identity(x.shape[1], y.shape[1]), device=device, requires_grad=True)
    disc = Discriminator(y.shape[1], options.dis_hidden, options.dis_layers,
                         options.dis_input_dropout, options.dis_dropout).to(device)
    dis_opt = torch.optim.SGD(disc.parameters(), lr=options.dis_lr)
    map_lr = options.map_lr
    bs = options.batch_size
    top = options.dis_most_frequent
    n_src = min(top, len(x)) if top > 0 else len(x)
    n_tgt = min(top, len(y)) if top > 0 else len(y)
    smooth = options.dis_smooth
    labels = torch.cat([torch.full((bs,), 1 - smooth), torch.full((bs,), smooth)]).to(device)

    def batch() -> tuple[torch.Tensor, torch.Tensor]:
        i = torch.randint(n_src, (bs,), generator=generator).to(device)
        j = torch.randint(n_tgt, (bs,), generator=generator).to(device)
        return x[i], y[j]

    best_w = w.detach().cpu().numpy().copy()
    best, _ = criterion(best_w)
    shrink_armed = False
    for epoch in range(options.epochs):
        start = time.perf_counter()
        iterations = max(1, options.epoch_size // bs)
        dis_loss = torch.zeros((), device=device)
        with progress(iterations, desc=f"adversarial epoch {epoch}", unit="it") as bar:
            for _ in range(iterations):
                disc.train()
                for _ in range(options.dis_steps):
                    xs, yt = batch()
                    with torch.no_grad():
                        mapped = xs @ w.T
                    loss = F.binary_cross_entropy_with_logits(disc(torch.cat([mapped, yt])), labels)
                    dis_opt.zero_grad(set_to_none=True)
                    loss.backward()
                    dis_opt.step()
                    dis_loss += loss.detach()
                disc.eval()
                xs, _ = batch()
                # only the mapped half depends on W: the target half of MUSE's loss adds no gradient
                loss = 0.5 * F.binary_cross_entropy_with_logits(disc(xs @ w.T), 1 - labels[:bs])
                (grad,) = torch.autograd.grad(loss, w)
                with torch.no_grad():
                    w -= map_lr * grad
                    orthogonalize(w, options.map_beta)
                bar.update()
        current = w.detach().cpu().numpy().copy()
        trained = time.perf_counter()
        value, pairs = criterion(current)
        record = {"phase": "adversarial", "epoch": epoch, "criterion": value, "pairs": pairs,
                  "dis_loss": float(dis_loss) / (iterations * options.dis_steps),
                  "map_lr": map_lr, "iterations": iterations,
                  "train_seconds": round(trained - start, 3),
                  "criterion_seconds": round(time.perf_counter() - trained, 3)}
        map_lr = max(options.min_lr, map_lr * options.lr_decay)
        if value < best:
            if shrink_armed:
                map_lr *= options.lr_shrink
            shrink_armed = True
        if value > best:
            best, best_w = value, current
            record["best"] = True
        if on_epoch is not None:
            on_epoch(record)
        if map_lr < options.min_lr:
            break
    return best_w, best
