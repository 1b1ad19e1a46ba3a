"""Kaldi data dirs for the Free Spoken Digit Dataset (real speech, one word per file).

Files are ``{digit}_{speaker}_{index}.wav`` (8 kHz); each becomes an utterance
``{speaker}-{digit}-{index:02d}`` whose CTM has the single word spanning the whole file.
"""

from __future__ import annotations

import re
from pathlib import Path

import soundfile

from awetools.errors import AweError
from awetools.io.atomic import atomic_dir, atomic_open
from awetools.io.datadir import DataDir, c_sorted

DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_NAME = re.compile(r"^(\d)_([A-Za-z]+)_(\d+)\.wav$")


def prepare_fsdd(recordings: str | Path, out: str | Path, speakers: list[str] | None = None,
                 overwrite: bool = False) -> DataDir:
    """Write a data dir (wav.scp, text, utt2spk, spk2utt, words.ctm) for chosen speakers."""
    recordings = Path(recordings)
    if not recordings.is_dir():
        raise AweError(f"{recordings}: no such FSDD recordings directory")
    data = DataDir(path=Path(out))
    ctm = {}
    for wav in sorted(recordings.glob("*.wav")):
        match = _NAME.match(wav.name)
        if not match:
            continue
        digit, speaker, index = match.groups()
        if speakers is not None and speaker not in speakers:
            continue
        utt = f"{speaker}-{digit}-{int(index):02d}"
        data.wav_scp[utt] = str(wav.resolve())
        data.text[utt] = DIGITS[int(digit)]
        data.utt2spk[utt] = speaker
        ctm[utt] = f"{utt} 1 0.000 {soundfile.info(str(wav)).duration:.3f} {DIGITS[int(digit)]}"
    if not data.wav_scp:
        raise AweError(f"{recordings}: no FSDD recordings"
                       + (f" for speakers {', '.join(speakers)}" if speakers else ""))
    with atomic_dir(out, overwrite=overwrite) as tmp:
        data.save(tmp)
        with atomic_open(tmp / "words.ctm") as handle:
            handle.writelines(ctm[utt] + "\n" for utt in c_sorted(ctm))
    return data
