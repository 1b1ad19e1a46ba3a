"""awe augment: word times exact under speed perturbation, measured SNR, reverberation
aligned with the words, telephone band limit, reproducibility, bad input."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile
import soxr

from awetools.augment.options import Range
from awetools.augment.rooms import reverberate, room_response
from awetools.io.alignments import read_ctm
from awetools.io.datadir import DataDir, Segment, read_kaldi_table
from tests.conftest import FSDD_RECORDINGS

SPEAKERS = ("george", "jackson", "lucas")


def _write_dir(out: Path, rate: int | None = None, noise: float = 0.0) -> Path:
    """A small utterance data dir of real FSDD digits (3 speakers x 4), optionally
    resampled to ``rate`` with broadband noise added (energy above 4 kHz)."""
    data = DataDir(path=out)
    ctm = []
    rng = np.random.default_rng(0)
    (out / "wav").mkdir(parents=True)
    for speaker in SPEAKERS:
        for digit in range(4):
            utt = f"{speaker}-{digit}-00"
            wav = FSDD_RECORDINGS / f"{digit}_{speaker}_0.wav"
            if rate is not None:
                samples, source_rate = soundfile.read(wav, dtype="float32")
                samples = soxr.resample(samples, source_rate, rate) + noise * rng.standard_normal(
                    round(len(samples) * rate / source_rate)).astype(np.float32)[:None]
                wav = out / "wav" / f"{utt}.wav"
                soundfile.write(wav, samples, rate, subtype="PCM_16")
            duration = soundfile.info(str(wav)).duration
            data.wav_scp[utt] = str(wav)
            data.text[utt] = str(digit)
            data.utt2spk[utt] = speaker
            ctm.append(f"{utt} 1 0.050 {duration - 0.1:.3f} {digit}\n")
    data.save()
    (out / "words.ctm").write_text("".join(ctm), encoding="utf-8")
    return out


@pytest.fixture
def small_dir(tmp_path) -> Path:
    return _write_dir(tmp_path / "src")


def _audio(data_dir: Path, key: str) -> np.ndarray:
    return soundfile.read(read_kaldi_table(data_dir / "wav.scp")[key], dtype="float64")[0]


def test_speed_scales_word_times_and_durations(run_awe, small_dir, tmp_path):
    out = tmp_path / "out"
    rc, _, err = run_awe(["augment", "--speed", "0.9,1.0,1.1", small_dir, out])
    assert rc == 0, err
    source, augmented = read_ctm(small_dir / "words.ctm"), read_ctm(out / "words.ctm")
    assert len(augmented) == 3 * len(source)
    spk = read_kaldi_table(out / "utt2spk")
    for factor, prefix in ((0.9, "sp0.9-"), (1.0, ""), (1.1, "sp1.1-")):
        for utt, words in source.items():
            key = prefix + utt
            assert spk[key] == prefix + utt.split("-")[0]
            (word,) = augmented[key]
            assert word.start == pytest.approx(words[0].start / factor, abs=1e-6)
            assert word.end == pytest.approx(words[0].end / factor, abs=1e-6)
            n_in, n_out = len(_audio(small_dir, utt)), len(_audio(out, key))
            assert abs(n_out - n_in / factor) <= 1
    assert read_kaldi_table(out / "text")["sp1.1-george-2-00"] == "2"
    assert (out / "spk2utt").read_text().startswith("george ")


def test_slower_copy_is_time_stretched_speech(run_awe, small_dir, tmp_path):
    """The sp0.9 copy, resampled back by 0.9, is the original (the resampling is exact)."""
    out = tmp_path / "out"
    assert run_awe(["augment", "--speed", "0.9", small_dir, out])[0] == 0
    x, y = _audio(small_dir, "lucas-3-00"), _audio(out, "sp0.9-lucas-3-00")
    back = soxr.resample(y, 8000, 8000 * 0.9)[:len(x)]
    n = min(len(back), len(x))
    error = np.sum((back[:n] - x[:n]) ** 2) / np.sum(x[:n] ** 2)
    assert error < 1e-3


def _snr(clean: np.ndarray, noisy: np.ndarray) -> float:
    """SNR of ``noisy`` against ``clean`` (least-squares scale removes a peak rescaling)."""
    scale = noisy @ clean / (clean @ clean)
    noise = noisy - scale * clean
    return 10 * np.log10(np.sum((scale * clean) ** 2) / np.sum(noise ** 2))


@pytest.mark.parametrize("kind,option", [("noise", "--snr"), ("babble", "--babble-snr")])
def test_noise_at_requested_snr(run_awe, small_dir, tmp_path, kind, option):
    out = tmp_path / "out"
    rc, _, err = run_awe(["augment", "--perturb", kind, option, "10:10", small_dir, out])
    assert rc == 0, err
    for utt in ("george-0-00", "jackson-1-00", "lucas-2-00"):
        assert _snr(_audio(small_dir, utt), _audio(out, f"aug1-{utt}")) == pytest.approx(10, abs=0.2)
    # SNR 10:20 draws per copy: every value in the range, not all the same
    rc, _, _ = run_awe(["augment", "--perturb", kind, option, "10:20", "--overwrite", small_dir, out])
    values = [_snr(_audio(small_dir, u), _audio(out, f"aug1-{u}"))
              for u in read_kaldi_table(small_dir / "wav.scp")]
    assert 9.8 <= min(values) < max(values) <= 20.2 and max(values) - min(values) > 2


def _onset(x: np.ndarray, hop: int = 80) -> int:
    """First 10 ms frame whose energy is within 30 dB of the loudest frame."""
    frames = x[: len(x) // hop * hop].reshape(-1, hop)
    energy = np.mean(frames ** 2, axis=1)
    return int(np.argmax(energy > energy.max() * 1e-3))


def test_room_direct_path_is_compensated():
    """In every simulated room the direct path arrives at the compensated sample: nothing
    before it, so an impulse stays where it was."""
    for index in range(20):
        rir, delay = room_response(0, index, 8000, Range(0.2, 0.8))
        assert abs(rir[delay]) >= 0.9 * np.abs(rir[delay - 2: delay + 3]).max()
        # no arrival before the direct path (beyond its fractional-delay filter's half
        # length only pyroomacoustics' high-pass drift, well below the direct path)
        assert np.abs(rir[: delay - 40]).max() < 0.1 * abs(rir[delay])
        impulse = np.zeros(4000, dtype=np.float32)
        impulse[1000] = 1
        wet = reverberate(impulse, rir, delay)
        assert abs(int(np.argmax(np.abs(wet) > 0.5 * abs(wet[1000]))) - 1000) <= 1


def test_reverb_keeps_words_in_place(run_awe, small_dir, tmp_path):
    out = tmp_path / "out"
    rc, _, err = run_awe(["augment", "--perturb", "reverb", "--rt60", "0.3:0.6", small_dir, out])
    assert rc == 0, err
    for utt in read_kaldi_table(small_dir / "wav.scp"):
        dry, wet = _audio(small_dir, utt), _audio(out, f"aug1-{utt}")
        assert len(wet) == len(dry)
        assert abs(_onset(wet) - _onset(dry)) <= 3, utt  # the word starts within 30 ms
        assert not np.allclose(wet, dry * (wet @ dry) / (dry @ dry), atol=1e-3)


def test_telephone_removes_energy_above_4khz(run_awe, tmp_path):
    src = _write_dir(tmp_path / "src16", rate=16000, noise=0.02)
    out = tmp_path / "out"
    rc, _, err = run_awe(["augment", "--perturb", "telephone", src, out])
    assert rc == 0, err
    for utt in ("george-0-00", "lucas-3-00"):
        def high_share(x):
            power = np.abs(np.fft.rfft(x)) ** 2
            freqs = np.fft.rfftfreq(len(x), 1 / 16000)
            return power[freqs > 4100].sum() / power.sum()
        before, after = high_share(_audio(src, utt)), high_share(_audio(out, f"aug1-{utt}"))
        assert before > 0.01
        assert after < 1e-4 * before


CHAIN = "pitch,reverb,noise,babble,telephone,lowpass:0.5,eq,gain"


def _tree(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file() and p.name != "wav.scp"}


def test_seed_and_nj_reproducible(run_awe, small_dir, tmp_path):
    args = ["augment", "--speed", "0.9,1.1", "--perturb", CHAIN, "--copies", "2", small_dir]
    assert run_awe([*args, tmp_path / "a", "--seed", "3"])[0] == 0
    assert run_awe([*args, tmp_path / "b", "--seed", "3", "--nj", "2"])[0] == 0
    assert run_awe([*args, tmp_path / "c", "--seed", "4"])[0] == 0
    a, b, c = (_tree(tmp_path / n) for n in "abc")
    assert len([k for k in a if k.endswith(".wav")]) == 12 * 2 * 2
    assert a == b
    assert a.keys() == c.keys() and a["wav/sp0.9-aug1-george-0-00.wav"] != c["wav/sp0.9-aug1-george-0-00.wav"]
    assert a["words.ctm"] == c["words.ctm"]


def _error(run_awe, args) -> str:
    rc, _, err = run_awe(["augment", *args])
    assert rc == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_bad_input(run_awe, small_dir, tmp_path):
    out = tmp_path / "out"
    assert "speed factor '0' must be > 0" in _error(run_awe, ["--speed", "1.0,0", small_dir, out])
    assert "speed factor '-1.1' must be > 0" in _error(run_awe, ["--speed=-1.1", small_dir, out])
    assert "--snr 20:5: empty range" in _error(run_awe, ["--perturb", "noise", "--snr", "20:5", small_dir, out])
    assert "unknown perturbation 'echo'" in _error(run_awe, ["--perturb", "echo", small_dir, out])
    assert "--boundary-jitter 0.08:0: empty range" in _error(run_awe, ["--boundary-jitter", "0.08:0", small_dir, out])
    assert "--boundary-jitter 5ms: expected LOW:HIGH" in _error(run_awe, ["--boundary-jitter", "5ms", small_dir, out])
    assert not out.exists()


def _broken(small_dir: Path, tmp_path: Path, change) -> Path:
    src = tmp_path / "broken"
    src.mkdir(parents=True)
    for name in ("wav.scp", "text", "utt2spk", "spk2utt", "words.ctm"):
        (src / name).write_bytes((small_dir / name).read_bytes())
    change(src)
    return src


def test_bad_data_dirs(run_awe, small_dir, tmp_path):
    out = tmp_path / "out"
    scp = read_kaldi_table(small_dir / "wav.scp")

    def missing(src):
        text = (src / "wav.scp").read_text().replace(scp["jackson-1-00"], "/no/such.wav")
        (src / "wav.scp").write_text(text)
    src = _broken(small_dir, tmp_path / "1", missing)
    assert _error(run_awe, [src, out]) == (f"awe augment: error: {src}/wav.scp (key 'jackson-1-00'): "
                                           "no such audio file '/no/such.wav'")

    def garbage(src):
        (src / "bad.wav").write_bytes(b"RIFF not a wav")
        text = (src / "wav.scp").read_text().replace(scp["lucas-2-00"], str(src / "bad.wav"))
        (src / "wav.scp").write_text(text)
    src = _broken(small_dir, tmp_path / "2", garbage)
    assert f"{src}/wav.scp (key 'lucas-2-00'): cannot read audio" in _error(run_awe, [src, out])

    def other_rate(src):
        samples, _ = soundfile.read(scp["george-3-00"], dtype="float32")
        soundfile.write(src / "fast.wav", soxr.resample(samples, 8000, 16000), 16000)
        text = (src / "wav.scp").read_text().replace(scp["george-3-00"], str(src / "fast.wav"))
        (src / "wav.scp").write_text(text)
    src = _broken(small_dir, tmp_path / "3", other_rate)
    assert (f"{src}/wav.scp (key 'george-3-00'): sample rate 16000 Hz, but 'george-0-00' has 8000 Hz"
            in _error(run_awe, [src, out]))

    src = _broken(small_dir, tmp_path / "4", lambda s: (s / "words.ctm").write_text(""))
    assert f"{src}/words.ctm: empty CTM" in _error(run_awe, [src, out])

    def stranger(src):
        with open(src / "words.ctm", "a") as handle:
            handle.write("nobody-1 1 0.0 0.5 one\n")
    src = _broken(small_dir, tmp_path / "5", stranger)
    assert f"{src}/words.ctm:13: utterance 'nobody-1' is not in" in _error(run_awe, [src, out])
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_failure_keeps_old_output(run_awe, small_dir, tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert run_awe(["augment", small_dir, out])[0] == 0
    before = _tree(out)
    assert "exists" in _error(run_awe, [small_dir, out])
    monkeypatch.setenv("AWE_TEST_KILL_JOB", "3")
    message = _error(run_awe, ["--perturb", "noise", "--nj", "2", "--overwrite", small_dir, out])
    assert "was killed by SIGKILL" in message and "recording '" in message
    assert _tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "src"]
    assert os.environ["AWE_TEST_KILL_JOB"] == "3"


def test_segments_are_scaled_and_output_segments_cleanly(run_awe, small_dir, tmp_path):
    """A data dir with ``segments`` (two utterances per recording): segment times follow
    the speed factor; ``awe segment`` accepts the augmented dir."""
    src = tmp_path / "seg"
    data = DataDir.load(small_dir)
    durations = {k: soundfile.info(v).duration for k, v in data.wav_scp.items()}
    seg = DataDir(path=src, wav_scp=data.wav_scp)
    ctm = []
    for rec, duration in durations.items():
        half = round(duration / 2, 3)
        for part, (start, end) in enumerate(((0.0, half), (half, round(duration, 3)))):
            utt = f"{rec}-{part}"
            seg.segments[utt] = Segment(rec, start, end)
            seg.text[utt] = data.text[rec]
            seg.utt2spk[utt] = data.utt2spk[rec]
            ctm.append(f"{utt} 1 0.010 {end - start - 0.02:.3f} {data.text[rec]}\n")
    seg.save()
    (src / "words.ctm").write_text("".join(sorted(ctm)), encoding="utf-8")
    out = tmp_path / "out"
    rc, _, err = run_awe(["augment", "--speed", "1.1", "--perturb", "noise", src, out])
    assert rc == 0, err
    segments = DataDir.load(out).segments
    for utt, s in seg.segments.items():
        new = segments[f"sp1.1-aug1-{utt}"]
        assert new.recording == f"sp1.1-aug1-{s.recording}"
        assert new.start == pytest.approx(s.start / 1.1, abs=5e-4)  # segments keep 3 decimals
        assert new.end == pytest.approx(s.end / 1.1, abs=5e-4)
    rc, _, err = run_awe(["segment", "--ctm", out / "words.ctm", out, tmp_path / "words"])
    assert rc == 0, err
    assert len(read_kaldi_table(tmp_path / "words" / "text")) == len(ctm)

    # boundary jitter stops at the ends of each segment, not of its recording
    rc, _, err = run_awe(["augment", "--speed", "1.1", "--boundary-jitter", "1", src, tmp_path / "jit"])
    assert rc == 0, err
    moved = _word_times(tmp_path / "jit" / "words.ctm")
    for utt, s in seg.segments.items():
        assert moved[f"sp1.1-{utt}"] == pytest.approx((0.0, (s.end - s.start) / 1.1), abs=1e-5)


def _word_times(ctm: Path) -> dict[str, tuple[float, float]]:
    """(start, end) of the one word of each utterance of a CTM."""
    return {utt: (words[0].start, words[0].end) for utt, words in read_ctm(ctm).items()}


def test_boundary_jitter_moves_the_words_of_perturbed_copies(run_awe, small_dir, tmp_path):
    """The clean copy keeps exact times; each perturbed word starts 10-30 ms earlier and
    ends 10-30 ms later; --nj does not change the draws, --seed does."""
    args = ["augment", "--perturb", "gain", "--keep-clean", "--boundary-jitter", "0.01:0.03", small_dir]
    for name, extra in (("a", []), ("b", ["--nj", "2"]), ("c", ["--seed", "1"])):
        rc, _, err = run_awe([*args, tmp_path / name, *extra])
        assert rc == 0, err
    moved = _word_times(tmp_path / "a" / "words.ctm")
    for utt, (start, end) in _word_times(small_dir / "words.ctm").items():
        assert moved[utt] == pytest.approx((start, end), abs=1e-6)
        new_start, new_end = moved[f"aug1-{utt}"]
        assert 0.01 - 1e-6 <= start - new_start <= 0.03 + 1e-6
        assert 0.01 - 1e-6 <= new_end - end <= 0.03 + 1e-6
    ctm = {name: (tmp_path / name / "words.ctm").read_bytes() for name in "abc"}
    assert ctm["a"] == ctm["b"] != ctm["c"]


def test_boundary_jitter_is_clipped(run_awe, small_dir, tmp_path):
    """Outward moves stop at the ends of the (speed-perturbed) recording; inward ones
    keep the middle half of the word.  Without --perturb the one copy is jittered."""
    for name, args in (("out", ["--speed", "1.1", "--boundary-jitter", "1"]),
                       ("in", ["--boundary-jitter=-1"])):
        rc, _, err = run_awe(["augment", *args, small_dir, tmp_path / name])
        assert rc == 0, err
    outward, inward = _word_times(tmp_path / "out" / "words.ctm"), _word_times(tmp_path / "in" / "words.ctm")
    for utt, (start, end) in _word_times(small_dir / "words.ctm").items():
        length = len(_audio(tmp_path / "out", f"sp1.1-{utt}")) / 8000
        assert outward[f"sp1.1-{utt}"] == pytest.approx((0.0, length), abs=1e-6)
        centre, quarter = (start + end) / 2, (end - start) / 4
        assert inward[utt] == pytest.approx((centre - quarter, centre + quarter), abs=1e-6)
