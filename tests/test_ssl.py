"""``awe featurize --type ssl``: tiny randomly initialised wav2vec2 / XLS-R-style / HuBERT /
WavLM checkpoints saved to disk and run on real FSDD speech: the frame rule, layer
indexing against transformers' own hidden states, segment alignment, chunking, batching,
determinism, bad checkpoints and the missing-``transformers`` hint."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch
import transformers

from awetools.errors import AweError
from awetools.features.ssl import (INSTALL_HINT, SslConfig, SslFeatures, chunk_windows,
                                   conv_frames, conv_geometry, parse_layers, require_transformers,
                                   zero_mean_unit_var)
from awetools.io.audio import resample
from awetools.io.datadir import DataDir, Segment, read_kaldi_table
from awetools.io.tables import open_reader
from conftest import FSDD_RATE, FSDD_RECORDINGS

RATE = 16000
SHIFT, CENTER = 0.020, 0.0125  # 320-sample hop; 400-sample receptive field centred 200 in
TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
            conv_dim=(16,) * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2)
ARCHITECTURES = {  # name -> (config class, extra options)
    "wav2vec2": (transformers.Wav2Vec2Config, {}),  # group-norm CNN, post-LN (wav2vec2-base)
    "xlsr": (transformers.Wav2Vec2Config, {"feat_extract_norm": "layer",  # XLS-R / large
                                           "do_stable_layer_norm": True}),
    "hubert": (transformers.HubertConfig, {}),
    "wavlm": (transformers.WavLMConfig, {"num_buckets": 16, "max_bucket_distance": 50}),
}


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny models gain nothing from threads, and on a busy machine lose much to them."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    """One tiny checkpoint dir per architecture (about 30k parameters each)."""
    root = tmp_path_factory.mktemp("ssl_models")
    transformers.utils.logging.disable_progress_bar()
    out = {}
    for seed, (name, (config_class, extra)) in enumerate(ARCHITECTURES.items()):
        torch.manual_seed(seed)
        model = transformers.AutoModel.from_config(config_class(**TINY, **extra))
        model.save_pretrained(root / name)
        out[name] = root / name
    # the XLS-R-like model says in its preprocessor config not to normalise the waveform
    (out["xlsr"] / "preprocessor_config.json").write_text(json.dumps(
        {"feature_extractor_type": "Wav2Vec2FeatureExtractor", "do_normalize": False,
         "sampling_rate": RATE, "feature_size": 1, "padding_value": 0.0}))
    return out


def fsdd_wavs(speaker: str) -> list[Path]:
    return sorted(FSDD_RECORDINGS.glob(f"*_{speaker}_*.wav"))


def read16k(path: Path) -> np.ndarray:
    samples, rate = soundfile.read(path, dtype="float32")
    return resample(samples, rate, RATE)


@pytest.fixture(scope="module")
def words(tmp_path_factory) -> Path:
    """Two speakers' first 12 FSDD files (8 kHz), one word segment each (the whole file)."""
    out = tmp_path_factory.mktemp("ssl_words") / "words"
    data = DataDir(path=out)
    for speaker in ("george", "theo"):
        for wav in fsdd_wavs(speaker)[:12]:
            digit, _, index = wav.stem.split("_")
            utt = f"{speaker}-{digit}-{int(index):02d}"
            data.wav_scp[utt] = str(wav)
            data.segments[f"{utt}-0000"] = Segment(utt, 0.0, round(soundfile.info(wav).duration, 3))
            data.utt2spk[f"{utt}-0000"] = speaker
    data.save()
    return out


@pytest.fixture(scope="module")
def long_audio(tmp_path_factory) -> tuple[Path, Path]:
    """Per-speaker concatenations of FSDD files (8 kHz, 0.1 s pauses, ~14 s each) as an
    utterance data dir, and a word-segment data dir cut from them at the word times."""
    root = tmp_path_factory.mktemp("ssl_long")
    utts, words = DataDir(path=root / "utts"), DataDir(path=root / "words")
    for speaker in ("george", "jackson"):
        pieces, position = [], 0
        for n, wav in enumerate(fsdd_wavs(speaker)):
            samples, _ = soundfile.read(wav, dtype="int16")
            key = f"{speaker}-long-{n:04d}"
            words.segments[key] = Segment(f"{speaker}-long", position / FSDD_RATE,
                                          (position + len(samples)) / FSDD_RATE)
            words.utt2spk[key] = speaker
            pieces += [samples, np.zeros(FSDD_RATE // 10, np.int16)]
            position += len(samples) + FSDD_RATE // 10
        path = root / f"{speaker}-long.wav"
        soundfile.write(path, np.concatenate(pieces), FSDD_RATE, subtype="PCM_16")
        utts.wav_scp[f"{speaker}-long"] = words.wav_scp[f"{speaker}-long"] = str(path)
        utts.utt2spk[f"{speaker}-long"] = speaker
    utts.save()
    words.save()
    return root / "utts", root / "words"


def featurize(run_awe, model: Path, data: Path, out: Path, *options) -> dict[str, np.ndarray]:
    rc, stdout, err = run_awe(["featurize", "--type", "ssl", "--model", model, "--resample",
                               "--device", "cpu", *options, data, f"ark:{out}"])
    assert rc == 0, err
    assert stdout == ""
    return dict(open_reader(f"ark:{out}"))


def one_line_error(rc: int, out: str, err: str) -> str:
    assert rc == 1 and out == "", err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("awe featurize: error: "), err
    return lines[0]


# ---- the frame rule ----------------------------------------------------------------------

def test_conv_geometry_and_frame_count():
    kernels, strides = (10, 3, 3, 3, 3, 2, 2), (5, 2, 2, 2, 2, 2, 2)
    assert conv_geometry(kernels, strides) == (400, 320)
    n = np.arange(0, 5000)
    expected = np.where(n >= 400, (n - 400) // 320 + 1, 0)
    assert [conv_frames(int(k), kernels, strides) for k in n] == expected.tolist()
    assert conv_frames(16000, kernels, strides) == 49  # 1 s -> 49 frames
    assert conv_geometry((3,), (1,)) == (3, 1)
    assert conv_geometry((10, 3), (5, 2)) == (20, 10)  # 10 + (3-1)*5


def test_extractor_geometry_from_config(models):
    extractor = SslFeatures(SslConfig(model=str(models["wavlm"]), layers=(1, 1), device="cpu"))
    assert (extractor.receptive_field, extractor.hop) == (400, 320)
    assert (extractor.frame_shift, extractor.frame_center) == (SHIFT, CENTER)
    assert extractor.sample_rate == RATE and extractor.dim == extractor.static_dim == 32


def test_frame_t_covers_samples_320t_to_320t_plus_400(models):
    """Changing sample i changes exactly the CNN frames t with 320t <= i < 320t + 400."""
    extractor = SslFeatures(SslConfig(model=str(models["xlsr"]), layers=(1, 1), device="cpu"))
    cnn = extractor.model().feature_extractor
    samples = torch.from_numpy(read16k(fsdd_wavs("theo")[0])[None])
    with torch.inference_mode():
        base = cnn(samples)[0]
        frames = base.shape[1]
        assert frames == (samples.shape[1] - 400) // 320 + 1
        for i in (0, 319, 320, 399, 400, 640, 1000, 320 * (frames - 1) + 399):
            bumped = samples.clone()
            bumped[0, i] += 0.5
            changed = (cnn(bumped)[0] - base).abs().amax(dim=0) > 0
            expected = [t for t in range(frames) if 320 * t <= i < 320 * t + 400]
            assert torch.nonzero(changed).flatten().tolist() == expected, i


def test_chunk_windows():
    plan = chunk_windows(23, core=10, context=3)
    assert plan.tolist() == [[0, 0, 10, 13], [7, 10, 20, 23], [17, 20, 23, 23]]
    assert chunk_windows(5, core=10, context=3).tolist() == [[0, 0, 5, 5]]
    assert chunk_windows(0, core=10, context=3).shape == (0, 4)


def test_parse_layers():
    assert parse_layers("7") == (7, 7)
    assert parse_layers("6-8") == (6, 8)
    for bad in ("", "x", "8-6", "-1", "1-2-3", "1.5"):
        with pytest.raises(ValueError):
            parse_layers(bad)


# ---- the numbers against transformers itself ---------------------------------------------

@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_layers_equal_transformers_hidden_states(models, name):
    """Layer N is hidden_states[N] of the unmodified model on the (normalised, unless the
    preprocessor config says not to) waveform; A-B is their mean."""
    samples = read16k(fsdd_wavs("george")[3])
    model = transformers.AutoModel.from_pretrained(models[name], local_files_only=True).eval()
    inputs = samples if name == "xlsr" else zero_mean_unit_var(samples)
    with torch.inference_mode():
        hidden = model(torch.from_numpy(inputs)[None], output_hidden_states=True).hidden_states
    assert len(hidden) == 3
    for layers in ((0, 0), (2, 2), (1, 2)):
        got = SslFeatures(SslConfig(model=str(models[name]), layers=layers, device="cpu"))(samples)
        expected = torch.stack(hidden[layers[0]:layers[1] + 1]).mean(0)[0].numpy()
        assert got.shape == expected.shape == ((len(samples) - 400) // 320 + 1, 32)
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5, err_msg=str(layers))


def test_normalisation_follows_preprocessor_config(models):
    samples = read16k(fsdd_wavs("george")[3])
    reference = transformers.Wav2Vec2FeatureExtractor(do_normalize=True)
    np.testing.assert_allclose(zero_mean_unit_var(samples),
                               reference(samples, sampling_rate=RATE).input_values[0],
                               rtol=1e-5, atol=1e-5)
    raw = SslFeatures(SslConfig(model=str(models["xlsr"]), layers=(2, 2), device="cpu"))
    assert not raw.checkpoint.do_normalize
    scaled = raw(samples * 3.0)  # not normalised: the output sees the gain
    assert np.abs(scaled - raw(samples)).max() > 1e-3
    normalised = SslFeatures(SslConfig(model=str(models["wav2vec2"]), layers=(2, 2), device="cpu"))
    assert normalised.checkpoint.do_normalize  # no preprocessor_config.json: the default
    np.testing.assert_allclose(normalised(samples * 3.0), normalised(samples), atol=1e-4)


# ---- chunking and batching ---------------------------------------------------------------

@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_chunked_equals_unchunked(models, long_audio, name):
    """14 s of real speech in 4 s chunks (+1 s context) vs at once: same frame count; CNN
    frames exact (group-norm statistics of the whole recording), attention nearly so."""
    wav = read_kaldi_table(long_audio[0] / "wav.scp")["george-long"]
    samples = read16k(Path(wav))
    whole = SslFeatures(SslConfig(model=str(models[name]), layers=(1, 2), device="cpu",
                                  chunk_seconds=0))(samples)
    chunked = SslFeatures(SslConfig(model=str(models[name]), layers=(1, 2), device="cpu",
                                    chunk_seconds=4, chunk_overlap=1))(samples)
    assert len(samples) > 13 * RATE
    assert chunked.shape == whole.shape == ((len(samples) - 400) // 320 + 1, 32)
    error = np.linalg.norm(chunked - whole) / np.linalg.norm(whole)
    assert error < 5e-3, error
    assert np.abs(chunked - whole).max() < 2e-2
    # no context at all is visibly worse than 1 s of it, so the context is being used
    blind = SslFeatures(SslConfig(model=str(models[name]), layers=(1, 2), device="cpu",
                                  chunk_seconds=4, chunk_overlap=0))(samples)
    assert np.linalg.norm(blind - whole) > np.linalg.norm(chunked - whole)


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_batched_recordings_equal_one_by_one(models, name):
    """Short recordings of different lengths padded into shared forward passes give the
    frames each gives alone (group-norm models included)."""
    waves = [read16k(p) for p in fsdd_wavs("jackson")[:8]]
    assert len({len(w) for w in waves}) == 8
    extractor = SslFeatures(SslConfig(model=str(models[name]), layers=(0, 2), device="cpu",
                                      batch_seconds=3))
    batched = list(extractor.extract_many(iter(waves)))
    assert len(batched) == 8
    for wave, frames in zip(waves, batched):
        np.testing.assert_allclose(frames, extractor(wave), rtol=1e-4, atol=1e-4)


# ---- through the command line -------------------------------------------------------------

@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_cli_shapes(models, words, tmp_path, run_awe, name):
    feats = featurize(run_awe, models[name], words, tmp_path / "f.ark", "--layer", "1-2",
                      "--cmvn", "none")
    data = DataDir.load(words)
    assert list(feats) == list(data.segments)
    for key, matrix in feats.items():
        samples = soundfile.info(data.wav_scp[data.segments[key].recording]).frames * 2
        assert matrix.shape == ((samples - 400) // 320 + 1, 32), key
        assert matrix.dtype == np.float32 and np.isfinite(matrix).all()


def test_segments_take_the_frames_centred_inside_them(models, long_audio, tmp_path, run_awe):
    """Word segments cut from 14 s recordings are the rows of the recordings' own frames
    whose centres 12.5 ms + 20 ms * t lie inside them."""
    utts, words = long_audio
    whole = featurize(run_awe, models["hubert"], utts, tmp_path / "u.ark", "--layer", "2",
                      "--cmvn", "none")
    cut = featurize(run_awe, models["hubert"], words, tmp_path / "w.ark", "--layer", "2",
                    "--cmvn", "none")
    segments = read_kaldi_table(words / "segments")
    assert list(cut) == list(segments) and len(cut) == 60
    for key, line in segments.items():
        recording, start, end = line.split()
        frames = whole[recording]
        rows = [t for t in range(len(frames)) if float(start) <= CENTER + SHIFT * t < float(end)]
        assert rows == list(range(rows[0], rows[-1] + 1))
        np.testing.assert_array_equal(cut[key], frames[rows], err_msg=key)


def test_cmvn_and_determinism(models, words, tmp_path, run_awe):
    first = featurize(run_awe, models["wavlm"], words, tmp_path / "a.ark", "--layer", "2")
    again = featurize(run_awe, models["wavlm"], words, tmp_path / "b.ark", "--layer", "2")
    assert (tmp_path / "a.ark").read_bytes() == (tmp_path / "b.ark").read_bytes()
    data = DataDir.load(words)
    for speaker in ("george", "theo"):
        frames = np.concatenate([m for k, m in first.items() if data.utt2spk[k] == speaker])
        np.testing.assert_allclose(frames.mean(axis=0), 0, atol=1e-4)
        np.testing.assert_allclose(frames.std(axis=0), 1, atol=1e-3)
    parallel = featurize(run_awe, models["wavlm"], words, tmp_path / "c.ark", "--layer", "2",
                         "--nj", "2")
    for key, matrix in again.items():
        np.testing.assert_allclose(parallel[key], matrix, rtol=1e-4, atol=1e-4)


# ---- errors ------------------------------------------------------------------------------

def checkpoint_copy(models: Path, tmp_path: Path, drop: str | None = None,
                    config: dict | None = None, weights: bytes | None = None) -> Path:
    out = tmp_path / "ckpt"
    out.mkdir()
    for name in ("config.json", "model.safetensors"):
        if name != drop:
            (out / name).write_bytes((models / name).read_bytes())
    if config is not None:
        (out / "config.json").write_text(json.dumps(config))
    if weights is not None:
        (out / "model.safetensors").write_bytes(weights)
    return out


def test_bad_checkpoints(models, words, tmp_path, run_awe):
    source = models["wav2vec2"]
    config = json.loads((source / "config.json").read_text())
    fairseq = tmp_path / "checkpoint_best.pt"
    fairseq.write_bytes(b"not a directory")
    cases = [
        (tmp_path / "missing", f"--model {tmp_path / 'missing'}: no such checkpoint directory"),
        (fairseq, "is a file; a Hugging Face checkpoint directory (config.json + weights) is "
                  "needed (fairseq checkpoints are not supported"),
        (lambda: checkpoint_copy(source, tmp_path, drop="config.json"),
         "ckpt: no config.json (not a Hugging Face checkpoint directory)"),
        (lambda: checkpoint_copy(source, tmp_path, config={**config, "model_type": "bert"}),
         "ckpt/config.json: model_type 'bert' is not supported (choose from wav2vec2, hubert, "
         "wavlm)"),
        (lambda: checkpoint_copy(source, tmp_path, drop="model.safetensors"),
         "ckpt: no weights (model.safetensors or model.safetensors.index.json or "
         "pytorch_model.bin or pytorch_model.bin.index.json)"),
        (lambda: checkpoint_copy(source, tmp_path, weights=b"\x00" * 100),
         "ckpt: cannot load the checkpoint ("),
    ]
    for model, message in cases:
        if callable(model):
            model = model()
        rc, out, err = run_awe(["featurize", "--type", "ssl", "--model", model, "--layer", "1",
                                "--resample", words, f"ark:{tmp_path / 'f.ark'}"])
        assert message in one_line_error(rc, out, err), (message, err)
        assert not (tmp_path / "f.ark").exists()
        if model.name == "ckpt":
            for child in model.iterdir():
                child.unlink()
            model.rmdir()
    checkpoint = checkpoint_copy(source, tmp_path)
    (checkpoint / "config.json").write_text("{")
    with pytest.raises(AweError, match="ckpt/config.json: cannot read JSON"):
        SslFeatures(SslConfig(model=str(checkpoint), layers=(1, 1)))


def test_bad_options(models, words, tmp_path, run_awe):
    model = models["hubert"]
    out = f"ark:{tmp_path / 'f.ark'}"
    usage = [
        (["--type", "ssl", "--layer", "1"], "--type ssl needs --model PATH and --layer N"),
        (["--type", "ssl", "--model", model], "--type ssl needs --model PATH and --layer N"),
        (["--type", "ssl", "--model", model, "--layer", "2-1"], "layer range '2-1' is empty"),
        (["--type", "mfcc", "--model", model], "--model and --layer go with --type ssl"),
        (["--type", "ssl", "--model", model, "--layer", "1", "--sample-rate", "8000"],
         "8000 Hz, but the model expects 16000 Hz"),
    ]
    for options, message in usage:
        rc, _, err = run_awe(["featurize", *options, words, out])
        assert rc == 2 and message in err, err
    errors = [
        (["--layer", "3"], f"--layer 3: {model}/config.json has num_hidden_layers 2 "
                           "(layers 0 to 2)"),
        (["--layer", "1", "--device", "tpu"], "unknown device 'tpu'"),
        (["--layer", "1", "--chunk-overlap", "-1"], "--chunk-overlap -1.0: must be >= 0"),
    ]
    for options, message in errors:
        rc, stdout, err = run_awe(["featurize", "--type", "ssl", "--model", model, *options,
                                   words, out])
        assert message in one_line_error(rc, stdout, err)
    rc, stdout, err = run_awe(["featurize", "--type", "ssl", "--model", model, "--layer", "1",
                               words, out])  # 8 kHz audio without --resample
    assert "sample rate 8000 Hz differs from --sample-rate 16000 (add --resample)" in \
        one_line_error(rc, stdout, err)
    assert list(tmp_path.iterdir()) == []


def test_missing_transformers_gives_install_hint(models, words, tmp_path, run_awe, monkeypatch):
    monkeypatch.setitem(sys.modules, "transformers", None)  # `import transformers` fails
    with pytest.raises(AweError) as error:
        require_transformers()
    assert str(error.value) == INSTALL_HINT
    rc, out, err = run_awe(["featurize", "--type", "ssl", "--model", models["hubert"], "--layer",
                            "1", "--resample", words, f"ark:{tmp_path / 'f.ark'}"])
    assert one_line_error(rc, out, err) == (
        "awe featurize: error: --type ssl needs the Hugging Face 'transformers' package: "
        "pip install 'awetools[ssl]'")


def test_toolkit_does_not_import_transformers():
    """Every library and CLI module (all subcommands) imports without pulling in
    transformers."""
    code = (
        "import importlib, pkgutil, sys\n"
        "import awetools, awetools.cli.main\n"
        "for info in pkgutil.walk_packages(awetools.__path__, 'awetools.'):\n"
        "    if not info.name.endswith('__main__'):  # that one runs the CLI\n"
        "        importlib.import_module(info.name)\n"
        "print(sorted(k for k in sys.modules if k.split('.')[0] == 'transformers'))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
