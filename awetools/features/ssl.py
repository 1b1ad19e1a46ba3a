"""Frames from self-supervised speech models (wav2vec 2.0, XLS-R, HuBERT, WavLM).

A model is a local Hugging Face ``transformers`` checkpoint directory (``config.json``
plus ``model.safetensors`` or ``pytorch_model.bin``, optionally
``preprocessor_config.json``), loaded with ``local_files_only=True``: no network, no
code from the checkpoint.  ``transformers`` is optional (``pip install 'awetools[ssl]'``)
and is imported only when an SSL extractor is built.

Layers: layer 0 is the transformer's input (CNN features after the feature projection
and the positional convolution), layer ``n`` the output of transformer block ``n``, as
``output_hidden_states`` indexes them (transformers 5; for pre-layer-norm models such as
XLS-R the encoder's final layer norm, which follows the last block, is not applied).
A layer range ``a-b`` averages layers ``a`` to ``b``.  Blocks above ``b`` are never run.

Time-to-frame rule: the CNN front end (``conv_kernel``, ``conv_stride`` in config.json,
no padding) has a receptive field of ``R`` samples and a hop of ``H`` samples, so frame
``t`` covers samples ``[t*H, t*H + R)`` and is centred at ``(t*H + R/2) / sample_rate``
seconds.  For the usual stack (kernels 10,3,3,3,3,2,2, strides 5,2,2,2,2,2,2) at 16 kHz,
``R = 400`` (25 ms) and ``H = 320`` (20 ms): frame ``t`` is centred at 12.5 ms + 20 ms * t,
and ``n`` samples give ``floor((n - 400) / 320) + 1`` frames (same rule as the Kaldi
features: a segment takes the frames whose centres lie inside it).

Long recordings are run in chunks so memory is bounded: chunk ``k`` keeps frames
``[k*C, (k+1)*C)`` (``C`` = ``chunk_seconds`` in frames) and is computed from audio that
adds ``chunk_overlap`` seconds of context on each side; the kept frames are stitched, so
a recording gives exactly as many frames as unchunked.  A chunk starts on a multiple of
the hop, so its CNN frames are those of the whole recording.  Models whose first
convolution is group-normalised (``feat_extract_norm = "group"``: wav2vec2-base,
HuBERT-base, WavLM-base) normalise each channel over the whole input; here those
statistics are computed over the whole recording first (a cheap pass of the first
convolution alone) and used for every chunk, which keeps the CNN frames exact.  Only
attention, which sees a chunk and its context rather than the whole recording, makes
chunked output differ (slightly) from unchunked output.

Batching: windows (chunks and whole short recordings) are sorted by length and run
together, up to ``batch_seconds`` of audio per forward pass, zero-padded with an
attention mask.  With the per-recording CNN statistics above, a padded window gives the
frames it gives alone, for group- and layer-normalised models alike.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from awetools.errors import AweError
from awetools.log import get_logger
from awetools.models.device import resolve_device

log = get_logger(__name__)

INSTALL_HINT = ("--type ssl needs the Hugging Face 'transformers' package: "
                "pip install 'awetools[ssl]'")
MODEL_TYPES = ("wav2vec2", "hubert", "wavlm")
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                "pytorch_model.bin.index.json")
NORM_EPS = 1e-7  # transformers' zero_mean_unit_var_norm
STATS_PIECE_SECONDS = 5  # audio per step when computing a recording's CNN statistics


def require_transformers():
    """The ``transformers`` module, or an :class:`AweError` with the install hint."""
    try:
        import transformers
    except ImportError:
        raise AweError(INSTALL_HINT) from None
    return transformers


def parse_layers(text: str) -> tuple[int, int]:
    """``"N"`` -> ``(N, N)``; ``"A-B"`` -> ``(A, B)`` (a range to average); ValueError else."""
    parts = text.split("-")
    if len(parts) not in (1, 2) or not all(p.strip().isdigit() for p in parts):
        raise ValueError(f"layer must be N or A-B with 0 <= A <= B, not '{text}'")
    first, last = int(parts[0]), int(parts[-1])
    if first > last:
        raise ValueError(f"layer range '{text}' is empty (A > B)")
    return first, last


def conv_geometry(kernels: Iterable[int], strides: Iterable[int]) -> tuple[int, int]:
    """Receptive field and hop (samples) of a stack of unpadded 1-d convolutions."""
    field, hop = 1, 1
    for kernel, stride in zip(kernels, strides):
        field += (kernel - 1) * hop
        hop *= stride
    return field, hop


def conv_frames(num_samples: int, kernels: Iterable[int], strides: Iterable[int]) -> int:
    """Frames the conv stack makes of ``num_samples`` (transformers' output-length rule)."""
    n = num_samples
    for kernel, stride in zip(kernels, strides):
        n = (n - kernel) // stride + 1 if n >= kernel else 0
    return max(n, 0)


def zero_mean_unit_var(samples: np.ndarray) -> np.ndarray:
    """Waveform normalisation of wav2vec2-style feature extractors (``do_normalize``)."""
    samples = np.asarray(samples, dtype=np.float32)
    return ((samples - samples.mean()) / np.sqrt(samples.var() + NORM_EPS)).astype(np.float32)


def chunk_windows(num_frames: int, core: int, context: int) -> np.ndarray:
    """``[chunks, 4]`` frame indices ``(lo, keep_start, keep_end, hi)`` of each chunk.

    Chunk ``k`` keeps frames ``[k*core, (k+1)*core)`` and is computed over frames
    ``[lo, hi)``: ``context`` more on each side, clipped to the recording.
    """
    starts = np.arange(0, num_frames, max(core, 1))
    ends = np.minimum(starts + core, num_frames)
    return np.stack([np.maximum(starts - context, 0), starts, ends,
                     np.minimum(ends + context, num_frames)], axis=1)


@dataclass(frozen=True)
class Checkpoint:
    """What featurisation needs to know about a checkpoint dir, read from its JSON files."""

    path: Path
    model_type: str
    num_layers: int
    hidden_size: int
    conv_kernel: tuple[int, ...]
    conv_stride: tuple[int, ...]
    sample_rate: int
    do_normalize: bool

    @classmethod
    def inspect(cls, path: str | Path) -> Checkpoint:
        """Check that ``path`` is a usable checkpoint dir; errors name what is missing."""
        path = Path(path)
        if path.is_file():
            raise AweError(f"--model {path}: is a file; a Hugging Face checkpoint directory "
                           "(config.json + weights) is needed (fairseq checkpoints are not "
                           "supported: convert them with transformers' "
                           "convert_wav2vec2_original_pytorch_checkpoint_to_pytorch script)")
        if not path.is_dir():
            raise AweError(f"--model {path}: no such checkpoint directory")
        config = _read_json(path / "config.json", required=True)
        model_type = config.get("model_type")
        if model_type not in MODEL_TYPES:
            raise AweError(f"{path / 'config.json'}: model_type '{model_type}' is not supported "
                           f"(choose from {', '.join(MODEL_TYPES)})")
        if not any((path / name).is_file() for name in WEIGHT_FILES):
            raise AweError(f"--model {path}: no weights ({' or '.join(WEIGHT_FILES)})")
        defaults = _config_class(model_type)()
        preprocessor = _read_json(path / "preprocessor_config.json", required=False)
        get = lambda key: config.get(key, getattr(defaults, key))  # noqa: E731
        return cls(path=path, model_type=model_type,
                   num_layers=int(get("num_hidden_layers")), hidden_size=int(get("hidden_size")),
                   conv_kernel=tuple(get("conv_kernel")), conv_stride=tuple(get("conv_stride")),
                   sample_rate=int(preprocessor.get("sampling_rate", 16000)),
                   do_normalize=bool(preprocessor.get("do_normalize", True)))


def _read_json(path: Path, required: bool) -> dict:
    if not path.is_file():
        if required:
            raise AweError(f"--model {path.parent}: no {path.name} (not a Hugging Face "
                           "checkpoint directory)")
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AweError(f"{path}: cannot read JSON ({exc})") from None
    if not isinstance(data, dict):
        raise AweError(f"{path}: expected a JSON object")
    return data


def _config_class(model_type: str):
    transformers = require_transformers()
    return {"wav2vec2": transformers.Wav2Vec2Config, "hubert": transformers.HubertConfig,
            "wavlm": transformers.WavLMConfig}[model_type]


@dataclass(frozen=True)
class SslConfig:
    """Options of ``awe featurize --type ssl``."""

    model: str
    layers: tuple[int, int]
    device: str = "auto"
    chunk_seconds: float = 20.0   # <= 0: whole recordings at once
    chunk_overlap: float = 2.0    # context (s) on each side of a chunk
    batch_seconds: float = 60.0   # audio per forward pass (padding included)
    threads: int | None = None    # torch CPU threads per process (None: torch's default)


class RecordingNorm(torch.nn.Module):
    """The group norm of a first convolution (one group per channel), with each batch
    item's statistics set from outside: those of its whole recording (see module doc)."""

    def __init__(self, norm: torch.nn.GroupNorm):
        super().__init__()
        self.norm = norm
        self.mean: torch.Tensor | None = None   # [batch, channels, 1]
        self.scale: torch.Tensor | None = None  # 1 / sqrt(var + eps), same shape

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        factor = self.scale * self.norm.weight[:, None]
        return torch.addcmul(self.norm.bias[:, None] - self.mean * factor, x, factor)


class SslFeatures:
    """Callable waveform (float32) -> ``[frames, hidden_size]``: hidden states of a layer.

    Checks the checkpoint and options when built; loads the model lazily, once per
    process, so that ``--nj`` workers forked by the featurisation load their own.
    """

    def __init__(self, config: SslConfig):
        require_transformers()
        if config.chunk_seconds > 0 and config.chunk_overlap < 0:
            raise AweError(f"--chunk-overlap {config.chunk_overlap}: must be >= 0")
        if config.batch_seconds <= 0:
            raise AweError(f"--batch-seconds {config.batch_seconds}: must be > 0")
        self.config = config
        self.checkpoint = Checkpoint.inspect(config.model)
        first, last = config.layers
        if not 0 <= first <= last <= self.checkpoint.num_layers:
            spec = f"{first}" if first == last else f"{first}-{last}"
            raise AweError(f"--layer {spec}: {self.checkpoint.path / 'config.json'} has "
                           f"num_hidden_layers {self.checkpoint.num_layers} (layers 0 to "
                           f"{self.checkpoint.num_layers})")
        self.device = resolve_device(config.device)
        self.sample_rate = self.checkpoint.sample_rate
        self.receptive_field, self.hop = conv_geometry(self.checkpoint.conv_kernel,
                                                       self.checkpoint.conv_stride)
        self.frame_shift = self.hop / self.sample_rate
        self.frame_center = self.receptive_field / 2 / self.sample_rate
        self.static_dim = self.dim = self.checkpoint.hidden_size
        self._model: torch.nn.Module | None = None
        self._norm: RecordingNorm | None = None
        self._pid: int | None = None
        self._captured: dict[int, torch.Tensor] = {}

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_model": None, "_norm": None, "_pid": None, "_captured": {}}

    def num_frames(self, num_samples: int) -> int:
        return conv_frames(num_samples, self.checkpoint.conv_kernel, self.checkpoint.conv_stride)

    # ---- the model -----------------------------------------------------------------------

    def model(self) -> torch.nn.Module:
        """The model of this process: loaded on first use, blocks above the last layer
        dropped, hooks on the blocks whose outputs are wanted."""
        if self._model is not None and self._pid == os.getpid():
            return self._model
        transformers = require_transformers()
        if self.config.threads:
            torch.set_num_threads(self.config.threads)
        transformers.utils.logging.set_verbosity_error()
        transformers.utils.logging.disable_progress_bar()
        try:
            model = transformers.AutoModel.from_pretrained(
                str(self.checkpoint.path), local_files_only=True, trust_remote_code=False)
        except Exception as exc:  # noqa: BLE001 (any failure to load is the checkpoint's)
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise AweError(f"--model {self.checkpoint.path}: cannot load the checkpoint "
                           f"({reason})") from None
        first, last = self.config.layers
        layers = model.encoder.layers
        model.encoder.layers = layers[:max(last, 1)]
        self._captured = {}
        if first == 0:
            layers[0].register_forward_pre_hook(self._capture_input, with_kwargs=True)
        for index in range(max(first, 1), last + 1):
            layers[index - 1].register_forward_hook(self._capture_output(index))
        conv0 = model.feature_extractor.conv_layers[0]
        norm = getattr(conv0, "layer_norm", None)
        self._norm = None
        if isinstance(norm, torch.nn.GroupNorm) and norm.num_groups == norm.num_channels:
            self._norm = conv0.layer_norm = RecordingNorm(norm)
        self._model = model.float().eval().to(self.device)
        self._pid = os.getpid()
        log.info("loaded %s (%s, %d of %d blocks kept) on %s", self.checkpoint.path,
                 type(model).__name__, len(model.encoder.layers), len(layers), self.device)
        return self._model

    def _capture_input(self, module, args, kwargs) -> None:
        self._captured[0] = args[0] if args else kwargs["hidden_states"]

    def _capture_output(self, index: int):
        def hook(module, args, output) -> None:
            self._captured[index] = output[0] if isinstance(output, tuple) else output
        return hook

    def _recording_stats(self, samples: np.ndarray) -> np.ndarray | None:
        """``[2, channels]`` mean and 1/std of the first convolution's output over the
        whole recording (group-normalised models only), computed piece by piece."""
        conv = self.model().feature_extractor.conv_layers[0].conv
        if self._norm is None:
            return None
        kernel, stride = conv.kernel_size[0], conv.stride[0]
        positions = conv_frames(len(samples), [kernel], [stride])
        piece = STATS_PIECE_SECONDS * self.sample_rate // stride
        total = torch.zeros(conv.out_channels, dtype=torch.float64, device=self.device)
        squares = torch.zeros_like(total)
        with torch.inference_mode():
            for start in range(0, positions, piece):
                stop = min(start + piece, positions)
                audio = samples[start * stride:(stop - 1) * stride + kernel]
                out = conv(torch.from_numpy(audio).to(self.device)[None, None])[0]
                total += out.sum(dim=1, dtype=torch.float64)
                squares += out.square().sum(dim=1, dtype=torch.float64)
        mean = total / positions
        variance = (squares / positions - mean * mean).clamp_min(0)
        scale = 1.0 / torch.sqrt(variance + self._norm.norm.eps)
        return torch.stack([mean, scale]).float().cpu().numpy()

    def _forward(self, windows: list[np.ndarray], stats: list[np.ndarray | None]) -> list[np.ndarray]:
        """One forward pass over waveforms, zero-padded and masked if their lengths differ."""
        model = self.model()
        lengths = [len(w) for w in windows]
        batch = np.zeros((len(windows), max(lengths)), dtype=np.float32)
        for row, window in zip(batch, windows):
            row[:len(window)] = window
        inputs = {"input_values": torch.from_numpy(batch).to(self.device)}
        if min(lengths) != max(lengths):
            mask = np.arange(batch.shape[1])[None, :] < np.array(lengths)[:, None]
            inputs["attention_mask"] = torch.from_numpy(mask.astype(np.int64)).to(self.device)
        if self._norm is not None:
            moments = torch.from_numpy(np.stack(stats)).to(self.device)  # [batch, 2, channels]
            self._norm.mean, self._norm.scale = moments[:, 0, :, None], moments[:, 1, :, None]
        self._captured.clear()
        with torch.inference_mode(), warnings.catch_warnings():
            # WavLM's attention mixes mask types, which torch deprecates (harmless here)
            warnings.filterwarnings("ignore", message="Support for mismatched key_padding_mask")
            model(**inputs)
            first, last = self.config.layers
            hidden = torch.stack([self._captured[i] for i in range(first, last + 1)]).mean(0)
        hidden = hidden.float().cpu().numpy()
        self._captured.clear()
        return [hidden[i, :self.num_frames(n)] for i, n in enumerate(lengths)]

    def _batches(self, lengths: list[int]) -> Iterator[list[int]]:
        """Window indices grouped into forward passes: sorted by length, at most
        ``batch_seconds`` of padded audio each (a longer window goes alone)."""
        budget = self.config.batch_seconds * self.sample_rate
        batch: list[int] = []
        for index in sorted(range(len(lengths)), key=lambda i: lengths[i]):
            if batch and (len(batch) + 1) * lengths[index] > budget:
                yield batch
                batch = []
            batch.append(index)
        if batch:
            yield batch

    # ---- waveforms to frames -------------------------------------------------------------

    def extract_many(self, waveforms: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        """Frames of each waveform, in order; recordings and their chunks are batched by
        length, holding about ``batch_seconds`` of audio at once."""
        group: list[np.ndarray] = []
        held = 0
        for samples in waveforms:
            group.append(samples)
            held += len(samples)
            if held >= self.config.batch_seconds * self.sample_rate:
                yield from self._extract_group(group)
                group, held = [], 0
        if group:
            yield from self._extract_group(group)

    def __call__(self, samples: np.ndarray) -> np.ndarray:
        return self._extract_group([samples])[0]

    def _extract_group(self, waveforms: list[np.ndarray]) -> list[np.ndarray]:
        windows: list[np.ndarray] = []
        stats: list[np.ndarray | None] = []
        kept: list[tuple[int, int]] = []  # frames of each window that its chunk keeps
        counts: list[int] = []            # windows per waveform
        hop, field = self.hop, self.receptive_field
        for samples in waveforms:
            if self.checkpoint.do_normalize:
                samples = zero_mean_unit_var(samples)
            plan = self._chunks(self.num_frames(len(samples)))
            counts.append(len(plan))
            if len(plan):
                windows += [samples[lo * hop:(hi - 1) * hop + field] for lo, _, _, hi in plan]
                kept += [(a - lo, b - lo) for lo, a, b, _ in plan]
                stats += [self._recording_stats(samples)] * len(plan)
        pieces: list[np.ndarray] = [np.empty(0)] * len(windows)
        for batch in self._batches([len(w) for w in windows]):
            frames = self._forward([windows[i] for i in batch], [stats[i] for i in batch])
            for index, window_frames in zip(batch, frames):
                start, stop = kept[index]
                pieces[index] = window_frames[start:stop].copy()  # frees the batch's array
        ends = np.cumsum(counts)
        return [np.concatenate(pieces[end - count:end], axis=0) if count
                else np.zeros((0, self.dim), dtype=np.float32)
                for end, count in zip(ends, counts)]

    def _chunks(self, num_frames: int) -> np.ndarray:
        if self.config.chunk_seconds <= 0:
            return chunk_windows(num_frames, num_frames, 0)
        core = max(1, round(self.config.chunk_seconds / self.frame_shift))
        return chunk_windows(num_frames, core, round(self.config.chunk_overlap / self.frame_shift))
