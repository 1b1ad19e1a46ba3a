"""``awe normalise``: awe embed's whole-table transforms on a table embedded earlier."""

from __future__ import annotations

import numpy as np
import pytest

from awetools.io.tables import open_writer, read_vectors, write_vectors

KEYS = ["a", "b", "c", "d"]
X = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 9.0], [7.0, 1.0]], np.float32)


@pytest.fixture
def table(tmp_path):
    write_vectors(f"h5:{tmp_path / 'v.h5'}", KEYS, X)
    (tmp_path / "utt2spk").write_text("a X\nb X\nc Y\nd Y\n")
    return tmp_path


def test_subtract_mean_by_hand(table, run_awe):
    """Mean (4, 4): a = (1, 2) - (4, 4) = (-3, -2), ..., keys and order kept; Kaldi text out."""
    rc, out, err = run_awe(["normalise", "--subtract-mean", f"h5:{table / 'v.h5'}", "ark,t:-"])
    assert rc == 0 and err == "awe normalise: wrote 4 vectors less their mean to ark,t:-\n"
    assert out == "a  [ -3 -2 ]\nb  [ -1 0 ]\nc  [ 1 5 ]\nd  [ 3 -3 ]\n"


def test_speaker_mvn_in_place_by_hand(table, run_awe):
    """Speaker X: a, b; mean (2, 3), std (1, 1) -> a = (-1, -1), b = (1, 1); Y: c, d;
    mean (6, 5), std (1, 4) -> c = (-1, 1), d = (1, -1).  The output may be the input."""
    rc, _, err = run_awe(["normalise", "--speaker-mvn", table / "utt2spk", f"h5:{table / 'v.h5'}",
                          f"h5:{table / 'v.h5'}"])
    assert rc == 0, err
    keys, x = read_vectors(f"h5:{table / 'v.h5'}")
    assert keys == KEYS
    np.testing.assert_allclose(x, [[-1, -1], [1, 1], [-1, 1], [1, -1]], rtol=1e-6)


def test_subtract_mean_of_another_table(table, run_awe):
    write_vectors(f"ark:{table / 'ref.ark'}", ["p", "q"], np.array([[0.0, 0.0], [2.0, 4.0]], np.float32))
    rc, _, err = run_awe(["normalise", "--subtract-mean-of", f"ark:{table / 'ref.ark'}",
                          f"h5:{table / 'v.h5'}", f"h5:{table / 'o.h5'}"])
    assert rc == 0 and f"less the mean of ark:{table / 'ref.ark'}" in err
    np.testing.assert_allclose(read_vectors(f"h5:{table / 'o.h5'}")[1], X - [1.0, 2.0], rtol=1e-6)


def test_same_as_embed_with_the_option(fsdd_feats, tmp_path, run_awe):
    """Embedding once and normalising later gives the vectors awe embed's option gives."""
    raw, direct, later = (f"h5:{tmp_path / name}.h5" for name in ("raw", "direct", "later"))
    feats = fsdd_feats.rspecifier
    assert run_awe(["embed", "--downsample", "5", feats, raw])[0] == 0
    assert run_awe(["embed", "--downsample", "5", "--subtract-mean", feats, direct])[0] == 0
    assert run_awe(["normalise", "--subtract-mean", raw, later])[0] == 0
    (direct_keys, direct_x), (later_keys, later_x) = read_vectors(direct), read_vectors(later)
    assert direct_keys == later_keys
    np.testing.assert_array_equal(direct_x, later_x)


def test_bad_input(table, run_awe):
    out = table / "o.h5"
    write_vectors(f"h5:{out}", ["old"], np.ones((1, 2), np.float32))

    def fails(args: list, rc: int = 1) -> str:
        code, _, err = run_awe(["normalise", *args])
        assert code == rc, err
        assert read_vectors(f"h5:{out}")[0] == ["old"]  # the previous output is unchanged
        return err

    assert "give at least one of --subtract-mean" in fails([f"h5:{table / 'v.h5'}", f"h5:{out}"], rc=2)
    assert "give one of --subtract-mean" in fails(
        ["--subtract-mean", "--speaker-mvn", table / "utt2spk", f"h5:{table / 'v.h5'}", f"h5:{out}"], rc=2)
    assert fails(["--subtract-mean", f"h5:{table / 'none.h5'}", f"h5:{out}"]) == (
        f"awe normalise: error: {table / 'none.h5'}: no such HDF5 file\n")
    write_vectors(f"h5:{table / 'one.h5'}", ["a"], X[:1])
    assert fails(["--subtract-mean", f"h5:{table / 'one.h5'}", f"h5:{out}"]) == (
        f"awe normalise: error: h5:{table / 'one.h5'}: a single segment is zero less its own mean "
        "(--subtract-mean-of takes the mean of a larger table)\n")
    (table / "part").write_text("a X\n")
    assert fails(["--speaker-mvn", table / "part", f"h5:{table / 'v.h5'}", f"h5:{out}"]) == (
        f"awe normalise: error: {table / 'part'}: no speaker for segment 'b' (--speaker-mvn needs one per "
        "segment)\n")
    write_vectors(f"h5:{table / 'ref3.h5'}", ["p"], np.ones((1, 3), np.float32))
    assert fails(["--subtract-mean-of", f"h5:{table / 'ref3.h5'}", f"h5:{table / 'v.h5'}", f"h5:{out}"]) == (
        f"awe normalise: error: h5:{table / 'ref3.h5'}: vectors of dim 3, but h5:{table / 'v.h5'}'s are "
        "of dim 2 (both must come from the same models)\n")
    with open_writer(f"ark:{table / 'm.ark'}") as writer:
        writer.write("k", np.ones((3, 2), np.float32))
    assert fails(["--subtract-mean", f"ark:{table / 'm.ark'}", f"h5:{out}"]) == (
        f"awe normalise: error: ark:{table / 'm.ark'}: key 'k' is a [3, 2] matrix, expected one "
        "vector per key\n")
    assert "--context-window must be >= 1" in fails(
        ["--context", table, "--context-weight", "2", f"h5:{table / 'v.h5'}", f"h5:{out}"], rc=2)
