"""Encoders, decoders, model configs and model dirs (awetools.models)."""

from __future__ import annotations

import json

import pytest
import torch

from awetools.errors import AweError
from awetools.models.awe import ModelConfig, build_model
from awetools.models.decoders import FrameDecoder, MeaningHead, PhoneDecoder
from awetools.models.embed import pad_batch
from awetools.models.encoder import RNNEncoder, conv_lengths
from awetools.models.modeldir import (CONFIG, FORMAT_VERSION, WEIGHTS, format_header, load_model,
                                      save_weights, write_json)


def random_segments(lengths, dim=5, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return [torch.randn(t, dim, generator=generator) for t in lengths]


@pytest.mark.parametrize("rnn", ["gru", "lstm"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("conv", [False, True])
@pytest.mark.parametrize("pooling", ["last", "mean"])
def test_encoder_shape_and_batch_invariance(rnn, bidirectional, conv, pooling):
    torch.manual_seed(0)
    encoder = RNNEncoder(5, embed_dim=7, rnn=rnn, hidden=6, layers=2,
                         bidirectional=bidirectional, conv=conv, pooling=pooling).eval()
    segments = random_segments([9, 1, 4, 12, 2])
    feats, lengths = pad_batch(segments)
    with torch.no_grad():
        batched = encoder(feats, lengths)
        alone = torch.cat([encoder(s[None], torch.tensor([len(s)])) for s in segments])
    assert batched.shape == (5, 7)
    # padding never leaks in: a segment's vector does not depend on its batch
    torch.testing.assert_close(batched, alone, atol=1e-5, rtol=1e-5)


def test_bidirectional_pools_both_directions_of_last_layer():
    torch.manual_seed(0)
    encoder = RNNEncoder(3, embed_dim=4, hidden=5, layers=2, bidirectional=True).eval()
    x = torch.randn(1, 6, 3)
    with torch.no_grad():
        output, _ = encoder.rnn(x)
        expected = encoder.proj(torch.cat([output[0, -1, :5], output[0, 0, 5:]]))
        torch.testing.assert_close(encoder(x, torch.tensor([6]))[0], expected)


def test_mean_pooling_averages_last_layer_outputs_over_valid_frames():
    torch.manual_seed(0)
    encoder = RNNEncoder(3, embed_dim=4, hidden=5, layers=2, pooling="mean").eval()
    x = torch.randn(1, 6, 3)
    padded = torch.cat([x, torch.full((1, 3, 3), 7.0)], dim=1)  # 3 frames of padding
    with torch.no_grad():
        output, _ = encoder.rnn(x)
        expected = encoder.proj(output[0].sum(dim=0) / 6)
        torch.testing.assert_close(encoder(padded, torch.tensor([6]))[0], expected)


def test_conv_front_end_halves_frames():
    assert conv_lengths(torch.tensor([1, 2, 5, 10, 11])).tolist() == [1, 1, 3, 5, 6]
    encoder = RNNEncoder(5, conv=True)
    assert encoder.conv[0].out_channels == 64
    assert encoder.conv[0].kernel_size == (5,) and encoder.conv[0].stride == (2,)


def test_decoder_shapes():
    embedding = torch.randn(3, 8)
    frames = FrameDecoder(8, 5, hidden=6, layers=2)(embedding, torch.tensor([4, 7, 2]))
    assert frames.shape == (3, 7, 5)
    logits = PhoneDecoder(8, 10)(embedding, steps=6)
    assert logits.shape == (3, 6, 10)
    vectors = MeaningHead(8, 50)(embedding * 100)
    assert vectors.shape == (3, 50) and vectors.abs().max() <= 1.0


def test_build_model_heads_follow_objective():
    assert build_model({"feat_dim": 5}).frame_decoder is None
    cae = build_model({"model": {"feat_dim": 5, "objective": "cae"}})
    assert cae.frame_decoder is not None
    multi = build_model({"feat_dim": 5, "objective": "multitask", "phones": ["a", "b"],
                         "vector_dim": 50})
    assert multi.phone_decoder.out.out_features == 5  # 3 special symbols + 2 phones
    assert multi.meaning_head.linear.out_features == 50


def test_model_config_rejects_bad_values():
    with pytest.raises(AweError, match="unknown keys: colour"):
        ModelConfig.from_dict({"feat_dim": 5, "colour": "red"})
    with pytest.raises(AweError, match="unknown objective 'siamese'"):
        ModelConfig(feat_dim=5, objective="siamese")
    with pytest.raises(AweError, match="unknown rnn"):
        ModelConfig(feat_dim=5, rnn="transformer")
    with pytest.raises(AweError, match="unknown pooling 'max' \\(last or mean\\)"):
        ModelConfig(feat_dim=5, pooling="max")
    with pytest.raises(AweError, match="projection head units must be >= 0, not -1"):
        ModelConfig(feat_dim=5, projection_head=-1)
    with pytest.raises(AweError, match="serves the contrastive and triplet objectives, not cae"):
        ModelConfig(feat_dim=5, objective="cae", projection_head=8)
    # model dirs written before --pooling existed read as the last state
    assert ModelConfig.from_dict({"feat_dim": 5}).pooling == "last"


def write_model_dir(path, config: ModelConfig, seed=0):
    torch.manual_seed(seed)
    model = build_model(config.to_dict())
    path.mkdir()
    write_json(path / CONFIG, {**format_header(), "model": config.to_dict()})
    save_weights(path / WEIGHTS, model.state_dict())
    return model


def test_model_dir_round_trip_weights_only(tmp_path):
    model = write_model_dir(tmp_path / "m", ModelConfig(feat_dim=5, hidden=6, embed_dim=4))
    state = torch.load(tmp_path / "m" / WEIGHTS, weights_only=True)  # no code runs
    assert set(state) == set(model.state_dict())
    loaded, config = load_model(tmp_path / "m")
    assert config["model"]["embed_dim"] == 4 and not loaded.training
    feats, lengths = pad_batch(random_segments([3, 8]))
    with torch.no_grad():
        torch.testing.assert_close(loaded(feats, lengths), model.eval()(feats, lengths))


def test_model_dir_errors(tmp_path):
    write_model_dir(tmp_path / "m", ModelConfig(feat_dim=5))
    config = json.loads((tmp_path / "m" / CONFIG).read_text())
    config["format_version"] = FORMAT_VERSION + 1
    config["awetools_version"] = "9.9"
    (tmp_path / "m" / CONFIG).write_text(json.dumps(config))
    with pytest.raises(AweError, match=r"format version 2 \(written by awetools 9.9\); .* reads version 1"):
        load_model(tmp_path / "m")
    with pytest.raises(AweError, match="not a model directory"):
        load_model(tmp_path)
    (tmp_path / "x").mkdir()
    write_json(tmp_path / "x" / CONFIG, {**format_header(), "model": {"feat_dim": 5}})
    save_weights(tmp_path / "x" / WEIGHTS, {"bogus": torch.zeros(2)})
    with pytest.raises(AweError, match="weights do not match config.json"):
        load_model(tmp_path / "x")
    (tmp_path / "x" / WEIGHTS).write_bytes(b"not a torch file")
    with pytest.raises(AweError, match="not a loadable weights file"):
        load_model(tmp_path / "x")


class _Exploit:
    """Unpickling this would create a file: what a malicious model.pt could do."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickled_code_is_refused(tmp_path):
    """A weights file that would run code when unpickled is refused, not executed."""
    write_model_dir(tmp_path / "m", ModelConfig(feat_dim=5))
    marker = tmp_path / "pwned"
    torch.save({"payload": _Exploit(marker)}, tmp_path / "m" / WEIGHTS)
    with pytest.raises(AweError, match="not a loadable weights file"):
        load_model(tmp_path / "m")
    assert not marker.exists()
