"""Model directories: ``model.pt`` (state dict) + ``config.json`` (how to rebuild it).

Loading never executes code: the network is rebuilt from the JSON config and the
weights are read with ``torch.load(..., weights_only=True)``.  ``config.json`` records
the format and its version; a model dir written by an incompatible version is refused
with a message saying which version it is.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from awetools import __version__
from awetools.errors import AweError
from awetools.io.atomic import atomic_open, atomic_path
from awetools.models.awe import AweModel, build_model

FORMAT = "awetools-phonetic-model"
FORMAT_VERSION = 1
WEIGHTS = "model.pt"
CONFIG = "config.json"


def format_header() -> dict:
    """The identification block every phonetic model config starts with."""
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "awetools_version": __version__}


def write_json(path: str | Path, data: dict) -> None:
    """Write ``data`` as indented JSON, atomically."""
    with atomic_open(path) as handle:
        json.dump(data, handle, indent=2, sort_keys=False)
        handle.write("\n")


def save_weights(path: str | Path, state_dict: dict) -> None:
    """``torch.save`` a state dict (tensors and plain types only), atomically."""
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        torch.save(state_dict, handle)  # a Python file: a full disk surfaces as OSError


def load_weights(path: str | Path, device: str | torch.device = "cpu") -> dict:
    """Load a state dict or checkpoint with ``weights_only=True`` (never runs code)."""
    try:
        return torch.load(path, map_location=device, weights_only=True)
    except FileNotFoundError:
        raise AweError(f"{path}: no such file") from None
    except Exception as exc:  # pickle / zip errors: a corrupt or foreign file
        raise AweError(f"{path}: not a loadable weights file ({type(exc).__name__}: "
                       f"{str(exc).splitlines()[0] if str(exc) else ''})") from None


def read_model_config(model_dir: str | Path, fmt: str = FORMAT, version: int = FORMAT_VERSION,
                      what: str = "phonetic AWE model") -> dict:
    """``config.json`` of a model dir, checked for its ``format`` tag and version."""
    path = Path(model_dir) / CONFIG
    if not Path(model_dir).is_dir():
        raise AweError(f"{model_dir}: no such model directory")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AweError(f"{model_dir}: not a model directory (no {CONFIG})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AweError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(config, dict) or config.get("format") != fmt:
        found = config.get("format") if isinstance(config, dict) else None
        raise AweError(f"{path}: not a {what} (format '{found}', expected '{fmt}')")
    if config.get("format_version") != version:
        raise AweError(f"{path}: {what} format version {config.get('format_version')} "
                       f"(written by awetools {config.get('awetools_version', '?')}); "
                       f"this awetools {__version__} reads version {version}")
    return config


def read_config(model_dir: str | Path) -> dict:
    """``config.json`` of a phonetic model dir, checked for format and version."""
    return read_model_config(model_dir)


def load_model(model_dir: str | Path, device: str | torch.device = "cpu") -> tuple[AweModel, dict]:
    """Rebuild the model of a model dir in eval mode; returns ``(model, config)``."""
    config = read_config(model_dir)
    model = build_model(config)
    state = load_weights(Path(model_dir) / WEIGHTS, device)
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise AweError(f"{Path(model_dir) / WEIGHTS}: weights do not match {CONFIG} "
                       f"({str(exc).splitlines()[0]})") from None
    return model.to(device).eval(), config
