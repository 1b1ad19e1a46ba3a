"""The epoch loop: train, validate, decay or halve the LR, stop early, checkpoint.

State that decides the future of a run (weights, optimizer, best weights, plateau
counters, history) is saved in ``checkpoint.pt`` after every epoch, as tensors and plain
Python values only (loadable with ``weights_only=True``).  Batches and dropout noise are
a pure function of ``(seed, epoch)``, so a resumed run continues exactly as an
uninterrupted one would.

The loop knows nothing about data formats or metrics: it gets the training tensors, a
``validate(model) -> dict`` callable (``"ap"`` is the selection criterion) and a
:class:`~awetools.train.distributed.Dist` context.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from awetools.errors import AweError
from awetools.log import get_logger
from awetools.models.awe import AweModel
from awetools.models.modeldir import save_weights
from awetools.progress import progress
from awetools.train.batching import epoch_batches, shard
from awetools.train.distributed import Dist
from awetools.train.objectives import LossOptions, TrainTensors, batch_loss
from awetools.train.schedule import check_decay, decay_factor, run_fraction

log = get_logger("awetools.train")
CHECKPOINT = "checkpoint.pt"
LOG = "log.jsonl"


@dataclass
class LoopOptions:
    epochs: int = 50
    batch_size: int = 128
    lr: float = 1e-3
    lr_patience: int = 5         # epochs without a better validation AP before halving the LR
    patience: int = 10           # epochs without a better validation AP before stopping
    seed: int = 0
    cae_pretrain_epochs: int = 0  # cae: epochs of plain autoencoding first
    eval_batch_size: int = 256
    ema_decay: float = 0.0       # > 0: validate and keep an exponential moving average of the weights
    lr_decay: str = "none"       # none | linear | cosine over ``epochs`` (awetools.train.schedule)

    def __post_init__(self) -> None:
        if not 0 <= self.ema_decay < 1:
            raise AweError(f"--ema-decay {self.ema_decay}: must be in [0, 1)")
        check_decay(self.lr_decay)


@dataclass
class LoopState:
    epoch: int = 0               # epochs completed
    best_ap: float = -1.0
    best_epoch: int = 0
    bad_epochs: int = 0
    lr_bad_epochs: int = 0
    lr: float = 1e-3
    stopped_early: bool = False
    history: list[dict] = field(default_factory=list)

    def record(self, epoch: int, ap: float, options: "LoopOptions", counts_for_stopping: bool = True) -> bool:
        """Book an epoch's validation AP: best epoch, LR halving, early stop; True if it improved."""
        self.epoch = epoch
        improved = ap > self.best_ap
        if improved:
            self.best_ap, self.best_epoch = ap, epoch
            self.bad_epochs = self.lr_bad_epochs = 0
        else:
            self.bad_epochs += 1
            self.lr_bad_epochs += 1
        if not counts_for_stopping:
            self.bad_epochs = 0
        if self.lr_bad_epochs >= options.lr_patience:
            self.lr *= 0.5
            self.lr_bad_epochs = 0
        self.stopped_early = self.bad_epochs >= options.patience
        return improved


def epoch_seed(seed: int, epoch: int) -> int:
    """Torch seed of one epoch (dropout), derived from the run seed."""
    return int(np.random.SeedSequence([seed, epoch, 7]).generate_state(1)[0])


def make_optimizer(model: torch.nn.Module, lr: float) -> torch.optim.Optimizer:
    return torch.optim.Adam(model.parameters(), lr=lr)


def weight_average(model: AweModel, decay: float) -> AveragedModel | None:
    """Exponential moving average of ``model``'s weights, updated after every step (None: off).

    Averaging the weights of the last few hundred steps lands nearer the centre of the
    region the optimizer wanders in than its last point, which generalises better to data
    unlike the training set (Polyak averaging; Izmailov et al. 2018 for SWA).
    """
    if decay <= 0:
        return None
    return AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """Every parameter group's learning rate to ``lr``."""
    for group in optimizer.param_groups:
        group["lr"] = lr


def train_epoch(model: torch.nn.Module, optimizer: torch.optim.Optimizer, data: TrainTensors,
                batches: list[np.ndarray], loss_options: LossOptions, device: torch.device,
                phase: str, desc: str, show: bool, average: AveragedModel | None = None,
                lr_at: Callable[[int], float] | None = None) -> float:
    """One pass over ``batches`` (updating ``average`` after each step, setting the LR of
    step i to ``lr_at(i)`` before it); returns the mean loss."""
    model.train()
    total, steps = 0.0, 0
    with progress(len(batches), desc=desc, unit="batch", disable=not show) as bar:
        for index in batches:
            if lr_at is not None:
                set_lr(optimizer, lr_at(steps))
            optimizer.zero_grad(set_to_none=True)
            loss = batch_loss(model, data, index, loss_options, device, phase)
            loss.backward()
            optimizer.step()
            if average is not None:
                average.update_parameters(model)
            total += float(loss.detach())
            steps += 1
            bar.set_postfix(loss=f"{total / steps:.4f}", refresh=False)
            bar.update(1)
    return total / max(steps, 1)


def save_checkpoint(path: Path, model: AweModel, optimizer: torch.optim.Optimizer,
                    best_state: dict, state: LoopState, config: dict,
                    average: AveragedModel | None = None) -> None:
    save_weights(path, {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                        "best_model": best_state, "state": asdict(state), "config": config,
                        **({"average": average.state_dict()} if average is not None else {})})


def restore_checkpoint(checkpoint: dict, model: AweModel, optimizer: torch.optim.Optimizer,
                       average: AveragedModel | None = None) -> tuple[dict, LoopState]:
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    if average is not None:
        average.load_state_dict(checkpoint["average"])
    return checkpoint["best_model"], LoopState(**checkpoint["state"])


def write_log(path: Path, history: list[dict]) -> None:
    """Rewrite the JSON-lines log from the history (so a resume never duplicates lines)."""
    path.write_text("".join(json.dumps(entry) + "\n" for entry in history), encoding="utf-8")


def fit(model: AweModel, data: TrainTensors, validate: Callable[[AweModel], dict],
        loss_options: LossOptions, options: LoopOptions, workdir: Path, config: dict,
        device: torch.device, dist: Dist | None = None, checkpoint: dict | None = None,
        on_epoch_end: Callable[[LoopState], None] | None = None) -> tuple[dict, LoopState]:
    """Train until ``options.epochs`` or early stopping; returns (best state dict, final state)."""
    dist = dist or Dist()
    optimizer = make_optimizer(model, options.lr)
    average = weight_average(model, options.ema_decay)
    evaluated = model if average is None else average.module  # what is validated and kept
    if checkpoint is not None:
        best_state, state = restore_checkpoint(checkpoint, model, optimizer, average)
        log.info("resuming after epoch %d (best AP %.4f at epoch %d)", state.epoch,
                 state.best_ap, state.best_epoch)
    else:
        best_state, state = copy.deepcopy(evaluated.state_dict()), LoopState(lr=options.lr)
    trained = dist.wrap(model, device)
    lengths = data.lengths
    group_size = 1 if loss_options.objective == "multitask" else 2
    while state.epoch < options.epochs and not state.stopped_early:
        epoch = state.epoch + 1
        phase = "ae" if loss_options.objective == "cae" and epoch <= options.cae_pretrain_epochs else "cae"
        torch.manual_seed(epoch_seed(options.seed, epoch))
        batches = shard(epoch_batches(data.labels, lengths, options.batch_size, options.seed,
                                      epoch, group_size), dist.rank, dist.world_size)

        def lr_at(step: int, epoch: int = epoch, steps: int = len(batches)) -> float:
            """The plateau-halved LR under --lr-decay, at ``step`` of this epoch."""
            return state.lr * decay_factor(options.lr_decay, run_fraction(epoch, step, steps, options.epochs))

        start, cpu_start = time.perf_counter(), time.process_time()
        loss = train_epoch(trained, optimizer, data, batches, loss_options, device, phase,
                           f"epoch {epoch}/{options.epochs}", dist.is_main, average, lr_at)
        train_time = time.perf_counter() - start
        cpu_time = time.process_time() - cpu_start
        loss = dist.mean(loss)
        scores = validate(evaluated) if dist.is_main else {}
        ap = dist.broadcast(scores.get("ap", 0.0))
        # early stopping counts correspondence epochs only (cae)
        if state.record(epoch, ap, options, counts_for_stopping=phase != "ae"):
            best_state = copy.deepcopy(evaluated.state_dict())
        last_lr = lr_at(max(len(batches) - 1, 0))  # the epoch's last step's, after any halving
        tokens = sum(len(b) for b in batches) * dist.world_size
        entry = {"epoch": epoch, **({"phase": phase} if loss_options.objective == "cae" else {}),
                 "loss": round(loss, 6),
                 **{f"valid_{k}": round(v, 6) for k, v in scores.items()},
                 "best_epoch": state.best_epoch, "lr": last_lr,
                 "time_s": round(time.perf_counter() - start, 3),
                 "train_time_s": round(train_time, 3), "train_cpu_s": round(cpu_time, 3),
                 "segments": tokens,
                 "segments_per_s": round(tokens / max(train_time, 1e-9), 1)}
        state.history.append(entry)
        if dist.is_main:
            save_checkpoint(workdir / CHECKPOINT, model, optimizer, best_state, state, config, average)
            write_log(workdir / LOG, state.history)
            log.info("epoch %d%s: loss %.4f, valid AP %.4f (best %.4f at %d), lr %.2g, "
                     "%.1f s, %.0f segments/s", epoch, " (ae)" if phase == "ae" else "", loss,
                     ap, state.best_ap, state.best_epoch, last_lr, entry["time_s"],
                     entry["segments_per_s"])
        dist.barrier()
        if on_epoch_end is not None:
            on_epoch_end(state)
    if state.stopped_early and dist.is_main:
        log.info("stopped early: no better validation AP for %d epochs", options.patience)
    return best_state, state
