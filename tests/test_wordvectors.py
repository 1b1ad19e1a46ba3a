"""Word vectors I/O: word2vec text/binary and GloVe round trips, detection, errors, type averages."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from awetools.errors import AweError
from awetools.io.tables import write_vectors
from awetools.io.wordvectors import (average_per_type, detect_format, is_rspecifier,
                                     load_source_vectors, load_type_vectors, read_word_vectors,
                                     write_word_vectors)

SHARED = Path(os.environ.get("AWE_SHARED_DATA", Path(__file__).resolve().parents[1] / ".." / "shared" / "data"))
GLOVE = SHARED / "glove" / "glove.6B.50d.top50k.txt"
WORDS = ["the", "ünïcode", "Cat", "cat", "x"]


@pytest.fixture
def vectors() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(len(WORDS), 7)).astype(np.float32)


@pytest.mark.parametrize("fmt", ["word2vec", "word2vec-binary", "glove"])
def test_round_trip_and_detection(tmp_path, vectors, fmt):
    path = tmp_path / f"v.{fmt}"
    write_word_vectors(path, WORDS, vectors, fmt=fmt, precision=9)
    assert detect_format(path) == fmt
    for given in ("auto", fmt):
        words, back = read_word_vectors(path, fmt=given)
        assert words == WORDS and back.dtype == np.float32
        np.testing.assert_array_equal(back, vectors)  # 9 significant digits round-trip float32
    words, back = read_word_vectors(path, limit=2)
    assert words == WORDS[:2] and back.shape == (2, 7)


def test_default_text_precision_and_header(tmp_path, vectors):
    write_word_vectors(tmp_path / "v.txt", WORDS, vectors)
    lines = (tmp_path / "v.txt").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "5 7" and lines[2].startswith("ünïcode ") and len(lines[1].split()) == 8
    _, back = read_word_vectors(tmp_path / "v.txt")
    np.testing.assert_allclose(back, vectors, rtol=1e-5)


def test_lowercase_first_spelling_wins(tmp_path, vectors):
    write_word_vectors(tmp_path / "v.txt", WORDS, vectors, fmt="glove")
    words, back = read_word_vectors(tmp_path / "v.txt", lowercase=True)
    assert words == ["the", "ünïcode", "cat", "x"]
    np.testing.assert_allclose(back[2], vectors[2], rtol=1e-5)  # "Cat" came first


def test_glove_file_header():
    """The shared GloVe file: word2vec text header '50000 50', frequency order."""
    assert GLOVE.is_file(), f"shared data missing: {GLOVE} (set AWE_SHARED_DATA)"
    assert detect_format(GLOVE) == "word2vec"
    words, vecs = read_word_vectors(GLOVE, limit=5)
    assert words == ["the", "of", "to", "and", "in"] and vecs.shape == (5, 50)
    assert vecs[0, 0] == np.float32(0.418) and vecs[0, 1] == np.float32(0.24968)


def test_crlf_and_bom_glove(tmp_path):
    (tmp_path / "g.txt").write_bytes(b"\xef\xbb\xbfa 1 2\r\nb 3 4\r\n\r\n")
    words, vecs = read_word_vectors(tmp_path / "g.txt")
    assert words == ["a", "b"] and vecs.tolist() == [[1, 2], [3, 4]]


@pytest.mark.parametrize("content, message", [
    ("3 2\na 1 2\nb 3 4\na 5 6\n", "v.txt:4: duplicate word 'a' (first on line 2)"),
    ("3 2\na 1 2\nb 3\nc 5 6\n", "v.txt:3: 2 fields, expected 3"),
    ("a 1 2\nb 3 4 5\n", "v.txt:2: 4 fields, expected 3"),
    ("2 2\na 1 2\nb nan 4\n", "v.txt:3: vector of 'b' contains NaN or Inf"),
    ("2 2\na 1 2\nb x 4\n", "v.txt:3: non-numeric value in the vector of 'b'"),
    ("3 2\na 1 2\nb 3 4\n", "v.txt:1: header announces 3 words, the file has 2"),
    ("", "v.txt: no word vectors"),
])
def test_text_errors(tmp_path, content, message):
    (tmp_path / "v.txt").write_text(content, encoding="utf-8")
    with pytest.raises(AweError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_word_vectors(tmp_path / "v.txt")


def test_non_utf8_names_line(tmp_path):
    (tmp_path / "v.txt").write_bytes(b"a 1 2\nb\xff 3 4\n")
    with pytest.raises(AweError, match=r"v.txt:2: not valid UTF-8"):
        read_word_vectors(tmp_path / "v.txt")


def test_binary_errors(tmp_path, vectors):
    write_word_vectors(tmp_path / "v.bin", ["a", "b", "a", "c", "d"], vectors, fmt="word2vec-binary")
    with pytest.raises(AweError, match="duplicate word 'a'"):
        read_word_vectors(tmp_path / "v.bin")
    data = (tmp_path / "v.bin").read_bytes()
    (tmp_path / "cut.bin").write_bytes(data[:-20])
    with pytest.raises(AweError, match="truncated word2vec binary file at word 5"):
        read_word_vectors(tmp_path / "cut.bin", fmt="word2vec-binary")
    nan = vectors.copy()
    nan[3, 1] = np.nan
    write_word_vectors(tmp_path / "nan.bin", WORDS, nan, fmt="word2vec-binary")
    with pytest.raises(AweError, match="vector of 'cat' contains NaN"):
        read_word_vectors(tmp_path / "nan.bin")


def test_missing_file_and_bad_format(tmp_path):
    with pytest.raises(AweError, match="no such word vectors file"):
        read_word_vectors(tmp_path / "none.txt")
    (tmp_path / "v.txt").write_text("a 1\n")
    with pytest.raises(AweError, match="unknown word vectors format 'fasttext'"):
        read_word_vectors(tmp_path / "v.txt", fmt="fasttext")


def test_average_per_type_orders_by_count():
    keys = ["s1", "s2", "s3", "s4", "s5"]
    vecs = np.array([[1, 0], [3, 0], [0, 2], [0, 4], [5, 5]], dtype=np.float32)
    types, means, counts = average_per_type(keys, vecs, {"s1": "b", "s2": "b", "s3": "a", "s4": "a",
                                                         "s5": "c"})
    assert types == ["a", "b", "c"] and counts.tolist() == [2, 2, 1]  # ties by name
    np.testing.assert_array_equal(means, [[0, 3], [2, 0], [5, 5]])
    types, means, _ = average_per_type(keys, vecs, {"s1": "b", "s2": "b", "s3": "a"})
    assert types == ["b", "a"] and means.tolist() == [[2, 0], [0, 2]]
    with pytest.raises(AweError, match="no segment"):
        average_per_type(keys, vecs, {"zz": "a"})


def test_type_vectors_from_tables(tmp_path):
    keys = ["a-1", "a-2", "b-1"]
    write_vectors(f"ark:{tmp_path / 'e.ark'}", keys, np.array([[1, 1], [3, 3], [0, 5]], np.float32))
    (tmp_path / "text").write_text("a-1 Dog\na-2 dog\nb-1 cat\n")
    (tmp_path / "assign.txt").write_text("a-1 7\na-2 7\nb-1 12\n")
    spec = f"ark:{tmp_path / 'e.ark'}"
    assert is_rspecifier(spec) and is_rspecifier("h5:x.h5") and not is_rspecifier(str(tmp_path / "v.txt"))
    types, means, counts = load_type_vectors(spec, labels=tmp_path / "text", lowercase=True)
    assert types == ["dog", "cat"] and means.tolist() == [[2, 2], [0, 5]]
    wv = load_source_vectors(spec, clusters=str(tmp_path / "assign.txt"))
    assert wv.words == ["c000007", "c000012"] and wv.vectors.tolist() == [[2, 2], [0, 5]]
    (tmp_path / "bad.txt").write_text("a-1 x\n")
    with pytest.raises(AweError, match=r"bad.txt \(key 'a-1'\): cluster id 'x'"):
        load_type_vectors(spec, clusters=tmp_path / "bad.txt")
    with pytest.raises(AweError, match="apply to a segment table"):
        load_source_vectors(str(tmp_path / "text"), labels=str(tmp_path / "text"))
