"""``awe train-phonetic`` as a library call: data -> model dir.

:func:`train_phonetic` loads and checks the training sets (several = multilingual, labels
namespaced by set) and the validation set, builds the model for the objective, trains it
in a work dir ``OUT.partial`` (``checkpoint.pt`` and ``log.jsonl`` after every epoch,
``--resume`` continues from there) and finally writes ``OUT`` atomically:

``model.pt``        state dict of the best epoch (``torch.load(..., weights_only=True)``)
``config.json``     format/version, ``model`` (rebuilds the network), ``training``,
                    ``data``, ``runtime`` and ``result`` sections
``log.jsonl``       one JSON line per epoch (loss, validation AP and SWDP-AP, lr, time,
                    segments/s)
``valid_curve.tsv`` epoch, validation AP, SWDP-AP, loss, lr
``checkpoint.pt``   the last epoch's full training state
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from awetools.errors import AweError
from awetools.io.atomic import atomic_dir
from awetools.log import get_logger
from awetools.models.awe import ENCODER_OPTIONS, AweModel, ModelConfig, build_model
from awetools.models.device import resolve_device, set_threads
from awetools.models.modeldir import (CONFIG, WEIGHTS, format_header, load_model, load_weights,
                                      save_weights, write_json)
from awetools.train import distributed
from awetools.train.data import Caps, Segments, SetSpec, load_set, load_sets, require_pairs
from awetools.train.loop import CHECKPOINT, LOG, LoopOptions, LoopState, fit
from awetools.train.multitask import attach_targets
from awetools.train.objectives import LossOptions, TrainTensors
from awetools.train.validate import validator

log = get_logger("awetools.train")
CURVE = "valid_curve.tsv"
RUNTIME_KEYS = ("device", "num_threads")  # may change on --resume


@dataclass
class PhoneticTraining:
    """Everything ``awe train-phonetic`` needs (see the man page for the meaning)."""

    out: Path
    train: list[SetSpec]
    valid: SetSpec
    model: dict = field(default_factory=dict)       # ModelConfig fields except feat_dim/phones/vector_dim
    loss: LossOptions = field(default_factory=LossOptions)
    loop: LoopOptions = field(default_factory=LoopOptions)
    caps: Caps = field(default_factory=Caps)
    lexicons: dict[str, str] = field(default_factory=dict)  # set name (or "*") -> lexicon file
    word_vectors: str | None = None
    init: str | None = None  # model dir whose encoder starts the training (fine-tuning)
    device: str = "auto"
    num_threads: int | None = None
    resume: bool = False
    overwrite: bool = False


def flat_differences(old: dict, new: dict, prefix: str = "") -> list[str]:
    """Dotted keys whose values differ between two nested dicts, with both values."""
    out = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        name = f"{prefix}{key}"
        if isinstance(a, dict) and isinstance(b, dict):
            out.extend(flat_differences(a, b, f"{name}."))
        elif a != b:
            out.append(f"{name}: {json.dumps(a)[:60]} -> {json.dumps(b)[:60]}")
    return out


def comparable(config: dict) -> dict:
    """The parts of a config that must match for a resume (no runtime, no result)."""
    return {k: v for k, v in config.items() if k not in ("runtime", "result")}


def workdir_of(out: Path) -> Path:
    """Where an unfinished run lives: ``OUT.partial`` beside ``OUT``."""
    return out.with_name(out.name + ".partial")


def check_outputs(out: str | Path, overwrite: bool, resume: bool) -> None:
    """Refuse, before any work, to clobber a model or an unfinished run, or to resume nothing."""
    out = Path(out)
    work = workdir_of(out)
    if out.exists() and not overwrite:
        raise AweError(f"{out}: model directory exists (use --overwrite to retrain)")
    if work.exists() and not resume and not overwrite:
        raise AweError(f"{work}: an unfinished run is there; continue it with --resume "
                       "or start again with --overwrite")
    if resume and not work.exists():
        raise AweError(f"{work}: nothing to resume (no unfinished run for {out})")


def prepare_workdir(run: PhoneticTraining, config: dict) -> dict | None:
    """Create or check the work dir; returns the checkpoint to resume from (None: fresh)."""
    work = workdir_of(Path(run.out))
    if work.exists() and not run.resume:
        shutil.rmtree(work)
    if run.resume and (work / CONFIG).exists():
        before = json.loads((work / CONFIG).read_text(encoding="utf-8"))
        differences = flat_differences(comparable(before), comparable(config))
        if differences:
            raise AweError(f"{work}: cannot resume with a different configuration: "
                           + "; ".join(differences))
    checkpoint = load_weights(work / CHECKPOINT) if (work / CHECKPOINT).exists() else None
    work.mkdir(parents=True, exist_ok=True)
    write_json(work / CONFIG, config)
    return checkpoint


def final_config(config: dict, state: LoopState) -> dict:
    """The config with the ``result`` section of a finished run."""
    return {**config, "result": {"best_epoch": state.best_epoch, "best_valid_ap": state.best_ap,
                                 "epochs_run": state.epoch, "stopped_early": state.stopped_early}}


def write_model_dir(out: Path, work: Path, best_state: dict, config: dict, state: LoopState,
                    overwrite: bool) -> None:
    """Assemble the final model dir atomically from the work dir, then drop the work dir."""
    with atomic_dir(out, overwrite=overwrite) as tmp:
        save_weights(tmp / WEIGHTS, best_state)
        write_json(tmp / CONFIG, config)
        shutil.copy(work / LOG, tmp / LOG)
        shutil.copy(work / CHECKPOINT, tmp / CHECKPOINT)
        rows = ["epoch\tvalid_ap\tvalid_swdp_ap\tloss\tlr"]
        rows += [f"{h['epoch']}\t{h.get('valid_ap', '')}\t{h.get('valid_swdp_ap', '')}\t"
                 f"{h['loss']}\t{h['lr']}" for h in state.history]
        (tmp / CURVE).write_text("\n".join(rows) + "\n", encoding="utf-8")
    shutil.rmtree(work)


def encoder_architecture(init: AweModel, feat_dim: int, init_dir: str) -> dict:
    """The encoder options of a model to fine-tune (its heads are rebuilt for the new
    objective); its input dim must be the training features' one."""
    c = init.config
    if c.feat_dim != feat_dim:
        raise AweError(f"{init_dir}: the model takes {c.feat_dim}-dim features, but the "
                       f"training features are {feat_dim}-dim")
    return {name: getattr(c, name) for name in ENCODER_OPTIONS}


def load_valid(spec: SetSpec) -> Segments:
    """The validation set (no caps, plain labels); it needs same-word pairs to score."""
    valid = load_set(spec, Caps(), np.random.default_rng(0), namespace=False)
    if len(set(valid.labels)) == len(valid.labels):
        raise AweError(f"{spec.data_dir}/text: every word type of the validation set has a "
                       "single token, so same-different AP is undefined")
    return valid


def build_config(run: PhoneticTraining, model_config: ModelConfig) -> dict:
    return {**format_header(), "model": model_config.to_dict(),
            "training": {**asdict(run.loss), **asdict(run.loop), **asdict(run.caps)},
            "data": {"train": [asdict(s) for s in run.train], "valid": asdict(run.valid),
                     "lexicons": run.lexicons, "word_vectors": run.word_vectors,
                     "init": run.init},
            "runtime": {"device": run.device, "num_threads": run.num_threads}}


def train_phonetic(run: PhoneticTraining, on_epoch_end=None) -> dict:
    """Train a phonetic AWE model into ``run.out``; returns the final config (with results)."""
    context, device_name = distributed.setup(run.device)
    try:
        device = resolve_device(device_name)
        set_threads(run.num_threads)
        check_outputs(run.out, run.overwrite, run.resume)
        context.barrier()  # every rank checked before rank 0 creates OUT.partial
        objective = run.loss.objective
        train = load_sets(run.train, run.caps, run.loop.seed)
        if objective != "multitask":
            require_pairs(train, run.train)
        valid = load_valid(run.valid)
        if valid.feat_dim != train.feat_dim:
            raise AweError(f"{run.valid.rspecifier}: {valid.feat_dim}-dim features, but the "
                           f"training features are {train.feat_dim}-dim")
        if objective == "multitask":
            train, tensors, extra = attach_targets(train, run.lexicons, run.word_vectors, run.loss)
        else:
            tensors, extra = TrainTensors([torch.from_numpy(m) for m in train.feats],
                                          train.label_ids()), {}
        init = load_model(run.init)[0] if run.init else None
        architecture = run.model if init is None else {  # a head of the objective starts afresh
            **encoder_architecture(init, train.feat_dim, run.init),
            "projection_head": run.model.get("projection_head", 0)}
        model_config = ModelConfig(feat_dim=train.feat_dim, objective=objective,
                                   **architecture, **extra)
        config = build_config(run, model_config)
        work = workdir_of(Path(run.out))
        checkpoint = prepare_workdir(run, config) if context.is_main else None
        context.barrier()
        if not context.is_main and run.resume and (work / CHECKPOINT).exists():
            checkpoint = load_weights(work / CHECKPOINT)
        torch.manual_seed(run.loop.seed)
        model = build_model(config)
        if init is not None:
            model.encoder.load_state_dict(init.encoder.state_dict())
        model = model.to(device)
        log.info("training %s model: %d tokens of %d types, %d parameters, device %s",
                 objective, len(train.keys), len(set(train.labels)),
                 sum(p.numel() for p in model.parameters()), device)
        best_state, state = fit(model, tensors, validator(valid, run.loop.eval_batch_size, device),
                                run.loss, run.loop, work, config, device, context, checkpoint,
                                on_epoch_end)
        config = final_config(config, state)
        if context.is_main:
            write_model_dir(Path(run.out), work, best_state, config, state, run.overwrite)
            log.info("best validation AP %.4f at epoch %d; model in %s", state.best_ap,
                     state.best_epoch, run.out)
        context.barrier()
        return config
    finally:
        distributed.teardown(context)
