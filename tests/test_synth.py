"""``awe synth``: the eSpeak NG corpus builder (format, exact CTM boundaries, determinism, bad input)."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import time
import wave
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

import awetools.corpus.speak as speak
import awetools.corpus.synth as synth
from awetools.corpus.espeak import Espeak, language_files
from awetools.corpus.presets import CorpusConfig
from awetools.corpus.render import GRID, SAMPLE_RATE, add_noise, assemble, milliseconds, render_words
from awetools.corpus.speakers import (VOICE_ENGINES, Speaker, make_speakers, variants, vocal_tract_scale,
                                      voice_definition)
from awetools.corpus.text import english_number, normalize_words, read_sentences, top_words
from awetools.corpus.verify import Exactness, check_exactness
from awetools.corpus.verify import read_wav as read_synth_wav
from awetools.errors import AweError
from awetools.io.alignments import read_ctm
from awetools.io.audio import write_wav
from awetools.io.datadir import DataDir, read_kaldi_table
from conftest import awe_command

TEXT = """The committee met on 12 March 1947, and it approved 3 new rules.

Well-known writers don't always agree: "art", they said, "is long".
Nobody expected the quiet river to rise so quickly after the storm!
Could the old bridge survive another winter of heavy snow and ice?
Farmers planted wheat and barley in the fields near the small town.
"""
SPLITS = ("train", "dev", "test")


def tiny_config(text: Path, **overrides) -> CorpusConfig:
    values = dict(languages=("de",), target="en", texts=(text,), num_words=6,
                  isolated_speakers={"train": 2, "dev": 1, "test": 1}, running_words=40,
                  running_speakers={"train": 2, "dev": 1, "test": 1}, seed=3, preset="tiny")
    values.update(overrides)
    return CorpusConfig(**values)


@pytest.fixture(scope="module")
def text_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("text") / "en.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def corpus(text_file, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "corpus"
    synth.build_corpus(out, tiny_config(text_file))
    return out


def read_wav(path: str) -> np.ndarray:
    with wave.open(path) as handle:
        assert (handle.getframerate(), handle.getsampwidth(), handle.getnchannels()) == (SAMPLE_RATE, 2, 1)
    return read_synth_wav(path)


def speaker_of(corpus: Path, language: str, split: str, speaker_id: str) -> Speaker:
    """The speaker as the data dir's manifest records it."""
    manifest = json.loads((corpus / language / split / "manifest.json").read_text())
    (definition,) = [s for s in manifest["speaker_definitions"] if s["id"] == speaker_id]
    return Speaker(**definition)


# ---------------------------------------------------------------- format


def test_layout_and_kaldi_format(corpus):
    for language in ("de", "en"):
        for split in SPLITS:
            directory = corpus / language / split
            data = DataDir.load(directory, require=("wav.scp", "utt2spk", "text"))
            spk2utt = read_kaldi_table(directory / "spk2utt")
            assert sorted(spk2utt) == sorted(set(data.utt2spk.values()))
            for utt, speaker in data.utt2spk.items():
                assert utt.startswith(speaker + "-") and speaker.startswith(f"{language}-{split}")
                assert Path(data.wav_scp[utt]).is_file()
            manifest = json.loads((directory / "manifest.json").read_text())
            assert (manifest["language"], manifest["split"]) == (language, split)
            assert manifest["kind"] == ("isolated" if language == "de" else "running")
            assert manifest["utterances"] == len(data.wav_scp)
            assert manifest["seed"] == 3 and manifest["preset"] == "tiny"
    top = json.loads((corpus / "manifest.json").read_text())
    assert len(top["data_dirs"]) == 6
    assert not list(corpus.parent.glob(".corpus.*"))  # no temporary left behind


def test_isolated_words_are_top_wordfreq_words(corpus):
    words = top_words("de", 6)
    for split, speakers in (("train", 2), ("dev", 1), ("test", 1)):
        text = read_kaldi_table(corpus / "de" / split / "text")
        assert len(text) == 6 * speakers
        assert sorted(set(text.values())) == sorted(words)
        manifest = json.loads((corpus / "de" / split / "manifest.json").read_text())
        assert (manifest["tokens"], manifest["types"], manifest["speakers"]) == (6 * speakers, 6, speakers)


def test_speakers_and_voices_disjoint_between_splits(corpus):
    seen_speakers, seen_variants = {}, {}
    for language in ("de", "en"):
        for split in SPLITS:
            manifest = json.loads((corpus / language / split / "manifest.json").read_text())
            for definition in manifest["speaker_definitions"]:
                assert definition["id"] not in seen_speakers
                seen_speakers[definition["id"]] = split
                assert seen_variants.setdefault(definition["variant"], split) == split
                assert definition["variant"] in variants()[split]
    parts = variants()
    assert not set(parts["train"]) & set(parts["test"])
    # held-out vocal tracts lie within the training voices' range: the child-like zac
    # (every formant x 1.45; the widest training voice x 1.33) is in no held-out split
    trained = [vocal_tract_scale(n) for n in parts["train"]]
    assert all(min(trained) <= vocal_tract_scale(n) <= max(trained) for n in parts["dev"] + parts["test"])
    assert vocal_tract_scale("zac") == pytest.approx(1.45) and "zac" not in parts["dev"] + parts["test"]
    assert vocal_tract_scale("rob") == pytest.approx((95 + 97 + 101) / 300)
    assert not set(parts["dev"]) & (set(parts["train"]) | set(parts["test"]))


def test_ctm_matches_transcripts_and_lexicon(corpus):
    for language in ("de", "en"):
        for split in SPLITS:
            directory = corpus / language / split
            text = read_kaldi_table(directory / "text")
            alignment = read_ctm(directory / "words.ctm")
            assert sorted(alignment) == sorted(text)
            for utt, words in alignment.items():
                assert [w.word for w in words] == text[utt].split()
                for w in words:  # whole milliseconds: exact in 3 decimals and on the 16 kHz grid
                    assert abs(w.start * 1000 - round(w.start * 1000)) < 1e-6
                    assert abs(w.end * 1000 - round(w.end * 1000)) < 1e-6
            lexicon = defaultdict(list)
            for line in (directory / "lexicon.txt").read_text(encoding="utf-8").splitlines():
                word, *phones = line.split(" ")
                assert phones and all(phones) and not any("ˈ" in p for p in phones)
                lexicon[word].append(phones)
            assert set(lexicon) == {w for t in text.values() for w in t.split()}


def test_running_text_normalised_consistently(corpus):
    words = [w for t in read_kaldi_table(corpus / "en" / "train" / "text").values() for w in t.split()]
    words += [w for s in ("dev", "test") for t in read_kaldi_table(corpus / "en" / s / "text").values()
              for w in t.split()]
    assert all(w == w.lower() and w.replace("'", "").isalpha() for w in words)


# ---------------------------------------------------------------- exact word boundaries


def test_ctm_boundaries_exact_against_isolated_synthesis(corpus):
    """Every word cut from a wav by the CTM is that word as eSpeak says it alone.

    Lengths agree for almost every word (eSpeak carries a little state between calls: a
    Klatt pitch-period remainder, a least significant bit at a word edge, which can move a
    boundary by a 1-ms grid step or one or two 2.9 ms Klatt steps), the first word of each speaker
    (fresh engine, like the isolated word) agrees sample by sample, and a clean wav is
    digital silence outside the CTM spans.
    """
    total = Exactness()
    for language in ("en", "de"):
        for split in SPLITS:
            stats = check_exactness(corpus / language / split)
            assert stats.max_length_difference_ms <= 8.0
            speakers = set(read_kaldi_table(corpus / language / split / "utt2spk").values())
            assert stats.first_words_identical == stats.first_words == len(speakers)
            assert stats.utterances_silent_outside == stats.utterances > 0
            total.words += stats.words
            total.equal_length += stats.equal_length
    assert total.words >= 60 and total.equal_length >= 0.95 * total.words


def test_first_utterance_of_a_job_resynthesises_exactly(corpus):
    directory = corpus / "en" / "train"
    data = DataDir.load(directory, require=("wav.scp",))
    utt = sorted(data.wav_scp)[0]
    speaker = speaker_of(corpus, "en", "train", data.utt2spk[utt])
    with Espeak() as engine:
        speak.prepare_engine(engine, speaker)
        samples, spans, words, _ = speak.speak(engine, speaker, data.text[utt].split(),
                                               speak.utterance_rng(3, utt))
    assert np.array_equal(samples, read_wav(data.wav_scp[utt]))
    assert words == data.text[utt].split()


# ---------------------------------------------------------------- determinism, presets


def test_same_seed_same_corpus_for_any_nj(corpus, text_file, tmp_path):
    again = tmp_path / "again"
    synth.build_corpus(again, tiny_config(text_file), nj=2)
    for path in sorted(corpus.rglob("*")):
        twin = again / path.relative_to(corpus)
        if path.is_file() and path.name not in ("wav.scp", "manifest.json"):
            assert path.read_bytes() == twin.read_bytes(), path
    assert (read_kaldi_table(again / "en" / "dev" / "wav.scp").keys()
            == read_kaldi_table(corpus / "en" / "dev" / "wav.scp").keys())


def test_other_seed_other_speakers():
    a = make_speakers("en", "train", 4, seed=0)
    b = make_speakers("en", "train", 4, seed=1)
    assert a == make_speakers("en", "train", 4, seed=0) and a != b
    assert [s.id for s in a] == ["en-train01", "en-train02", "en-train03", "en-train04"]


def test_voice_definition_turns_off_carried_state():
    speaker = dataclasses.replace(make_speakers("de", "test", 1, seed=0)[0], variant="m3", formant_scale=1.05)
    definition = voice_definition(speaker, language_files()["de"])
    lines = definition.splitlines()
    assert "flutter 0" in lines and "echo 0 0" in lines and "language de" in lines
    assert not any(line.startswith("language variant") for line in lines)
    formant1 = next(line for line in lines if line.startswith("formant 1 ")).split()
    assert formant1[2:5] == ["101", "97", "100"]  # m3: formant 1 at 96 %, times 1.05


# ---------------------------------------------------------------- text and signal helpers


def test_normalisation():
    assert normalize_words('In 1947, the U.S. spent $1,200 -- "well-known" it\'s OK!', "en") == [
        "in", "nineteen", "forty", "seven", "the", "spent", "one", "thousand", "two", "hundred",
        "well", "known", "it's", "ok"]
    assert normalize_words("Der Bär aß 3 Äpfel, 21st.", "de") == ["der", "bär", "aß", "äpfel"]
    assert english_number(1_000_015) == ["one", "million", "fifteen"]
    assert english_number(70) == ["seventy"] and english_number(105) == ["one", "hundred", "five"]
    assert normalize_words("1905 1800 2005", "en") == [
        "nineteen", "oh", "five", "eighteen", "hundred", "two", "thousand", "five"]


def test_read_sentences_paragraphs(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes("\ufeffOne two\r\nthree. Four five!\r\n\r\nSix?".encode())
    assert read_sentences([path]) == ["One two three.", "Four five!", "Six?"]


def test_render_and_assemble():
    samples = np.zeros(1000, np.int16)
    samples[100:541] = 1000  # 441 samples at 22.05 kHz = 320 samples at 16 kHz
    longer = np.concatenate([samples, samples[::-1]])
    word, silent, other = render_words([samples, np.zeros(50, np.int16), longer], 22050, 0.2)
    assert len(word) == 320 and len(silent) == 0 and len(other) % GRID == 0
    assert np.array_equal(word, render_words([samples], 22050, 0.2)[0])  # batching changes nothing
    assert word.dtype == np.float32 and abs(word[160] - 1000 / 32768 * 0.8) < 1e-3  # tilt 1 - 0.2
    signal, spans = assemble([np.ones(32, np.float32), np.ones(16, np.float32)], [48], 16, 160)
    assert spans == [(16, 32), (96, 16)] and len(signal) == 16 + 32 + 48 + 16 + 160
    assert milliseconds(0.0304) == 30 * GRID and milliseconds(0.0) == GRID


def test_noise_snr():
    rng = np.random.default_rng(0)
    clean = np.zeros(32000, np.float32)
    clean[8000:24000] = 0.1 * np.sin(np.arange(16000) / 5.0)
    noisy = add_noise(clean, [(8000, 16000)], 10.0, rng)
    noise = noisy - clean
    snr = 10 * np.log10(np.mean(clean[8000:24000] ** 2) / np.mean(noise ** 2))
    assert abs(snr - 10.0) < 0.01 and noise[:8000].std() > 0


def test_noisy_corpus_keeps_spans(text_file, tmp_path):
    out = tmp_path / "noisy"
    synth.build_corpus(out, tiny_config(text_file, languages=(), running_words=10, snr=5.0))
    alignment = read_ctm(out / "en" / "test" / "words.ctm")
    data = DataDir.load(out / "en" / "test")
    utt, words = next(iter(alignment.items()))
    samples = read_wav(data.wav_scp[utt]).astype(float)
    inside = np.zeros(len(samples), bool)
    for w in words:
        inside[round(w.start * SAMPLE_RATE):round(w.end * SAMPLE_RATE)] = True
    assert samples[~inside].std() > 0  # noise in the pauses
    assert 1.5 < 10 * np.log10(np.mean(samples[inside] ** 2) / np.mean(samples[~inside] ** 2)) < 15
    assert json.loads((out / "en" / "test" / "manifest.json").read_text())["snr_db"] == 5.0


# ---------------------------------------------------------------- command line and bad input


def test_cli_writes_corpus_and_refuses_existing(run_awe, text_file, tmp_path):
    out = tmp_path / "c"
    args = ["synth", "--languages", "none", "--running-words", "12", "--text", text_file, out]
    rc, stdout, stderr = run_awe(args)
    assert rc == 0 and stdout == ""
    assert "awe synth: en/train:" in stderr
    rc, _, stderr = run_awe(args)
    assert rc == 1 and "output directory exists (use --overwrite" in stderr
    rc, _, _ = run_awe(["synth", "--overwrite", *args[1:]])
    assert rc == 0


@pytest.mark.parametrize("languages, message", [
    ("de,xx", "unknown language 'xx'"),
    ("cy", "language 'cy' has no wordfreq word list"),
    ("de,de", "listed twice"),
    ("en", "'en' is both an isolated-word language and the target"),
])
def test_bad_languages(run_awe, text_file, tmp_path, languages, message):
    out = tmp_path / "c"
    rc, _, stderr = run_awe(["synth", "--languages", languages, "--text", text_file, out])
    assert rc == 1 and message in stderr and len(stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_bad_text_files(run_awe, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n  \n", encoding="utf-8")
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("ok\nna\xefve caf\xe9\n".encode("latin-1"))
    for path, message in ((empty, f"{empty}: empty text file"), (latin1, f"{latin1}:2: not valid UTF-8"),
                          (tmp_path / "missing.txt", "no such file")):
        rc, _, stderr = run_awe(["synth", "--languages", "none", "--text", path, tmp_path / "c"])
        assert rc == 1 and message in stderr, stderr
    assert not (tmp_path / "c").exists()


def test_bad_usage(run_awe, tmp_path):
    rc, _, stderr = run_awe(["synth", "--preset", "huge", tmp_path / "c"])
    assert rc == 2 and "--preset" in stderr
    rc, _, stderr = run_awe(["synth", "--languages", "none", "--target-language", "none", tmp_path / "c"])
    assert rc == 1 and "nothing to synthesise" in stderr and not (tmp_path / "c").exists()


def test_list_languages(run_awe):
    rc, stdout, _ = run_awe(["synth", "--list-languages"])
    codes = stdout.split()
    assert rc == 0 and {"de", "en", "es", "ru", "tr"} <= set(codes) and "cy" not in codes
    assert len(codes) >= 11


def test_speaker_counts_from_the_command_line(run_awe, text_file, tmp_path):
    """--speakers and --running-speakers replace the preset's speakers per split."""
    rc, _, stderr = run_awe(["synth", "--languages", "de", "--num-words", "2", "--speakers", "3,1,2",
                             "--running-words", "40", "--running-speakers", "2,1,1", "--text", text_file,
                             tmp_path / "c"])
    assert rc == 0, stderr
    speakers = {(lang, split): len((tmp_path / "c" / lang / split / "spk2utt").read_text().splitlines())
                for lang in ("de", "en") for split in SPLITS}
    assert speakers == {("de", "train"): 3, ("de", "dev"): 1, ("de", "test"): 2,
                        ("en", "train"): 2, ("en", "dev"): 1, ("en", "test"): 1}
    assert len((tmp_path / "c" / "de" / "train" / "text").read_text().splitlines()) == 3 * 2


def test_speaking_rates_from_the_command_line(run_awe, text_file, tmp_path):
    """--isolated-rate and --running-rate bound every speaker's rate; a slower range gives
    longer words."""
    durations = {}
    for name, rate in (("slow", "90:90"), ("fast", "300:300")):
        rc, _, stderr = run_awe(["synth", "--languages", "de", "--num-words", "3", "--speakers", "2,1,1",
                                 "--running-words", "40", "--running-speakers", "1,1,1", "--text", text_file,
                                 "--isolated-rate", rate, "--running-rate", "120:130", tmp_path / name])
        assert rc == 0, stderr
        manifest = json.loads((tmp_path / name / "de" / "train" / "manifest.json").read_text())
        assert {s["rate"] for s in manifest["speaker_definitions"]} == {int(rate.split(":")[0])}
        config = json.loads((tmp_path / name / "manifest.json").read_text())["config"]
        assert (config["isolated_rate"], config["running_rate"]) == ([int(rate.split(":")[0])] * 2, [120, 130])
        running = json.loads((tmp_path / name / "en" / "train" / "manifest.json").read_text())
        assert all(120 <= s["rate"] <= 130 for s in running["speaker_definitions"])
        ctm = np.loadtxt(tmp_path / name / "de" / "train" / "words.ctm", usecols=3)
        durations[name] = ctm.mean()
    assert durations["slow"] > 2 * durations["fast"]


@pytest.mark.parametrize("option, value, message", [
    ("--isolated-rate", "79:200", "--isolated-rate 79:200: need 80 <= LOW <= HIGH <= 450 words per minute"),
    ("--running-rate", "200:150", "--running-rate 200:150: need 80 <= LOW <= HIGH <= 450 words per minute"),
    ("--isolated-rate", "fast", "--isolated-rate 'fast': need LOW:HIGH in words per minute (e.g. 100:205)")])
def test_bad_speaking_rates_are_refused(run_awe, text_file, tmp_path, option, value, message):
    rc, _, stderr = run_awe(["synth", "--languages", "de", option, value, "--text", text_file, tmp_path / "c"])
    assert (rc, stderr.strip()) == (1, f"awe synth: error: {message}")
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize("option, value", [("--speakers", "4,2"), ("--speakers", "4,0,1"),
                                           ("--running-speakers", "a,b,c")])
def test_bad_speaker_counts_are_refused(run_awe, text_file, tmp_path, option, value):
    rc, _, stderr = run_awe(["synth", "--languages", "de", option, value, "--text", text_file, tmp_path / "c"])
    assert rc == 1
    assert stderr.strip() == (f"awe synth: error: {option} '{value}': need three positive counts "
                              "TRAIN,DEV,TEST (e.g. 16,2,2)")
    assert not (tmp_path / "c").exists()


def test_interrupt_leaves_no_corpus(run_awe, text_file, tmp_path, monkeypatch):
    calls = []

    def interrupted(job):
        calls.append(job)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(job)

    real = synth.run_job
    monkeypatch.setattr(synth, "run_job", interrupted)
    rc, _, stderr = run_awe(["synth", "--languages", "de", "--num-words", "3", "--running-words", "12",
                             "--text", text_file, tmp_path / "c"])
    assert rc == 130 and "interrupted" in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize("nj", [1, 2])
def test_sigint_leaves_no_corpus(text_file, tmp_path, nj):
    """A real Ctrl-C (SIGINT to the process group) while eSpeak runs in-process or in workers."""
    out = tmp_path / "c"
    env = {**os.environ, "AWE_NO_PROGRESS": "1"}
    process = subprocess.Popen([*awe_command(), "synth", "--nj", str(nj), "--languages", "de,es,fr",
                                "--num-words", "400", "--text", str(text_file), str(out)],
                               stderr=subprocess.PIPE, env=env, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and not list(tmp_path.glob(".c.*/de/*/wav/*/*.wav")):
        time.sleep(0.05)
    assert list(tmp_path.glob(".c.*/de/*/wav/*/*.wav")), "synthesis did not start"
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert stderr.decode().strip().splitlines()[-1] == "awe synth: interrupted"
    assert "Traceback" not in stderr.decode()
    assert list(tmp_path.iterdir()) == []


def test_full_disk_is_a_one_line_error():
    with pytest.raises(AweError, match=r"/dev/full: cannot write \(No space left on device\)"):
        write_wav(Path("/dev/full"), np.zeros(160000, np.int16), SAMPLE_RATE)


# ---------------------------------------------------------------- forced alignment

def test_pocketsphinx_alignment_against_the_exact_ctm(corpus, tmp_path):
    """PocketSphinx word times for the synthetic running speech: the same words as the
    eSpeak CTM and boundaries within a few frames of it; unknown words are left out."""
    pytest.importorskip("pocketsphinx")
    from awetools.forced_align import force_align
    from awetools.io.alignments import read_ctm
    train = corpus / "en" / "train"
    report = force_align(str(train), str(tmp_path / "ps.ctm"))
    hyp, ref = read_ctm(tmp_path / "ps.ctm"), read_ctm(train / "words.ctm")
    assert report.aligned == len(hyp) >= 1 and report.words == sum(map(len, hyp.values()))
    errors = []
    for utt, words in hyp.items():
        assert [w.word for w in words] == [w.word for w in ref[utt]]
        errors += [abs(h.start - r.start) for h, r in zip(words, ref[utt])]
        errors += [abs(h.end - r.end) for h, r in zip(words, ref[utt])]
    assert np.median(errors) < 0.1
    # a word outside the CMU dictionary: the utterance is left out, and with nothing left, an error
    bad = tmp_path / "bad"
    bad.mkdir()
    utt = sorted(hyp)[0]
    (bad / "wav.scp").write_text(next(l for l in (train / "wav.scp").read_text().splitlines()
                                      if l.startswith(utt + " ")) + "\n")
    (bad / "text").write_text(f"{utt} zzqxv words\n")
    with pytest.raises(AweError, match="no utterance could be aligned.*1 with out-of-dictionary words.*zzqxv"):
        force_align(str(bad), str(tmp_path / "bad.ctm"))
    assert not (tmp_path / "bad.ctm").exists()


# --festival-languages and --mbrola-languages: the bad input both engines refuse alike.
ENGINE_LANGUAGE = {"festival": "it", "mbrola": "de"}  # a language with installed voices
NO_VOICE = {"festival": "de", "mbrola": "fi"}          # wordfreq has it, the engine no voice


def _engine_installed(engine: str) -> bool:
    return ENGINE_LANGUAGE[engine] in VOICE_ENGINES[engine].installed_voices() and shutil.which(engine) is not None


@pytest.mark.parametrize("engine", ["festival", "mbrola"])
@pytest.mark.parametrize("case", ["no word list", "no voice", "twice", "target", "not installed"])
def test_bad_engine_languages(run_awe, tmp_path, monkeypatch, engine, case):
    """One line naming the culprit, exit 1, no corpus; the engines' own test files fail
    under CI when an engine is missing, so skipping here hides nothing."""
    name = {"festival": "Festival", "mbrola": "MBROLA"}[engine]
    language = ENGINE_LANGUAGE[engine]
    codes, message = {
        "no word list": ("la", "language 'la' has no wordfreq word list"),
        "no voice": (NO_VOICE[engine], f"{name} has no installed voice for '{NO_VOICE[engine]}'"),
        "twice": (f"{language},{language}", f"a language is listed twice in {language},{language}"),
        "target": ("en", f"'en' is the target language and also in --{engine}-languages"),
        "not installed": (language, f"{engine}-deps"),
    }[case]
    if case in ("no voice", "twice") and not _engine_installed(engine):
        pytest.skip(f"{engine} and its voices are not installed (sudo make {engine}-deps)")
    if case == "not installed":
        monkeypatch.setenv("PATH", str(tmp_path))
    rc, _, err = run_awe(["synth", "--languages", "none", f"--{engine}-languages", codes, "--target-language",
                          "en" if case == "target" else "none", "--num-words", "2", tmp_path / "c"])
    assert rc == 1
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "c").exists()
