"""Word vectors: word2vec text and binary formats, GloVe text, and speech-side type vectors.

- ``word2vec`` (text): a header line ``<count> <dim>``, then ``<word> <v1> ... <vD>`` lines;
- ``glove`` (text): the same lines without the header;
- ``word2vec-binary``: the header line, then per word ``<word> `` followed by D
  little-endian float32 values (and an optional newline), as the original C tool writes.

``auto`` tells them apart from the first two lines: a first line of two integers is a
word2vec header, and the data after it is text when its first line decodes as UTF-8
into exactly ``D + 1`` fields, binary otherwise.

Files are usually sorted by frequency, so the first ``max_vocab`` words are the most
frequent ones; alignment relies on that order (see :mod:`awetools.align`).  The speech
side gets the same shape from :func:`average_per_type`: segment embeddings averaged per
word label or per cluster, types ordered by their number of segments.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from awetools.errors import AweError
from awetools.io.atomic import atomic_open
from awetools.io.datadir import read_kaldi_table
from awetools.io.specifiers import parse_rspecifier
from awetools.io.tables import read_vectors
from awetools.log import get_logger

log = get_logger(__name__)

FORMATS = ("auto", "word2vec", "word2vec-binary", "glove")


@dataclass
class WordVectors:
    """Words (unique, file order) and their float32 ``[V, D]`` vectors."""

    words: list[str]
    vectors: np.ndarray

    def __post_init__(self) -> None:
        if len(self.words) != len(self.vectors):
            raise ValueError("words and vectors differ in length")

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def index(self) -> dict[str, int]:
        """Word -> row."""
        return {w: i for i, w in enumerate(self.words)}


def _header(line: bytes) -> tuple[int, int] | None:
    fields = line.split()
    if len(fields) == 2 and all(f.isdigit() for f in fields):
        return int(fields[0]), int(fields[1])
    return None


def _decode(raw: bytes, path: Path, number: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise AweError(f"{path}:{number}: not valid UTF-8") from None


def detect_format(path: str | Path) -> str:
    """``word2vec``, ``word2vec-binary`` or ``glove``, from the first two lines of ``path``."""
    path = Path(path)
    with _open(path) as handle:
        first = handle.readline().removeprefix(b"\xef\xbb\xbf")
        header = _header(first)
        if header is None:
            return "glove"
        second = handle.readline()
    try:
        fields = second.decode("utf-8").split()
        np.asarray(fields[1:], dtype=np.float32)
    except (UnicodeDecodeError, ValueError):
        return "word2vec-binary"
    return "word2vec" if len(fields) == header[1] + 1 else "word2vec-binary"


def _open(path: Path) -> BinaryIO:
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise AweError(f"{path}: no such word vectors file") from None
    except IsADirectoryError:
        raise AweError(f"{path}: is a directory, not a word vectors file") from None
    except PermissionError:
        raise AweError(f"{path}: permission denied") from None


def _text_lines(handle: BinaryIO, path: Path) -> Iterator[tuple[int, list[str]]]:
    """``(line number, fields)`` of non-blank lines, UTF-8 checked."""
    for number, raw in enumerate(handle, start=1):
        if number == 1:
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        text = _decode(raw, path, number).rstrip("\r\n").rstrip(" ")
        if text.strip():
            yield number, text.split(" ")


def _read_text(path: Path, has_header: bool, limit: int | None) -> tuple[list[str], np.ndarray, list[int]]:
    words: list[str] = []
    values: list[str] = []
    numbers: list[int] = []
    count = dim = None
    with _open(path) as handle:
        lines = _text_lines(handle, path)
        if has_header:
            number, fields = next(lines, (1, []))
            header = _header(" ".join(fields).encode())
            if header is None:
                raise AweError(f"{path}:{number}: expected a word2vec header '<count> <dim>'")
            count, dim = header
        for number, fields in lines:
            if limit is not None and len(words) >= limit:
                break
            if dim is None:
                dim = len(fields) - 1
                if dim < 1:
                    raise AweError(f"{path}:{number}: expected '<word> <v1> ... <vD>'")
            if len(fields) != dim + 1:
                raise AweError(f"{path}:{number}: {len(fields)} fields, expected {dim + 1} "
                               f"(a word and {dim} values)")
            words.append(fields[0])
            values.extend(fields[1:])
            numbers.append(number)
    if not words:
        raise AweError(f"{path}: no word vectors")
    if count is not None and limit is None and count != len(words):
        raise AweError(f"{path}:1: header announces {count} words, the file has {len(words)}")
    try:
        vectors = np.asarray(values, dtype=np.float32).reshape(len(words), dim)
    except ValueError:
        bad = next(i for i in range(len(words)) if not _numeric(values[i * dim:(i + 1) * dim]))
        raise AweError(f"{path}:{numbers[bad]}: non-numeric value in the vector of "
                       f"'{words[bad]}'") from None
    return words, vectors, numbers


def _numeric(fields: list[str]) -> bool:
    try:
        np.asarray(fields, dtype=np.float32)
    except ValueError:
        return False
    return True


def _read_binary(path: Path, limit: int | None) -> tuple[list[str], np.ndarray, list[int]]:
    data = path.read_bytes()
    end = data.find(b"\n")
    header = _header(data[:end]) if end > 0 else None
    if header is None:
        raise AweError(f"{path}:1: expected a word2vec header '<count> <dim>'")
    count, dim = header
    count = min(count, limit) if limit is not None else count
    words: list[str] = []
    vectors = np.empty((count, dim), dtype=np.float32)
    pos = end + 1
    for i in range(count):
        while data[pos:pos + 1] in (b"\n", b" "):
            pos += 1
        space = data.find(b" ", pos)
        if space < 0 or space + 1 + 4 * dim > len(data):
            raise AweError(f"{path}: truncated word2vec binary file at word {i + 1} "
                           f"(header announces {header[0]})")
        try:
            words.append(data[pos:space].decode("utf-8"))
        except UnicodeDecodeError:
            raise AweError(f"{path}: word {i + 1} (byte {pos}) is not valid UTF-8") from None
        vectors[i] = np.frombuffer(data, dtype="<f4", count=dim, offset=space + 1)
        pos = space + 1 + 4 * dim
    # "line" numbers of a binary file: the header is line 1, word i is entry i + 1
    return words, vectors, list(range(2, count + 2))


def read_word_vectors(path: str | Path, limit: int | None = None, fmt: str = "auto",
                      lowercase: bool = False) -> tuple[list[str], np.ndarray]:
    """Words and their float32 ``[V, D]`` vectors from a word2vec/GloVe file.

    ``limit`` keeps the first words only (the most frequent in usual files).  Duplicate
    words, lines with a wrong number of fields, NaN/Inf values and invalid UTF-8 are
    errors naming the file and line (and the word).  With ``lowercase`` words are
    lower-cased and the first spelling of a word wins (later ones are dropped).
    """
    path = Path(path)
    if fmt not in FORMATS:
        raise AweError(f"unknown word vectors format '{fmt}' (one of {', '.join(FORMATS)})")
    if limit is not None and limit < 1:
        raise AweError(f"maximum vocabulary must be at least 1 (got {limit})")
    fmt = detect_format(path) if fmt == "auto" else fmt
    if fmt == "word2vec-binary":
        words, vectors, numbers = _read_binary(path, limit)
    else:
        words, vectors, numbers = _read_text(path, fmt == "word2vec", limit)
    bad = np.flatnonzero(~np.isfinite(vectors).all(axis=1))
    if bad.size:
        raise AweError(f"{path}:{numbers[bad[0]]}: vector of '{words[bad[0]]}' contains NaN or Inf")
    first: dict[str, int] = {}
    for i, word in enumerate(words):
        if word in first:
            raise AweError(f"{path}:{numbers[i]}: duplicate word '{word}' "
                           f"(first on line {numbers[first[word]]})")
        first[word] = i
    if lowercase:
        words, vectors = _lowercase(words, vectors, path)
    return words, vectors


def _lowercase(words: list[str], vectors: np.ndarray, path: Path) -> tuple[list[str], np.ndarray]:
    lowered = [w.lower() for w in words]
    keep: dict[str, int] = {}
    for i, word in enumerate(lowered):
        keep.setdefault(word, i)
    if len(keep) < len(words):
        log.info("%s: %d words dropped by lower-casing (an earlier spelling kept)",
                 path, len(words) - len(keep))
    rows = np.fromiter(keep.values(), dtype=np.int64, count=len(keep))
    return list(keep), vectors[rows]


def load_word_vectors(path: str | Path, limit: int | None = None, fmt: str = "auto",
                      lowercase: bool = False) -> WordVectors:
    """:func:`read_word_vectors` as a :class:`WordVectors`."""
    return WordVectors(*read_word_vectors(path, limit, fmt, lowercase))


def write_word_vectors(path: str | Path, words: list[str], vectors: np.ndarray,
                       fmt: str = "word2vec", precision: int = 6) -> None:
    """Write ``word2vec`` (text), ``word2vec-binary`` or ``glove`` atomically.

    Text values keep ``precision`` significant digits; the binary format is exact.
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or len(words) != len(vectors):
        raise ValueError(f"{len(words)} words for vectors of shape {vectors.shape}")
    bad = next((w for w in words if not w or any(c.isspace() for c in w)), None)
    if bad is not None:
        raise AweError(f"{path}: cannot write word '{bad}' (empty or has whitespace)")
    header = f"{len(words)} {vectors.shape[1]}\n"
    if fmt == "word2vec-binary":
        with atomic_open(path, "wb") as out:
            out.write(header.encode())
            for word, row in zip(words, vectors.astype("<f4")):
                out.write(word.encode("utf-8") + b" " + row.tobytes() + b"\n")
        return
    if fmt not in ("word2vec", "glove"):
        raise AweError(f"unknown word vectors format '{fmt}' (word2vec, word2vec-binary or glove)")
    row_format = " ".join([f"%.{precision}g"] * vectors.shape[1])
    with atomic_open(path) as out:
        if fmt == "word2vec":
            out.write(header)
        for word, row in zip(words, vectors.tolist()):
            out.write(f"{word} {row_format % tuple(row)}\n")


def is_rspecifier(text: str) -> bool:
    """True for a Kaldi/HDF5 table specifier (``ark:``, ``scp:``, ``h5:``, ``ark,t:`` ...)."""
    head = text.split(":", 1)[0] if ":" in text else ""
    if not head or not set(head.split(",")) & {"ark", "scp", "h5"}:
        return False
    try:
        parse_rspecifier(text)
    except AweError:
        return False
    return True


def average_per_type(keys: list[str], vectors: np.ndarray, assignment: Mapping[str, str],
                     source: str = "table") -> tuple[list[str], np.ndarray, np.ndarray]:
    """Mean vector per type (word label or cluster) of the segments assigned to it.

    Returns ``(types, [T, D] float32 means, counts)`` with types ordered by decreasing
    count (ties by name), so the first rows are the most frequent, as in text files.
    Segments without an assignment are skipped (and counted in the log).
    """
    rows = np.array([k in assignment for k in keys], dtype=bool)
    if not rows.any():
        raise AweError(f"{source}: no segment of the table has a label or cluster")
    if not rows.all():
        log.warning("%s: %d of %d segments have no label/cluster and are skipped",
                    source, int((~rows).sum()), len(keys))
    labels = np.asarray([assignment[k] for k, r in zip(keys, rows) if r])
    names, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    sums = np.zeros((len(names), vectors.shape[1]), dtype=np.float64)
    np.add.at(sums, inverse, vectors[rows])
    order = np.lexsort((names, -counts))
    means = (sums[order] / counts[order, None]).astype(np.float32)
    return names[order].tolist(), means, counts[order]


def load_type_vectors(rspecifier: str, labels: str | Path | None = None,
                      clusters: str | Path | None = None,
                      lowercase: bool = False) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Segment embeddings of ``rspecifier`` averaged per label (Kaldi ``text``) or per cluster.

    ``clusters`` is an ``awe cluster`` ``assign.txt`` (``<segment> <cluster id>``); the
    types are then named ``c000042`` like the cluster dir's centroid keys.
    """
    if (labels is None) == (clusters is None):
        raise AweError(f"{rspecifier}: segment embeddings need exactly one of labels or clusters")
    keys, vectors = read_vectors(rspecifier)
    path = labels if labels is not None else clusters
    table = read_kaldi_table(path, check_sorted=False)
    if clusters is not None:
        bad = next((k for k, v in table.items() if not v.isdigit()), None)
        if bad is not None:
            raise AweError(f"{path} (key '{bad}'): cluster id '{table[bad]}' is not a non-negative integer")
        table = {k: f"c{int(v):06d}" for k, v in table.items()}
    else:
        empty = next((k for k, v in table.items() if not v.strip()), None)
        if empty is not None:
            raise AweError(f"{path} (key '{empty}'): empty label")
        table = {k: (v.strip().lower() if lowercase else v.strip()) for k, v in table.items()}
    return average_per_type(keys, vectors, table, source=f"{rspecifier} with {path}")


def load_source_vectors(source: str, labels: str | Path | None = None,
                        clusters: str | Path | None = None, fmt: str = "auto",
                        limit: int | None = None, lowercase: bool = False) -> WordVectors:
    """Word vectors from a word2vec/GloVe file, or type vectors from a segment table.

    ``source`` is a table specifier (``h5:``, ``ark:``, ``scp:``) with ``labels`` or
    ``clusters`` (see :func:`load_type_vectors`), or a word vectors file.
    """
    if is_rspecifier(source):
        words, vectors, _ = load_type_vectors(source, labels, clusters, lowercase)
        if limit is not None:
            words, vectors = words[:limit], vectors[:limit]
        return WordVectors(words, vectors)
    if labels is not None or clusters is not None:
        raise AweError(f"{source}: labels/clusters apply to a segment table (h5:, ark:, scp:), "
                       "not to a word vectors file")
    return load_word_vectors(source, limit, fmt, lowercase)
