"""Training: losses, batching, data checks, and ``awe train-phonetic`` end to end."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from awetools.errors import AweError
from awetools.io.datadir import DataDir, read_kaldi_table
from awetools.io.tables import open_writer, read_matrices, read_vectors
from awetools.models.modeldir import load_model
from awetools.train.batching import epoch_batches, pair_groups, shard
from awetools.train.data import Caps, SetSpec, select_tokens, set_names, set_specs
from awetools.train.losses import masked_mse, nt_xent, phone_cross_entropy, triplet
from awetools.train.loop import LoopOptions, LoopState, weight_average
from awetools.models.awe import build_model
from awetools.models.embed import pad_batch
from awetools.train.objectives import LossOptions, TrainTensors, batch_loss, partners
from awetools.train.phonetic import PhoneticTraining, flat_differences, train_phonetic
from conftest import awe_torchrun, torchrun_errors

TRAIN_SPEAKERS = ("george", "jackson", "lucas", "nicolas")
TINY = ["--layers", "1", "--hidden", "16", "--embed-dim", "8", "--num-threads", "1"]


# ---------------------------------------------------------------- losses


def test_nt_xent_hand_computed():
    z = torch.tensor([[1.0, 0.0], [2.0, 0.0], [0.0, 3.0]])  # tokens 0, 1 same word
    labels = torch.tensor([5, 5, 7])
    # pair (0,1) and (1,0): cos = 1 to each other, 0 to token 2; token 2 has no positive
    assert nt_xent(z, labels, temperature=1.0).item() == pytest.approx(math.log(1 + math.exp(-1)))
    assert nt_xent(z, labels, temperature=0.5).item() == pytest.approx(math.log(1 + math.exp(-2)))


def test_nt_xent_averages_all_ordered_positive_pairs():
    torch.manual_seed(0)
    z = torch.randn(6, 3)
    labels = torch.tensor([0, 0, 0, 1, 1, 2])
    zn = torch.nn.functional.normalize(z, dim=1)
    terms = []
    for i in range(6):
        denominator = sum(math.exp(float(zn[i] @ zn[k]) / 0.1) for k in range(6) if k != i)
        for j in range(6):
            if j != i and labels[i] == labels[j]:
                terms.append(-math.log(math.exp(float(zn[i] @ zn[j]) / 0.1) / denominator))
    assert len(terms) == 8  # 3*2 ordered pairs of word 0 + 2 of word 1
    assert nt_xent(z, labels, 0.1).item() == pytest.approx(sum(terms) / len(terms), rel=1e-5)


def test_triplet_negatives_hand_computed():
    z = torch.tensor([[1.0, 0.0], [0.6, 0.8], [0.8, 0.6], [0.0, 1.0]])
    labels = torch.tensor([0, 0, 1, 1])
    # cosine distances: d01 = .4, d02 = .2, d03 = 1, d12 = .04, d13 = .2, d23 = .4
    # hardest: anchor 0: .4 + .4 - .2 = .6; anchor 1: .4 + .4 - .04 = .76; 2: .76; 3: .6
    assert triplet(z, labels, 0.4, "hardest").item() == pytest.approx(0.68, abs=1e-6)
    # a margin this small leaves only anchors whose hardest negative beats the positive
    assert triplet(z, labels, 0.0, "hardest").item() == pytest.approx((0.2 + 0.36 + 0.36 + 0.2) / 4)
    # semi-hard: anchor 0's negatives are at .2 and 1, the closest beyond d01 = .4 is 1:
    # .4 + .4 - 1 < 0; anchor 3 likewise (1 beyond .4); anchors 1 and 2 have no negative
    # beyond .4 (.04, .2) and fall back to the hardest: .76 each
    assert triplet(z, labels, 0.4).item() == pytest.approx((0 + 0.76 + 0.76 + 0) / 4, abs=1e-6)
    assert triplet(z, labels, 0.0).item() == pytest.approx((0.36 + 0.36) / 4, abs=1e-6)


def test_unknown_triplet_negatives_are_refused():
    with pytest.raises(ValueError, match="'easy'"):
        triplet(torch.randn(2, 2), torch.tensor([0, 0]), negatives="easy")
    with pytest.raises(AweError, match="unknown triplet negatives 'easy'"):
        LossOptions(objective="triplet", triplet_negatives="easy")


def test_losses_without_positives_are_zero_with_gradient():
    z = torch.randn(3, 4, requires_grad=True)
    for loss in (nt_xent(z, torch.tensor([0, 1, 2])), triplet(z, torch.tensor([0, 1, 2]))):
        assert loss.item() == 0.0
        loss.backward()


def test_masked_mse_and_phone_cross_entropy():
    predicted = torch.zeros(2, 3, 1)
    target = torch.tensor([[[1.0], [2.0], [9.0]], [[3.0], [9.0], [9.0]]])
    assert masked_mse(predicted, target, torch.tensor([2, 1])).item() == pytest.approx((1 + 4 + 9) / 3)
    logits = torch.log(torch.tensor([[[0.5, 0.25, 0.25], [0.1, 0.1, 0.8]]]))
    # symbol 0 is padding: only the first step (target 1, p = .25) counts
    assert phone_cross_entropy(logits, torch.tensor([[1, 0]])).item() == pytest.approx(math.log(4))


# ---------------------------------------------------------------- batching and data


@pytest.mark.parametrize("objective", ["contrastive", "triplet"])
def test_projection_head_is_what_the_loss_compares(objective):
    torch.manual_seed(0)
    model = build_model({"feat_dim": 3, "objective": objective, "hidden": 4, "layers": 1,
                         "embed_dim": 5, "projection_head": 6})
    feats = [torch.randn(t, 3) for t in (4, 2, 5, 3)]
    labels = np.array([0, 0, 1, 1])
    data = TrainTensors(feats, labels)
    loss = batch_loss(model, data, np.arange(4), LossOptions(objective), torch.device("cpu"))
    embeddings = model(*pad_batch(feats))  # the embedding is the encoder's, before the head
    torch.testing.assert_close(embeddings, model.encoder(*pad_batch(feats)))
    compared = model.projection_head(embeddings)
    expected = (nt_xent(compared, torch.as_tensor(labels)) if objective == "contrastive"
                else triplet(compared, torch.as_tensor(labels)))
    torch.testing.assert_close(loss, expected)
    loss.backward()  # the head trains with the encoder
    assert model.projection_head[0].weight.grad.abs().sum() > 0
    assert build_model({"feat_dim": 3}).projection_head is None


def test_pair_groups_cover_every_token_with_same_word_groups():
    labels = np.array([3, 3, 3, 1, 1, 2, 4, 4, 4, 4, 4])
    group = pair_groups(labels, np.random.default_rng(1))
    for g in np.unique(group):
        members = labels[group == g]
        assert len(set(members)) == 1
        assert len(members) in (2, 3) or (len(members) == 1 and members[0] == 2)
    assert sorted(np.bincount(group).tolist()) == [1, 2, 2, 3, 3]  # 5 tokens of word 4: 2 + 3


def test_epoch_batches_keep_groups_and_repeat_with_seed():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 30, size=400)
    lengths = 10 + 3 * labels + rng.integers(0, 4, size=400)  # a word's tokens: similar lengths
    batches = epoch_batches(labels, lengths, 32, seed=3, epoch=2, group_size=2)
    assert sorted(np.concatenate(batches).tolist()) == list(range(400))
    for batch in batches:  # every token that has a partner finds it in its batch
        counts = np.bincount(labels[batch], minlength=30)
        solo = [t for t in batch if counts[labels[t]] == 1]
        assert all(np.sum(labels == labels[t]) == 1 for t in solo)
    again = epoch_batches(labels, lengths, 32, seed=3, epoch=2, group_size=2)
    assert all(np.array_equal(a, b) for a, b in zip(batches, again))
    other = epoch_batches(labels, lengths, 32, seed=3, epoch=3, group_size=2)
    assert not all(np.array_equal(a, b) for a, b in zip(batches, other))
    # length bucketing: within-batch length spread well below the global spread
    assert np.mean([np.ptp(lengths[b]) for b in batches]) < 0.5 * np.ptp(lengths)
    assert len(shard(batches, 1, 2)) == len(batches) // 2


def test_partners_are_same_word_others():
    labels = np.array([4, 1, 4, 4, 2, 1])
    p = partners(labels)
    assert (labels[p] == labels).all()
    assert p[4] == 4 and all(p[i] != i for i in (0, 1, 2, 3, 5))
    assert sorted(p[[0, 2, 3]].tolist()) == [0, 2, 3]  # a cycle over the word's tokens


def test_set_names_and_caps():
    assert set_names(["data/de/train_words", "data/fr/train_words"]) == ["de", "fr"]
    assert set_names(["exp/a"]) == ["a"]
    with pytest.raises(AweError, match="given twice"):
        set_names(["data/x", "data/./x"])
    text = {"s1": "a", "s2": "a", "s3": "a", "s4": "b", "s5": "b", "s6": "c"}
    rng = np.random.default_rng(0)
    assert select_tokens(text, Caps(min_tokens=2), rng) == ["s1", "s2", "s3", "s4", "s5"]
    assert select_tokens(text, Caps(max_types=1), rng) == ["s1", "s2", "s3"]
    kept = select_tokens(text, Caps(max_tokens=2, min_tokens=2), rng)
    assert len(kept) == 4 and {"s4", "s5"} <= set(kept)


def test_plateau_bookkeeping():
    state = LoopState(lr=1.0)
    options = LoopOptions(lr_patience=2, patience=3)
    aps = [0.5, 0.6, 0.6, 0.55, 0.7, 0.1, 0.1, 0.1]
    improved = [state.record(e, ap, options) for e, ap in enumerate(aps, start=1) if not state.stopped_early]
    assert improved == [True, True, False, False, True, False, False, False]
    assert (state.best_epoch, state.best_ap, state.epoch) == (5, 0.7, 8)
    assert state.lr == 0.25 and state.stopped_early  # halved after epochs 4 and 7; stop after 8
    ae = LoopState()
    for epoch in range(1, 6):
        ae.record(epoch, 0.1, options, counts_for_stopping=False)
    assert not ae.stopped_early


def test_flat_differences_names_keys():
    old = {"training": {"lr": 0.001, "seed": 0}, "model": {"hidden": 16}}
    new = {"training": {"lr": 0.002, "seed": 0}, "model": {"hidden": 16}}
    assert flat_differences(old, new) == ["training.lr: 0.001 -> 0.002"]


# ---------------------------------------------------------------- end to end on real FSDD


def _subset_dir(source: DataDir, keys: list[str], out: Path) -> None:
    sub = DataDir(path=out, wav_scp=source.wav_scp)
    for name in ("segments", "text", "utt2spk", "seg2utt", "seg2pos"):
        table = getattr(source, name)
        setattr(sub, name, {k: table[k] for k in keys if k in table})
    sub.save(out)


@pytest.fixture(scope="module")
def fsdd_split(fsdd_words, fsdd_feats, tmp_path_factory):
    """4 training speakers / 2 validation speakers: (train_arg, valid_arg, root)."""
    root = tmp_path_factory.mktemp("split")
    words = DataDir.load(fsdd_words)
    scp = read_kaldi_table(fsdd_feats.scp)
    args = []
    for name, keep in (("train", lambda s: s in TRAIN_SPEAKERS), ("valid", lambda s: s not in TRAIN_SPEAKERS)):
        keys = [k for k in words.utt2spk if keep(words.utt2spk[k])]
        _subset_dir(words, keys, root / name)
        (root / f"{name}.scp").write_text("".join(f"{k} {scp[k]}\n" for k in keys))
        args.append(f"{root / name}=scp:{root / name}.scp")
    return args[0], args[1], root


def train_args(split, out, *extra):
    return ["train-phonetic", "--train", split[0], "--valid", split[1], *TINY, *extra, out]


def test_train_contrastive_writes_model_dir(fsdd_split, tmp_path, run_awe):
    rc, out, err = run_awe(train_args(fsdd_split, tmp_path / "m", "--epochs", "3"))
    assert rc == 0, err
    model = tmp_path / "m"
    assert sorted(p.name for p in model.iterdir()) == [
        "checkpoint.pt", "config.json", "log.jsonl", "model.pt", "valid_curve.tsv"]
    assert not (tmp_path / "m.partial").exists()
    lines = [json.loads(l) for l in (model / "log.jsonl").read_text().splitlines()]
    assert [l["epoch"] for l in lines] == [1, 2, 3]
    assert {"loss", "valid_ap", "valid_swdp_ap", "lr", "time_s", "segments_per_s"} <= set(lines[0])
    config = json.loads((model / "config.json").read_text())
    best = max(lines, key=lambda l: l["valid_ap"])
    assert config["result"]["best_epoch"] == best["epoch"]
    assert config["model"]["feat_dim"] == 39 and config["training"]["temperature"] == 0.1
    checkpoint = torch.load(model / "checkpoint.pt", weights_only=True)
    assert checkpoint["state"]["epoch"] == 3
    curve = (model / "valid_curve.tsv").read_text().splitlines()
    assert curve[0].split("\t")[:2] == ["epoch", "valid_ap"] and len(curve) == 4
    # the same command again refuses to overwrite
    rc, _, err = run_awe(train_args(fsdd_split, model, "--epochs", "3"))
    assert rc == 1 and "model directory exists" in err


def test_seed_gives_identical_weights(fsdd_split, tmp_path, run_awe):
    states = []
    for name in ("a", "b"):
        assert run_awe(train_args(fsdd_split, tmp_path / name, "--epochs", "2", "--seed", "5",
                                  "--dropout", "0.3", "--layers", "2"))[0] == 0
        states.append(torch.load(tmp_path / name / "checkpoint.pt", weights_only=True)["model"])
    assert all(torch.equal(states[0][k], states[1][k]) for k in states[0])
    assert run_awe(train_args(fsdd_split, tmp_path / "c", "--epochs", "2", "--seed", "6",
                              "--dropout", "0.3", "--layers", "2"))[0] == 0
    other = torch.load(tmp_path / "c" / "checkpoint.pt", weights_only=True)["model"]
    assert not all(torch.equal(states[0][k], other[k]) for k in other)


def test_init_fine_tunes_the_encoder_of_another_model(fsdd_split, tmp_path, run_awe):
    assert run_awe(train_args(fsdd_split, tmp_path / "base", "--epochs", "1", "--pooling", "mean"))[0] == 0
    # the base model's architecture wins over --hidden (and the default --pooling last);
    # a negligible lr keeps its weights
    rc, _, err = run_awe(train_args(fsdd_split, tmp_path / "tuned", "--epochs", "1", "--hidden",
                                    "32", "--lr", "1e-12", "--objective", "triplet", "--init",
                                    tmp_path / "base", "--projection-head", "8"))
    assert rc == 0, err
    config = json.loads((tmp_path / "tuned" / "config.json").read_text())
    assert config["model"]["hidden"] == 16 and config["model"]["objective"] == "triplet"
    assert config["model"]["pooling"] == "mean" and config["model"]["projection_head"] == 8  # a new head
    assert config["training"]["triplet_negatives"] == "semi-hard"
    assert config["data"]["init"] == str(tmp_path / "base")
    base = torch.load(tmp_path / "base" / "model.pt", weights_only=True)
    tuned = torch.load(tmp_path / "tuned" / "model.pt", weights_only=True)
    assert all(torch.allclose(base[k], tuned[k], atol=1e-6) for k in base if k.startswith("encoder."))
    # features of another dimension: one line naming the model
    statics = []
    for name, spec in zip(("train", "valid"), fsdd_split):
        data_dir = spec.split("=", 1)[0]
        ark = f"ark:{tmp_path / name}.ark"
        assert run_awe(["featurize", "--sample-rate", "8000", "--delta-order", "0", data_dir,
                        ark])[0] == 0
        statics.append(f"{data_dir}={ark}")
    rc, _, err = run_awe(["train-phonetic", "--init", tmp_path / "base", "--train", statics[0],
                          "--valid", statics[1], *TINY, tmp_path / "bad"])
    assert rc == 1 and "base: the model takes 39-dim features, but the training features are 13-dim" in err
    assert not (tmp_path / "bad").exists()


def _run(split, out, **loop) -> PhoneticTraining:
    train_dir, train_rspec = split[0].split("=", 1)
    valid_dir, valid_rspec = split[1].split("=", 1)
    return PhoneticTraining(
        out=out, train=set_specs([(train_dir, train_rspec)]),
        valid=SetSpec("valid", valid_dir, valid_rspec),
        model={"layers": 1, "hidden": 16, "embed_dim": 8, "dropout": 0.0},
        loss=LossOptions("triplet"), caps=Caps(min_tokens=2),
        loop=LoopOptions(epochs=4, batch_size=32, lr_patience=1, patience=10, seed=1, **loop),
        device="cpu", num_threads=1)


@pytest.mark.parametrize("ema_decay, lr_decay", [(0.0, "none"), (0.9, "none"), (0.0, "cosine")])
def test_resume_continues_exactly(fsdd_split, tmp_path, run_awe, ema_decay, lr_decay):
    full = tmp_path / "full"
    train_phonetic(_run(fsdd_split, full, ema_decay=ema_decay, lr_decay=lr_decay))

    def interrupt(state):
        if state.epoch == 2:
            raise KeyboardInterrupt

    part = tmp_path / "part"
    with pytest.raises(KeyboardInterrupt):
        train_phonetic(_run(fsdd_split, part, ema_decay=ema_decay, lr_decay=lr_decay), on_epoch_end=interrupt)
    assert not part.exists() and (tmp_path / "part.partial" / "checkpoint.pt").exists()
    with pytest.raises(AweError, match="unfinished run"):
        train_phonetic(_run(fsdd_split, part, ema_decay=ema_decay, lr_decay=lr_decay))
    resumed = _run(fsdd_split, part, ema_decay=ema_decay, lr_decay=lr_decay)
    resumed.resume = True
    train_phonetic(resumed)
    a = torch.load(full / "checkpoint.pt", weights_only=True)
    b = torch.load(part / "checkpoint.pt", weights_only=True)
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])
    assert all(torch.equal(a["best_model"][k], b["best_model"][k]) for k in a["best_model"])
    assert ("average" in a) == (ema_decay > 0)
    assert a["state"]["history"][-1]["valid_ap"] == b["state"]["history"][-1]["valid_ap"]
    assert a["state"]["lr"] == b["state"]["lr"]
    assert (full / "log.jsonl").read_text().count("\n") == (part / "log.jsonl").read_text().count("\n") == 4


def test_cosine_decay_sets_the_rate_of_every_step(fsdd_split, tmp_path):
    out = tmp_path / "cosine"
    run = _run(fsdd_split, out, lr_decay="cosine")
    run.loop.lr_patience = 10  # no halving: the log shows the schedule alone
    train_phonetic(run)
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    steps = math.ceil(log[0]["segments"] / 32)  # every epoch: the same tokens in batches of 32
    expected = [1e-3 * max(0.5 * (1 + math.cos(math.pi * (e - 1 + (steps - 1) / steps) / 4)), 1e-4)
                for e in range(1, 5)]
    assert [entry["lr"] for entry in log] == pytest.approx(expected)
    assert json.loads((out / "config.json").read_text())["training"]["lr_decay"] == "cosine"


def test_weight_average_is_the_ema_of_every_step():
    model = torch.nn.Linear(2, 1, bias=False)
    average = weight_average(model, 0.9)
    for value in (1.0, 3.0, -2.0):
        with torch.no_grad():
            model.weight.fill_(value)
        average.update_parameters(model)
    # the first step is copied, then avg <- 0.9 avg + 0.1 w
    expected = (0.9 * 1.0 + 0.1 * 3.0) * 0.9 + 0.1 * -2.0
    assert torch.allclose(average.module.weight, torch.full((1, 2), expected))
    assert weight_average(model, 0.0) is None
    with pytest.raises(AweError, match="--ema-decay 1.0: must be in"):
        LoopOptions(ema_decay=1.0)


def test_ema_keeps_the_averaged_weights(fsdd_split, tmp_path):
    out = tmp_path / "ema"
    run = _run(fsdd_split, out, ema_decay=0.9)
    run.loop.epochs = 1  # the one epoch is the best: its average is the kept model
    train_phonetic(run)
    checkpoint = torch.load(out / "checkpoint.pt", weights_only=True)
    kept = torch.load(out / "model.pt", weights_only=True)
    assert json.loads((out / "config.json").read_text())["training"]["ema_decay"] == 0.9
    averaged = {k.removeprefix("module."): v for k, v in checkpoint["average"].items()}
    assert all(torch.equal(kept[k], averaged[k]) for k in kept)
    assert not all(torch.equal(kept[k], checkpoint["model"][k]) for k in kept)


def test_resume_with_other_config_names_keys(fsdd_split, tmp_path, run_awe):
    def interrupt(state):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_phonetic(_run(fsdd_split, tmp_path / "m"), on_epoch_end=interrupt)
    rc, _, err = run_awe(train_args(fsdd_split, tmp_path / "m", "--objective", "triplet",
                                    "--epochs", "4", "--batch-size", "32", "--lr", "0.01",
                                    "--lr-patience", "1", "--patience", "10", "--seed", "1",
                                    "--resume"))
    assert rc == 1
    assert "cannot resume with a different configuration" in err
    assert "training.lr: 0.001 -> 0.01" in err and "model.dropout" not in err
    rc, _, err = run_awe(train_args(fsdd_split, tmp_path / "n", "--resume"))
    assert rc == 1 and "nothing to resume" in err


def test_objectives_train(fsdd_split, tmp_path, run_awe, caplog):
    rc, _, err = run_awe(train_args(fsdd_split, tmp_path / "cae", "--objective", "cae",
                                    "--epochs", "2", "--cae-pretrain-epochs", "1"))
    assert rc == 0, err
    phases = [json.loads(l)["phase"] for l in (tmp_path / "cae" / "log.jsonl").read_text().splitlines()]
    assert phases == ["ae", "cae"]
    lexicon = tmp_path / "lexicon.txt"
    lexicon.write_text("zero z ih r ow\none w ah n\ntwo t uw\nthree th r iy\nfour f ao r\n"
                       "five f ay v\nsix s ih k s\nseven s eh v ax n\neight ey t\nnine n ay n\n")
    vectors = tmp_path / "vectors.txt"
    rng = np.random.default_rng(0)
    digits = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    vectors.write_text("".join(f"{w} " + " ".join(f"{v:.3f}" for v in rng.normal(size=6)) + "\n"
                               for w in digits[:9]))  # 'nine' has no vector: its tokens drop
    rc, _, err = run_awe(train_args(fsdd_split, tmp_path / "mt", "--objective", "multitask",
                                    "--lexicon", lexicon, "--word-vectors", vectors, "--epochs", "1"))
    assert rc == 0, err
    assert "dropped 12 of 120 training tokens (1 types) with no vector" in caplog.text
    config = json.loads((tmp_path / "mt" / "config.json").read_text())
    assert config["model"]["vector_dim"] == 6 and "th" in config["model"]["phones"]
    # the meaning head's output: 6-d, in (-1, 1), i.e. in the word-vector space
    valid_scp = fsdd_split[1].split("=", 1)[1]
    rc, _, err = run_awe(["embed", "--output", "meaning", tmp_path / "mt", valid_scp,
                          f"h5:{tmp_path / 'meaning.h5'}"])
    assert rc == 0, err
    keys, meaning = read_vectors(f"h5:{tmp_path / 'meaning.h5'}")
    assert meaning.shape == (len(keys), 6) and np.abs(meaning).max() < 1
    model, _ = load_model(tmp_path / "mt")
    feats = dict(zip(*read_matrices(valid_scp)))
    with torch.no_grad():
        expected = model.meaning_head(model(torch.tensor(feats[keys[0]])[None],
                                            torch.tensor([len(feats[keys[0]])])))
    np.testing.assert_allclose(meaning[0], expected[0].numpy(), atol=1e-5)
    rc, _, err = run_awe(train_args(fsdd_split, tmp_path / "form", "--objective", "multitask",
                                    "--lexicon", f"train={lexicon}", "--beta", "0", "--epochs", "1"))
    assert rc == 0, err
    assert json.loads((tmp_path / "form" / "config.json").read_text())["model"]["vector_dim"] == 0
    rc, _, err = run_awe(["embed", "--output", "meaning", tmp_path / "form", valid_scp,
                          f"h5:{tmp_path / 'none.h5'}"])
    assert rc == 1 and "has no meaning head" in err and not (tmp_path / "none.h5").exists()
    rc, _, err = run_awe(train_args(fsdd_split, tmp_path / "x", "--objective", "multitask",
                                    "--beta", "0", "--epochs", "1"))
    assert rc == 1 and "needs a lexicon for training set 'train'" in err
    rc, _, err = run_awe(train_args(fsdd_split, tmp_path / "x", "--objective", "multitask",
                                    "--lexicon", f"de={lexicon}", "--epochs", "1"))
    assert rc == 2 and "no training set 'de' (sets: train)" in err


# ---------------------------------------------------------------- bad input


def _copy_table(rspec: str, wspec: str, edit=None, keys=None) -> None:
    all_keys, mats = read_matrices(rspec)
    with open_writer(wspec) as writer:
        for i, (key, mat) in enumerate(zip(all_keys, mats)):
            if keys is None or key in keys:
                writer.write(key, edit(i, mat) if edit else mat)


def test_bad_input_errors(fsdd_split, tmp_path, run_awe):
    train_dir, train_rspec = fsdd_split[0].split("=", 1)
    valid = fsdd_split[1]

    def train_with(*pairs):
        args = ["train-phonetic", *TINY, "--epochs", "1", "--valid", valid]
        for pair in pairs:
            args += ["--train", pair]
        return run_awe([*args, tmp_path / "out"])

    rc, _, err = run_awe(["train-phonetic", *TINY, "--num-threads", "0", "--epochs", "1", "--valid", valid,
                          "--train", fsdd_split[0], tmp_path / "out"])
    assert rc == 1 and "--num-threads must be at least 1 (got 0)" in err
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.partial").exists()
    rc, _, err = run_awe(["train-phonetic", *TINY, "--triplet-negatives", "easy", "--epochs", "1",
                          "--valid", valid, "--train", fsdd_split[0], tmp_path / "out"])
    assert rc == 2 and "'easy' (one of semi-hard, hardest)" in err
    rc, _, err = run_awe(["train-phonetic", *TINY, "--projection-head", "-1", "--epochs", "1", "--valid", valid,
                          "--train", fsdd_split[0], tmp_path / "out"])
    assert rc == 1 and "projection head units must be >= 0, not -1" in err
    rc, _, err = run_awe(["train-phonetic", *TINY, "--pooling", "max", "--epochs", "1", "--valid", valid,
                          "--train", fsdd_split[0], tmp_path / "out"])
    assert rc == 1 and "unknown pooling 'max' (last or mean)" in err and len(err.strip().splitlines()) == 1
    rc, _, err = run_awe(["train-phonetic", *TINY, "--lr-decay", "step", "--epochs", "1", "--valid", valid,
                          "--train", fsdd_split[0], tmp_path / "out"])
    assert rc == 1 and err.strip() == "awe train-phonetic: error: --lr-decay: unknown schedule 'step' (none, linear, cosine)"
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.partial").exists()
    # NaN in one matrix
    _copy_table(train_rspec, f"ark:{tmp_path}/nan.ark",
                lambda i, m: np.where(np.arange(len(m))[:, None] == 1, np.nan, m) if i == 3 else m)
    rc, _, err = train_with(f"{train_dir}=ark:{tmp_path}/nan.ark")
    assert rc == 1 and "key 'george-1-00-0000' contains NaN or Inf" in err
    # features without labels, and labels without features
    keys = list(read_kaldi_table(Path(train_dir) / "text"))
    _copy_table(train_rspec, f"ark:{tmp_path}/less.ark", keys=set(keys[5:]))
    rc, _, err = train_with(f"{train_dir}=ark:{tmp_path}/less.ark")
    assert rc == 1 and "5 of 120 labelled segments have no features" in err and "george-0-00-0000" in err
    rc, _, err = train_with(f"{train_dir}={valid.split('=', 1)[1]}")  # the other speakers' features
    assert rc == 1 and "60 of 60 segments have no label" in err
    # feature dim differs between sets
    _copy_table(train_rspec, f"ark:{tmp_path}/d13.ark", lambda i, m: m[:, :13])
    other = tmp_path / "other" / "words"
    other.parent.mkdir()
    DataDir.load(train_dir).save(other)
    rc, _, err = train_with(f"{train_dir}={train_rspec}", f"{other}=ark:{tmp_path}/d13.ark")
    assert rc == 1 and "13-dim features" in err and "39-dim" in err
    # empty archive
    (tmp_path / "empty.ark").write_bytes(b"")
    rc, _, err = train_with(f"{train_dir}=ark:{tmp_path}/empty.ark")
    assert rc == 1 and "empty table" in err
    # one token per word type everywhere: no pairs
    single = tmp_path / "single"
    data = DataDir.load(train_dir)
    data.text = {k: f"w{i}" for i, k in enumerate(data.text)}
    data.save(single)
    rc, _, err = train_with(f"{single}={train_rspec}")
    assert rc == 1 and "every word type has a single token (120 types)" in err and "no same-word pairs" in err
    # bad usage
    rc, _, err = train_with(f"{train_dir}")
    assert rc == 2 and "DATA_DIR=RSPECIFIER" in err
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.partial").exists()


# ---------------------------------------------------------------- torchrun (DDP)

def test_torchrun_two_processes_match_one(fsdd_split, tmp_path, run_awe):
    """2 gloo processes (batches of 32 each, every other batch) against 1 process (batches of
    64): the run completes, rank 0 alone writes one log line and checkpoint per epoch, and
    the best validation AP agrees within 0.05."""
    common = ["--objective", "triplet", "--epochs", "4", "--seed", "3", "--device", "cpu"]
    assert run_awe([*train_args(fsdd_split, tmp_path / "one", *common, "--batch-size", "64")])[0] == 0
    result = awe_torchrun(train_args(fsdd_split, tmp_path / "two", *common, "--batch-size", "32"))
    assert result.returncode == 0, torchrun_errors(result)
    two = tmp_path / "two"
    assert not (tmp_path / "two.partial").exists()
    assert sorted(p.name for p in two.iterdir()) == [
        "checkpoint.pt", "config.json", "log.jsonl", "model.pt", "valid_curve.tsv"]
    log = [json.loads(line) for line in (two / "log.jsonl").read_text().splitlines()]
    assert [entry["epoch"] for entry in log] == [1, 2, 3, 4]
    assert torch.load(two / "checkpoint.pt", weights_only=True)["state"]["epoch"] == 4
    ap = {name: json.loads((tmp_path / name / "config.json").read_text())["result"]["best_valid_ap"]
          for name in ("one", "two")}
    assert abs(ap["one"] - ap["two"]) < 0.05, ap
    assert result.stderr.count("best validation AP") == 1  # one voice: rank 0's


def test_torchrun_keeps_the_weight_average(fsdd_split, tmp_path):
    """--ema-decay under DDP: the average follows the (all-reduced) weights of rank 0."""
    out = tmp_path / "ema"
    result = awe_torchrun(train_args(fsdd_split, out, "--objective", "triplet", "--epochs", "1",
                                     "--batch-size", "32", "--device", "cpu", "--ema-decay", "0.9"))
    assert result.returncode == 0, torchrun_errors(result)
    checkpoint = torch.load(out / "checkpoint.pt", weights_only=True)
    kept = torch.load(out / "model.pt", weights_only=True)
    averaged = {k.removeprefix("module."): v for k, v in checkpoint["average"].items()}
    assert all(torch.equal(kept[k], averaged[k]) for k in kept)
    assert not all(torch.equal(kept[k], checkpoint["model"][k]) for k in kept)


def test_regression_targets_unit_centred_unit():
    from awetools.train.targets import regression_targets
    got = regression_targets(np.array([[2.0, 0.0], [0.0, 1.0]]), "v.txt")
    # unit: [[1, 0], [0, 1]]; minus the mean [0.5, 0.5]; unit again
    np.testing.assert_allclose(got, np.array([[1, -1], [-1, 1]]) / np.sqrt(2), rtol=1e-6)
    with pytest.raises(AweError, match="v.txt: word vector of row 0 is all zeros"):
        regression_targets(np.array([[0.0, 0.0], [1.0, 1.0]]), "v.txt")


def test_spec_augment_trains_repeatably_and_leaves_validation_clean(fsdd_split, tmp_path, run_awe):
    from awetools.train.phonetic import load_valid
    from awetools.train.validate import validator
    args = ("--epochs", "2", "--seed", "5", "--spec-augment", "--time-masks", "2",
            "--freq-masks", "2", "--freq-mask-width", "8", "--time-warp", "0.1")
    states = []
    for name in ("a", "b"):
        rc, _, err = run_awe(train_args(fsdd_split, tmp_path / name, *args))
        assert rc == 0, err
        states.append(torch.load(tmp_path / name / "model.pt", weights_only=True))
    assert all(torch.equal(states[0][k], states[1][k]) for k in states[0])
    assert run_awe(train_args(fsdd_split, tmp_path / "plain", "--epochs", "2", "--seed", "5"))[0] == 0
    plain = torch.load(tmp_path / "plain" / "model.pt", weights_only=True)
    assert not all(torch.equal(plain[k], states[0][k]) for k in plain)   # warps and masks were used
    config = json.loads((tmp_path / "a" / "config.json").read_text())
    assert config["training"]["spec_augment"] == {
        "time_masks": 2, "time_mask_width": 5, "time_mask_ratio": 0.2, "freq_masks": 2,
        "freq_mask_width": 8, "time_warp": 0.1}
    # the logged validation AP is the clean (unwarped, unmasked) AP of the saved best model
    model = load_model(tmp_path / "a")[0]
    valid_dir, rspec = fsdd_split[1].split("=", 1)
    ap = validator(load_valid(SetSpec("valid", valid_dir, rspec)), 256, torch.device("cpu"))(model)["ap"]
    assert ap == pytest.approx(config["result"]["best_valid_ap"], abs=1e-9)
