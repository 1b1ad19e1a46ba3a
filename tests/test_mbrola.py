"""The MBROLA engine of ``awe synth``: Debian's eSpeak NG driving real ``mbrola`` voices.

Needs Debian's mbrola, libespeak-ng1, espeak-ng-data and the German and Spanish voices
(``make test`` installs them when root).  Without them the tests skip, except under CI
(``CI`` set), where they fail.
"""

from __future__ import annotations

import json
import os
import shutil
import wave

import pytest

from awetools.corpus import mbrola
from awetools.corpus.speak import say_all, scaled_rate
from awetools.corpus.speakers import engine_voices, make_speakers
from awetools.corpus.verify import check_exactness
from awetools.io.alignments import read_ctm
from awetools.io.datadir import read_kaldi_table

if not ({"de", "es"} <= set(mbrola.installed_voices()) and shutil.which("mbrola")):
    if os.environ.get("CI"):
        pytest.fail("CI must run the MBROLA tests, but mbrola or its German and Spanish voices "
                    "are missing", pytrace=False)
    pytest.skip("mbrola and its voices are not installed (sudo make mbrola-deps)", allow_module_level=True)


def test_voices_by_language_of_their_database():
    voices = mbrola.installed_voices()
    assert [v.name for v in voices["de"]][:2] == ["de1", "de2"]
    assert all(v.language == "de" and f"mbrola {v.name}" in v.definition for v in voices["de"])
    # eSpeak's 'speak English with a German voice' definitions (mb-de4-en) are not voices of English
    assert all(v.language == code for code, vs in voices.items() for v in vs)
    if "br1" in {v.name for vs in voices.values() for v in vs}:
        assert "br1" in [v.name for v in voices["pt"]]  # pt-br: a voice of Portuguese


def test_words_said_at_the_voice_own_rate(capfd):
    """de1 runs at 16 kHz, de5 at 22.05 kHz: the engine's rate follows the voice.  A fresh
    engine says the same sequence of words the same way (MBROLA carries state from word to
    word, so a job, not a word, is the unit of reproducibility)."""
    runs = []
    for _ in range(2):
        with mbrola.Mbrola() as engine:
            engine.set_voice(mbrola.voice_named("de1").definition)
            said = [engine.synthesize(word) for word in ("Fenster", "Haus", "Fenster")]
            assert engine.sample_rate == 16000  # de1's database, not eSpeak's 22,050 Hz
            engine.set_voice(mbrola.voice_named("de5").definition)
            engine.synthesize("Haus")
            assert engine.sample_rate == 22050
        runs.append(said)
    assert runs[0][0].phonemes == ["f", "ɛ", "n", "s", "t", "ɜ"]
    assert 0.3 < len(runs[0][0].samples) / 16000 < 1.0
    assert all((a.samples == b.samples).all() for a, b in zip(*runs))
    assert capfd.readouterr().err == ""


def test_word_with_a_missing_diphone_left_out_quietly(capfd):
    """es1 has no diphone for eSpeak's unstressed final 'o': MBROLA would put silence in the
    middle of 'como' and print a warning; the word comes back empty and nothing is printed."""
    with mbrola.Mbrola() as engine:
        engine.set_voice(mbrola.voice_named("es1").definition)
        hole = engine.synthesize("como")
        whole = engine.synthesize("casa")
    assert len(hole.samples) == 0 and hole.phonemes == []
    assert len(whole.samples) > 0 and whole.phonemes == ["k", "a", "s", "a"]
    assert capfd.readouterr().err == ""


def test_formant_scale_through_rate_and_resampling():
    """A speaker with formant scale s says every word at eSpeak rate / s; its audio is then
    taken to be at s times the voice's rate, so after resampling the length is the voice's."""
    import numpy as np

    speaker = make_speakers("de", "train", 1, 0, "mbrola")[0]
    plain = speaker.__class__(**{**speaker.to_dict(), "formant_scale": 1.0})
    lengths = []
    for who in (plain, speaker):
        with mbrola.Mbrola() as engine:
            engine.set_voice(mbrola.voice_named(who.variant).definition)
            said = say_all(engine, who, ["Fenster"], np.random.default_rng(0))
            lengths.append(len(said[0].samples) / scaled_rate(engine.sample_rate, who))
    assert speaker.formant_scale != 1.0
    assert abs(lengths[1] / lengths[0] - 1.0) < 0.03


def test_voices_split_between_train_dev_test():
    names = [v.name for v in mbrola.installed_voices()["de"]]
    parts = engine_voices("mbrola", "de")
    assert parts["test"] == (names[-1],) and parts["dev"] == (names[-2],)
    assert parts["train"] == tuple(names[:-2])


def test_cli_mbrola_beside_espeak_same_for_any_nj(run_awe, tmp_path):
    runs = []
    for nj in (1, 2):
        out = tmp_path / f"corpus{nj}"
        rc, _, err = run_awe(["synth", "--languages", "de", "--mbrola-languages", "de", "--target-language",
                              "none", "--num-words", "3", "--speakers", "2,1,1", "--nj", nj, out])
        assert rc == 0, err
        assert "Warning" not in err
        runs.append(out)
    train = runs[0] / "de" / "train"
    manifest = json.loads((train / "manifest.json").read_text())
    assert set(manifest["voices"]) == {"espeak", "mbrola"}
    engines = {d["id"]: d["engine"] for d in manifest["speaker_definitions"]}
    assert [engines[f"de-train{i:02d}"] for i in range(1, 5)] == ["espeak"] * 2 + ["mbrola"] * 2
    assert (train / "lexicon.txt").is_file() and (train / "lexicon_mbrola.txt").is_file()
    ctm, wav_scp = read_ctm(train / "words.ctm"), read_kaldi_table(train / "wav.scp")
    assert len(ctm) == 12
    for utt, (word,) in ctm.items():
        with wave.open(wav_scp[utt]) as handle:
            assert handle.getframerate() == 16000
            assert 0 < word.start < word.end <= handle.getnframes() / 16000 + 1e-3
        assert open(wav_scp[utt], "rb").read() == \
            open(wav_scp[utt].replace("corpus1", "corpus2"), "rb").read()
    exactness = check_exactness(train)  # eSpeak's speakers only: MBROLA's are skipped
    assert exactness.words == 6 and exactness.first_words == 2 == exactness.first_words_identical
    top = json.loads((runs[0] / "manifest.json").read_text())
    assert top["config"]["mbrola_languages"] == ["de"]
    assert top["versions"]["mbrola"] != "unknown" and "mbrola-de1" in top["versions"]
