"""``awe featurize``: Kaldi-compatible features checked against a computation done by hand,
CMVN, the frame rule, parallel jobs, resampling, bad input and Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import kaldi_native_fbank as knf
import numpy as np
import pytest
import soundfile
from scipy.signal import resample_poly

from awetools.features.segments import frame_ranges
from awetools.features.vad import EnergyVad, frame_log_energy
from awetools.io.datadir import DataDir, Segment, read_kaldi_table
from awetools.io.tables import RandomAccessTable, open_reader
from conftest import FSDD_RATE, awe_command

SHIFT, CENTER = 0.010, 0.0125  # 10 ms frame shift; a 25 ms window is centred 12.5 ms in


# ---- the computation done by hand -------------------------------------------------------

def direct_frames(wav: str | Path, kind: str = "mfcc", rate: int = FSDD_RATE,
                  num_bins: int = 23, samples: np.ndarray | None = None) -> np.ndarray:
    """Static frames straight from kaldi-native-fbank: Kaldi's defaults, dither off, the
    16-bit sample values Kaldi reads from the wav."""
    if samples is None:
        samples, file_rate = soundfile.read(str(wav), dtype="int16")
        assert file_rate == rate
    opts = knf.MfccOptions() if kind == "mfcc" else knf.FbankOptions()
    opts.frame_opts.samp_freq = rate
    opts.frame_opts.dither = 0.0
    opts.mel_opts.num_bins = num_bins
    computer = (knf.OnlineMfcc if kind == "mfcc" else knf.OnlineFbank)(opts)
    computer.accept_waveform(rate, np.asarray(samples, dtype=np.float32))
    computer.input_finished()
    return np.array([computer.get_frame(i) for i in range(computer.num_frames_ready)])


def kaldi_deltas(x: np.ndarray, order: int = 2, window: int = 2) -> np.ndarray:
    """Kaldi's add-deltas: regression filters convolved order times, edge frames repeated."""
    scales = [np.array([1.0])]
    for _ in range(order):
        prev = scales[-1]
        cur = np.zeros(len(prev) + 2 * window)
        for j in range(-window, window + 1):
            cur[j + window: j + window + len(prev)] += j * prev
        scales.append(cur / sum(j * j for j in range(-window, window + 1)))
    t = np.arange(len(x))
    out = []
    for s in scales:
        half = (len(s) - 1) // 2
        index = np.clip(t[:, None] + np.arange(-half, half + 1)[None, :], 0, len(x) - 1)
        out.append(np.einsum("tkd,k->td", x[index], s))
    return np.concatenate(out, axis=1)


def cmvn(frames: np.ndarray, stats_from: np.ndarray) -> np.ndarray:
    """Kaldi apply-cmvn --norm-vars: mean and (biased) std over the given frames."""
    mean = stats_from.mean(axis=0)
    std = np.sqrt(np.maximum((stats_from ** 2).mean(axis=0) - mean ** 2, 1e-10))
    return (frames - mean) / std


def centred_frames(start: float, end: float, num_frames: int) -> list[int]:
    """Frames whose centre t*shift + center lies in [start, end), by enumeration."""
    return [t for t in range(num_frames) if start <= t * SHIFT + CENTER < end]


# ---- helpers -----------------------------------------------------------------------------

def subset(words: Path, keys: list[str], out: Path, segments: dict | None = None) -> Path:
    """A copy of a word-segment data dir restricted to ``keys``, or with new ``segments``
    whose keys are existing ones plus a ``#suffix`` (pieces of a word, same speaker)."""
    out.mkdir(parents=True)
    data = DataDir.load(words)
    segments = segments or {k: data.segments[k] for k in keys}
    recordings = {s.recording for s in segments.values()}
    speakers = {k: data.utt2spk[k.split("#")[0]] for k in segments}
    part = DataDir(path=out, wav_scp={r: data.wav_scp[r] for r in recordings},
                   segments=segments, utt2spk=speakers)
    part.save()
    return out


def read_all(rspecifier: str) -> dict[str, np.ndarray]:
    return dict(open_reader(rspecifier))


def one_line_error(rc: int, out: str, err: str) -> str:
    assert rc == 1 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("awe featurize: error: "), err
    return lines[0]


@pytest.fixture(scope="module")
def george(fsdd_words, tmp_path_factory) -> Path:
    """One speaker's 30 word segments (each a whole recording)."""
    keys = [k for k in read_kaldi_table(fsdd_words / "segments") if k.startswith("george-")]
    return subset(fsdd_words, keys, tmp_path_factory.mktemp("george") / "words")


# ---- the numbers -------------------------------------------------------------------------

def test_frame_ranges_small_numbers():
    #           t:   0       1       2       3       4  ...  centres 0.0125 + 0.01 t
    starts = np.array([0.02, 0.0125, 0.0, 0.03, 0.5, 0.0])
    ends = np.array([0.05, 0.0225, 0.0125, 0.031, 0.6, 1.0])
    first, last = frame_ranges(starts, ends, SHIFT, CENTER, num_frames=10)
    assert first.tolist() == [1, 0, 0, 2, 9, 0]
    assert last.tolist() == [4, 1, 1, 3, 10, 10]
    # [0.02, 0.05) holds centres 0.0225, 0.0325, 0.0425; [0.0125, 0.0225) only t=0 (end
    # excluded); [0, 0.0125) holds none: the frame nearest its midpoint (t=0) is taken;
    # [0.03, 0.031) likewise takes t=2 (centre 0.0325, nearest to 0.0305); a segment past
    # the last frame takes the last frame.
    for s, e, a, b in zip(starts[:2], ends[:2], first, last):
        assert list(range(a, b)) == centred_frames(s, e, 10)


def test_features_equal_direct_kaldi_computation_per_speaker_cmvn(fsdd_feats, fsdd_words):
    """Default: deltas of the raw frames, then mean and variance normalisation of all 39
    dimensions over the speaker's frames (Kamper's recipes)."""
    data = DataDir.load(fsdd_words)
    feats = RandomAccessTable(fsdd_feats.rspecifier)
    keys = [k for k in data.segments if data.utt2spk[k] == "theo"]
    full = {k: kaldi_deltas(direct_frames(data.wav_scp[data.segments[k].recording])) for k in keys}
    speaker_frames = np.concatenate(list(full.values()))
    for key in keys:
        got = feats[key]
        assert got.shape == (len(full[key]), 39)
        np.testing.assert_allclose(got, cmvn(full[key], speaker_frames), rtol=1e-4, atol=2e-4,
                                   err_msg=key)


def test_pre_delta_cmvn_is_kaldi_apply_cmvn_then_add_deltas(george, tmp_path, run_awe):
    rc, _, err = run_awe(["featurize", "--sample-rate", FSDD_RATE, "--cmvn-order", "pre-delta",
                          george, f"ark:{tmp_path / 'f.ark'}"])
    assert rc == 0, err
    got = read_all(f"ark:{tmp_path / 'f.ark'}")
    data = DataDir.load(george)
    raw = {k: direct_frames(data.wav_scp[data.segments[k].recording]) for k in data.segments}
    speaker_frames = np.concatenate(list(raw.values()))
    for key in raw:
        # apply-cmvn (speaker stats over all of george's frames), then add-deltas
        np.testing.assert_allclose(got[key], kaldi_deltas(cmvn(raw[key], speaker_frames)),
                                   rtol=1e-4, atol=2e-4, err_msg=key)
    deltas = np.concatenate(list(got.values()))[:, 13:].std(axis=0)
    assert deltas.max() < 0.5  # why the default normalises after the deltas


def test_per_speaker_cmvn_statistics(fsdd_feats, fsdd_words):
    data = DataDir.load(fsdd_words)
    feats = read_all(fsdd_feats.ark_rspecifier)
    assert len(feats) == 180 and list(feats) == list(data.segments)
    for speaker in ("george", "jackson", "lucas", "nicolas", "theo", "yweweler"):
        keys = [k for k in feats if data.utt2spk[k] == speaker]
        frames = np.concatenate([feats[k] for k in keys]).astype(np.float64)
        # FSDD word segments span whole recordings: these are all the speaker's frames
        n_samples = [soundfile.info(data.wav_scp[data.segments[k].recording]).frames for k in keys]
        assert len(frames) == sum(1 + (n - 200) // 80 for n in n_samples)
        np.testing.assert_allclose(frames.mean(axis=0), 0, atol=1e-4)
        np.testing.assert_allclose(frames.std(axis=0), 1, atol=1e-4)
        assert np.isfinite(frames).all()


def test_frame_log_energy_and_vad_rule_hand_computed():
    # 10 Hz, frames of 0.4 s every 0.2 s: samples [0,4), [2,6), [4,8) (zero past the end)
    samples = np.array([1, 3, 1, 3, 0, 0, 0, 0], dtype=np.float64) / 32768.0
    got = frame_log_energy(samples, 10, 0.2, 0.4, 3)
    # frame 0: mean 2, deviations -1 1 -1 1 -> 4; frame 1: 1 3 0 0, mean 1 -> 0+4+1+1 = 6;
    # frame 2: all zero -> Kaldi's floor, FLT_EPSILON
    np.testing.assert_allclose(got, np.log([4.0, 6.0, np.finfo(np.float32).eps]), rtol=1e-9)
    # voiced: above 5 + 0.5 * mean(0, 10, 20) = 10
    assert EnergyVad().voiced(np.array([0.0, 10.0, 20.0])).tolist() == [False, False, True]
    assert EnergyVad(threshold=-1, mean_scale=0).voiced(np.array([0.0, -2.0])).tolist() == [True, False]


def test_voiced_cmvn_statistics_skip_silence(george, tmp_path, run_awe):
    """--cmvn-frames voiced: statistics over the frames Kaldi's compute-vad rule calls
    voiced (c0 is Kaldi's raw log energy, an independent computation of the same energy);
    a recording without a voiced frame counts all of its frames."""
    data = DataDir.load(george)
    keys = sorted(data.segments)[:6]
    words = tmp_path / "padded"
    (words / "wav").mkdir(parents=True)
    wav_scp, segments, speakers, raw = {}, {}, {}, {}
    for i, key in enumerate(keys + ["george-silence"]):
        if key == "george-silence":
            samples = np.zeros(FSDD_RATE // 10, dtype=np.int16)
        else:
            speech, _ = soundfile.read(data.wav_scp[data.segments[key].recording], dtype="int16")
            silence = np.zeros(FSDD_RATE * 3 // 10, dtype=np.int16)  # digital, as a synthesiser's
            samples = np.concatenate([silence, speech, silence])
        path = words / "wav" / f"{i}.wav"
        soundfile.write(path, samples, FSDD_RATE, subtype="PCM_16")
        wav_scp[key], speakers[key] = str(path), "george"
        segments[key] = Segment(key, 0.0, len(samples) / FSDD_RATE)
        raw[key] = direct_frames(path, samples=samples)
    DataDir(path=words, wav_scp=wav_scp, segments=segments, utt2spk=speakers).save()
    rc, _, err = run_awe(["featurize", "--sample-rate", FSDD_RATE, "--cmvn-frames", "voiced",
                          words, f"ark:{tmp_path / 'f.ark'}"])
    assert rc == 0, err
    got = read_all(f"ark:{tmp_path / 'f.ark'}")
    full = {key: kaldi_deltas(frames) for key, frames in raw.items()}
    voiced = {key: frames[:, 0] > 5.0 + 0.5 * frames[:, 0].mean() for key, frames in raw.items()}
    assert not voiced["george-silence"].any() and 0.3 < np.mean(voiced[keys[0]]) < 0.8
    counted = np.concatenate([full[k][voiced[k]] for k in keys] + [full["george-silence"]])
    for key in full:
        np.testing.assert_allclose(got[key], cmvn(full[key], counted), rtol=1e-4, atol=5e-4,
                                   err_msg=key)
    # against every frame: the silences no longer shrink the speech frames' energy range
    rc, _, err = run_awe(["featurize", "--sample-rate", FSDD_RATE, words, f"ark:{tmp_path / 'a.ark'}"])
    assert rc == 0, err
    every = read_all(f"ark:{tmp_path / 'a.ark'}")
    speech_c0 = [np.concatenate([table[k][voiced[k], 0] for k in keys]).std() for table in (got, every)]
    assert speech_c0[0] > 2 * speech_c0[1], speech_c0  # 0.38 against 0.12


def test_segments_cut_from_whole_recording_frames(fsdd_words, tmp_path, run_awe):
    """Three segments of one recording: the frames of the whole recording (deltas see
    context across segment edges), cut by frame centres; CMVN over that recording."""
    data = DataDir.load(fsdd_words)
    segs = {"george-5-01-0000": data.segments["george-5-01-0000"]}
    rec = segs["george-5-01-0000"].recording
    end = segs["george-5-01-0000"].end
    pieces = {"george-5-01-0000#a": (0.0, 0.15), "george-5-01-0000#b": (0.15, 0.318),
              "george-5-01-0000#c": (0.2, end)}
    segments = {k: Segment(rec, a, b) for k, (a, b) in pieces.items()}
    words = subset(fsdd_words, [], tmp_path / "words", segments=segments)
    rc, _, err = run_awe(["featurize", "--sample-rate", FSDD_RATE, "--cmvn", "utterance",
                          words, f"ark:{tmp_path / 'f.ark'}"])
    assert rc == 0, err
    got = read_all(f"ark:{tmp_path / 'f.ark'}")
    raw = direct_frames(data.wav_scp[rec])
    full = kaldi_deltas(raw)
    whole = cmvn(full, full)
    for key, (a, b) in pieces.items():
        rows = centred_frames(a, b, len(raw))
        assert rows == list(range(rows[0], rows[-1] + 1))
        np.testing.assert_allclose(got[key], whole[rows], rtol=1e-4, atol=2e-4, err_msg=key)
    assert len(got["george-5-01-0000#a"]) == 14  # centres 0.0125 .. 0.1425
    # 'none' gives the raw Kaldi frames
    rc, _, _ = run_awe(["featurize", "--sample-rate", FSDD_RATE, "--cmvn", "none", "--delta-order",
                        "0", words, f"ark:{tmp_path / 'n.ark'}"])
    np.testing.assert_allclose(read_all(f"ark:{tmp_path / 'n.ark'}")["george-5-01-0000#c"],
                               raw[centred_frames(0.2, end, len(raw))], rtol=1e-5, atol=1e-4)


def test_utterance_level_data_dir(fsdd_dir, fsdd_feats, tmp_path, run_awe):
    """Without ``segments`` every recording is one item; FSDD words span whole recordings,
    so the matrices equal the word segments' ones."""
    rc, _, err = run_awe(["featurize", "--sample-rate", FSDD_RATE, fsdd_dir,
                          f"h5:{tmp_path / 'utts.h5'}"])
    assert rc == 0, err
    utts = read_all(f"h5:{tmp_path / 'utts.h5'}")
    words = read_all(fsdd_feats.ark_rspecifier)
    assert [f"{u}-0000" for u in utts] == list(words)
    for utt, mat in utts.items():
        np.testing.assert_array_equal(mat, words[f"{utt}-0000"])


def test_nj2_identical_to_nj1(fsdd_words, fsdd_feats, tmp_path, run_awe):
    ark, scp = tmp_path / "feats.ark", tmp_path / "feats.scp"
    rc, _, err = run_awe(["featurize", "--nj", "2", "--sample-rate", FSDD_RATE, fsdd_words,
                          f"ark,scp:{ark},{scp}"])
    assert rc == 0, err
    assert "wrote 180 feature matrices (39-d)" in err
    assert ark.read_bytes() == fsdd_feats.ark.read_bytes()
    assert scp.read_text().replace(str(ark), "A") == \
        fsdd_feats.scp.read_text().replace(str(fsdd_feats.ark), "A")


@pytest.mark.parametrize("options, dim", [
    (["--type", "fbank"], 23),
    (["--type", "fbank", "--num-mel-bins", "40"], 40),
    (["--type", "fbank", "--num-mel-bins", "40", "--delta-order", "2"], 120),
    (["--delta-order", "0"], 13),
    (["--num-ceps", "20", "--num-mel-bins", "30"], 60),
    (["--delta-order", "1"], 26),
])
def test_feature_type_dims(george, tmp_path, run_awe, options, dim):
    rc, _, err = run_awe(["featurize", "--sample-rate", FSDD_RATE, *options, george,
                          f"h5:{tmp_path / 'f.h5'}"])
    assert rc == 0, err
    assert f"({dim}-d)" in err
    feats = read_all(f"h5:{tmp_path / 'f.h5'}")
    assert len(feats) == 30 and {m.shape[1] for m in feats.values()} == {dim}


def test_fbank_values_equal_direct_kaldi(george, tmp_path, run_awe):
    rc, _, _ = run_awe(["featurize", "--sample-rate", FSDD_RATE, "--type", "fbank",
                        "--num-mel-bins", "40", "--cmvn", "none", george,
                        f"ark:{tmp_path / 'f.ark'}"])
    data = DataDir.load(george)
    key = "george-7-02-0000"
    expected = direct_frames(data.wav_scp[data.segments[key].recording], "fbank", num_bins=40)
    np.testing.assert_allclose(read_all(f"ark:{tmp_path / 'f.ark'}")[key], expected,
                               rtol=1e-5, atol=1e-4)


def test_resampling(george, tmp_path, run_awe):
    rc, out, err = run_awe(["featurize", george, f"ark:{tmp_path / 'f.ark'}"])  # 16 kHz default
    line = one_line_error(rc, out, err)
    assert (f"{george}/wav.scp (key 'george-0-00'): sample rate 8000 Hz differs from "
            "--sample-rate 16000 (add --resample)") in line
    assert not (tmp_path / "f.ark").exists()
    rc, _, err = run_awe(["featurize", "--resample", "--cmvn", "none", "--delta-order", "0",
                          george, f"ark:{tmp_path / 'f.ark'}"])
    assert rc == 0, err
    feats = read_all(f"ark:{tmp_path / 'f.ark'}")
    wav = DataDir.load(george).wav_scp["george-3-00"]
    samples, _ = soundfile.read(wav, dtype="float32")
    upsampled = resample_poly(samples, 2, 1).astype(np.float32) * 32768
    expected = direct_frames(None, rate=16000, samples=upsampled)
    assert len(expected) == 1 + (2 * len(samples) - 400) // 160
    np.testing.assert_allclose(feats["george-3-00-0000"], expected, rtol=1e-4, atol=1e-3)


def test_pipe_entries_in_wav_scp(george, tmp_path, run_awe):
    piped = tmp_path / "piped"
    piped.mkdir()
    for name in ("segments", "utt2spk"):
        (piped / name).write_bytes((george / name).read_bytes())
    wav_scp = read_kaldi_table(george / "wav.scp")
    (piped / "wav.scp").write_text("".join(f"{k} cat {v} |\n" for k, v in wav_scp.items()))
    for d, name in ((george, "direct"), (piped, "piped")):
        rc, _, err = run_awe(["featurize", "--sample-rate", FSDD_RATE, d,
                              f"ark:{tmp_path / (name + '.ark')}"])
        assert rc == 0, err
    assert (tmp_path / "piped.ark").read_bytes() == (tmp_path / "direct.ark").read_bytes()
    lines = (piped / "wav.scp").read_text().splitlines()
    lines[3] = lines[3].split()[0] + " echo oops >&2; exit 4 |"
    (piped / "wav.scp").write_text("\n".join(lines) + "\n")
    rc, out, err = run_awe(["featurize", "--sample-rate", FSDD_RATE, piped,
                            f"ark:{tmp_path / 'bad.ark'}"])
    assert (f"{piped}/wav.scp (key 'george-1-00'): command failed with status 4: oops"
            in one_line_error(rc, out, err))
    assert not (tmp_path / "bad.ark").exists()


def _broken_copy(george: Path, tmp_path: Path, recording: str, entry: str | None = None,
                 segment_end: float | None = None) -> Path:
    broken = tmp_path / "broken"
    broken.mkdir()
    wav_scp = read_kaldi_table(george / "wav.scp")
    if entry is not None:
        wav_scp[recording] = entry
    (broken / "wav.scp").write_text("".join(f"{k} {v}\n" for k, v in wav_scp.items()))
    lines = (george / "segments").read_text().splitlines()
    if segment_end is not None:
        lines = [" ".join(ln.split()[:3] + [f"{segment_end}"]) if ln.split()[1] == recording
                 else ln for ln in lines]
    (broken / "segments").write_text("\n".join(lines) + "\n")
    (broken / "utt2spk").write_bytes((george / "utt2spk").read_bytes())
    return broken


@pytest.mark.parametrize("case", ["missing", "unreadable", "empty", "short"])
@pytest.mark.parametrize("nj", [1, 2])
def test_bad_audio(george, tmp_path, run_awe, case, nj):
    rec = "george-4-01"
    if case == "missing":
        broken = _broken_copy(george, tmp_path, rec, entry=str(tmp_path / "gone.wav"))
        message = f"wav.scp (key '{rec}'): no such audio file '{tmp_path / 'gone.wav'}'"
    elif case == "unreadable":
        (tmp_path / "junk.wav").write_bytes(b"RIFF not really a wav file" * 10)
        broken = _broken_copy(george, tmp_path, rec, entry=str(tmp_path / "junk.wav"))
        message = f"wav.scp (key '{rec}'): cannot read audio '{tmp_path / 'junk.wav'}'"
    elif case == "empty":
        soundfile.write(tmp_path / "empty.wav", np.zeros(0, np.int16), FSDD_RATE)
        broken = _broken_copy(george, tmp_path, rec, entry=str(tmp_path / "empty.wav"))
        message = f"wav.scp (key '{rec}'): audio '{tmp_path / 'empty.wav'}' is empty"
    else:
        duration = soundfile.info(read_kaldi_table(george / "wav.scp")[rec]).duration
        broken = _broken_copy(george, tmp_path, rec, segment_end=round(duration + 0.5, 3))
        message = (f"{broken}/segments (key '{rec}-0000'): ends at {duration + 0.5:.3f} s but "
                   f"recording '{rec}' is only {duration:.3f} s long")
    out = tmp_path / "out"
    out.mkdir()
    rc, stdout, err = run_awe(["featurize", "--nj", nj, "--sample-rate", FSDD_RATE, broken,
                               f"ark,scp:{out / 'f.ark'},{out / 'f.scp'}"])
    assert message in one_line_error(rc, stdout, err)
    assert os.listdir(out) == []  # no partial output, no temporary file


def test_overshoot_within_tolerance_is_accepted(george, tmp_path, run_awe):
    rec = "george-4-01"
    duration = soundfile.info(read_kaldi_table(george / "wav.scp")[rec]).duration
    broken = _broken_copy(george, tmp_path, rec, segment_end=round(duration + 0.05, 3))
    rc, _, err = run_awe(["featurize", "--sample-rate", FSDD_RATE, broken,
                          f"ark:{tmp_path / 'f.ark'}"])
    assert rc == 0, err


def test_output_to_stdout(george, tmp_path, capsysbinary):
    from awetools.cli.main import main

    assert main(["featurize", "--sample-rate", str(FSDD_RATE), str(george),
                 f"ark:{tmp_path / 'f.ark'}"]) == 0
    capsysbinary.readouterr()
    assert main(["featurize", "--sample-rate", str(FSDD_RATE), str(george), "ark:-"]) == 0
    out, err = capsysbinary.readouterr()
    assert out == (tmp_path / "f.ark").read_bytes()
    assert b"wrote 30 feature matrices" in err


def test_unwritable_output(george, tmp_path, run_awe):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    for wspec in (f"ark,scp:{blocker}/f.ark,{tmp_path}/f.scp", f"h5:{blocker}/f.h5",
                  f"ark:{tmp_path}/missing/f.ark", f"ark,scp:{tmp_path}/f.ark,{blocker}/f.scp"):
        rc, out, err = run_awe(["featurize", "--sample-rate", FSDD_RATE, george, wspec])
        line = one_line_error(rc, out, err)
        assert "output directory is not a directory" in line or \
            "output directory does not exist" in line, line
    assert sorted(os.listdir(tmp_path)) == ["file"]


def test_bad_options(george, tmp_path, run_awe):
    rc, _, err = run_awe(["featurize", "--type", "plp", george, f"ark:{tmp_path / 'f.ark'}"])
    assert rc == 2 and "unknown feature type 'plp'" in err
    rc, out, err = run_awe(["featurize", "--sample-rate", FSDD_RATE, "--cmvn", "global", george,
                            f"ark:{tmp_path / 'f.ark'}"])
    assert "unknown CMVN mode 'global'" in one_line_error(rc, out, err)
    rc, out, err = run_awe(["featurize", "--sample-rate", FSDD_RATE, "--cmvn-frames", "speech",
                            george, f"ark:{tmp_path / 'f.ark'}"])
    assert "unknown CMVN frames 'speech' (choose from all, voiced)" in one_line_error(rc, out, err)
    rc, out, err = run_awe(["featurize", "--sample-rate", FSDD_RATE, "--cmvn-frames", "voiced",
                            "--vad-energy-mean-scale", "-0.5", george, f"ark:{tmp_path / 'f.ark'}"])
    assert "VAD energy mean scale must be >= 0, not -0.5" in one_line_error(rc, out, err)
    rc, out, err = run_awe(["featurize", "--sample-rate", FSDD_RATE, "--cmvn-frames", "voiced",
                            "--vad-energy-threshold", "nan", george, f"ark:{tmp_path / 'f.ark'}"])
    assert "VAD energy threshold must be a finite number, not nan" in one_line_error(rc, out, err)
    rc, out, err = run_awe(["featurize", tmp_path / "nodir", f"ark:{tmp_path / 'f.ark'}"])
    assert "no such data directory" in one_line_error(rc, out, err)
    assert list(tmp_path.iterdir()) == []


# ---- Ctrl-C ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def many_recordings(fsdd_dir, tmp_path_factory) -> Path:
    """An utterance data dir of 3,600 recordings (the 180 test wavs 20 times, 120 speakers):
    several seconds of work, written speaker by speaker."""
    out = tmp_path_factory.mktemp("many") / "data"
    out.mkdir()
    wav_scp = read_kaldi_table(fsdd_dir / "wav.scp")
    entries = {}
    for r in range(20):
        for utt, path in wav_scp.items():
            speaker, rest = utt.split("-", 1)
            entries[f"{speaker}{r:02d}-{rest}"] = (path, f"{speaker}{r:02d}")
    DataDir(path=out, wav_scp={k: v[0] for k, v in entries.items()},
            utt2spk={k: v[1] for k, v in entries.items()}).save()
    return out


@pytest.mark.parametrize("nj", [1, 2])
def test_ctrl_c_leaves_old_output_or_none(many_recordings, tmp_path, nj):
    out = tmp_path / "out"
    out.mkdir()
    (out / "feats.ark").write_bytes(b"an older archive")  # kept; no feats.scp existed
    command = [*awe_command(), "featurize", "--nj", str(nj), "--sample-rate", str(FSDD_RATE),
               str(many_recordings), f"ark,scp:{out / 'feats.ark'},{out / 'feats.scp'}"]
    # a session of its own: SIGINT goes to the whole process group, as a terminal's Ctrl-C
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    deadline = time.monotonic() + 60
    started = False
    while time.monotonic() < deadline and proc.poll() is None and not started:
        temporary = [p for p in out.iterdir() if p.name.startswith(".feats.ark.")]
        started = bool(temporary) and temporary[0].stat().st_size > 0  # mid-way
        time.sleep(0.01)
    assert started and proc.poll() is None, "featurize finished before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130  # 128 + SIGINT, as shells report an interrupted command
    assert stdout == b"" and b"Traceback" not in stderr
    assert os.listdir(out) == ["feats.ark"]  # no new scp, no temporary files
    assert (out / "feats.ark").read_bytes() == b"an older archive"
