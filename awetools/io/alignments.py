"""Word alignments: CTM, Praat TextGrid (words tier) and ``<utt> <start> <end> <word>`` lines.

All readers return ``{utterance: [WordInterval, ...]}`` with intervals in time order;
every interval remembers the file and line it came from, so later checks (an utterance
not in the data dir, a word past the end of its recording) can point at it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from awetools.errors import AweError
from awetools.io.datadir import read_lines


@dataclass(frozen=True)
class WordInterval:
    """One aligned word; ``start``/``end`` in seconds from the start of the utterance."""

    utterance: str
    start: float
    end: float
    word: str
    source: str = ""


Alignment = dict[str, list[WordInterval]]


def _number(text: str, where: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise AweError(f"{where}: {what} '{text}' is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise AweError(f"{where}: {what} '{text}' is not finite")
    return value


def _add(alignment: Alignment, interval: WordInterval) -> None:
    if interval.start < 0:
        raise AweError(f"{interval.source}: negative start time {interval.start}")
    if interval.end <= interval.start:
        raise AweError(f"{interval.source}: end {interval.end} is not after start {interval.start}")
    alignment.setdefault(interval.utterance, []).append(interval)


def _sorted(alignment: Alignment) -> Alignment:
    return {utt: sorted(words, key=lambda w: (w.start, w.end)) for utt, words in alignment.items()}


def read_ctm(path: str | Path) -> Alignment:
    """Read a CTM: ``<utt> <channel> <start> <duration> <word> [<confidence>]``."""
    alignment: Alignment = {}
    for number, line in enumerate(read_lines(path), start=1):
        fields = line.split()
        if not fields or fields[0].startswith(";;"):
            continue
        where = f"{path}:{number}"
        if len(fields) < 5:
            raise AweError(f"{where}: expected '<utt> <channel> <start> <duration> <word>', "
                           f"got {len(fields)} fields")
        start = _number(fields[2], where, "start")
        duration = _number(fields[3], where, "duration")
        if duration <= 0:
            raise AweError(f"{where}: duration {fields[3]} is not positive")
        _add(alignment, WordInterval(fields[0], start, start + duration, fields[4], where))
    return _sorted(alignment)


def read_word_lines(path: str | Path) -> Alignment:
    """Read ``<utt> <start> <end> <word>`` lines (seconds)."""
    alignment: Alignment = {}
    for number, line in enumerate(read_lines(path), start=1):
        fields = line.split()
        if not fields:
            continue
        where = f"{path}:{number}"
        if len(fields) != 4:
            raise AweError(f"{where}: expected '<utt> <start> <end> <word>', got {len(fields)} fields")
        start = _number(fields[1], where, "start")
        end = _number(fields[2], where, "end")
        _add(alignment, WordInterval(fields[0], start, end, fields[3], where))
    return _sorted(alignment)


# A TextGrid, long or short format, reduces to the same token stream once the
# `name =` labels and `[n]` indices are ignored: quoted strings, numbers, <flags>.
_TOKEN = re.compile(r'"((?:[^"]|"")*)"|(<exists>|<absent>)|([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)')
_INDEX = re.compile(r"\[\s*\d*\s*\]")


def _textgrid_text(path: Path) -> str:
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise AweError(f"{path}: TextGrid is neither UTF-8 nor UTF-16") from None


def _tokens(text: str) -> list[tuple[str, int]]:
    """(token, line) pairs; quoted strings are unescaped."""
    tokens = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = _INDEX.sub(" ", line)
        for match in _TOKEN.finditer(line):
            string, flag, num = match.groups()
            tokens.append((string.replace('""', '"') if string is not None else flag or num, number))
    return tokens


def read_textgrid(path: str | Path, tier: str = "words", utterance: str | None = None,
                  skip_empty: bool = True) -> list[WordInterval]:
    """Intervals of one interval tier (MFA writes ``words`` and ``phones``) of a TextGrid."""
    path = Path(path)
    try:
        tokens = _tokens(_textgrid_text(path))
    except FileNotFoundError:
        raise AweError(f"{path}: no such file") from None
    utterance = utterance or path.stem
    if len(tokens) < 6 or tokens[0][0] != "ooTextFile" or tokens[1][0] != "TextGrid":
        raise AweError(f"{path}:1: not a Praat TextGrid (no 'ooTextFile'/'TextGrid' header)")
    pos, names = 6, []
    try:
        n_tiers = int(float(tokens[5][0]))
        for _ in range(n_tiers):
            kind, name = tokens[pos][0], tokens[pos + 1][0]
            count = int(float(tokens[pos + 4][0]))
            pos += 5
            width = 3 if kind == "IntervalTier" else 2
            names.append(name)
            if name == tier and kind == "IntervalTier":
                words = []
                for i in range(count):
                    (xmin, line), (xmax, _), (label, _) = tokens[pos + 3 * i: pos + 3 * i + 3]
                    where = f"{path}:{line}"
                    start, end = _number(xmin, where, "xmin"), _number(xmax, where, "xmax")
                    if skip_empty and not label.strip():
                        continue
                    if end <= start:
                        raise AweError(f"{where}: interval end {end} is not after start {start}")
                    words.append(WordInterval(utterance, start, end, label.strip(), where))
                return words
            pos += width * count
    except (IndexError, ValueError):
        line = tokens[min(pos, len(tokens) - 1)][1]
        raise AweError(f"{path}:{line}: malformed TextGrid") from None
    raise AweError(f"{path}: no interval tier named '{tier}' (tiers: {', '.join(names) or 'none'})")


def read_textgrid_dir(directory: str | Path, tier: str = "words") -> Alignment:
    """All ``*.TextGrid`` files under a directory (recursively, as MFA writes them per speaker);
    the utterance id is the file name without extension."""
    directory = Path(directory)
    if not directory.is_dir():
        raise AweError(f"{directory}: no such TextGrid directory")
    files = sorted(p for p in directory.rglob("*") if p.suffix.lower() == ".textgrid")
    if not files:
        raise AweError(f"{directory}: no .TextGrid files")
    alignment: Alignment = {}
    for file in files:
        if file.stem in alignment:
            raise AweError(f"{file}: utterance '{file.stem}' has two TextGrids")
        alignment[file.stem] = read_textgrid(file, tier)
    return alignment
