"""``awe align`` as a library call: normalise, fit (Procrustes or adversarial), refine, select.

- ``procrustes``: fit the map on a seed dictionary, then optionally refine;
- ``adversarial``: for each restart (seeds derived from ``seed``) train the adversarial
  map and refine it; the restart with the best unsupervised criterion wins, so no gold
  dictionary is ever needed;
- ``self-learning``: the same, with VecMap's fully unsupervised start and stochastic
  self-learning (:mod:`awetools.align.selflearning`) in place of adversarial training;
  the start is deterministic, so restart ``r`` uses ``vocab / 2**r`` words for it.

A refinement induces a dictionary from the current map (CSLS, mutual nearest
neighbours among the most frequent words) and refits the map on it with Procrustes;
the best map by the criterion over all iterations is kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import torch

from awetools.align.adversarial import AdversarialOptions, train_adversarial
from awetools.align.dictionary import BUILDS, Dictionary, criterion, induce
from awetools.align.normalize import normalize, parse_spec
from awetools.align.procrustes import apply_map, check_dims, fit_map
from awetools.align.selflearning import SelfLearningOptions, self_learning
from awetools.errors import AweError
from awetools.log import get_logger

log = get_logger(__name__)

METHODS = ("procrustes", "adversarial", "self-learning")


@dataclass
class AlignConfig:
    """Everything that decides the map (recorded in the output's ``map.json``)."""

    method: str = "adversarial"
    map_kind: str = "orthogonal"
    normalize: str = "renorm,center,renorm"
    refinements: int | None = None
    restarts: int = 1
    seed: int = 0
    csls_k: int = 10
    dico_build: str = "mutual"
    dico_max_rank: int = 15000
    criterion_max_rank: int = 10000
    criterion_max_size: int = 10000
    adversarial: AdversarialOptions = field(default_factory=AdversarialOptions)
    self_learning: SelfLearningOptions = field(default_factory=SelfLearningOptions)

    @property
    def n_refinements(self) -> int:
        """Default: 5 after an unsupervised method, none after supervised Procrustes."""
        if self.refinements is not None:
            return self.refinements
        return 0 if self.method == "procrustes" else 5

    def check(self) -> None:
        if self.method not in METHODS:
            raise AweError(f"unknown method '{self.method}' ({', '.join(METHODS)})")
        if self.method != "procrustes" and self.map_kind == "linear":
            raise AweError("--map linear needs --method procrustes (unsupervised training and "
                           "refinement keep the map (semi-)orthogonal)")
        if self.dico_build not in BUILDS:
            raise AweError(f"unknown dictionary build '{self.dico_build}' ({', '.join(BUILDS)})")
        if self.restarts < 1 or self.n_refinements < 0 or self.csls_k < 1:
            raise AweError("--restarts and --csls-k must be >= 1, --refinements >= 0")
        parse_spec(self.normalize)
        self.adversarial.check()
        self.self_learning.check()

    def as_dict(self) -> dict:
        return {**asdict(self), "refinements": self.n_refinements}


@dataclass
class AlignResult:
    """The selected map and what it was selected on."""

    w: np.ndarray
    src_normalization: list[dict]
    tgt_normalization: list[dict]
    criterion: float
    criterion_pairs: int
    restart: int
    history: list[dict]


class _Aligner:
    """Normalised vectors plus the operations every phase needs."""

    def __init__(self, src: np.ndarray, tgt: np.ndarray, config: AlignConfig, device: torch.device,
                 log_record: Callable[[dict], None]):
        self.src, self.tgt, self.config, self.device = src, tgt, config, device
        self.log_record = log_record

    def criterion(self, w: np.ndarray) -> tuple[float, int]:
        c = self.config
        return criterion(apply_map(self.src, w), self.tgt, c.csls_k, c.criterion_max_rank,
                         c.criterion_max_size, self.device)

    def refine(self, w: np.ndarray, value: float, restart: int) -> tuple[np.ndarray, float]:
        """Procrustes on CSLS-induced dictionaries; the best map by the criterion."""
        c = self.config
        best_w, best = w, value
        for iteration in range(c.n_refinements):
            start = time.perf_counter()
            dico = induce(apply_map(self.src, w), self.tgt, c.dico_build, "csls", c.csls_k,
                          c.dico_max_rank, 0, self.device)
            if len(dico) == 0:
                log.warning("refinement %d: the induced dictionary is empty; stopping", iteration)
                break
            w = fit_map(self.src[dico.src], self.tgt[dico.tgt], c.map_kind)
            value, pairs = self.criterion(w)
            record = {"restart": restart, "phase": "refine", "iteration": iteration,
                      "dictionary": len(dico), "criterion": value, "pairs": pairs,
                      "seconds": round(time.perf_counter() - start, 3)}
            if value > best:
                best_w, best = w, value
                record["best"] = True
            self.log_record(record)
        return best_w, best


def align(src: np.ndarray, tgt: np.ndarray, config: AlignConfig, seed_dico: Dictionary | None = None,
          device: torch.device | str = "cpu",
          on_record: Callable[[dict], None] | None = None) -> AlignResult:
    """Map ``src`` rows (frequency order) onto ``tgt`` rows; see the module docstring."""
    config.check()
    check_dims(src.shape[1], tgt.shape[1], config.map_kind)
    if config.method == "procrustes" and (seed_dico is None or len(seed_dico) == 0):
        raise AweError("--method procrustes needs a seed dictionary with at least one usable pair")
    device = torch.device(device)
    src_n, src_record = normalize(src, config.normalize)
    tgt_n, tgt_record = normalize(tgt, config.normalize)
    history: list[dict] = []

    def record(entry: dict) -> None:
        history.append(entry)
        log.info("%s", " ".join(f"{k}={v:.5g}" if isinstance(v, float) else f"{k}={v}"
                                for k, v in entry.items()))
        if on_record is not None:
            on_record(entry)

    aligner = _Aligner(src_n, tgt_n, config, device, record)
    seeds = np.random.SeedSequence(config.seed).generate_state(config.restarts)
    best: tuple[np.ndarray, float, int] | None = None
    for restart in range(1 if config.method == "procrustes" else config.restarts):
        if config.method == "procrustes":
            w = fit_map(src_n[seed_dico.src], tgt_n[seed_dico.tgt], config.map_kind)
            value, pairs = aligner.criterion(w)
            record({"restart": 0, "phase": "procrustes", "dictionary": len(seed_dico),
                    "criterion": value, "pairs": pairs})
        elif config.method == "self-learning":  # its start is deterministic: each restart
            start = time.perf_counter()            # halves the start vocabulary instead
            options = replace(config.self_learning, vocab=max(2, config.self_learning.vocab >> restart))
            w = self_learning(src_n, tgt_n, options, config.map_kind, config.csls_k,
                              np.random.default_rng(int(seeds[restart])))
            value, pairs = aligner.criterion(w)
            record({"restart": restart, "phase": "self-learning", "vocab": options.vocab,
                    "criterion": value, "pairs": pairs, "seconds": round(time.perf_counter() - start, 3)})
        else:
            w, value = train_adversarial(
                src_n, tgt_n, config.adversarial, int(seeds[restart]), aligner.criterion, device,
                on_epoch=lambda entry, r=restart: record({"restart": r, **entry}))
        w, value = aligner.refine(w, value, restart)
        record({"restart": restart, "phase": "restart-end", "criterion": value})
        if best is None or value > best[1]:
            best = (w, value, restart)
    w, value, restart = best
    final, pairs = aligner.criterion(w)
    record({"phase": "selected", "restart": restart, "criterion": final, "pairs": pairs})
    return AlignResult(w, src_record, tgt_record, final, pairs, restart, history)
