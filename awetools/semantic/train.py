"""``awe train-skipgram`` as a library call: word-segment data dir + inputs -> semantic model dir.

Like ``awe train-phonetic``, training runs in ``OUT.partial`` (``checkpoint.pt`` and
``log.jsonl`` after every epoch; ``--resume`` continues there, exactly as an
uninterrupted run would, since batches, negatives and dropout are a function of
``(seed, epoch)``) and ``OUT`` is written atomically at the end:

``model.pt``         weights of the selected epoch (``--select``: the last by default),
                     ``torch.load(..., weights_only=True)``
``config.json``      format/version, ``model`` (rebuilds the network), ``training``,
                     ``data``, ``runtime``, ``result``
``log.jsonl``        one JSON line per epoch (pairs, loss, valid_loss, wordsim rho, lr, time, pairs/s)
``valid_curve.tsv``  epoch, valid_loss, loss, then rho per ``--wordsim`` set
``checkpoint.pt``    the last epoch's full training state
``vocab.txt``, ``vectors.txt``  text method only: word types (row order), and word vectors (word2vec text, most frequent first)

Validation holds out the context pairs of a random fraction of utterances and reports
the training loss on them (fixed negatives), so curves of different epochs compare.  The
held-out skipgram loss does not follow embedding quality (it usually rises from epoch 2
while word similarity still improves), so it selects an epoch only when asked; the
default keeps the last epoch, and ``--wordsim`` files give a curve of Spearman's rho per
epoch (type-averaged vectors of the training segments, pairs whose words both have
``--wordsim-min-count`` tokens) that ``--select wordsim`` can select on.

word2vec's training rules apply to every method (:mod:`awetools.semantic.context`):
frequent-item subsampling (``--sample``; items are word ids for ``text`` and pseudo-word
cluster ids, the top soft label of ``--clusters``, for speech), dynamic windows, and
an optional linear decay of the learning rate to 0.01 % of ``--lr`` over the run.  The
SGNS methods draw negatives from the unigram^0.75 distribution of the items (segments
uniformly, i.e. unigram^1, for speech methods without ``--clusters``).
"""

from __future__ import annotations

import copy
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from awetools.cluster.clusterdir import ClusterDir
from awetools.cluster.soft import SoftLabels
from awetools.cluster.kmeans import KMeansOptions, kmeans
from awetools.errors import AweError
from awetools.io.atomic import atomic_dir
from awetools.io.datadir import DataDir, c_sorted, read_kaldi_table
from awetools.io.tables import read_matrices, read_vectors
from awetools.io.wordvectors import write_word_vectors
from awetools.log import get_logger
from awetools.models.awe import ModelConfig
from awetools.models.device import resolve_device, set_threads
from awetools.models.modeldir import CONFIG, WEIGHTS, load_model, load_weights, save_weights, write_json
from awetools.progress import progress
from awetools.semantic.context import ContextPairs, EpochPairs, aligned_keys, held_out
from awetools.semantic.curves import EpochWordsim
from awetools.semantic.inputs import (FeatureInput, LabelInput, SoftLabelInput, UnitInput,
                                      VectorInput, frame_units)
from awetools.semantic.modeldir import VECTORS, format_header
from awetools.semantic.models import CLUSTER_OBJECTIVES, INPUT_KIND, METHODS, build_semantic_model
from awetools.semantic.objectives import LossOptions, SkipgramTask
from awetools.train import distributed
from awetools.train.batching import shard
from awetools.train.distributed import Dist
from awetools.train.loop import CHECKPOINT, LOG, epoch_seed, write_log
from awetools.train.phonetic import check_outputs, comparable, flat_differences, workdir_of
from awetools.train.schedule import check_decay, decay_factor, run_fraction

log = get_logger("awetools.semantic")
CURVE = "valid_curve.tsv"
VOCAB = "vocab.txt"
MAX_VALID_PAIRS = 20_000
SELECTIONS = ("last", "valid-loss", "wordsim")


@dataclass
class SkipgramTraining:
    """Everything ``awe train-skipgram`` needs (see its man page)."""

    out: Path
    method: str
    data_dir: str
    embeddings: str | None = None   # vectors rspecifier: cluster-skipgram, projection, two-stage
    features: str | None = None     # features rspecifier: units, contrastive, speech2vec
    clusters: str | None = None     # cluster dir: cluster-skipgram
    init: str | None = None         # phonetic model dir: contrastive
    labels: str | None = None       # text: word labels (default DATA_DIR/text)
    window: int = 5
    dim: int = 130
    hidden: int | None = None       # MLP hidden units (default 512) / RNN units (default 256)
    layers: int = 2
    units: int = 100
    unit_dim: int = 64
    loss: LossOptions = field(default_factory=LossOptions)
    epochs: int = 10
    batch_size: int = 256
    lr: float = 1e-3
    pairs_per_epoch: int | None = None
    valid_fraction: float = 0.05
    sample: float | None = 1e-3     # subsampling threshold t (None: off)
    outlier_fraction: float = 0.0   # leave out the segments farthest from their cluster centroid
    dynamic_window: bool = True
    lr_decay: str = "none"          # none | linear
    select: str = "last"            # last | valid-loss | wordsim
    wordsim: tuple[str, ...] = ()   # similarity files scored after every epoch
    wordsim_min_count: int = 5
    seed: int = 0
    device: str = "auto"
    num_threads: int | None = None
    resume: bool = False
    overwrite: bool = False


@dataclass
class Prepared:
    """Inputs aligned with the data dir: segment keys, what the model reads, model config."""

    keys: list[str]
    inputs: object
    model: dict
    soft: object = None
    noise: np.ndarray | None = None
    init_state: dict | None = None
    vocab: list[str] | None = None
    items: np.ndarray | None = None  # item id per segment row (subsampling, negatives)
    left_out: np.ndarray | None = None  # segment rows never trained on (--outlier-fraction)


def _check_run(run: SkipgramTraining) -> None:
    if run.method not in METHODS:
        raise AweError(f"--method: unknown method '{run.method}' ({', '.join(METHODS)})")
    need = {"vectors": "embeddings", "features": "features", "units": "features"}.get(INPUT_KIND[run.method])
    if need and getattr(run, need) is None:
        raise AweError(f"--method {run.method} needs --{need}")
    if run.method == "cluster-skipgram" and run.clusters is None:
        raise AweError("--method cluster-skipgram needs --clusters (a dir made by awe cluster)")
    if run.loss.objective not in CLUSTER_OBJECTIVES:
        raise AweError(f"--objective: unknown objective '{run.loss.objective}' "
                       f"({', '.join(CLUSTER_OBJECTIVES)})")
    if run.loss.objective != "softmax" and run.method != "cluster-skipgram":
        raise AweError(f"--objective {run.loss.objective} is for --method cluster-skipgram "
                       f"(not {run.method})")
    if not 0 <= run.outlier_fraction < 1:
        raise AweError(f"--outlier-fraction must be in [0, 1) (got {run.outlier_fraction})")
    if run.outlier_fraction > 0 and (run.clusters is None or INPUT_KIND[run.method] != "vectors"):
        raise AweError("--outlier-fraction needs --clusters and --embeddings (the distance of "
                       "each AWE to its cluster's centroid)")
    if run.sample is not None and not run.sample > 0:
        raise AweError(f"--sample must be above 0 (got {run.sample}; --no-subsample turns it off)")
    check_decay(run.lr_decay)
    if run.select not in SELECTIONS:
        raise AweError(f"--select: unknown rule '{run.select}' ({', '.join(SELECTIONS)})")
    if run.select == "wordsim" and not run.wordsim:
        raise AweError("--select wordsim needs at least one --wordsim file")
    if run.select == "valid-loss" and run.valid_fraction == 0:
        raise AweError("--select valid-loss needs --valid-fraction above 0")
    if run.wordsim_min_count < 1:
        raise AweError(f"--wordsim-min-count must be at least 1 (got {run.wordsim_min_count})")
    for name in ("window", "dim", "epochs", "batch_size", "units", "layers"):
        if getattr(run, name) < 1:
            raise AweError(f"--{name.replace('_', '-')} must be at least 1")
    if run.loss.negatives < 1 or run.lr <= 0 or not 0 <= run.valid_fraction < 1:
        raise AweError("--negatives >= 1, --lr > 0 and 0 <= --valid-fraction < 1 are required")
    check_outputs(run.out, run.overwrite, run.resume)


def _warn_dropped(total: int, kept: int, what: str) -> None:
    if kept < total:
        log.warning("%d of %d segments of %s have no context data or labels and are left out",
                    total - kept, total, what)


def _rows(keys: list[str], subset: list[str]) -> np.ndarray:
    index = {k: i for i, k in enumerate(keys)}
    return np.array([index[k] for k in subset], dtype=np.int64)


def unigram_noise(items: np.ndarray) -> np.ndarray:
    """Per segment row, the probability that makes item ``i`` a negative with probability
    proportional to ``count_i ** 0.75`` (word2vec's noise distribution)."""
    counts = np.bincount(items).astype(np.float64)
    weight = counts[items] ** -0.25  # count_i rows of weight count_i^-0.25 sum to count_i^0.75
    return weight / weight.sum()


def item_noise(items: np.ndarray, count: int) -> np.ndarray:
    """Per item id (``count`` of them), word2vec's negative-sampling probability,
    proportional to its number of segments ``** 0.75``."""
    weight = np.bincount(items, minlength=count).astype(np.float64) ** 0.75
    return weight / weight.sum()


def prepare(run: SkipgramTraining, data: DataDir) -> Prepared:
    """Read the method's inputs and align them with the data dir's segments."""
    kind = INPUT_KIND[run.method]
    if kind == "labels":
        return prepare_text(run, data)
    model: dict = {"method": run.method, "dim": run.dim}
    hidden = run.hidden if run.hidden is not None else (512 if kind == "vectors" else 256)
    clusters = ClusterDir.load(run.clusters) if run.clusters else None
    sources = {f"{run.clusters}/soft.h5": set(clusters.soft.keys)} if clusters else {}
    source = run.embeddings if kind == "vectors" else run.features
    keys, rows = (read_vectors if kind == "vectors" else read_matrices)(source)
    kept = aligned_keys(keys, data, sources)
    _warn_dropped(len(keys), len(kept), source)
    order = _rows(keys, kept)
    soft = clusters.soft.subset(_rows(clusters.soft.keys, kept)) if clusters else None
    items = soft.index[:, 0].astype(np.int64) if clusters else None
    sgns_noise = (unigram_noise(items) if items is not None else np.full(len(kept), 1.0 / len(kept)))
    if kind == "vectors":
        x = rows[order]
        model["in_dim"] = int(x.shape[1])
        if run.method == "cluster-skipgram":
            prepared = prepare_cluster_skipgram(run, kept, model, clusters, soft, items)
        else:
            model["hidden"] = hidden
            noise = sgns_noise if run.method == "two-stage" else None
            prepared = Prepared(kept, VectorInput(np.ascontiguousarray(x)), model, noise=noise, items=items)
        if run.outlier_fraction > 0:
            prepared.left_out = clusters.farthest(x, items, run.outlier_fraction)
            log.info("leaving out %d of %d segments far from their cluster centroid "
                     "(--outlier-fraction %g)", int(prepared.left_out.sum()), len(kept),
                     run.outlier_fraction)
        return prepared
    feats = [rows[i] for i in order]
    feat_dim = int(feats[0].shape[1])
    if run.method == "units":
        codebook = frame_codebook(feats, run.units, run.seed)
        model.update(feat_dim=feat_dim, units=run.units, unit_dim=run.unit_dim,
                     hidden=hidden, layers=run.layers)
        state = {"codebook": torch.from_numpy(codebook)}
        return Prepared(kept, UnitInput(frame_units(feats, codebook)), model, noise=sgns_noise,
                        init_state=state, items=items)
    if run.method == "speech2vec":
        model.update(feat_dim=feat_dim, hidden=hidden, layers=run.layers, bidirectional=True)
        return Prepared(kept, FeatureInput(feats), model, items=items)
    phonetic, state = contrastive_init(run, feat_dim, hidden)
    model["phonetic"] = phonetic
    return Prepared(kept, FeatureInput(feats), model, init_state=state, items=items)


def prepare_cluster_skipgram(run: SkipgramTraining, kept: list[str], model: dict,
                             clusters: ClusterDir, soft: SoftLabels, items: np.ndarray) -> Prepared:
    """Soft labels as input and targets; the centroids and labelling rule go with the model,
    so that ``awe embed`` labels new AWEs as ``awe cluster`` did (top 1 with ``--hard``)."""
    if clusters.centroids.shape[1] != model["in_dim"]:
        raise AweError(f"{clusters.path}: centroids are {clusters.centroids.shape[1]}-dim, "
                       f"the --embeddings {model['in_dim']}-dim (clustered from other vectors?)")
    index, weight = soft.index, soft.weight
    if run.loss.hard:  # one-hot cluster ids in and out: word2vec over pseudo-words
        index, weight = index[:, :1], np.ones_like(weight[:, :1])
    model.update(k=clusters.k, top=int(index.shape[1]), temperature=clusters.temperature,
                 spherical=clusters.spherical, objective=run.loss.objective)
    state = {"centroids": torch.from_numpy(clusters.centroids)}
    noise = item_noise(items, clusters.k) if run.loss.objective == "sgns" else None
    return Prepared(kept, SoftLabelInput(np.ascontiguousarray(index), np.ascontiguousarray(weight)),
                    model, soft, noise=noise, init_state=state, items=items)


def prepare_text(run: SkipgramTraining, data: DataDir) -> Prepared:
    """The text topline: word ids of the segments' labels; unigram^0.75 negatives over words."""
    labels_path = run.labels or str(Path(run.data_dir) / "text")
    text = read_kaldi_table(labels_path, check_sorted=False)
    keys = c_sorted(data.seg2utt)
    kept = aligned_keys(keys, data, {labels_path: set(text)})
    _warn_dropped(len(keys), len(kept), str(data.path))
    vocab, ids = np.unique(np.array([text[k] for k in kept]), return_inverse=True)
    model = {"method": run.method, "dim": run.dim, "vocab": len(vocab)}
    return Prepared(kept, LabelInput(ids), model, noise=item_noise(ids, len(vocab)),
                    vocab=[str(w) for w in vocab], items=ids.astype(np.int64))


def frame_codebook(feats: list[np.ndarray], units: int, seed: int) -> np.ndarray:
    """K-means (faiss) over frames: about 256 random frames per unit are enough to train."""
    rng = np.random.default_rng([seed, 5])
    order = rng.permutation(len(feats))
    frames, total = [], 0
    for i in order:
        frames.append(feats[i])
        total += len(feats[i])
        if total >= 256 * units:
            break
    sample = np.concatenate(frames)
    if len(sample) < units:
        raise AweError(f"--units {units}: only {len(sample)} frames to cluster")
    result = kmeans(sample, KMeansOptions(k=units, niter=20, seed=seed, device="cpu"), name="frames")
    log.info("frame units: K-means over %d frames into %d units (inertia/frame %.3f)",
             len(sample), units, result.inertia / len(sample))
    return result.centroids


def contrastive_init(run: SkipgramTraining, feat_dim: int, hidden: int) -> tuple[dict, dict | None]:
    """Phonetic model config (and weights) to start from: ``--init`` model dir or a fresh ContrastiveRNN."""
    if run.init is None:
        config = ModelConfig(feat_dim=feat_dim, objective="contrastive", hidden=hidden,
                             layers=run.layers, embed_dim=run.dim)
        return config.to_dict(), None
    phonetic, config = load_model(run.init, "cpu")
    section = config["model"]
    if section["feat_dim"] != feat_dim:
        raise AweError(f"{run.features}: {feat_dim}-dim features, but the model in {run.init} "
                       f"expects {section['feat_dim']}")
    state = {f"awe.{k}": v for k, v in phonetic.state_dict().items()}
    return section, state


def build_config(run: SkipgramTraining, prepared: Prepared, n_pairs: tuple[int, int]) -> dict:
    training = {k: v for k, v in asdict(run).items()
                if k not in ("out", "data_dir", "embeddings", "features", "clusters", "init",
                             "labels", "device", "num_threads", "resume", "overwrite", "loss")}
    return {**format_header(), "method": run.method, "input": INPUT_KIND[run.method],
            "model": prepared.model, "training": {**training, **asdict(run.loss)},
            "data": {"data_dir": run.data_dir, "embeddings": run.embeddings,
                     "features": run.features, "clusters": run.clusters, "init": run.init,
                     "labels": run.labels, "segments": len(prepared.keys),
                     "train_pairs": n_pairs[0], "valid_pairs": n_pairs[1]},
            "runtime": {"device": run.device, "num_threads": run.num_threads}}


@dataclass
class State:
    epoch: int = 0
    best: float = float("inf")  # the --select criterion of the kept epoch
    best_epoch: int = 0
    history: list[dict] = field(default_factory=list)


def batches_of(n: int, batch_size: int, rng: np.random.Generator, limit: int | None = None) -> list[np.ndarray]:
    """A random order of ``n`` pairs (the first ``limit`` only) cut into batches."""
    order = rng.permutation(n)[:limit]
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


@torch.no_grad()
def valid_loss(task: SkipgramTask, pairs: ContextPairs, run: SkipgramTraining) -> float | None:
    """Mean loss over the held-out pairs, with negatives fixed by the seed."""
    if len(pairs) == 0:
        return None
    task.model.eval()
    rng = np.random.default_rng([run.seed, 0, 17])
    total = 0.0
    for batch in batches_of(len(pairs), run.batch_size, rng):
        total += float(task.loss(pairs.center[batch], pairs.context[batch], rng)) * len(batch)
    task.model.train()
    return total / len(pairs)


class Optimizer:
    """Adam over the dense parameters and lazy Adam (``SparseAdam``) over the sparse
    embedding tables of the text method: a step touches only the rows of its batch,
    so its cost does not grow with the vocabulary."""

    def __init__(self, model: torch.nn.Module, lr: float):
        sparse = {id(m.weight) for m in model.modules() if isinstance(m, torch.nn.Embedding) and m.sparse}
        params = [p for p in model.parameters() if p.requires_grad]
        self.parts = {name: cls([p for p in params if (id(p) in sparse) == is_sparse], lr=lr)
                      for name, cls, is_sparse in (("dense", torch.optim.Adam, False),
                                                   ("sparse", torch.optim.SparseAdam, True))
                      if any((id(p) in sparse) == is_sparse for p in params)}

    def set_lr(self, lr: float) -> None:
        for optimizer in self.parts.values():
            for group in optimizer.param_groups:
                group["lr"] = lr

    def zero_grad(self) -> None:
        for optimizer in self.parts.values():
            optimizer.zero_grad(set_to_none=True)

    def step(self) -> None:
        for optimizer in self.parts.values():
            optimizer.step()

    def state_dict(self) -> dict:
        return {name: optimizer.state_dict() for name, optimizer in self.parts.items()}

    def load_state_dict(self, state: dict) -> None:
        for name, optimizer in self.parts.items():
            optimizer.load_state_dict(state[name])


def learning_rate(run: SkipgramTraining, epoch: int, step: int, steps: int) -> float:
    """``--lr`` under the ``--lr-decay`` schedule (:mod:`awetools.train.schedule`; linear is
    word2vec's) at ``step`` of ``steps`` in ``epoch``."""
    return run.lr * decay_factor(run.lr_decay, run_fraction(epoch, step, steps, run.epochs))


def criterion(run: SkipgramTraining, valid: float | None, scores: dict) -> float:
    """What ``--select`` minimises (ties keep the later epoch): nothing for ``last``, the
    held-out loss, or minus the mean rho over the ``--wordsim`` sets."""
    if run.select == "valid-loss":
        return float("inf") if valid is None else valid
    if run.select == "wordsim":
        rhos = [x for x in scores.values() if x is not None]
        return -float(np.mean(rhos)) if rhos else float("inf")
    return 0.0


def fit(task: SkipgramTask, train: EpochPairs, valid: ContextPairs, run: SkipgramTraining,
        work: Path, config: dict, checkpoint: dict | None,
        context: Dist | None = None, score: EpochWordsim | None = None) -> tuple[dict, State]:
    """Train for ``run.epochs`` epochs; returns (weights of the selected epoch, final state).

    ``score`` gives the word-similarity rho of the current model after every epoch.

    Distributed (``context.active``): every rank draws the same batches and takes every
    N-th, with negatives of its own; gradients are averaged; rank 0 validates, decides
    the best epoch for all and writes the checkpoint.
    """
    context = context or Dist()
    model = task.model
    optimizer = Optimizer(model, run.lr)
    if checkpoint is not None:
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        best, state = checkpoint["best_model"], State(**checkpoint["state"])
        log.info("resuming after epoch %d", state.epoch)
    else:
        best, state = copy.deepcopy(model.state_dict()), State()
    while state.epoch < run.epochs:
        epoch = state.epoch + 1
        rng = np.random.default_rng([run.seed, epoch])
        torch.manual_seed(epoch_seed(run.seed, epoch))
        pairs_now = train(rng)
        batches = batches_of(len(pairs_now), run.batch_size, rng, run.pairs_per_epoch)
        if context.active:
            batches = shard(batches, context.rank, context.world_size)
            rng = np.random.default_rng([run.seed, epoch, 1 + context.rank])  # own negatives
        start, total = time.perf_counter(), 0.0
        lr = learning_rate(run, epoch, 0, len(batches))  # what the log says of an epoch without steps
        if not batches:
            log.warning("epoch %d: no training pairs left after subsampling (--sample %s)", epoch, run.sample)
        model.train()
        with progress(len(batches), desc=f"epoch {epoch}/{run.epochs}", unit="batch",
                      disable=not context.is_main) as bar:
            for step, batch in enumerate(batches, start=1):
                lr = learning_rate(run, epoch, step - 1, len(batches))
                optimizer.set_lr(lr)
                optimizer.zero_grad()
                loss = task.loss(pairs_now.center[batch], pairs_now.context[batch], rng)
                loss.backward()
                context.average_gradients(model)
                optimizer.step()
                total += float(loss.detach())
                bar.set_postfix(loss=f"{total / step:.4f}", refresh=False)
                bar.update(1)
        train_time = time.perf_counter() - start
        mean_loss = context.mean(total / max(len(batches), 1))
        v = context.broadcast(valid_loss(task, valid, run) if context.is_main else None)
        scores = context.broadcast(score(task) if score is not None and context.is_main else {})
        state.epoch = epoch
        value = criterion(run, v, scores)
        if value <= state.best:
            state.best, state.best_epoch = value, epoch
            best = copy.deepcopy(model.state_dict())
        pairs = sum(len(b) for b in batches) * context.world_size
        entry = {"epoch": epoch, "pairs": pairs, "loss": round(mean_loss, 6),
                 "valid_loss": None if v is None else round(v, 6),
                 "wordsim": {k: None if x is None else round(x, 4) for k, x in scores.items()},
                 "best_epoch": state.best_epoch, "lr": run.lr, "final_lr": lr, "time_s": round(time.perf_counter() - start, 3),
                 "train_time_s": round(train_time, 3),
                 "pairs_per_s": round(pairs / max(train_time, 1e-9), 1)}
        state.history.append(entry)
        if context.is_main:
            save_weights(work / CHECKPOINT, {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                                             "best_model": best, "state": asdict(state), "config": config})
            write_log(work / LOG, state.history)
        context.barrier()
        log.info("epoch %d: loss %.4f, valid loss %s%s, %.1f s, %.0f pairs/s", epoch, entry["loss"],
                 "n/a" if v is None else f"{v:.4f}",
                 "".join(f", {k} rho {x}" for k, x in entry["wordsim"].items()),
                 entry["time_s"], entry["pairs_per_s"])
    return best, state


def prepare_workdir(run: SkipgramTraining, config: dict) -> dict | None:
    """Create or check ``OUT.partial``; returns the checkpoint to resume from (None: fresh)."""
    work = workdir_of(Path(run.out))
    if work.exists() and not run.resume:
        shutil.rmtree(work)
    checkpoint = None
    if run.resume and (work / CHECKPOINT).exists():
        checkpoint = load_weights(work / CHECKPOINT)
        differences = flat_differences(comparable(checkpoint["config"]), comparable(config))
        if differences:
            raise AweError(f"{work}/{CHECKPOINT}: cannot resume with a different configuration: "
                           + "; ".join(differences))
    work.mkdir(parents=True, exist_ok=True)
    write_json(work / CONFIG, config)
    return checkpoint


def write_model_dir(run: SkipgramTraining, work: Path, best: dict, config: dict, state: State,
                    prepared: Prepared) -> None:
    out = Path(run.out)
    with atomic_dir(out, overwrite=run.overwrite or out.exists()) as tmp:
        save_weights(tmp / WEIGHTS, best)
        write_json(tmp / CONFIG, config)
        shutil.copy(work / LOG, tmp / LOG)
        shutil.copy(work / CHECKPOINT, tmp / CHECKPOINT)
        sets = list(state.history[-1]["wordsim"]) if state.history else []
        rows = ["\t".join(["epoch", "valid_loss", "loss", *(f"rho_{name}" for name in sets)])]
        rows += ["\t".join(str(x) for x in (h["epoch"], h["valid_loss"], h["loss"],
                                            *(h["wordsim"].get(name) for name in sets)))
                 for h in state.history]
        (tmp / CURVE).write_text("\n".join(rows) + "\n", encoding="utf-8")
        if prepared.vocab is not None:
            (tmp / VOCAB).write_text("".join(w + "\n" for w in prepared.vocab), encoding="utf-8")
            # word2vec's order: most frequent first (ties alphabetical), so that a reader's
            # --max-vocab N (awe align, gensim's limit) keeps the N most frequent words
            order = np.argsort(-np.bincount(prepared.items, minlength=len(prepared.vocab)), kind="stable")
            write_word_vectors(tmp / VECTORS, [prepared.vocab[i] for i in order],
                               best["words.weight"].cpu().numpy()[order])
    shutil.rmtree(work)


def train_skipgram(run: SkipgramTraining) -> dict:
    """Train a semantic model into ``run.out``; returns the final config.

    Under ``torchrun`` the run is data-parallel (see :func:`fit`); rank 0 writes.
    """
    context, device_name = distributed.setup(run.device)
    try:
        return _train(run, context, resolve_device(device_name))
    finally:
        distributed.teardown(context)


def _train(run: SkipgramTraining, context: Dist, device: torch.device) -> dict:
    _check_run(run)
    context.barrier()  # every rank checked before rank 0 creates OUT.partial
    set_threads(run.num_threads)
    data = DataDir.load(run.data_dir, require=("seg2utt", "seg2pos"))
    prepared = prepare(run, data)
    utterances = np.array([data.seg2utt[k] for k in prepared.keys])
    positions = np.array([data.seg2pos[k] for k in prepared.keys])
    if run.sample is not None and prepared.items is None:
        log.warning("--method %s without --clusters: no item frequencies, so no subsampling%s",
                    run.method, " (and uniform negatives over segments)" if prepared.noise is not None else "")
    held = held_out(len(np.unique(utterances)), run.valid_fraction, run.seed)
    train = EpochPairs(utterances, positions, ~held, run.window,
                       prepared.items if run.sample is not None else None, run.sample or 0.0,
                       run.dynamic_window, prepared.left_out)
    if len(train.all) == 0:
        raise AweError(f"{data.path}: no context pairs within --window {run.window} (every "
                       "utterance has a single segment?)")
    valid = train.all.select(held[train.all.utterance[train.all.center]])
    if len(valid) > MAX_VALID_PAIRS:  # a fixed random subset keeps validation cheap
        keep = np.sort(np.random.default_rng([run.seed, 3]).choice(len(valid), MAX_VALID_PAIRS, replace=False))
        valid = valid.select(keep)
    config = build_config(run, prepared, (len(train.fixed), len(valid)))
    # read the --wordsim files (every rank, so all stop on a bad one) before OUT.partial exists
    score = (EpochWordsim(list(run.wordsim), run.labels or str(Path(run.data_dir) / "text"),
                          prepared.keys, run.wordsim_min_count, prepared.vocab) if run.wordsim else None)
    work = workdir_of(Path(run.out))
    checkpoint = prepare_workdir(run, config) if context.is_main else None
    context.barrier()
    if not context.is_main and run.resume and (work / CHECKPOINT).exists():
        checkpoint = load_weights(work / CHECKPOINT)
    torch.manual_seed(run.seed)
    model = build_semantic_model(config)
    if prepared.init_state is not None:
        model.load_state_dict(prepared.init_state, strict=False)
    model.to(device)
    task = SkipgramTask(run.method, model, prepared.inputs, run.loss, device, prepared.soft,
                        prepared.noise)
    log.info("training %s: %d segments, %d train / %d valid pairs, %d parameters, device %s",
             run.method, len(prepared.keys), len(train.fixed), len(valid),
             sum(p.numel() for p in model.parameters()), device)
    best, state = fit(task, train, valid, run, work, config, checkpoint, context, score)
    kept = state.history[state.best_epoch - 1] if state.history else {}
    config = {**config, "result": {"select": run.select, "best_epoch": state.best_epoch,
                                   "epochs_run": state.epoch,
                                   "valid_loss": kept.get("valid_loss"),
                                   "wordsim": kept.get("wordsim", {})}}
    if context.is_main:
        write_model_dir(run, work, best, config, state, prepared)
    context.barrier()
    return config
