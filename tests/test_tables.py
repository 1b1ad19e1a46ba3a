"""Tables through Kaldi specifiers: round trips, kaldiio compatibility, pipes, HDF5, errors."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import kaldiio
import numpy as np
import pytest

from awetools.errors import AweError
from awetools.io.hdf5 import HDF5Table, HDF5TableWriter
from awetools.io.specifiers import parse_rspecifier, parse_wspecifier
from awetools.io.tables import (RandomAccessTable, open_reader, open_writer, read_matrices,
                                read_vectors, write_vectors)
from conftest import FSDD_RATE, awe_command

RNG = np.random.default_rng(3)
MATRICES = {f"spk{i % 3}-utt{i:03d}": RNG.standard_normal((5 + 3 * i, 7)).astype(np.float32)
            for i in range(12)}
VECTORS = {f"spk{i % 3}-utt{i:03d}": RNG.standard_normal(16).astype(np.float32)
           for i in range(12)}


def _write(wspecifier: str, table: dict[str, np.ndarray]) -> None:
    with open_writer(wspecifier) as writer:
        for key, array in table.items():
            writer.write(key, array)
    assert writer.count == len(table)


def _specs(tmp: Path, kind: str) -> tuple[str, list[str]]:
    """(wspecifier, rspecifiers that must read it back) for one table kind."""
    ark, scp, h5 = tmp / "t.ark", tmp / "t.scp", tmp / "t.h5"
    return {
        "ark": (f"ark:{ark}", [f"ark:{ark}"]),
        "ark,t": (f"ark,t:{ark}", [f"ark:{ark}", f"ark,t:{ark}"]),
        "ark,scp": (f"ark,scp:{ark},{scp}", [f"ark:{ark}", f"scp:{scp}"]),
        "ark,t,scp": (f"ark,scp,t:{ark},{scp}", [f"ark:{ark}", f"scp:{scp}"]),
        "h5": (f"h5:{h5}", [f"h5:{h5}"]),
    }[kind]


@pytest.mark.parametrize("kind", ["ark", "ark,t", "ark,scp", "ark,t,scp", "h5"])
@pytest.mark.parametrize("table", [MATRICES, VECTORS], ids=["matrices", "vectors"])
def test_round_trip_every_specifier(tmp_path, kind, table):
    wspec, rspecs = _specs(tmp_path, kind)
    _write(wspec, table)
    for rspec in rspecs:
        back = list(open_reader(rspec))
        assert [k for k, _ in back] == list(table), rspec
        for key, array in back:
            assert array.dtype == np.float32
            # text arks use 12 significant digits: float32 survives exactly
            np.testing.assert_array_equal(array, table[key], err_msg=f"{rspec} {key}")
        random = RandomAccessTable(rspec)
        key = list(table)[5]
        np.testing.assert_array_equal(random[key], table[key])
    if table is VECTORS:
        keys, vectors = read_vectors(rspecs[-1])
        assert keys == list(VECTORS)
        np.testing.assert_array_equal(vectors, np.stack(list(VECTORS.values())))
    else:
        keys, mats = read_matrices(rspecs[-1])
        assert [m.shape for m in mats] == [m.shape for m in MATRICES.values()]


def test_write_vectors_block_fast_path_h5(tmp_path):
    keys = list(VECTORS)
    block = np.stack(list(VECTORS.values()))
    write_vectors(f"h5:{tmp_path / 'v.h5'}", keys, block)
    table = HDF5Table(tmp_path / "v.h5")
    assert (table.kind, table.dim, len(table)) == ("vectors", 16, 12)
    np.testing.assert_array_equal(table.all_vectors(), block)
    table.close()


@pytest.mark.parametrize("kind", ["h5", "ark"])
def test_matrix_block_same_as_one_by_one(tmp_path, kind):
    keys = [f"seg{i:03d}" for i in range(40)]
    block = np.random.default_rng(0).normal(size=(40, 2, 5)).astype(np.float32)
    with open_writer(f"{kind}:{tmp_path}/block.{kind}") as out:
        out.write_block(keys[:30], block[:30])
        out.write(keys[30], block[30])                 # mixed with single writes
        out.write_block(keys[31:], block[31:])
    read_keys, mats = read_matrices(f"{kind}:{tmp_path}/block.{kind}")
    assert read_keys == keys
    np.testing.assert_array_equal(np.stack(mats), block)


def test_block_with_a_bad_key_names_it(tmp_path):
    with pytest.raises(AweError, match="invalid key 'seg 1' \\(empty or has whitespace\\)"):
        with open_writer(f"h5:{tmp_path}/bad.h5") as out:
            out.write_block(["seg0", "seg 1"], np.zeros((2, 3), np.float32))
    assert not (tmp_path / "bad.h5").exists()


def test_binary_ark_byte_identical_to_kaldiio(tmp_path):
    for name, table in (("m", MATRICES), ("v", VECTORS)):
        ours, theirs = tmp_path / f"{name}_ours.ark", tmp_path / f"{name}_kaldiio.ark"
        _write(f"ark,scp:{ours},{ours.with_suffix('.scp')}", table)
        kaldiio.save_ark(str(theirs), table, scp=str(theirs.with_suffix(".scp")))
        assert ours.read_bytes() == theirs.read_bytes()
        # same offsets in the index (only the ark file name differs)
        strip = lambda p: [ln.split()[1].split(":")[-1] for ln in p.read_text().splitlines()]  # noqa: E731
        assert strip(ours.with_suffix(".scp")) == strip(theirs.with_suffix(".scp"))


def test_text_ark_same_layout_as_kaldiio(tmp_path):
    """Text arks: same layout as kaldiio's; numbers differ only in spelling (kaldiio prints
    repr, we print 12 significant digits), and both parse back to the same float32."""
    ours, theirs = tmp_path / "ours.txt", tmp_path / "kaldiio.txt"
    _write(f"ark,t:{ours}", MATRICES)
    kaldiio.save_ark(str(theirs), MATRICES, text=True)
    number = re.compile(rb"-?\d+(\.\d*)?(e[-+]?\d+)?")
    assert number.sub(b"N", ours.read_bytes()) == number.sub(b"N", theirs.read_bytes())
    for a, b in zip(kaldiio.load_ark(str(ours)), open_reader(f"ark:{theirs}")):
        assert a[0] == b[0]
        np.testing.assert_array_equal(a[1], b[1])


def test_written_by_us_read_by_kaldiio(tmp_path):
    ark, scp = tmp_path / "a.ark", tmp_path / "a.scp"
    _write(f"ark,scp:{ark},{scp}", MATRICES)
    from_ark = dict(kaldiio.load_ark(str(ark)))
    from_scp = kaldiio.load_scp(str(scp))
    assert list(from_ark) == list(MATRICES) == list(from_scp)
    for key, mat in MATRICES.items():
        np.testing.assert_array_equal(from_ark[key], mat)
        np.testing.assert_array_equal(from_scp[key], mat)
    _write(f"ark,t:{tmp_path / 't.ark'}", VECTORS)
    text = dict(kaldiio.load_ark(str(tmp_path / "t.ark")))
    np.testing.assert_array_equal(text["spk1-utt004"], VECTORS["spk1-utt004"])


def test_written_by_kaldiio_read_by_us(tmp_path):
    ark, scp = tmp_path / "k.ark", tmp_path / "k.scp"
    kaldiio.save_ark(str(ark), MATRICES, scp=str(scp))
    kaldiio.save_ark(str(tmp_path / "kt.ark"), VECTORS, text=True)
    for rspec, table in ((f"ark:{ark}", MATRICES), (f"scp:{scp}", MATRICES),
                         (f"ark:{tmp_path / 'kt.ark'}", VECTORS)):
        back = dict(open_reader(rspec))
        assert list(back) == list(table)
        for key in table:
            np.testing.assert_array_equal(back[key], table[key])
    # kaldiio writes float64 as Kaldi double matrices ("DM"); we read them as float32
    kaldiio.save_ark(str(tmp_path / "d.ark"), {"a": np.eye(3)})
    (key, mat), = open_reader(f"ark:{tmp_path / 'd.ark'}")
    assert key == "a" and mat.dtype == np.float32
    np.testing.assert_array_equal(mat, np.eye(3, dtype=np.float32))


def test_ark_stdout_through_a_real_pipe(tmp_path, fsdd_words, fsdd_feats):
    """``awe featurize ... ark:- | python`` (kaldiio reading stdin) == the ark,scp fixture."""
    copy = tmp_path / "from_pipe.ark"
    reader = ("import sys, kaldiio; d = dict(kaldiio.load_ark(sys.stdin.buffer)); "
              f"kaldiio.save_ark({str(copy)!r}, d); print(len(d))")
    awe = " ".join(map(shlex.quote, awe_command()))
    command = (f"set -o pipefail; {awe} featurize --sample-rate {FSDD_RATE} "
               f"{shlex.quote(str(fsdd_words))} ark:- "
               f"| {shlex.quote(sys.executable)} -c {shlex.quote(reader)}")
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "180"  # stdout carries data only; logs went to stderr
    assert "wrote 180 feature matrices" in result.stderr
    assert copy.read_bytes() == fsdd_feats.ark.read_bytes()


def test_ark_command_pipes(tmp_path):
    ark = tmp_path / "a.ark"
    _write(f"ark:| gzip -c > {tmp_path / 'a.ark.gz'}", MATRICES)
    _write(f"ark:{ark}", MATRICES)
    for rspec in (f"ark:cat {ark} |", f"ark:gunzip -c {tmp_path / 'a.ark.gz'} |"):
        back = dict(open_reader(rspec))
        assert list(back) == list(MATRICES)
        np.testing.assert_array_equal(back["spk2-utt011"], MATRICES["spk2-utt011"])


def test_failing_input_command_is_an_error(tmp_path):
    with pytest.raises(AweError, match=r"ark:false \|.*status 1"):
        list(open_reader("ark:false |"))
    with pytest.raises(AweError, match="status 3"):
        list(open_reader(f"ark:cat {tmp_path / 'missing.ark'}; exit 3 |"))


def test_h5_random_access_by_key(tmp_path):
    _write(f"h5:{tmp_path / 'm.h5'}", MATRICES)
    table = RandomAccessTable(f"h5:{tmp_path / 'm.h5'}")
    assert table.keys() == list(MATRICES)
    for key in ("spk0-utt009", "spk1-utt001", "spk0-utt000"):  # out of write order
        assert key in table
        np.testing.assert_array_equal(table[key], MATRICES[key])
    assert "nope" not in table
    with pytest.raises(AweError, match="no key 'nope'"):
        table["nope"]
    h5 = HDF5Table(tmp_path / "m.h5")
    assert h5.kind == "matrices" and h5.dim == 7
    np.testing.assert_array_equal(h5["spk2-utt005"], MATRICES["spk2-utt005"])
    h5.close()


def test_h5_layout_is_not_one_dataset_per_key(tmp_path):
    import h5py

    _write(f"h5:{tmp_path / 'm.h5'}", MATRICES)
    with h5py.File(tmp_path / "m.h5", "r") as f:
        assert set(f) == {"keys", "data", "offsets"}
        assert f["data"].shape == (sum(len(m) for m in MATRICES.values()), 7)
        assert f["offsets"][-1] == f["data"].shape[0]
        assert f.attrs["count"] == 12


def test_empty_h5_table_reads_as_empty(tmp_path):
    with open_writer(f"h5:{tmp_path / 'e.h5'}"):
        pass
    assert list(open_reader(f"h5:{tmp_path / 'e.h5'}")) == []
    with pytest.raises(AweError, match="empty table"):
        read_vectors(f"h5:{tmp_path / 'e.h5'}")


def test_duplicate_keys(tmp_path):
    with pytest.raises(AweError, match="key 'a' written twice"):
        with open_writer(f"ark:{tmp_path / 'd.ark'}") as writer:
            writer.write("a", np.zeros(3))
            writer.write("a", np.ones(3))
    assert not (tmp_path / "d.ark").exists()
    # an ark with a repeated key (two arks concatenated) is refused on reading
    kaldiio.save_ark(str(tmp_path / "x.ark"), {"a": np.zeros(3, np.float32)})
    kaldiio.save_ark(str(tmp_path / "y.ark"), {"b": np.ones(3, np.float32),
                                              "a": np.ones(3, np.float32)})
    (tmp_path / "xy.ark").write_bytes((tmp_path / "x.ark").read_bytes()
                                      + (tmp_path / "y.ark").read_bytes())
    with pytest.raises(AweError, match="duplicate key 'a'"):
        read_vectors(f"ark:{tmp_path / 'xy.ark'}")
    writer = HDF5TableWriter(tmp_path / "d.h5")
    for key in ("a", "b", "a"):
        writer.write(key, np.zeros(3))
    writer.close()
    with pytest.raises(AweError, match="duplicate key 'a'"):
        read_vectors(f"h5:{tmp_path / 'd.h5'}")


@pytest.mark.parametrize("kind", ["ark", "h5"])
def test_nan_is_reported_with_its_key(tmp_path, kind):
    table = dict(VECTORS)
    table["spk1-utt007"] = table["spk1-utt007"].copy()
    table["spk1-utt007"][3] = np.nan
    spec = f"{kind}:{tmp_path / ('v.' + kind)}"
    _write(spec, table)
    with pytest.raises(AweError, match=r"key 'spk1-utt007' contains NaN"):
        read_vectors(spec)
    matrices = {"a": np.ones((2, 2)), "b": np.array([[1.0, np.inf], [0, 0]])}
    _write(f"ark:{tmp_path / 'm.ark'}", matrices)
    with pytest.raises(AweError, match="key 'b' contains NaN or Inf"):
        read_matrices(f"ark:{tmp_path / 'm.ark'}")


def test_reader_errors_name_the_table(tmp_path):
    with pytest.raises(AweError, match="no such file"):
        list(open_reader(f"ark:{tmp_path / 'missing.ark'}"))
    with pytest.raises(AweError, match="no such scp file"):
        list(open_reader(f"scp:{tmp_path / 'missing.scp'}"))
    with pytest.raises(AweError, match="no such HDF5 file"):
        list(open_reader(f"h5:{tmp_path / 'missing.h5'}"))
    ark = tmp_path / "cut.ark"
    _write(f"ark:{ark}", MATRICES)
    ark.write_bytes(ark.read_bytes()[:-50])  # truncated in the last matrix
    with pytest.raises(AweError, match="unreadable after key 'spk1-utt010'"):
        list(open_reader(f"ark:{ark}"))
    _write(f"ark:{tmp_path / 'm.ark'}", MATRICES)
    with pytest.raises(AweError, match="key 'spk0-utt000' is a \\[5, 7\\] matrix"):
        read_vectors(f"ark:{tmp_path / 'm.ark'}")


@pytest.mark.parametrize("spec, message", [
    ("ark,sc:a.ark,a.scp", "unknown wspecifier option 'sc'"),
    ("feats.ark", "not a wspecifier"),
    ("scp:a.scp", "needs ark"),
    ("ark,scp:a.ark", "two file names"),
    ("ark,scp:-,a.scp", "cannot index an archive written to a stream"),
    ("ark,b,t:a.ark", "contradict"),
    ("h5,t:a.h5", "h5 takes no other options"),
    ("ark:", "no file name"),
])
def test_bad_wspecifiers(spec, message):
    with pytest.raises(AweError, match=message):
        parse_wspecifier(spec)


def test_rspecifier_parsing():
    assert parse_rspecifier("ark,s,cs:-").ark == "-"
    assert parse_rspecifier("scp,p:a.scp").permissive
    assert parse_rspecifier("ark:gunzip -c a.gz |").to_stream
    for bad, message in (("ark,scp:a,b", "exactly one"), ("arc:a.ark", "unknown rspecifier")):
        with pytest.raises(AweError, match=message):
            parse_rspecifier(bad)


def test_wspecifier_typo_on_the_command_line(run_awe, fsdd_words, tmp_path):
    rc, out, err = run_awe(["featurize", "--sample-rate", FSDD_RATE, fsdd_words,
                            f"ark,sc:{tmp_path / 'a.ark'},{tmp_path / 'a.scp'}"])
    assert rc == 1 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("awe featurize: error: 'ark,sc:")
    assert "unknown wspecifier option 'sc'" in lines[0]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", ["ark,scp", "h5", "ark,t"])
def test_exception_inside_writer_leaves_no_file(tmp_path, kind):
    wspec, _ = _specs(tmp_path, kind)
    with pytest.raises(RuntimeError, match="boom"):
        with open_writer(wspec) as writer:
            writer.write("a", np.ones((3, 2)))
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []  # no output, no temporary sibling


@pytest.mark.parametrize("kind", ["ark,scp", "h5"])
def test_exception_inside_writer_keeps_older_file(tmp_path, kind):
    wspec, rspecs = _specs(tmp_path, kind)
    _write(wspec, VECTORS)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(KeyboardInterrupt):
        with open_writer(wspec) as writer:
            writer.write("new", np.zeros(16))
            raise KeyboardInterrupt
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert [k for k, _ in open_reader(rspecs[-1])] == list(VECTORS)


def test_writer_refuses_bad_keys_and_shapes(tmp_path):
    with pytest.raises(AweError, match="invalid key 'a b'"):
        with open_writer(f"ark:{tmp_path / 'k.ark'}") as writer:
            writer.write("a b", np.zeros(2))
    with pytest.raises(AweError, match="key 'b' has shape \\(3,\\)"):
        with open_writer(f"h5:{tmp_path / 'k.h5'}") as writer:
            writer.write("a", np.zeros(2))
            writer.write("b", np.zeros(3))
    with pytest.raises(AweError, match="output directory does not exist"):
        with open_writer(f"ark:{tmp_path / 'no' / 'k.ark'}"):
            pass
    assert list(tmp_path.iterdir()) == []
