"""The Festival engine of ``awe synth``: real ``festival -b`` runs, voices split, bad input.

Needs Debian's festival and festvox voices (``make test`` installs them when root).  Without
them the tests skip, except under CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import json
import os
import shutil
import wave

import numpy as np
import pytest

from awetools.corpus.festival import CATALOGUE, Request, installed_voices, synthesize, voice_named
from awetools.corpus.speak import scaled_rate, festival_request
from awetools.corpus.speakers import TokenVoice, engine_voices, make_speakers
from awetools.io.alignments import read_ctm
from awetools.io.datadir import read_kaldi_table

if not (shutil.which("festival") and "it" in installed_voices()):
    if os.environ.get("CI"):
        pytest.fail("CI must run the Festival tests, but festival or its Italian voices are missing",
                    pytrace=False)
    pytest.skip("festival and festvox-ital*16k are not installed (sudo make festival-deps)",
                allow_module_level=True)


def test_words_cut_by_their_segments():
    voice = voice_named("pc_diphone")
    said = synthesize(voice, [Request("casa", 1.0, 1.0), Request("casa", 1.5, 1.0),
                              Request("città", 1.0, 1.2)])
    assert [s.phonemes for s in said[:2]] == [["k", "a1", "s", "a"]] * 2
    assert all(s.sample_rate == 16000 and s.samples.dtype == np.int16 for s in said)
    # 1.5x the duration stretch: 1.5x the samples, within a frame of rounding per phone
    assert abs(len(said[1].samples) / len(said[0].samples) - 1.5) < 0.08
    # the cut drops the leading and trailing silences: the word starts and ends near quiet
    edges = np.abs(said[0].samples[:80]).max(), np.abs(said[0].samples).max()
    assert edges[0] < edges[1] / 4
    assert len(said[2].samples) > 0 and said[2].phonemes


def test_unwritable_word_left_silent():
    said = synthesize(voice_named("pc_diphone"), [Request("пример", 1.0, 1.0), Request("sole", 1.0, 1.0)])
    assert len(said[0].samples) == 0 and said[0].phonemes == []
    assert len(said[1].samples) > 0



@pytest.mark.skipif("hi" not in installed_voices(), reason="festvox-hi-nsk is not installed")
def test_word_that_crashes_festival_left_silent(caplog):
    """festvox-hi-nsk segfaults on the Latin word 'is' (wordfreq's Hindi list has a few):
    that word is left silent, the words around it are said."""
    voice = next(v for v in CATALOGUE if v.language == "hi")
    said = synthesize(voice, [Request("नमस्ते", 1.0, 1.0), Request("is", 1.0, 1.0), Request("पानी", 1.0, 1.0)])
    assert len(said[1].samples) == 0 and said[1].phonemes == []
    assert len(said[0].samples) > 0 and len(said[2].samples) > 0
    assert "festival crashed (signal 11) saying 'is'" in caplog.text


def test_token_request_and_resampling_rate():
    speaker = make_speakers("it", "train", 1, 0, "festival")[0]
    request = festival_request(speaker, "sole", TokenVoice(rate=175, pitch=50))
    assert request.f0 == 1.0
    assert request.stretch == pytest.approx(speaker.formant_scale)
    faster = festival_request(speaker, "sole", TokenVoice(rate=350, pitch=150))
    assert faster.stretch == pytest.approx(speaker.formant_scale / 2) and faster.f0 == 2.0
    assert scaled_rate(16000, speaker) % 50 == 0
    assert abs(scaled_rate(16000, speaker) - 16000 * speaker.formant_scale) <= 25


def test_voices_split_by_language():
    assert engine_voices("festival", "it") == {"train": ("lp_diphone",), "dev": ("pc_diphone",), "test": ("pc_diphone",)}
    if len(installed_voices().get("cs", ())) == 4:
        parts = engine_voices("festival", "cs")
        assert parts["train"] == ("czech_dita", "czech_krb") and parts["test"] == ("czech_ph",)
    assert {v.language for v in CATALOGUE} == {"cs", "fi", "hi", "it", "ru"}


def test_cli_festival_beside_espeak(run_awe, tmp_path):
    out = tmp_path / "corpus"
    rc, _, err = run_awe(["synth", "--languages", "it", "--festival-languages", "it", "--target-language",
                          "none", "--num-words", "3", "--nj", "2", out])
    assert rc == 0, err
    train = out / "it" / "train"
    manifest = json.loads((train / "manifest.json").read_text())
    assert set(manifest["voices"]) == {"espeak", "festival"}
    assert manifest["voices"]["festival"] == {"voices": ["lp_diphone"], "voice_also_in_splits": []}
    engines = {d["id"]: d["engine"] for d in manifest["speaker_definitions"]}
    count = len(engines) // 2
    assert [engines[f"it-train{i:02d}"] for i in range(1, 2 * count + 1)] == \
        ["espeak"] * count + ["festival"] * count
    assert (train / "lexicon.txt").is_file() and (train / "lexicon_festival.txt").is_file()
    text = read_kaldi_table(train / "text")
    ctm = read_ctm(train / "words.ctm")
    wav_scp = read_kaldi_table(train / "wav.scp")
    assert len(text) == 3 * len(engines)
    assert set(ctm) == set(text)
    for utt, (word,) in ctm.items():
        assert word.word == text[utt]
        with wave.open(wav_scp[utt]) as handle:
            assert handle.getframerate() == 16000
            assert 0 < word.start < word.end <= handle.getnframes() / 16000 + 1e-3
    top = json.loads((out / "manifest.json").read_text())
    assert top["versions"]["festival"] != "unknown" and "festvox-italp16k" in top["versions"]
    test_manifest = json.loads((out / "it" / "test" / "manifest.json").read_text())
    assert test_manifest["voices"]["festival"]["voice_also_in_splits"] == ["dev"]
