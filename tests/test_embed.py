"""``awe embed``: model embeddings and the downsampling baseline."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from awetools.io.tables import open_writer, read_matrices, read_vectors, write_vectors
from awetools.models.awe import ModelConfig, build_model
from awetools.models.embed import downsample, embed_matrices, embed_table
from awetools.models.modeldir import CONFIG, WEIGHTS, format_header, load_model, save_weights, write_json
from conftest import awe_subprocess


def _untrained_model(path, seed: int, feat_dim: int = 39, **architecture):
    path.mkdir()
    config = ModelConfig(feat_dim=feat_dim, **architecture)
    torch.manual_seed(seed)
    save_weights(path / WEIGHTS, build_model(config.to_dict()).state_dict())
    write_json(path / CONFIG, {**format_header(), "model": config.to_dict()})
    return path


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """An untrained tiny conv + bidirectional LSTM model for 39-d features."""
    return _untrained_model(tmp_path_factory.mktemp("model") / "m", 0, rnn="lstm",
                            bidirectional=True, conv=True, hidden=12, layers=2, embed_dim=6)


def test_ensemble_averages_the_members_cosines(fsdd_feats, model_dir, tmp_path, run_awe):
    other = _untrained_model(tmp_path / "other", 1, hidden=8, layers=1, embed_dim=4)
    rc, _, err = run_awe(["embed", "--nj", "2", model_dir, other, fsdd_feats.rspecifier,
                          f"h5:{tmp_path}/ens.h5"])
    assert rc == 0, err
    assert f"with {model_dir} + {other}" in err
    keys, vectors = read_vectors(f"h5:{tmp_path}/ens.h5")
    _, mats = read_matrices(fsdd_feats.rspecifier)
    assert vectors.shape == (180, 6 + 4)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)

    def cosines(x):
        x = x / np.linalg.norm(x, axis=1, keepdims=True)
        return x @ x.T

    members = [embed_matrices(load_model(m)[0], mats) for m in (model_dir, other)]
    np.testing.assert_allclose(cosines(vectors), (cosines(members[0]) + cosines(members[1])) / 2,
                               atol=1e-5)
    narrow = _untrained_model(tmp_path / "narrow", 2, feat_dim=13, hidden=8, layers=1, embed_dim=4)
    rc, _, err = run_awe(["embed", model_dir, narrow, fsdd_feats.rspecifier, f"h5:{tmp_path}/bad.h5"])
    assert rc == 1 and len(err.strip().splitlines()) == 1
    assert f"{narrow}: the model takes 13-dim features, {model_dir} 39-dim" in err
    assert not (tmp_path / "bad.h5").exists()


def test_downsample_hand_computed():
    mat = np.array([[0.0, 0.0], [1.0, 2.0], [2.0, 4.0]], dtype=np.float32)
    # positions 0, .5, 1, 1.5, 2 -> interpolate between neighbouring frames
    expected = [0, 0, 0.5, 1, 1, 2, 1.5, 3, 2, 4]
    np.testing.assert_allclose(downsample(mat, 5), expected)
    np.testing.assert_allclose(downsample(mat, 2), [0, 0, 2, 4])
    np.testing.assert_allclose(downsample(mat[:1] + 7, 3), [7, 7, 7, 7, 7, 7])  # one frame


def test_embed_matches_model_forward(fsdd_feats, model_dir, tmp_path, run_awe):
    rc, _, err = run_awe(["embed", "--batch-size", "7", model_dir, fsdd_feats.rspecifier,
                          f"ark,scp:{tmp_path}/e.ark,{tmp_path}/e.scp"])
    assert rc == 0, err
    keys, vectors = read_vectors(f"scp:{tmp_path}/e.scp")
    feat_keys, mats = read_matrices(fsdd_feats.rspecifier)
    assert keys == feat_keys and vectors.shape == (180, 6)
    model, _ = load_model(model_dir)
    with torch.no_grad():
        for i in (0, 17, 179):  # one segment at a time, no batching at all
            alone = model(torch.tensor(mats[i])[None], torch.tensor([len(mats[i])]))[0].numpy()
            np.testing.assert_allclose(vectors[i], alone, atol=1e-5)
    np.testing.assert_allclose(embed_matrices(model, mats, batch_size=180), vectors, atol=1e-5)


def test_embed_pipe(fsdd_feats, model_dir, tmp_path):
    piped = awe_subprocess(["embed", model_dir, "ark:-", "ark:-"], input=fsdd_feats.ark.read_bytes())
    assert piped.returncode == 0, piped.stderr.decode()
    (tmp_path / "p.ark").write_bytes(piped.stdout)
    keys, vectors = read_vectors(f"ark:{tmp_path}/p.ark")
    feat_keys, mats = read_matrices(fsdd_feats.rspecifier)
    assert keys == feat_keys
    np.testing.assert_allclose(vectors, embed_matrices(load_model(model_dir)[0], mats), atol=1e-5)


def test_embed_workers_keep_order(fsdd_feats, model_dir, tmp_path):
    count = embed_table(str(model_dir), fsdd_feats.rspecifier, f"h5:{tmp_path}/w.h5", nj=2, chunk=40)
    keys, vectors = read_vectors(f"h5:{tmp_path}/w.h5")
    feat_keys, mats = read_matrices(fsdd_feats.rspecifier)
    assert count == 180 and keys == feat_keys  # 5 chunks over 2 workers, input order kept
    np.testing.assert_allclose(vectors, embed_matrices(load_model(model_dir)[0], mats), atol=1e-5)


def test_downsample_command(fsdd_feats, tmp_path, run_awe):
    rc, _, err = run_awe(["embed", "--downsample", "4", fsdd_feats.ark_rspecifier, f"ark,t:{tmp_path}/d.txt"])
    assert rc == 0, err
    keys, vectors = read_vectors(f"ark,t:{tmp_path}/d.txt")
    feat_keys, mats = read_matrices(fsdd_feats.rspecifier)
    assert keys == feat_keys and vectors.shape == (180, 4 * 39)
    np.testing.assert_allclose(vectors[7], downsample(mats[7], 4), rtol=1e-5)


def _write(path, mats: dict):
    with open_writer(f"ark:{path}") as writer:
        for key, mat in mats.items():
            writer.write(key, mat)


def test_embed_errors(model_dir, tmp_path, run_awe):
    ok = np.ones((5, 39), dtype=np.float32)
    _write(tmp_path / "dim.ark", {"a-1": ok, "b-2": ok[:, :13]})
    rc, _, err = run_awe(["embed", model_dir, f"ark:{tmp_path}/dim.ark", f"ark:{tmp_path}/o.ark"])
    assert rc == 1
    assert f"key 'b-2' has 13-dim features; the model in {model_dir} expects 39" in err
    assert not (tmp_path / "o.ark").exists()
    _write(tmp_path / "first.ark", {"a-1": ok[:, :13]})
    rc, _, err = run_awe(["embed", model_dir, f"ark:{tmp_path}/first.ark", f"ark:{tmp_path}/o.ark"])
    assert rc == 1 and "key 'a-1' has 13-dim features" in err
    bad = ok.copy()
    bad[2, 3] = np.inf
    _write(tmp_path / "nan.ark", {"a-1": ok, "c-3": bad})
    rc, _, err = run_awe(["embed", "--downsample", "3", f"ark:{tmp_path}/nan.ark", f"ark:{tmp_path}/o.ark"])
    assert rc == 1 and "key 'c-3' contains NaN or Inf" in err
    (tmp_path / "empty.ark").write_bytes(b"")
    rc, _, err = run_awe(["embed", model_dir, f"ark:{tmp_path}/empty.ark", f"ark:{tmp_path}/o.ark"])
    assert rc == 1 and "empty table" in err
    assert not (tmp_path / "o.ark").exists()
    old = tmp_path / "old"
    old.mkdir()
    config = json.loads((model_dir / CONFIG).read_text())
    (old / CONFIG).write_text(json.dumps({**config, "format_version": 0}))
    rc, _, err = run_awe(["embed", old, f"ark:{tmp_path}/dim.ark", f"ark:{tmp_path}/o.ark"])
    assert rc == 1 and "model format version 0" in err
    rc, _, err = run_awe(["embed", f"ark:{tmp_path}/dim.ark", f"ark:{tmp_path}/o.ark"])
    assert rc == 2 and "MODEL_DIR [MODEL_DIR ...] RSPECIFIER WSPECIFIER" in err
    rc, _, err = run_awe(["embed", "--downsample", "3", model_dir, f"ark:{tmp_path}/dim.ark", "ark:o"])
    assert rc == 2 and "--downsample N RSPECIFIER WSPECIFIER" in err


def test_group_mvn_by_hand():
    from awetools.features.segments import group_mvn

    x = np.array([[1.0, 10.0], [3.0, 10.0], [5.0, 0.0], [0.0, 2.0], [4.0, 6.0]])
    out = group_mvn(x, np.array(["a", "a", "a", "b", "b"]))
    # speaker a: mean (3, 20/3), std (sqrt(8/3), sqrt(200/9)); b: mean (2, 4), std (2, 2)
    np.testing.assert_allclose(out[:3, 0], np.array([-2, 0, 2]) / np.sqrt(8 / 3), rtol=1e-6)
    np.testing.assert_allclose(out[3:], [[-1, -1], [1, 1]], rtol=1e-6)
    assert out.dtype == np.float32 and np.isfinite(group_mvn(np.ones((2, 2)), np.zeros(2))).all()


def test_cli_speaker_mvn(tmp_path, run_awe):
    mats = {f"s{i}": np.full((4, 2), float(i), np.float32) + np.arange(4)[:, None] for i in range(4)}
    with open_writer(f"ark:{tmp_path / 'f.ark'}") as out:
        for key, mat in mats.items():
            out.write(key, mat)
    (tmp_path / "utt2spk").write_text("s0 A\ns1 A\ns2 B\ns3 B\n")
    rc, _, err = run_awe(["embed", "--downsample", "2", "--speaker-mvn", tmp_path / "utt2spk",
                          f"ark:{tmp_path / 'f.ark'}", f"h5:{tmp_path / 'o.h5'}"])
    assert rc == 0, err
    keys, x = read_vectors(f"h5:{tmp_path / 'o.h5'}")
    assert keys == ["s0", "s1", "s2", "s3"]
    np.testing.assert_allclose(x, np.repeat([[-1.0], [1.0], [-1.0], [1.0]], 4, axis=1), rtol=1e-6)
    (tmp_path / "part").write_text("s0 A\n")
    rc, _, err = run_awe(["embed", "--downsample", "2", "--speaker-mvn", tmp_path / "part",
                          f"ark:{tmp_path / 'f.ark'}", f"h5:{tmp_path / 'p.h5'}"])
    assert rc == 1 and "part: no speaker for segment 's1'" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "p.h5").exists()


def test_cli_subtract_mean(tmp_path, run_awe):
    """Segment i is segment 0 plus i in every dimension, so less the mean of the 4
    segments it is i - 1.5 in every dimension."""
    with open_writer(f"ark:{tmp_path / 'f.ark'}") as out:
        for i in range(4):
            out.write(f"s{i}", np.full((4, 2), float(i), np.float32) + np.arange(4)[:, None])
    rc, _, err = run_awe(["embed", "--downsample", "2", "--subtract-mean", f"ark:{tmp_path / 'f.ark'}",
                          f"h5:{tmp_path / 'o.h5'}"])
    assert rc == 0 and "less their mean" in err, err
    keys, x = read_vectors(f"h5:{tmp_path / 'o.h5'}")
    assert keys == ["s0", "s1", "s2", "s3"]
    np.testing.assert_allclose(x, np.repeat(np.arange(4.0)[:, None] - 1.5, 4, axis=1), rtol=1e-6)
    (tmp_path / "utt2spk").write_text("s0 A\ns1 A\ns2 B\ns3 B\n")
    rc, _, err = run_awe(["embed", "--downsample", "2", "--subtract-mean", "--speaker-mvn",
                          tmp_path / "utt2spk", f"ark:{tmp_path / 'f.ark'}", f"h5:{tmp_path / 'p.h5'}"])
    assert rc == 2 and "give one of --subtract-mean" in err and not (tmp_path / "p.h5").exists()
    with open_writer(f"ark:{tmp_path / 'one.ark'}") as out:
        out.write("s0", np.ones((4, 2), np.float32))
    rc, _, err = run_awe(["embed", "--downsample", "2", "--subtract-mean", f"ark:{tmp_path / 'one.ark'}",
                          f"h5:{tmp_path / 'p.h5'}"])
    assert rc == 1 and err == (f"awe embed: error: ark:{tmp_path / 'one.ark'}: a single segment is zero less "
                               "its own mean (--subtract-mean-of takes the mean of a larger table)\n")
    assert not (tmp_path / "p.h5").exists()


def test_cli_subtract_mean_of_another_table(tmp_path, run_awe):
    """Segment i is segment 0 plus i in every dimension; less the mean of a reference table
    of vectors 1 and 5 in every dimension (mean 3), segment i of the 2 x 2 downsampling
    lies at segment 0's values plus i - 3."""
    with open_writer(f"ark:{tmp_path / 'f.ark'}") as out:
        for i in range(4):
            out.write(f"s{i}", np.full((4, 2), float(i), np.float32) + np.arange(4)[:, None])
    rc, _, err = run_awe(["embed", "--downsample", "2", f"ark:{tmp_path / 'f.ark'}", f"h5:{tmp_path / 'raw.h5'}"])
    assert rc == 0, err
    _, raw = read_vectors(f"h5:{tmp_path / 'raw.h5'}")
    write_vectors(f"h5:{tmp_path / 'ref.h5'}", ["a", "b"], np.array([[1.0] * 4, [5.0] * 4], np.float32))
    rc, _, err = run_awe(["embed", "--downsample", "2", "--subtract-mean-of", f"h5:{tmp_path / 'ref.h5'}",
                          f"ark:{tmp_path / 'f.ark'}", f"h5:{tmp_path / 'o.h5'}"])
    assert rc == 0 and "less the mean of h5:" in err, err
    np.testing.assert_allclose(read_vectors(f"h5:{tmp_path / 'o.h5'}")[1], raw - 3.0, rtol=1e-6)
    write_vectors(f"h5:{tmp_path / 'ref3.h5'}", ["a"], np.ones((1, 3), np.float32))
    rc, _, err = run_awe(["embed", "--downsample", "2", "--subtract-mean-of", f"h5:{tmp_path / 'ref3.h5'}",
                          f"ark:{tmp_path / 'f.ark'}", f"h5:{tmp_path / 'p.h5'}"])
    assert rc == 1 and err == (f"awe embed: error: h5:{tmp_path / 'ref3.h5'}: vectors of dim 3, but "
                               f"ark:{tmp_path / 'f.ark'}'s are of dim 4 (both must come from the same models)\n")
    assert not (tmp_path / "p.h5").exists()
    rc, _, err = run_awe(["embed", "--downsample", "2", "--subtract-mean-of", f"h5:{tmp_path / 'none.h5'}",
                          f"ark:{tmp_path / 'f.ark'}", f"h5:{tmp_path / 'p.h5'}"])
    assert rc == 1 and err == f"awe embed: error: {tmp_path / 'none.h5'}: no such HDF5 file\n"
    assert not (tmp_path / "p.h5").exists()
    rc, _, err = run_awe(["embed", "--downsample", "2", "--subtract-mean", "--subtract-mean-of",
                          f"h5:{tmp_path / 'ref.h5'}", f"ark:{tmp_path / 'f.ark'}", f"h5:{tmp_path / 'p.h5'}"])
    assert rc == 2 and "give one of --subtract-mean" in err and not (tmp_path / "p.h5").exists()
