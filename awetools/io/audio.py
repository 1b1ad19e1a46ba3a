"""Audio from ``wav.scp`` entries (file paths or Kaldi-style ``command |`` pipes), and wav files out."""

from __future__ import annotations

import io
import math
import os
import subprocess
from functools import lru_cache
from pathlib import Path

import numpy as np
import soundfile
from scipy.signal import firwin, resample_poly

from awetools.errors import AweError
from awetools.interrupts import ctrl_c_deferred
from awetools.io.atomic import WRITE_ERRNOS, WriteError


def read_audio(entry: str, key: str, scp: str = "wav.scp") -> tuple[np.ndarray, int]:
    """Read the first channel of a ``wav.scp`` entry as float32 in [-1, 1] and its rate.

    ``entry`` is a path or a shell command ending in ``|`` whose stdout is a sound file
    (e.g. ``sox in.flac -t wav - |``).  Errors name the scp file and key.
    """
    entry = entry.strip()
    where = f"{scp} (key '{key}')"
    if entry.endswith("|"):
        result = subprocess.run(entry[:-1], shell=True, capture_output=True)
        if result.returncode != 0:
            message = result.stderr.decode(errors="replace").strip().splitlines()
            raise AweError(f"{where}: command failed with status {result.returncode}"
                           + (f": {message[-1]}" if message else ""))
        source: str | io.BytesIO = io.BytesIO(result.stdout)
    else:
        if not os.path.isfile(entry):
            raise AweError(f"{where}: no such audio file '{entry}'")
        source = entry
    try:
        samples, rate = soundfile.read(source, dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError) as exc:
        raise AweError(f"{where}: cannot read audio '{entry}' ({exc})") from None
    if samples.shape[0] == 0:
        raise AweError(f"{where}: audio '{entry}' is empty")
    return samples[:, 0], int(rate)


@lru_cache(maxsize=16)
def _lowpass(up: int, down: int) -> np.ndarray:
    """scipy's default ``resample_poly`` filter (Kaiser, beta 5), designed once per ratio."""
    max_rate = max(up, down)
    return firwin(2 * 10 * max_rate + 1, 1.0 / max_rate, window=("kaiser", 5.0))


def resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Polyphase resampling (scipy) from ``rate`` to ``target`` Hz."""
    if rate == target:
        return samples
    g = math.gcd(rate, target)
    lowpass = _lowpass(target // g, rate // g)
    if np.issubdtype(samples.dtype, np.floating):
        lowpass = lowpass.astype(samples.dtype)  # as scipy does when it designs the filter
    return resample_poly(samples, target // g, rate // g, window=lowpass).astype(np.float32)


def write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    """Write mono 16-bit PCM: int16 samples as they are, floats in [-1, 1] scaled.

    libsndfile encodes in memory and Python writes the bytes: writing to the file itself,
    libsndfile reports a full disk only as "System error" (and syncs every file), where
    Python's write names the errno.  A full disk or read-only file system is a
    :class:`WriteError`, any other failure a one-line :class:`AweError`; both name ``path``.
    Ctrl-C waits for the encoding (libsndfile writes to memory through Python callbacks,
    which would swallow it).
    """
    encoded = io.BytesIO()
    with ctrl_c_deferred():
        soundfile.write(encoded, samples, rate, subtype="PCM_16", format="WAV")
    try:
        with open(path, "wb") as handle:
            handle.write(encoded.getbuffer())
    except OSError as exc:
        if exc.errno in WRITE_ERRNOS:
            raise WriteError(Path(path), os.strerror(exc.errno)) from None
        raise AweError(f"{path}: cannot write ({exc.strerror or exc})") from None
