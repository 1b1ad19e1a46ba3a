"""``awe featurize``: per-segment feature matrices for a data dir."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from awetools.cli.main import app
from awetools.features.featurize import CMVN_MODES, FeaturizeOptions, featurize
from awetools.features.kaldi import KaldiFeatureConfig, KaldiFeatures
from awetools.io.datadir import DataDir


@app.command("featurize")
def featurize_command(
    data_dir: Path = typer.Argument(..., help="Data dir (word-segment or utterance level)."),
    wspecifier: str = typer.Argument(..., help="Output table, e.g. ark,scp:feats.ark,feats.scp, ark:- or h5:feats.h5."),
    type: str = typer.Option("mfcc", "--type", help="mfcc or fbank."),
    sample_rate: int = typer.Option(16000, "--sample-rate", help="Expected sample rate (Hz)."),
    resample: bool = typer.Option(False, "--resample", help="Resample audio of another rate to --sample-rate instead of failing."),
    num_ceps: int = typer.Option(13, "--num-ceps", help="Cepstra per frame (mfcc)."),
    num_mel_bins: int = typer.Option(23, "--num-mel-bins", help="Mel bins (23 for mfcc; fbank often 40 or 80)."),
    deltas: int | None = typer.Option(None, "--delta-order", help="0 = static only, 2 = + deltas + delta-deltas (default: 2 for mfcc, 0 for fbank)."),
    frame_length: float = typer.Option(25.0, "--frame-length", help="Window length (ms)."),
    frame_shift: float = typer.Option(10.0, "--frame-shift", help="Frame shift (ms)."),
    low_freq: float = typer.Option(20.0, "--low-freq", help="Lowest mel-bin frequency (Hz)."),
    high_freq: float = typer.Option(0.0, "--high-freq", help="Highest mel-bin frequency (Hz; <= 0 is offset from Nyquist)."),
    cmvn: str = typer.Option("speaker", "--cmvn", help=f"Mean and variance normalisation: {', '.join(CMVN_MODES)} ('utterance' = over each source recording)."),
    max_overshoot: float = typer.Option(0.1, "--max-overshoot", help="Tolerate segments ending this far (s) past their recording."),
    nj: int = typer.Option(1, "--nj", help="Parallel processes (speakers are split between them)."),
) -> None:
    """Compute features over whole recordings and cut out every segment.

    Usage: awe featurize [options] DATA_DIR WSPECIFIER

    Default: 13 MFCCs + deltas + delta-deltas (39-d), 25 ms windows, 10 ms shift,
    Kaldi-compatible (kaldi-native-fbank, dither off), per-speaker CMVN.  A segment gets
    the frames whose centres lie inside it.

    Example:

    \b
      awe featurize --nj 2 data/train_words ark,scp:feats/train.ark,feats/train.scp
    """
    config = KaldiFeatureConfig(
        type=type, sample_rate=sample_rate, frame_length_ms=frame_length,
        frame_shift_ms=frame_shift, num_ceps=num_ceps, num_mel_bins=num_mel_bins,
        low_freq=low_freq, high_freq=high_freq,
        delta_order=(2 if type == "mfcc" else 0) if deltas is None else deltas)
    if type not in ("mfcc", "fbank"):
        raise typer.BadParameter(f"unknown feature type '{type}' (mfcc or fbank)", param_hint="--type")
    data = DataDir.load(data_dir, require=("wav.scp",))
    options = FeaturizeOptions(cmvn=cmvn, resample=resample, max_overshoot=max_overshoot,
                               scp_name=str(Path(data_dir) / "wav.scp"))
    count = featurize(data, KaldiFeatures(config), wspecifier, options, nj=max(1, nj))
    print(f"awe featurize: wrote {count} feature matrices ({KaldiFeatures(config).dim}-d) "
          f"to {wspecifier}", file=sys.stderr)
