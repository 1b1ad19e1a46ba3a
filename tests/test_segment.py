"""``awe segment``: word-segment data dirs from FSDD and from a small hand-made corpus."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from awetools.io.datadir import DataDir, c_sorted, read_kaldi_table, spk2utt_from_utt2spk
from conftest import FSDD_SPEAKERS

TABLES = ("segments", "text", "utt2spk", "seg2utt", "seg2pos")


def test_fsdd_segment(run_awe, fsdd_dir, tmp_path):
    out = tmp_path / "words"
    rc, stdout, err = run_awe(["segment", "--ctm", fsdd_dir / "words.ctm", fsdd_dir, out])
    assert (rc, stdout) == (0, "")
    assert err.splitlines() == ["awe segment: utterances: 180 aligned, 0 without alignment",
                                "awe segment: tokens: 180 aligned, 180 kept (10 types)"]
    assert sorted(os.listdir(out)) == sorted([*TABLES, "spk2utt", "wav.scp"])
    tables = {name: read_kaldi_table(out / name) for name in (*TABLES, "spk2utt", "wav.scp")}
    keys = list(tables["segments"])
    assert len(keys) == 180 and keys == c_sorted(keys)
    for name in TABLES:  # same keys, each file C-sorted (read_kaldi_table checks order)
        assert list(tables[name]) == keys, name
    source = DataDir.load(fsdd_dir)
    ctm_end = {line.split()[0]: line.split()[3] for line in
               (fsdd_dir / "words.ctm").read_text().splitlines()}
    for seg in keys:
        utt = tables["seg2utt"][seg]
        speaker = tables["utt2spk"][seg]
        assert seg == f"{utt}-0000" and seg.startswith(f"{speaker}-")
        assert speaker == source.utt2spk[utt]
        assert tables["text"][seg] == source.text[utt]
        assert tables["seg2pos"][seg] == "0"
        assert tables["segments"][seg] == f"{utt} 0.000 {ctm_end[utt]}"
    assert tables["wav.scp"] == source.wav_scp
    assert list(tables["spk2utt"]) == list(FSDD_SPEAKERS)
    assert tables["spk2utt"] == spk2utt_from_utt2spk(tables["utt2spk"])
    assert all(len(v.split()) == 30 for v in tables["spk2utt"].values())
    assert sorted(set(tables["text"].values())) == sorted(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])
    assert DataDir.load(out).seg2pos == {k: 0 for k in keys}


# A small corpus with several words per utterance; u7's id is not speaker-prefixed and
# spkB-u4 has no alignment.
SOURCE = {
    "wav.scp": "spkA-u1 /r/a1.wav\nspkA-u2 /r/a2.wav\nspkB-u3 /r/b3.wav\nspkB-u4 /r/b4.wav\n"
               "u7 sox /r/c7.flac -t wav - |\n",
    "utt2spk": "spkA-u1 spkA\nspkA-u2 spkA\nspkB-u3 spkB\nspkB-u4 spkB\nu7 spkC\n",
}
WORDS = """spkA-u1 0.0 0.3 <sil>
spkA-u1 0.3 0.9 hello
spkA-u1 0.9 1.0 a
spkA-u1 1.0 1.6 world
spkA-u1 1.6 1.8 [cough]
spkA-u1 1.8 2.4 hello
spkA-u2 0.0 0.5 hello
spkA-u2 0.5 1.2 again
spkA-u2 1.2 1.3 sil
spkB-u3 0.2 0.8 world
spkB-u3 0.8 1.0 <unk>
spkB-u3 1.0 1.7 hello
u7 0.0 0.6 Hello
u7 0.6 1.0 it
"""
DEFAULT_KEPT = {
    "spkA-u1-0001": "hello", "spkA-u1-0002": "a", "spkA-u1-0003": "world",
    "spkA-u1-0005": "hello", "spkA-u2-0000": "hello", "spkA-u2-0001": "again",
    "spkB-u3-0000": "world", "spkB-u3-0002": "hello", "spkC-u7-0000": "Hello",
    "spkC-u7-0001": "it",
}


@pytest.fixture
def corpus(tmp_path) -> tuple[Path, Path]:
    """(source data dir, word-lines alignment) of the small corpus."""
    src = tmp_path / "src"
    src.mkdir()
    for name, content in SOURCE.items():
        (src / name).write_text(content)
    (tmp_path / "words.txt").write_text(WORDS)
    return src, tmp_path / "words.txt"


def _segment(run_awe, corpus, *options, out: Path | None = None):
    src, words = corpus
    out = out or src.parent / "out"
    rc, stdout, err = run_awe(["segment", "--alignment", words, *options, src, out])
    return rc, err, out


def test_default_filters_and_layout(run_awe, corpus):
    rc, err, out = _segment(run_awe, corpus)
    assert rc == 0
    assert err.splitlines() == ["awe segment: utterances: 4 aligned, 1 without alignment",
                                "awe segment: tokens: 14 aligned, 10 kept (6 types)",
                                "awe segment:   dropped 4 (silence/noise mark)"]
    data = DataDir.load(out)
    assert data.text == DEFAULT_KEPT
    assert data.segments["spkA-u1-0005"].start == 1.8 and data.segments["spkA-u1-0005"].end == 2.4
    assert data.segments["spkC-u7-0001"].recording == "u7"
    assert data.seg2utt["spkC-u7-0001"] == "u7" and data.seg2pos["spkC-u7-0001"] == 1
    assert data.seg2pos["spkA-u1-0005"] == 5  # dropped words keep their positions
    assert data.utt2spk["spkC-u7-0000"] == "spkC"
    assert list(data.wav_scp) == ["spkA-u1", "spkA-u2", "spkB-u3", "u7"]  # only used recordings
    assert data.wav_scp["u7"] == "sox /r/c7.flac -t wav - |"
    assert (out / "spk2utt").read_text().splitlines()[2] == "spkC spkC-u7-0000 spkC-u7-0001"


@pytest.mark.parametrize("options, kept, dropped", [
    (["--min-duration", "0.5"], set(DEFAULT_KEPT) - {"spkA-u1-0002", "spkC-u7-0001"},
     "dropped 2 (shorter than 0.5 s)"),
    (["--min-chars", "5"], set(DEFAULT_KEPT) - {"spkA-u1-0002", "spkC-u7-0001"},
     "dropped 2 (fewer than 5 characters)"),
    (["--vocabulary", "VOCAB"], {k for k, w in DEFAULT_KEPT.items() if w in ("hello", "world")},
     "dropped 4 (not in vocabulary)"),
    (["--vocabulary", "VOCAB", "--lowercase"],
     {k for k, w in DEFAULT_KEPT.items() if w.lower() in ("hello", "world")},
     "dropped 3 (not in vocabulary)"),
    (["--keep-marks"], set(DEFAULT_KEPT) | {"spkA-u1-0004"}, "dropped 3 (silence/noise mark)"),
    (["--drop", "sil", "--keep-marks"],
     set(DEFAULT_KEPT) | {"spkA-u1-0000", "spkA-u1-0004", "spkB-u3-0001"},
     "dropped 1 (silence/noise mark)"),
    (["--drop", "hello", "--drop", "it"],  # replaces the default list: 'sil' is kept
     {k for k, w in DEFAULT_KEPT.items() if w not in ("hello", "it")} | {"spkA-u2-0002"},
     "dropped 8 (silence/noise mark)"),
])
def test_each_filter(run_awe, corpus, options, kept, dropped):
    vocab = corpus[0].parent / "vocab"
    vocab.write_text("hello 12\nworld\n\n")
    options = [str(vocab) if o == "VOCAB" else o for o in options]
    rc, err, out = _segment(run_awe, corpus, *options)
    assert rc == 0, err
    assert set(read_kaldi_table(out / "segments")) == kept
    assert f"awe segment:   {dropped}" in err.splitlines()


def test_max_tokens_per_type_is_seeded(run_awe, corpus, tmp_path):
    chosen = {}
    for seed in range(6):
        for run in range(2):
            rc, err, out = _segment(run_awe, corpus, "--max-tokens-per-type", "2", "--seed",
                                    str(seed), out=tmp_path / f"out{seed}-{run}")
            assert rc == 0, err
            assert "awe segment:   dropped 2 (over 2 tokens per type)" in err
            text = read_kaldi_table(out / "text")
            chosen.setdefault(seed, []).append(text)
        assert chosen[seed][0] == chosen[seed][1]  # same seed, same tokens
        text = chosen[seed][0]
        assert sorted(text.values()).count("hello") == 2
        assert {k: w for k, w in text.items() if w != "hello"} == {
            k: w for k, w in DEFAULT_KEPT.items() if w != "hello"}
    assert len({tuple(sorted(c[0])) for c in chosen.values()}) > 1  # the seed matters


def test_no_labels_writes_no_text(run_awe, corpus):
    rc, err, out = _segment(run_awe, corpus, "--no-labels")
    assert rc == 0
    assert sorted(os.listdir(out)) == ["seg2pos", "seg2utt", "segments", "spk2utt", "utt2spk",
                                       "wav.scp"]
    data = DataDir.load(out)
    assert not data.has_labels and set(data.segments) == set(DEFAULT_KEPT)


def test_textgrid_and_ctm_inputs_agree(run_awe, corpus, tmp_path):
    src, words = corpus
    by_utt: dict[str, list[str]] = {}
    for line in WORDS.splitlines():
        utt, start, end, word = line.split()
        by_utt.setdefault(utt, []).append((float(start), float(end), word))
    ctm = tmp_path / "w.ctm"
    ctm.write_text("".join(f"{u} 1 {a} {b - a:.3f} {w}\n" for u, ws in by_utt.items()
                           for a, b, w in ws))
    grids = tmp_path / "grids"
    grids.mkdir()
    for utt, ws in by_utt.items():
        body = "".join(f'{a}\n{b}\n"{w}"\n' for a, b, w in ws)
        (grids / f"{utt}.TextGrid").write_text(
            f'File type = "ooTextFile"\nObject class = "TextGrid"\n\n0\n3\n<exists>\n1\n'
            f'"IntervalTier"\n"words"\n0\n3\n{len(ws)}\n{body}')
    results = []
    for option, value in (("--ctm", ctm), ("--textgrid", grids), ("--alignment", words)):
        out = tmp_path / option.strip("-")
        rc, _, err = run_awe(["segment", option, value, src, out])
        assert rc == 0, err
        results.append({n: (out / n).read_text() for n in TABLES})
    assert results[0] == results[1] == results[2]


def test_source_with_segments_gives_recording_times(run_awe, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "wav.scp").write_text("recA /r/a.wav\n")
    (src / "segments").write_text("spkA-u1 recA 10.0 13.0\nspkA-u2 recA 13.5 15.0\n")
    (src / "utt2spk").write_text("spkA-u1 spkA\nspkA-u2 spkA\n")
    (tmp_path / "a.ctm").write_text("spkA-u1 1 0.3 0.6 cat\nspkA-u2 1 0.25 1.0 dog\n")
    rc, _, err = run_awe(["segment", "--ctm", tmp_path / "a.ctm", src, tmp_path / "out"])
    assert rc == 0, err
    assert (tmp_path / "out" / "segments").read_text() == (
        "spkA-u1-0000 recA 10.300 10.900\nspkA-u2-0000 recA 13.750 14.750\n")
    assert (tmp_path / "out" / "wav.scp").read_text() == "recA /r/a.wav\n"


def _one_line_error(rc, err) -> str:
    assert rc == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("awe segment: error: "), err
    return lines[0]


def test_alignment_for_unknown_utterance(run_awe, corpus):
    src, words = corpus
    words.write_text(WORDS + "spkZ-u9 0.1 0.5 ghost\n")
    rc, err, out = _segment(run_awe, corpus)
    assert f"{words}:15: utterance 'spkZ-u9' is not in {src}" in _one_line_error(rc, err)
    assert not out.exists()


def test_empty_result_after_filters(run_awe, corpus):
    rc, err, out = _segment(run_awe, corpus, "--min-duration", "5")
    line = _one_line_error(rc, err)
    assert "no word segments left after the filters (14 aligned tokens, all dropped)" in line
    assert not out.exists()


def test_existing_output_needs_overwrite(run_awe, corpus):
    out = corpus[0].parent / "out"
    out.mkdir()
    (out / "keep").write_text("old")
    rc, err, _ = _segment(run_awe, corpus)
    assert "output directory exists (use --overwrite to replace it)" in _one_line_error(rc, err)
    assert os.listdir(out) == ["keep"]
    rc, err, _ = _segment(run_awe, corpus, "--overwrite")
    assert rc == 0 and "keep" not in os.listdir(out) and (out / "segments").is_file()
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".")] == []


def test_unwritable_output_dir(run_awe, corpus, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    rc, err, _ = _segment(run_awe, corpus, out=blocker / "out")
    assert f"{blocker}: output directory is not a directory" in _one_line_error(rc, err)
    rc, err, _ = _segment(run_awe, corpus, out=blocker / "deeper" / "out")
    assert "cannot create output directory (Not a directory)" in _one_line_error(rc, err)
    if os.geteuid() != 0:  # permission bits do not bind root
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o555)
        rc, err, _ = _segment(run_awe, corpus, out=locked / "out")
        assert f"{locked}: output directory is not writable" in _one_line_error(rc, err)
        assert os.listdir(locked) == []


def test_alignment_errors_and_usage(run_awe, corpus, tmp_path):
    src, words = corpus
    rc, _, err = run_awe(["segment", src, tmp_path / "o"])  # no alignment given
    assert rc == 2 and "exactly one of --ctm, --textgrid, --alignment" in err
    rc, _, err = run_awe(["segment", "--ctm", words, "--alignment", words, src, tmp_path / "o"])
    assert rc == 2
    (tmp_path / "empty_vocab").write_text("\n")
    rc, err, _ = _segment(run_awe, corpus, "--vocabulary", tmp_path / "empty_vocab")
    assert "empty_vocab: empty vocabulary" in _one_line_error(rc, err)
    words.write_text("spkA-u1 0.5 0.2 hello\n")
    rc, err, _ = _segment(run_awe, corpus)
    assert f"{words}:1: end 0.2 is not after start 0.5" in _one_line_error(rc, err)
    assert not (tmp_path / "o").exists()
