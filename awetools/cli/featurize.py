"""``awe featurize``: per-segment feature matrices for a data dir."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from awetools.cli.main import app
from awetools.features.featurize import (CMVN_FRAMES, CMVN_MODES, CMVN_ORDERS, FeaturizeOptions,
                                           featurize)
from awetools.features.kaldi import KaldiFeatureConfig, KaldiFeatures
from awetools.features.vad import EnergyVad
from awetools.io.datadir import DataDir
from awetools.log import get_logger

log = get_logger(__name__)


def ssl_extractor(model: Path | None, layer: str | None, sample_rate: int | None, device: str,
                  chunk_seconds: float, chunk_overlap: float, batch_seconds: float, nj: int):
    """The ``--type ssl`` extractor (imports the SSL module only when asked for)."""
    from awetools.features.ssl import SslConfig, SslFeatures, parse_layers

    if model is None or layer is None:
        raise typer.BadParameter("--type ssl needs --model PATH and --layer N (or A-B)",
                                 param_hint="--type")
    try:
        layers = parse_layers(layer)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--layer") from None
    threads = max(1, (os.cpu_count() or 1) // nj) if nj > 1 else None
    extractor = SslFeatures(SslConfig(
        model=str(model), layers=layers, device=device, chunk_seconds=chunk_seconds,
        chunk_overlap=chunk_overlap, batch_seconds=batch_seconds, threads=threads))
    if sample_rate is not None and sample_rate != extractor.sample_rate:
        raise typer.BadParameter(f"{sample_rate} Hz, but the model expects "
                                 f"{extractor.sample_rate} Hz (leave --sample-rate out; add "
                                 "--resample for audio of another rate)", param_hint="--sample-rate")
    return extractor


@app.command("featurize")
def featurize_command(
    data_dir: Path = typer.Argument(..., help="Data dir (word-segment or utterance level)."),
    wspecifier: str = typer.Argument(..., help="Output table, e.g. ark,scp:feats.ark,feats.scp, ark:- or h5:feats.h5."),
    type: str = typer.Option("mfcc", "--type", help="mfcc, fbank or ssl (a self-supervised model: --model, --layer)."),
    sample_rate: int | None = typer.Option(None, "--sample-rate", help="Expected sample rate (Hz; default 16000, for ssl the model's)."),
    resample: bool = typer.Option(False, "--resample", help="Resample audio of another rate to --sample-rate instead of failing."),
    num_ceps: int = typer.Option(13, "--num-ceps", help="Cepstra per frame (mfcc)."),
    num_mel_bins: int = typer.Option(23, "--num-mel-bins", help="Mel bins (23 for mfcc; fbank often 40 or 80)."),
    deltas: int | None = typer.Option(None, "--delta-order", help="0 = static only, 2 = + deltas + delta-deltas (default: 2 for mfcc, 0 for fbank)."),
    frame_length: float = typer.Option(25.0, "--frame-length", help="Window length (ms)."),
    frame_shift: float = typer.Option(10.0, "--frame-shift", help="Frame shift (ms)."),
    low_freq: float = typer.Option(20.0, "--low-freq", help="Lowest mel-bin frequency (Hz)."),
    high_freq: float = typer.Option(0.0, "--high-freq", help="Highest mel-bin frequency (Hz; <= 0 is offset from Nyquist)."),
    cmvn: str = typer.Option("speaker", "--cmvn", help=f"Mean and variance normalisation: {', '.join(CMVN_MODES)} ('utterance' = over each source recording)."),
    cmvn_order: str = typer.Option("post-delta", "--cmvn-order", help=f"{' or '.join(CMVN_ORDERS)}: normalise all dimensions after the deltas (Kamper's AWE recipes), or the static part before them (Kaldi's apply-cmvn | add-deltas)."),
    cmvn_frames: str = typer.Option("all", "--cmvn-frames", help=f"{' or '.join(CMVN_FRAMES)}: take the statistics over every frame, or over the voiced frames only (energy VAD, Kaldi's compute-vad rule), so that silences do not set the scale of speech."),
    vad_energy_threshold: float = typer.Option(5.0, "--vad-energy-threshold", help="--cmvn-frames voiced: a frame is voiced if its log energy (16-bit scale) exceeds this plus --vad-energy-mean-scale times the recording's mean."),
    vad_energy_mean_scale: float = typer.Option(0.5, "--vad-energy-mean-scale", help="--cmvn-frames voiced: weight of the recording's mean log energy in the threshold (>= 0)."),
    max_overshoot: float = typer.Option(0.1, "--max-overshoot", help="Tolerate segments ending this far (s) past their recording."),
    nj: int = typer.Option(1, "--nj", help="Parallel processes (speakers are split between them)."),
    model: Path | None = typer.Option(None, "--model", help="ssl: Hugging Face checkpoint dir (wav2vec2, HuBERT, WavLM, XLS-R)."),
    layer: str | None = typer.Option(None, "--layer", help="ssl: hidden layer N (0 = transformer input), or A-B to average layers A..B."),
    device: str = typer.Option("auto", "--device", help="ssl: auto, cpu or cuda."),
    chunk_seconds: float = typer.Option(20.0, "--chunk-seconds", help="ssl: run long recordings in chunks of this many seconds (<= 0: whole)."),
    chunk_overlap: float = typer.Option(2.0, "--chunk-overlap", help="ssl: context (s) added on each side of a chunk."),
    batch_seconds: float = typer.Option(60.0, "--batch-seconds", help="ssl: audio (s) per forward pass; chunks and short recordings are batched by length."),
) -> None:
    """Compute features over whole recordings and cut out every segment.

    Usage: awe featurize [options] DATA_DIR WSPECIFIER

    Default: 13 MFCCs + deltas + delta-deltas (39-d), 25 ms windows, 10 ms shift,
    Kaldi-compatible (kaldi-native-fbank, dither off), per-speaker mean and variance
    normalisation of all 39 dimensions after the deltas (--cmvn-order pre-delta gives
    Kaldi's apply-cmvn | add-deltas instead, whose deltas keep a std far below 1;
    --cmvn-frames voiced takes the statistics over voiced frames only).
    A segment gets the frames whose centres lie inside it.  --type ssl takes the hidden states of a
    layer of a local wav2vec 2.0 / XLS-R / HuBERT / WavLM checkpoint (needs
    pip install 'awetools[ssl]'); 20 ms frames, frame t centred at 12.5 + 20 t ms.

    Examples:

    \b
      awe featurize --nj 2 data/train_words ark,scp:feats/train.ark,feats/train.scp
      awe featurize --cmvn-frames voiced data/train_words ark:feats/train.ark
      awe featurize --type ssl --model xls-r-300m --layer 8-10 --resample \\
          data/train_words ark,scp:feats/train.ark,feats/train.scp
    """
    if type not in ("mfcc", "fbank", "ssl"):
        raise typer.BadParameter(f"unknown feature type '{type}' (mfcc, fbank or ssl)", param_hint="--type")
    if type != "ssl" and (model is not None or layer is not None):
        raise typer.BadParameter("--model and --layer go with --type ssl", param_hint="--type")
    data = DataDir.load(data_dir, require=("wav.scp",))
    nj = max(1, nj)
    if type == "ssl":
        extractor = ssl_extractor(model, layer, sample_rate, device, chunk_seconds,
                                  chunk_overlap, batch_seconds, nj)
        if extractor.device.type == "cuda" and nj > 1:
            log.warning("--nj %d ignored on %s: one process feeds the GPU", nj, extractor.device)
            nj = 1
    else:
        extractor = KaldiFeatures(KaldiFeatureConfig(
            type=type, sample_rate=sample_rate or 16000, frame_length_ms=frame_length,
            frame_shift_ms=frame_shift, num_ceps=num_ceps, num_mel_bins=num_mel_bins,
            low_freq=low_freq, high_freq=high_freq,
            delta_order=(2 if type == "mfcc" else 0) if deltas is None else deltas))
    options = FeaturizeOptions(cmvn=cmvn, cmvn_order=cmvn_order, cmvn_frames=cmvn_frames,
                               vad=EnergyVad(vad_energy_threshold, vad_energy_mean_scale),
                               resample=resample, max_overshoot=max_overshoot,
                               scp_name=str(Path(data_dir) / "wav.scp"))
    count = featurize(data, extractor, wspecifier, options, nj=nj)
    print(f"awe featurize: wrote {count} feature matrices ({extractor.dim}-d) "
          f"to {wspecifier}", file=sys.stderr)
