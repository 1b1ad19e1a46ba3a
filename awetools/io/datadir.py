"""Kaldi data directories: ``wav.scp``, ``segments``, ``text``, ``utt2spk``, ``spk2utt``.

A *word-segment* data dir (written by ``awe segment``) has one entry per spoken word
token: ``segments`` points into the source recordings of the utterance data dir, and
``seg2utt`` and ``seg2pos`` give its source utterance and the 0-based position of the word
in that utterance's alignment (dropped words keep their positions, so context windows
for skipgram training see the true distances).  ``text`` is absent for unlabelled speech.

Every table is a text file of ``<key> <value>`` lines sorted by key in C (byte) order;
readers refuse unsorted files and duplicate keys, naming the file and line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from awetools.errors import AweError
from awetools.io.atomic import atomic_open


def c_sorted(keys) -> list[str]:
    """Keys in Kaldi's order (``LC_ALL=C sort``: by UTF-8 bytes)."""
    return sorted(keys, key=lambda k: k.encode("utf-8"))


def read_lines(path: str | Path) -> list[str]:
    """Lines of a UTF-8 text file, with errors that name the file and line."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise AweError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise AweError(f"{path}: is a directory") from None
    except PermissionError:
        raise AweError(f"{path}: permission denied") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise AweError(f"{path}:{line}: not valid UTF-8") from None
    lines = text.replace("\r\n", "\n").split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines


def read_kaldi_table(path: str | Path, check_sorted: bool = True) -> dict[str, str]:
    """Read ``<key> <value>`` lines into an ordered dict (value may be empty or have spaces)."""
    table: dict[str, str] = {}
    previous = None
    for number, line in enumerate(read_lines(path), start=1):
        if not line.strip():
            continue
        parts = line.strip().split(maxsplit=1)
        key = parts[0]
        if key in table:
            raise AweError(f"{path}:{number}: duplicate key '{key}'")
        if check_sorted and previous is not None and key.encode() < previous.encode():
            raise AweError(f"{path}:{number}: not sorted (key '{key}' after '{previous}'); "
                           "sort with LC_ALL=C sort")
        table[key] = parts[1] if len(parts) > 1 else ""
        previous = key
    return table


def write_kaldi_table(path: str | Path, entries: Mapping[str, str]) -> None:
    """Write ``<key> <value>`` lines atomically, sorted in C order."""
    with atomic_open(path) as out:
        for key in c_sorted(entries):
            value = entries[key]
            out.write(f"{key} {value}\n" if value != "" else f"{key}\n")


def spk2utt_from_utt2spk(utt2spk: Mapping[str, str]) -> dict[str, str]:
    """Invert ``utt2spk`` into Kaldi's ``spk2utt`` (utterances in sorted order)."""
    groups: dict[str, list[str]] = {}
    for utt in c_sorted(utt2spk):
        groups.setdefault(utt2spk[utt], []).append(utt)
    return {spk: " ".join(utts) for spk, utts in groups.items()}


@dataclass
class Segment:
    """A time span of a recording (``segments`` line)."""

    recording: str
    start: float
    end: float


@dataclass
class DataDir:
    """An in-memory Kaldi data dir; missing optional files are empty dicts."""

    path: Path
    wav_scp: dict[str, str] = field(default_factory=dict)
    segments: dict[str, Segment] = field(default_factory=dict)
    text: dict[str, str] = field(default_factory=dict)
    utt2spk: dict[str, str] = field(default_factory=dict)
    seg2utt: dict[str, str] = field(default_factory=dict)
    seg2pos: dict[str, int] = field(default_factory=dict)

    @property
    def utterances(self) -> list[str]:
        """Utterance ids: keys of ``segments`` if present, else of ``wav.scp``."""
        return list(self.segments) if self.segments else list(self.wav_scp)

    @property
    def has_labels(self) -> bool:
        return bool(self.text)

    @classmethod
    def load(cls, path: str | Path, require: tuple[str, ...] = ("utt2spk",)) -> "DataDir":
        """Read and validate a data dir; ``require`` names files that must exist."""
        path = Path(path)
        if not path.is_dir():
            raise AweError(f"{path}: no such data directory")
        for name in require:
            if not (path / name).is_file():
                raise AweError(f"{path}: data directory has no '{name}'")
        data = cls(path=path)
        if (path / "wav.scp").is_file():
            data.wav_scp = read_kaldi_table(path / "wav.scp")
        if (path / "segments").is_file():
            data.segments = _read_segments(path / "segments", data.wav_scp)
        if (path / "text").is_file():
            data.text = read_kaldi_table(path / "text")
        if (path / "utt2spk").is_file():
            data.utt2spk = read_kaldi_table(path / "utt2spk")
        if (path / "seg2utt").is_file():
            data.seg2utt = read_kaldi_table(path / "seg2utt")
        if (path / "seg2pos").is_file():
            data.seg2pos = _read_positions(path / "seg2pos")
        data.validate()
        return data

    def validate(self) -> None:
        """Cross-file checks: every utterance has a speaker and a recording."""
        utts = self.utterances
        if not utts:
            raise AweError(f"{self.path}: no utterances (neither segments nor wav.scp)")
        if self.utt2spk:
            missing = [u for u in utts if u not in self.utt2spk]
            if missing:
                raise AweError(f"{self.path}/utt2spk: no speaker for utterance '{missing[0]}' "
                               f"({len(missing)} missing)")
        if self.text:
            known = set(utts)
            unknown = [u for u in self.text if u not in known]
            if unknown:
                raise AweError(f"{self.path}/text: utterance '{unknown[0]}' is not in the data dir")

    def speakers(self, keys: list[str]) -> list[str]:
        """Speaker of each key (errors name the first key without one)."""
        try:
            return [self.utt2spk[k] for k in keys]
        except KeyError as exc:
            raise AweError(f"{self.path}/utt2spk: no speaker for '{exc.args[0]}'") from None

    def labels(self, keys: list[str]) -> list[str]:
        """Word label of each key (errors name the first unlabelled key)."""
        try:
            return [self.text[k] for k in keys]
        except KeyError as exc:
            raise AweError(f"{self.path}/text: no label for '{exc.args[0]}'") from None

    def save(self, path: str | Path | None = None) -> None:
        """Write every non-empty table (plus ``spk2utt``) into ``path`` (default: own path)."""
        out = Path(path or self.path)
        out.mkdir(parents=True, exist_ok=True)
        if self.wav_scp:
            write_kaldi_table(out / "wav.scp", self.wav_scp)
        if self.segments:
            write_kaldi_table(out / "segments", {
                k: f"{s.recording} {s.start:.3f} {s.end:.3f}" for k, s in self.segments.items()})
        if self.text:
            write_kaldi_table(out / "text", self.text)
        if self.utt2spk:
            write_kaldi_table(out / "utt2spk", self.utt2spk)
            write_kaldi_table(out / "spk2utt", spk2utt_from_utt2spk(self.utt2spk))
        if self.seg2utt:
            write_kaldi_table(out / "seg2utt", self.seg2utt)
        if self.seg2pos:
            write_kaldi_table(out / "seg2pos", {k: str(v) for k, v in self.seg2pos.items()})


def read_segments(path: str | Path) -> dict[str, Segment]:
    """A Kaldi ``segments`` file on its own (``<segment> <recording> <start> <end>``)."""
    return _read_segments(Path(path), {})


def _read_segments(path: Path, wav_scp: dict[str, str]) -> dict[str, Segment]:
    segments: dict[str, Segment] = {}
    for key, value in read_kaldi_table(path).items():
        fields = value.split()
        where = f"{path} (key '{key}')"
        if len(fields) != 3:
            raise AweError(f"{where}: expected '<segment> <recording> <start> <end>'")
        try:
            start, end = float(fields[1]), float(fields[2])
        except ValueError:
            raise AweError(f"{where}: start and end must be numbers") from None
        if not (np.isfinite(start) and np.isfinite(end)) or start < 0 or end <= start:
            raise AweError(f"{where}: end {end} is not after start {start}")
        if wav_scp and fields[0] not in wav_scp:
            raise AweError(f"{where}: recording '{fields[0]}' is not in wav.scp")
        segments[key] = Segment(fields[0], start, end)
    return segments


def _read_positions(path: Path) -> dict[str, int]:
    positions = {}
    for key, value in read_kaldi_table(path).items():
        try:
            positions[key] = int(value)
        except ValueError:
            raise AweError(f"{path} (key '{key}'): position '{value}' is not an integer") from None
    return positions
