"""Kaldi data dirs: reading, validation errors (file:line or key), writing, C sort order."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from awetools.errors import AweError
from awetools.io.datadir import (DataDir, Segment, c_sorted, read_kaldi_table, read_lines,
                                 spk2utt_from_utt2spk, write_kaldi_table)


def _data_dir(root: Path, **files: str | bytes) -> Path:
    """A data dir with the given files (``wav_scp`` names ``wav.scp``)."""
    root.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = root / name.replace("wav_scp", "wav.scp")
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return root


GOOD = dict(
    wav_scp="r1 /data/r1.wav\nr2 sox /data/r2.flac -t wav - |\n",
    segments="spkA-r1-0 r1 0.00 0.50\nspkA-r1-1 r1 0.50 1.25\nspkB-r2-0 r2 0.1 0.9\n",
    text="spkA-r1-0 hello\nspkA-r1-1 big world\nspkB-r2-0 hi\n",
    utt2spk="spkA-r1-0 spkA\nspkA-r1-1 spkA\nspkB-r2-0 spkB\n",
)


def test_load_good_dir(tmp_path):
    data = DataDir.load(_data_dir(tmp_path / "d", **GOOD))
    assert data.utterances == ["spkA-r1-0", "spkA-r1-1", "spkB-r2-0"]
    assert data.segments["spkA-r1-1"] == Segment("r1", 0.5, 1.25)
    assert data.wav_scp["r2"] == "sox /data/r2.flac -t wav - |"  # pipe entry kept whole
    assert data.text["spkA-r1-1"] == "big world"  # values keep their spaces
    assert data.speakers(["spkB-r2-0", "spkA-r1-0"]) == ["spkB", "spkA"]
    assert data.labels(["spkA-r1-0"]) == ["hello"]
    assert data.has_labels


@pytest.mark.parametrize("name, content, message", [
    ("wav.scp", "r2 /b.wav\nr1 /a.wav\n",
     r"wav.scp:2: not sorted \(key 'r1' after 'r2'\); sort with LC_ALL=C sort"),
    ("utt2spk", "spkA-r1-0 spkA\nspkA-r1-1 spkA\nspkA-r1-1 spkB\n",
     r"utt2spk:3: duplicate key 'spkA-r1-1'"),
    ("segments", "spkA-r1-0 r1 0.00 0.50\nspkA-r1-1 r9 0.5 1.0\nspkB-r2-0 r2 0.1 0.9\n",
     r"segments \(key 'spkA-r1-1'\): recording 'r9' is not in wav.scp"),
    ("segments", "spkA-r1-0 r1 0.00 0.50\nspkA-r1-1 r1 1.25 0.5\nspkB-r2-0 r2 0.1 0.9\n",
     r"segments \(key 'spkA-r1-1'\): end 0.5 is not after start 1.25"),
    ("segments", "spkA-r1-0 r1 0.00 0.50\nspkA-r1-1 r1 0.5 0.5\nspkB-r2-0 r2 0.1 0.9\n",
     r"segments \(key 'spkA-r1-1'\): end 0.5 is not after start 0.5"),
    ("segments", "spkA-r1-0 r1 0.00\n", r"segments \(key 'spkA-r1-0'\): expected"),
    ("segments", "spkA-r1-0 r1 zero 0.5\n", r"start and end must be numbers"),
    ("text", "spkA-r1-0 hello\nspkC-r3-0 who\n",
     r"text: utterance 'spkC-r3-0' is not in the data dir"),
    ("utt2spk", "spkA-r1-0 spkA\nspkA-r1-1 spkA\n",
     r"utt2spk: no speaker for utterance 'spkB-r2-0' \(1 missing\)"),
])
def test_validation_errors(tmp_path, name, content, message):
    files = dict(GOOD)
    files[name.replace("wav.scp", "wav_scp")] = content
    with pytest.raises(AweError, match=message) as error:
        DataDir.load(_data_dir(tmp_path / "d", **files))
    assert str(tmp_path / "d") in str(error.value)  # the message names the file


def test_non_utf8_text_names_file_and_line(tmp_path):
    files = dict(GOOD, text=b"spkA-r1-0 hello\nspkA-r1-1 caf\xe9\nspkB-r2-0 hi\n")
    with pytest.raises(AweError, match=r"/text:2: not valid UTF-8"):
        DataDir.load(_data_dir(tmp_path / "d", **files))


def test_read_lines_handles_bom_crlf_and_missing_files(tmp_path):
    (tmp_path / "f").write_bytes(b"\xef\xbb\xbfa 1\r\nb 2\r\n")
    assert read_lines(tmp_path / "f") == ["a 1", "b 2"]
    assert read_kaldi_table(tmp_path / "f") == {"a": "1", "b": "2"}
    (tmp_path / "g").write_text("x\n\n  \ny value with  spaces\n")
    assert read_kaldi_table(tmp_path / "g") == {"x": "", "y": "value with  spaces"}
    with pytest.raises(AweError, match=r"/missing: no such file"):
        read_lines(tmp_path / "missing")
    with pytest.raises(AweError, match="is a directory"):
        read_lines(tmp_path)


def test_load_refuses_missing_dir_and_required_files(tmp_path):
    with pytest.raises(AweError, match="no such data directory"):
        DataDir.load(tmp_path / "nope")
    d = _data_dir(tmp_path / "d", wav_scp=GOOD["wav_scp"])
    with pytest.raises(AweError, match="data directory has no 'utt2spk'"):
        DataDir.load(d)
    with pytest.raises(AweError, match="no utterances"):
        DataDir.load(_data_dir(tmp_path / "e", utt2spk=""), require=())


def test_spk2utt_generation(tmp_path):
    utt2spk = {"s2-b": "s2", "s1-c": "s1", "s1-a": "s1", "s10-x": "s10", "s2-a": "s2"}
    assert spk2utt_from_utt2spk(utt2spk) == {
        "s1": "s1-a s1-c", "s10": "s10-x", "s2": "s2-a s2-b"}
    data = DataDir(path=tmp_path, wav_scp={k: f"/{k}.wav" for k in utt2spk}, utt2spk=utt2spk)
    data.save(tmp_path / "out")
    assert (tmp_path / "out" / "spk2utt").read_text() == "s1 s1-a s1-c\ns10 s10-x\ns2 s2-a s2-b\n"
    assert sorted(os.listdir(tmp_path / "out")) == ["spk2utt", "utt2spk", "wav.scp"]
    back = DataDir.load(tmp_path / "out")
    assert back.utt2spk == utt2spk and list(back.utt2spk) == c_sorted(utt2spk)


KEYS = ["spk1-utt9", "spk1-utt10", "spk1_utt1", "spk10-utt1", "Spk2-a", "spk1-utt1 ",
        "spk1.utt", "zz", "a", "a-b", "a_b", "aB", "é-1", "e-1", "~x"]


def test_c_sorted_matches_lc_all_c_sort(tmp_path):
    keys = [k.strip() for k in KEYS]
    expected = subprocess.run(["sort"], input="\n".join(keys) + "\n", capture_output=True,
                              env={**os.environ, "LC_ALL": "C"}, check=True,
                              text=True, encoding="utf-8").stdout.splitlines()
    assert c_sorted(keys) == expected
    assert c_sorted(keys)[:4] == ["Spk2-a", "a", "a-b", "aB"]  # upper case before lower, '-' < 'B'


def test_write_kaldi_table_sorts_in_c_order_and_refuses_locale_order(tmp_path):
    entries = {k.strip(): str(i) for i, k in enumerate(KEYS)}
    write_kaldi_table(tmp_path / "t", entries)
    written = [line.split()[0] for line in (tmp_path / "t").read_text().splitlines()]
    assert written == c_sorted(entries)
    assert read_kaldi_table(tmp_path / "t") == {k: entries[k] for k in written}
    # a file sorted the way en_US sorts (case-insensitively) is refused
    (tmp_path / "u").write_text("a 1\nB 2\nc 3\n")
    with pytest.raises(AweError, match=r"/u:2: not sorted \(key 'B' after 'a'\)"):
        read_kaldi_table(tmp_path / "u")
    assert read_kaldi_table(tmp_path / "u", check_sorted=False) == {"a": "1", "B": "2", "c": "3"}


def test_bad_data_dir_on_the_command_line(run_awe, tmp_path):
    files = dict(GOOD, utt2spk="spkB-r2-0 spkB\nspkA-r1-0 spkA\nspkA-r1-1 spkA\n")
    d = _data_dir(tmp_path / "d", **files)
    (tmp_path / "a.ctm").write_text("spkA-r1-0 1 0.0 0.5 hello\n")
    rc, out, err = run_awe(["segment", "--ctm", tmp_path / "a.ctm", d, tmp_path / "out"])
    assert (rc, out) == (1, "")
    assert err == (f"awe segment: error: {d}/utt2spk:2: not sorted (key 'spkA-r1-0' after "
                   "'spkB-r2-0'); sort with LC_ALL=C sort\n")
    assert not (tmp_path / "out").exists()
