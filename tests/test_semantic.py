"""awe train-skipgram: context pairs, losses, every method end to end, determinism, resume, errors."""

from __future__ import annotations

import json
import math
from collections import Counter

import numpy as np
import pytest
import torch

from awetools.cluster.clusterdir import ClusterDir, nearest_labels
from awetools.cluster.soft import SoftLabels
from awetools.errors import AweError
from awetools.io.datadir import DataDir, Segment
from awetools.io.tables import read_vectors, write_vectors, open_writer
from awetools.models.awe import AweModel, ModelConfig
from awetools.models.modeldir import format_header, save_weights, write_json
from awetools.semantic import train as train_module
from awetools.semantic.context import EpochPairs, closed_up, context_pairs, held_out, keep_probability
from awetools.semantic.inputs import SoftLabelInput, frame_units
from awetools.semantic.models import ClusterSkipgram, METHODS, nt_xent_pairs, sgns, soft_cross_entropy
from awetools.semantic.objectives import LossOptions, SkipgramTask
from awetools.train.losses import nt_xent
from awetools.train.schedule import check_decay, decay_factor, run_fraction
from conftest import awe_torchrun, torchrun_errors

FAST = ["--epochs", "1", "--batch-size", "64", "--hidden", "16", "--layers", "1", "--dim", "8",
        "--units", "6", "--num-threads", "1", "--window", "2"]


def test_context_pairs_by_hand():
    # utterance a: rows 0 (pos 0), 1 (pos 1), 2 (pos 3), 5 (pos 4); b: rows 3, 4
    pairs = context_pairs(np.array(["a", "a", "a", "b", "b", "a"]), np.array([0, 1, 3, 0, 1, 4]), 2)
    got = sorted(zip(pairs.center.tolist(), pairs.context.tolist()))
    assert got == [(0, 1), (1, 0), (1, 2), (2, 1), (2, 5), (3, 4), (4, 3), (5, 2)]
    wide = context_pairs(np.array(["a", "a", "a", "b", "b", "a"]), np.array([0, 1, 3, 0, 1, 4]), 3)
    assert (0, 2) in set(zip(wide.center.tolist(), wide.context.tolist()))
    assert len(wide) == 12  # adds 0-2, 1-5 in both directions


def test_held_out_utterances_stay_whole():
    utts = np.repeat(np.arange(20), 4).astype(str)
    held = held_out(20, 0.25, seed=0)
    assert held.sum() == 5 and held_out(20, 0.0, seed=0).sum() == 0 and held_out(2, 0.01, 0).sum() == 1
    pairs = EpochPairs(utts, np.tile(np.arange(4), 20), ~held, 2)
    train = pairs(np.random.default_rng(0))
    assert not held[pairs.all.utterance[train.center]].any()
    assert len(train) == (~held).sum() * 10  # 4 words, window 2: 5 pairs each way


def test_keep_probability_by_hand():
    # frequencies 0.9 and 0.1, t = 0.1: (sqrt(9) + 1) * 0.1 / 0.9 = 4/9, and min(1, (1+1) * 1) = 1
    keep = keep_probability(np.array([0] * 9 + [1]), 0.1)
    assert keep[:9] == pytest.approx([4 / 9] * 9) and keep[9] == 1.0


def test_closed_up_positions_by_hand():
    utts = np.array([0, 0, 0, 1, 1, 1, 0])
    positions = np.array([0, 1, 2, 0, 1, 2, 3])
    kept = np.array([True, False, True, False, True, True, True])
    # utterance 0 keeps positions 0, 2, 3 -> 0, 1, 2; utterance 1 keeps 1, 2 -> 0, 1
    assert closed_up(utts, positions, kept)[kept].tolist() == [0, 1, 0, 1, 2]


def test_subsampled_words_bring_neighbours_into_the_window():
    # "a x b" (rows 0-2) and 97 one-word utterances of x: at t = 0.01, a and b (frequency
    # 0.01) are always kept and x (0.98) kept with probability (sqrt(98) + 1) / 98
    words = np.array([0, 1, 2] + [1] * 97)
    utts = np.array(["u"] * 3 + [f"v{i}" for i in range(97)])
    positions = np.array([0, 1, 2] + [0] * 97)
    pairs = EpochPairs(utts, positions, np.ones(98, bool), 1, items=words, threshold=0.01)
    draws = [pairs(np.random.default_rng(seed)) for seed in range(40)]
    outcomes = {tuple(sorted(zip(d.center.tolist(), d.context.tolist(), d.distance.tolist()))) for d in draws}
    assert outcomes == {((0, 2, 1), (2, 0, 1)), ((0, 1, 1), (1, 0, 1), (1, 2, 1), (2, 1, 1))}


def test_left_out_segments_never_train_and_close_up_their_utterance():
    # one utterance "a b c d e"; c (row 2) is left out: b and d become neighbours
    utts, positions = np.zeros(5, int).astype(str), np.arange(5)
    pairs = EpochPairs(utts, positions, np.ones(1, bool), 1, left_out=np.arange(5) == 2)
    for seed in range(3):
        got = pairs(np.random.default_rng(seed))
        assert sorted(zip(got.center.tolist(), got.context.tolist())) == [
            (0, 1), (1, 0), (1, 3), (3, 1), (3, 4), (4, 3)]
    # with subsampling too: a left-out row stays out whatever its item's frequency
    subsampled = EpochPairs(utts, positions, np.ones(1, bool), 2, items=np.arange(5),
                            threshold=1.0, left_out=np.arange(5) == 2)
    assert subsampled.keep.tolist() == [1, 1, 0, 1, 1]


def test_farthest_segments_by_hand(tmp_path):
    centroids = np.array([[0.0, 0.0], [10.0, 0.0]], np.float32)
    x = np.array([[0, 1], [0, 3], [10, 2], [10, 0.5], [0, 0.2]], np.float32)
    items = np.array([0, 0, 1, 1, 0])  # distances^2: 1, 9, 4, 0.25, 0.04
    soft = SoftLabels([f"s{i}" for i in range(5)], items[:, None], np.ones((5, 1), np.float32))
    clusters = ClusterDir(tmp_path, 2, soft, centroids, 1.0, 1, spherical=False)
    assert clusters.farthest(x, items, 0.4).tolist() == [False, True, True, False, False]
    assert clusters.farthest(x, items, 0.2).tolist() == [False, True, False, False, False]
    assert not clusters.farthest(x, items, 0.05).any()  # rounds to no segment
    with pytest.raises(AweError, match="centroids are 2-dim, the vectors 3-dim"):
        clusters.farthest(np.zeros((5, 3), np.float32), items, 0.2)


def test_outlier_fraction_trains_without_the_far_segments(corpus, clusters, tmp_path, run_awe, caplog):
    out = tmp_path / "model"
    rc, _, err = run_awe(["train-skipgram", "--method", "cluster-skipgram",
                          *method_args("cluster-skipgram", corpus, clusters), *FAST,
                          "--outlier-fraction", "0.1", corpus / "words", out])
    assert rc == 0, err
    assert "leaving out 20 of 200 segments far from their cluster centroid" in caplog.text
    assert json.loads((out / "config.json").read_text())["training"]["outlier_fraction"] == 0.1


def test_dynamic_window_weights_distance_like_word2vec():
    utts, positions = np.zeros(2000, int).astype(str), np.arange(2000)
    pairs = EpochPairs(utts, positions, np.ones(1, bool), 4, dynamic=True)
    got = np.concatenate([pairs(np.random.default_rng(seed)).distance for seed in range(5)])
    share = np.bincount(got, minlength=5)[1:] / (5 * 2 * 2000)  # per centre and direction
    assert share == pytest.approx([1.0, 0.75, 0.5, 0.25], abs=0.02)  # (window - d + 1) / window


def test_unigram_noise_gives_items_power_three_quarters():
    items = np.array([0] * 16 + [1] * 1)
    noise = train_module.unigram_noise(items)
    per_item = np.bincount(items, weights=noise)
    assert per_item == pytest.approx(np.array([16 ** 0.75, 1.0]) / (16 ** 0.75 + 1))


def test_item_noise_counts_every_item_power_three_quarters():
    """Per item id, including one with no segment (a cluster id no segment has as nearest)."""
    noise = train_module.item_noise(np.array([0] * 16 + [2]), 4)
    assert noise == pytest.approx(np.array([16 ** 0.75, 0.0, 1.0, 0.0]) / (16 ** 0.75 + 1))


def test_learning_rate_decays_linearly_to_the_floor():
    run = train_module.SkipgramTraining(out="x", method="text", data_dir="d", epochs=2, lr=1.0,
                                        lr_decay="linear")
    assert train_module.learning_rate(run, 1, 0, 10) == 1.0
    assert train_module.learning_rate(run, 2, 5, 10) == pytest.approx(0.25)
    assert train_module.learning_rate(run, 3, 0, 10) == pytest.approx(1e-4)
    constant = train_module.SkipgramTraining(out="x", method="text", data_dir="d", lr=0.5)
    assert train_module.learning_rate(constant, 2, 5, 10) == 0.5


def test_cosine_decay_is_slow_at_both_ends():
    assert [decay_factor("cosine", done) for done in (0.0, 0.5, 1.0)] == pytest.approx([1.0, 0.5, 1e-4])
    assert decay_factor("cosine", 0.1) == pytest.approx(0.5 * (1 + math.cos(0.1 * math.pi)))
    assert decay_factor("linear", 0.1) == pytest.approx(0.9)
    assert run_fraction(epoch=2, step=5, steps=10, epochs=3) == pytest.approx(0.5)
    with pytest.raises(AweError, match=r"--lr-decay: unknown schedule 'step' \(none, linear, cosine\)"):
        check_decay("step")


def test_frame_units_collapse_repeats():
    codebook = np.array([[0.0], [10.0]], dtype=np.float32)
    feats = [np.array([[0.1], [0.2], [9.0], [9.5], [0.0]], dtype=np.float32),
             np.array([[0.0], [0.3]], dtype=np.float32), np.array([[11.0]], dtype=np.float32)]
    seqs = frame_units(feats, codebook)
    assert [s.tolist() for s in seqs] == [[1, 2, 1], [1], [2]]  # ids shifted by one (0 pads)


def test_losses_by_hand():
    logits = torch.tensor([[1.0, 2.0, 0.0]])
    index, weight = torch.tensor([[1, 0]]), torch.tensor([[0.75, 0.25]])
    logp = torch.log_softmax(logits, 1)[0]
    assert soft_cross_entropy(logits, index, weight).item() == pytest.approx(-(0.75 * logp[1] + 0.25 * logp[0]).item())
    c, o, n = torch.tensor([[1.0, 0.0]]), torch.tensor([[2.0, 0.0]]), torch.tensor([[[0.0, 1.0], [-1.0, 0.0]]])
    expected = -(np.log(1 / (1 + np.exp(-2))) + np.log(1 / (1 + np.exp(0))) + np.log(1 / (1 + np.exp(-1))))
    assert sgns(c, o, n).item() == pytest.approx(expected, rel=1e-5)
    a, b = torch.randn(5, 4, generator=torch.Generator().manual_seed(0)), torch.randn(5, 4)
    labels = torch.cat([torch.arange(5), torch.arange(5)])
    assert nt_xent_pairs(a, b, 0.1).item() == pytest.approx(nt_xent(torch.cat([a, b]), labels, 0.1).item(), rel=1e-5)


def test_cluster_skipgram_embeds_the_label_weighted_cluster_vectors():
    torch.manual_seed(0)
    model = ClusterSkipgram(in_dim=3, dim=4, k=5)
    index = torch.tensor([[2, 0], [4, 4]])
    weight = torch.tensor([[0.75, 0.25], [1.0, 0.0]])
    table = model.clusters.weight.detach()
    expected = torch.stack([0.75 * table[2] + 0.25 * table[0], table[4]])
    assert torch.allclose(model.encode(index, weight), expected, atol=1e-7)
    # new AWEs are labelled as awe cluster does: softmax of -d^2 / T over the top nearest centroids
    centroids = np.array([[0.0, 0, 0], [1, 0, 0], [0, 2, 0], [0, 0, 3], [5, 5, 5]], dtype=np.float32)
    idx, w = nearest_labels(np.array([[0.9, 0.0, 0.0]], dtype=np.float32), centroids, 2, 0.5, False)
    assert idx.tolist() == [[1, 0]]  # squared distances 0.01 and 0.81
    assert w[0, 0] == pytest.approx(1 / (1 + np.exp(-(0.81 - 0.01) / 0.5)), rel=1e-5)


def test_soft_labels_of_new_awes_match_awe_cluster(clusters, corpus):
    from awetools.cluster.clusterdir import ClusterDir
    cdir = ClusterDir.load(clusters)
    keys, x = read_vectors(f"ark:{corpus / 'emb.ark'}")
    index, weight = nearest_labels(x, cdir.centroids, cdir.top, cdir.temperature, cdir.spherical)
    rows = [cdir.soft.keys.index(k) for k in keys]
    assert np.array_equal(index, cdir.soft.index[rows])
    assert np.allclose(weight, cdir.soft.weight[rows], atol=1e-5)


def test_hard_labels_are_one_hot_in_and_out():
    torch.manual_seed(0)
    model = ClusterSkipgram(in_dim=3, dim=4, k=5)
    soft = SoftLabels(list("abcd"), np.array([[2, 0], [1, 3], [4, 2], [0, 1]]),
                      np.array([[0.6, 0.4], [0.9, 0.1], [0.5, 0.5], [0.7, 0.3]], dtype=np.float32))
    center, context = np.array([0, 1, 2]), np.array([1, 2, 3])
    for hard in (False, True):
        index, weight = (soft.index[:, :1], np.ones((4, 1), np.float32)) if hard else (soft.index, soft.weight)
        task = SkipgramTask("cluster-skipgram", model, SoftLabelInput(index, weight), LossOptions(hard=hard),
                            torch.device("cpu"), soft)
        got = task.loss(center, context, np.random.default_rng(0)).item()
        vectors = model.encode(torch.from_numpy(index[center]), torch.from_numpy(weight[center]))
        logp = torch.log_softmax(model.output(vectors), 1)
        idx, w = soft.index[context], soft.weight[context]
        if hard:
            expected = -logp[np.arange(3), idx[:, 0]].mean()
        else:
            expected = -(torch.from_numpy(w) * logp.gather(1, torch.from_numpy(idx))).sum(1).mean()
        assert got == pytest.approx(expected.item(), rel=1e-5)


def test_sgns_objective_by_hand():
    """--objective sgns: the centre's label-weighted cluster vector against the context
    table's row of the context's nearest cluster and of negatives drawn from the noise."""
    torch.manual_seed(0)
    model = ClusterSkipgram(in_dim=3, dim=4, k=5, objective="sgns")
    assert model.clusters.sparse and model.context.sparse and not hasattr(model, "output")
    assert not model.context.weight.any()  # word2vec starts the output table at zero
    torch.nn.init.normal_(model.context.weight)
    soft = SoftLabels(list("abcd"), np.array([[2, 0], [1, 3], [4, 2], [0, 1]]),
                      np.array([[0.6, 0.4], [0.9, 0.1], [0.5, 0.5], [0.7, 0.3]], dtype=np.float32))
    noise = np.array([0.1, 0.2, 0.3, 0.4, 0.0])
    task = SkipgramTask("cluster-skipgram", model, SoftLabelInput(soft.index, soft.weight),
                        LossOptions(negatives=3, objective="sgns"), torch.device("cpu"), soft, noise)
    center, context = np.array([0, 1, 2]), np.array([1, 2, 3])
    got = task.loss(center, context, np.random.default_rng(7)).item()
    negatives = np.random.default_rng(7).choice(5, size=(3, 3), p=noise)
    assert 4 not in negatives
    table = model.context.weight.detach()
    vectors = model.encode(torch.from_numpy(soft.index[center]), torch.from_numpy(soft.weight[center]))
    expected = sgns(vectors, table[[1, 4, 0]], table[torch.from_numpy(negatives)])
    assert got == pytest.approx(expected.item(), rel=1e-6)


@pytest.mark.parametrize("objective", ["softmax", "sgns"])
def test_cluster_skipgram_learns_contexts_not_sounds(objective, corpus, tmp_path, run_awe):
    """Near-homophones from different topics (t0wI and t1wI, AWEs 0.3 apart against 2-3 between
    words) must end up closer to their topic's other words than to each other: a table over
    (oracle) clusters can give them different meanings, a network over their AWEs hardly can."""
    keys, x = read_vectors(f"ark:{corpus / 'emb.ark'}")
    text = dict(line.split() for line in (corpus / "words" / "text").read_text().splitlines())
    rng = np.random.default_rng(1)
    sound = {i: rng.normal(size=x.shape[1]).astype(np.float32) for i in range(4)}
    offset = {t: 0.15 * (2 * t - 1) * np.ones(x.shape[1], np.float32) / np.sqrt(x.shape[1]) for t in (0, 1)}
    near = np.stack([sound[int(text[k][3])] + 2 * offset[int(text[k][1])]
                     + 0.02 * rng.normal(size=x.shape[1]).astype(np.float32) for k in keys])
    write_vectors(f"ark:{tmp_path / 'near.ark'}", keys, near)
    assert run_awe(["cluster", "--oracle", "--labels", corpus / "words" / "text", f"ark:{tmp_path / 'near.ark'}",
                    tmp_path / "oracle"])[0] == 0
    rc, _, err = run_awe(["train-skipgram", "--method", "cluster-skipgram", "--embeddings", f"ark:{tmp_path / 'near.ark'}",
                          "--clusters", tmp_path / "oracle", "--objective", objective, "--epochs", "30",
                          "--dim", "8", "--lr", "0.05",
                          "--batch-size", "64", "--no-subsample", "--valid-fraction", "0", corpus / "words",
                          tmp_path / "model"])
    assert rc == 0, err
    assert run_awe(["embed", tmp_path / "model", f"ark:{tmp_path / 'near.ark'}", f"ark:{tmp_path / 'sem.ark'}"])[0] == 0
    sem_keys, sem = read_vectors(f"ark:{tmp_path / 'sem.ark'}")
    words = sorted(set(text.values()))
    mean = np.stack([sem[[text[k] == w for k in sem_keys]].mean(0) for w in words])
    mean /= np.linalg.norm(mean, axis=1, keepdims=True)
    cos = mean @ mean.T
    for i in range(4):
        a, homophone = words.index(f"t0w{i}"), words.index(f"t1w{i}")
        topic_mate = np.mean([cos[a, words.index(f"t0w{j}")] for j in range(4) if j != i])
        assert topic_mate > cos[a, homophone], (i, topic_mate, cos[a, homophone])


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """40 utterances of 5 words from 2 topics of 4 words; AWEs and features per word + noise."""
    root = tmp_path_factory.mktemp("semantic")
    rng = np.random.default_rng(0)
    words = [f"t{t}w{i}" for t in range(2) for i in range(4)]
    phon = rng.normal(size=(8, 6)).astype(np.float32)
    templates = [rng.normal(size=(rng.integers(3, 6), 5)).astype(np.float32) for _ in range(8)]
    segs, text, utt2spk, seg2utt, seg2pos, emb, feats = {}, {}, {}, {}, {}, {}, {}
    for u in range(40):
        for p, w in enumerate(4 * (u % 2) + rng.integers(4, size=5)):
            key = f"s{u % 3}-u{u:02d}-{p}"
            segs[key] = Segment(f"u{u:02d}", p, p + 0.5)
            text[key], utt2spk[key], seg2utt[key], seg2pos[key] = words[w], f"s{u % 3}", f"u{u:02d}", p
            emb[key] = phon[w] + 0.1 * rng.normal(size=6).astype(np.float32)
            feats[key] = templates[w] + 0.1 * rng.normal(size=templates[w].shape).astype(np.float32)
    DataDir(root / "words", segments=segs, text=text, utt2spk=utt2spk, seg2utt=seg2utt,
            seg2pos=seg2pos).save()
    keys = sorted(emb)
    write_vectors(f"ark:{root / 'emb.ark'}", keys, np.stack([emb[k] for k in keys]))
    with open_writer(f"ark:{root / 'feats.ark'}") as out:
        for k in keys:
            out.write(k, feats[k])
    return root


@pytest.fixture(scope="module")
def clusters(corpus):
    from awetools.cli.main import main
    assert main(["cluster", "-k", "8", f"ark:{corpus / 'emb.ark'}", str(corpus / "clusters")]) == 0
    return corpus / "clusters"


def method_args(method: str, corpus, clusters) -> list[str]:
    if method in ("cluster-skipgram", "projection", "two-stage"):
        return ["--embeddings", f"ark:{corpus / 'emb.ark'}", "--clusters", str(clusters)]
    if method == "text":
        return []
    return ["--features", f"ark:{corpus / 'feats.ark'}"]


@pytest.mark.parametrize("method", METHODS)
def test_every_method_trains_and_embeds(method, corpus, clusters, tmp_path, run_awe):
    out = tmp_path / "model"
    rc, _, err = run_awe(["train-skipgram", "--method", method, *method_args(method, corpus, clusters),
                          *FAST, corpus / "words", out])
    assert rc == 0, err
    config = json.loads((out / "config.json").read_text())
    assert config["format"] == "awetools-semantic-model" and config["method"] == method
    assert config["data"]["segments"] == 200
    for name in ("model.pt", "log.jsonl", "valid_curve.tsv", "checkpoint.pt"):
        assert (out / name).is_file()
    entry = json.loads((out / "log.jsonl").read_text().splitlines()[0])
    assert entry["epoch"] == 1 and np.isfinite(entry["loss"]) and np.isfinite(entry["valid_loss"])
    assert not (tmp_path / "model.partial").exists()
    if method == "text":
        lines = (out / "vectors.txt").read_text().splitlines()
        assert lines[0] == "8 8" and len(lines) == 9
        # word2vec's order (most frequent first, ties alphabetical); rows are the model's
        counts = Counter(line.split()[1] for line in (corpus / "words" / "text").read_text().splitlines())
        words = [line.split()[0] for line in lines[1:]]
        assert words == sorted(counts, key=lambda w: (-counts[w], w))
        vocab = (out / "vocab.txt").read_text().split()
        table = torch.load(out / "model.pt", weights_only=True)["words.weight"].numpy()
        row = dict(zip(vocab, table))
        assert all(np.allclose([float(v) for v in line.split()[1:]], row[line.split()[0]], atol=1e-5)
                   for line in lines[1:])
        rc, _, err = run_awe(["embed", out, f"ark:{corpus / 'emb.ark'}", f"h5:{tmp_path / 'x.h5'}"])
        assert rc == 1 and "vectors.txt" in err
        return
    source = f"ark:{corpus / ('emb.ark' if '--embeddings' in method_args(method, corpus, clusters) else 'feats.ark')}"
    rc, _, err = run_awe(["embed", out, source, f"h5:{tmp_path / 'sem.h5'}"])
    assert rc == 0, err
    keys, vectors = read_vectors(f"h5:{tmp_path / 'sem.h5'}")
    assert len(keys) == 200 and vectors.shape[1] == 8
    rc, _, err = run_awe(["embed", out, out, source, f"h5:{tmp_path / 'ens.h5'}"])
    assert rc == 2 and "an ensemble (several MODEL_DIRs) is of phonetic models only" in err


def test_sgns_cluster_skipgram_trains_and_embeds_by_nearest_cluster(corpus, clusters, tmp_path, run_awe):
    """--hard --objective sgns: a segment's semantic vector is its nearest cluster's row."""
    out = tmp_path / "model"
    rc, _, err = run_awe(["train-skipgram", "--method", "cluster-skipgram", "--hard", "--objective", "sgns",
                          *method_args("cluster-skipgram", corpus, clusters), *FAST, corpus / "words", out])
    assert rc == 0, err
    config = json.loads((out / "config.json").read_text())
    assert config["model"]["objective"] == config["training"]["objective"] == "sgns"
    rc, _, err = run_awe(["embed", out, f"ark:{corpus / 'emb.ark'}", f"ark:{tmp_path / 'sem.ark'}"])
    assert rc == 0, err
    keys, vectors = read_vectors(f"ark:{tmp_path / 'sem.ark'}")
    table = torch.load(out / "model.pt", weights_only=True)["clusters.weight"].numpy()
    assign = dict(line.split() for line in (clusters / "assign.txt").read_text().splitlines())
    assert np.allclose(vectors, table[[int(assign[k]) for k in keys]], atol=1e-6)


def test_same_seed_same_model(corpus, clusters, tmp_path, run_awe):
    states = []
    for name in ("a", "b"):
        args = ["train-skipgram", "--method", "cluster-skipgram", *method_args("cluster-skipgram", corpus, clusters),
                *FAST, "--seed", "3", corpus / "words", tmp_path / name]
        assert run_awe(args)[0] == 0
        states.append(torch.load(tmp_path / name / "model.pt", weights_only=True))
    for key in states[0]:
        assert torch.equal(states[0][key], states[1][key])


def test_resume_continues_exactly(corpus, clusters, tmp_path, run_awe, monkeypatch):
    args = ["train-skipgram", "--method", "two-stage", *method_args("two-stage", corpus, clusters),
            *FAST, "--epochs", "2", corpus / "words"]
    assert run_awe([*args, tmp_path / "whole"])[0] == 0
    original = train_module.valid_loss
    calls = []

    def crash_in_epoch_two(*a, **k):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(*a, **k)

    monkeypatch.setattr(train_module, "valid_loss", crash_in_epoch_two)
    assert run_awe([*args, tmp_path / "cut"])[0] == 130
    assert (tmp_path / "cut.partial" / "checkpoint.pt").is_file() and not (tmp_path / "cut").exists()
    monkeypatch.setattr(train_module, "valid_loss", original)
    rc, _, err = run_awe([*args, tmp_path / "cut"])
    assert rc == 1 and "--resume" in err
    assert run_awe([*args, "--resume", tmp_path / "cut"])[0] == 0
    whole = torch.load(tmp_path / "whole" / "model.pt", weights_only=True)
    resumed = torch.load(tmp_path / "cut" / "model.pt", weights_only=True)
    for key in whole:
        assert torch.equal(whole[key], resumed[key])
    assert len((tmp_path / "cut" / "log.jsonl").read_text().splitlines()) == 2


def test_contrastive_starts_from_phonetic_model(corpus, tmp_path, run_awe):
    config = ModelConfig(feat_dim=5, hidden=12, layers=1, embed_dim=7)
    torch.manual_seed(1)
    phonetic = AweModel(config)
    (tmp_path / "phon").mkdir()
    save_weights(tmp_path / "phon" / "model.pt", phonetic.state_dict())
    write_json(tmp_path / "phon" / "config.json", {**format_header(), "model": config.to_dict()})
    out = tmp_path / "sem"
    rc, _, err = run_awe(["train-skipgram", "--method", "contrastive", "--features", f"ark:{corpus / 'feats.ark'}",
                          "--init", tmp_path / "phon", *FAST, "--lr", "1e-9", corpus / "words", out])
    assert rc == 0, err
    model_config = json.loads((out / "config.json").read_text())["model"]
    assert model_config["phonetic"]["hidden"] == 12 and model_config["phonetic"]["embed_dim"] == 7
    state = torch.load(out / "model.pt", weights_only=True)
    for key, value in phonetic.state_dict().items():  # lr 1e-9: still the initial weights
        assert torch.allclose(state[f"awe.{key}"], value, atol=1e-6)


def test_bad_input(corpus, clusters, tmp_path, run_awe):
    words = corpus / "words"
    # embeddings whose keys the data dir does not know
    write_vectors(f"ark:{tmp_path / 'other.ark'}", ["x-1", "x-2"], np.ones((2, 6), dtype=np.float32))
    rc, _, err = run_awe(["train-skipgram", "--method", "projection", "--embeddings", f"ark:{tmp_path / 'other.ark'}",
                          words, tmp_path / "m1"])
    assert rc == 1 and "share no segment ids" in err and "'x-1'" in err
    # mixed dims
    (tmp_path / "mixed.txt").write_text("s0-u00-0 [ 1 2 3 ]\ns0-u00-1 [ 1 2 ]\n")
    rc, _, err = run_awe(["train-skipgram", "--method", "projection", "--embeddings", f"ark,t:{tmp_path / 'mixed.txt'}",
                          words, tmp_path / "m2"])
    assert rc == 1 and "key 's0-u00-1' has dim 2, earlier keys 3" in err
    # cluster-skipgram without clusters, unknown method, feature method without features
    rc, _, err = run_awe(["train-skipgram", "--method", "cluster-skipgram", "--embeddings", f"ark:{corpus / 'emb.ark'}",
                          words, tmp_path / "m3"])
    assert rc == 1 and "needs --clusters" in err
    rc, _, err = run_awe(["train-skipgram", "--method", "glove", words, tmp_path / "m4"])
    assert rc == 1 and "unknown method 'glove'" in err
    rc, _, err = run_awe(["train-skipgram", "--method", "speech2vec", words, tmp_path / "m5"])
    assert rc == 1 and "needs --features" in err
    rc, _, err = run_awe(["train-skipgram", "--method", "text", "--num-threads", "-1", words, tmp_path / "m7"])
    assert rc == 1 and "--num-threads must be at least 1 (got -1)" in err
    assert not (tmp_path / "m7").exists() and not (tmp_path / "m7.partial").exists()
    # a data dir without seg2pos cannot give context windows
    plain = DataDir.load(words)
    plain.seg2pos = {}
    plain.save(tmp_path / "nopos")
    rc, _, err = run_awe(["train-skipgram", "--method", "text", tmp_path / "nopos", tmp_path / "m6"])
    assert rc == 1 and "no 'seg2pos'" in err
    # existing output
    (tmp_path / "exists").mkdir()
    rc, _, err = run_awe(["train-skipgram", "--method", "text", words, tmp_path / "exists"])
    assert rc == 1 and "use --overwrite" in err


@pytest.mark.parametrize("method", ["cluster-skipgram", "units", "text"])
def test_torchrun_two_processes_match_one(method, corpus, clusters, tmp_path, run_awe):
    """2 gloo processes with half the batch against 1 process: the run completes, rank 0
    alone writes one log line per epoch, and the best validation loss agrees within 5 %."""
    args = ["train-skipgram", "--method", method, *method_args(method, corpus, clusters), *FAST,
            "--epochs", "4", "--seed", "2", "--device", "cpu", "--no-subsample", corpus / "words"]
    assert run_awe([*args, "--batch-size", "64", tmp_path / "one"])[0] == 0
    result = awe_torchrun([*args, "--batch-size", "32", tmp_path / "two"])
    assert result.returncode == 0, torchrun_errors(result)
    assert not (tmp_path / "two.partial").exists() and (tmp_path / "two" / "model.pt").is_file()
    log = [json.loads(line) for line in (tmp_path / "two" / "log.jsonl").read_text().splitlines()]
    assert [entry["epoch"] for entry in log] == [1, 2, 3, 4]
    loss = {name: json.loads((tmp_path / name / "config.json").read_text())["result"]["valid_loss"]
            for name in ("one", "two")}
    assert loss["two"] == pytest.approx(loss["one"], rel=0.05), loss


def similarity_files(corpus, tmp_path) -> list:
    """Pair files over the corpus's words.  In ``topics`` same-topic pairs score high; in
    ``anti`` (the other pairs, and one with a word the corpus lacks) low, so its rho falls
    as training learns the topics; ``anti2`` is ``anti`` again (the mean over the sets
    weights it twice), so the mean rho peaks before the last epoch."""
    words = [f"t{t}w{i}" for t in range(2) for i in range(4)]
    pairs = [(a, b, 9.0 if a[1] == b[1] else 1.0 + i % 3)
             for i, (a, b) in enumerate((a, b) for j, a in enumerate(words) for b in words[j + 1:])]
    anti = [(a, b, 10.0 - s) for a, b, s in pairs[1::2]] + [("t0w0", "absent", 5.0)]
    files = []
    for name, rows in (("topics", pairs[::2]), ("anti", anti), ("anti2", anti[::-1])):
        path = tmp_path / f"{name}.txt"
        path.write_text("word1\tword2\tscore\n" + "".join(f"{a}\t{b}\t{s}\n" for a, b, s in rows))
        files.append(path)
    return files


def read_jsonl(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_wordsim_curve_and_select(corpus, tmp_path, run_awe):
    """--wordsim gives rho per set and epoch in log.jsonl and valid_curve.tsv; --select
    wordsim keeps the epoch with the highest mean rho (ties: the later), which is the model
    a run stopped at that epoch gives; --select last keeps the last checkpoint's weights."""
    files = similarity_files(corpus, tmp_path)

    def train(out: str, epochs: int, *extra: str) -> None:
        rc, _, err = run_awe(["train-skipgram", "--method", "text", *FAST, "--epochs", epochs,
                              "--lr", "0.05", "--window", "3", "--no-subsample", "--wordsim-min-count", "3",
                              *[x for f in files for x in ("--wordsim", f)], *extra,
                              corpus / "words", tmp_path / out])
        assert rc == 0, err

    train("ws", 5, "--select", "wordsim")
    log = read_jsonl(tmp_path / "ws" / "log.jsonl")
    assert [e["epoch"] for e in log] == [1, 2, 3, 4, 5]
    for entry in log:
        assert list(entry["wordsim"]) == ["topics", "anti", "anti2"]
        assert all(isinstance(x, float) and -1 <= x <= 1 for x in entry["wordsim"].values())
    curve = [line.split("\t") for line in (tmp_path / "ws" / "valid_curve.tsv").read_text().splitlines()]
    assert curve[0] == ["epoch", "valid_loss", "loss", "rho_topics", "rho_anti", "rho_anti2"]
    assert [[float(x) for x in row] for row in curve[1:]] == [
        [e["epoch"], e["valid_loss"], e["loss"], *e["wordsim"].values()] for e in log]
    means = [np.mean(list(e["wordsim"].values())) for e in log]
    best = max(range(5), key=lambda i: (means[i], i)) + 1  # highest mean rho, the later on ties
    assert best < 5 and log[-1]["wordsim"]["topics"] > log[best - 1]["wordsim"]["topics"]
    result = json.loads((tmp_path / "ws" / "config.json").read_text())["result"]
    assert result == {"select": "wordsim", "best_epoch": best, "epochs_run": 5,
                      "valid_loss": log[best - 1]["valid_loss"], "wordsim": log[best - 1]["wordsim"]}
    assert all(e["best_epoch"] == max(range(e["epoch"]), key=lambda i: (means[i], i)) + 1 for e in log)
    # the kept weights are those after epoch `best`: what a run of `best` epochs ends with
    train("short", best)
    kept = torch.load(tmp_path / "ws" / "model.pt", weights_only=True)
    short = torch.load(tmp_path / "short" / "model.pt", weights_only=True)
    assert all(torch.equal(kept[k], short[k]) for k in kept)
    vectors = (tmp_path / "ws" / "vectors.txt").read_text().splitlines()
    assert len(vectors) == 9 and vectors[0] == "8 8"
    # --select last (the default): the last epoch, the weights of the last checkpoint
    train("last", 5)
    last = json.loads((tmp_path / "last" / "config.json").read_text())["result"]
    assert last["select"] == "last" and last["best_epoch"] == last["epochs_run"] == 5
    assert last["wordsim"] == log[-1]["wordsim"] and last["valid_loss"] == log[-1]["valid_loss"]
    model = torch.load(tmp_path / "last" / "model.pt", weights_only=True)
    checkpoint = torch.load(tmp_path / "last" / "checkpoint.pt", weights_only=True)
    assert set(model) == set(checkpoint["model"])
    assert all(torch.equal(model[k], checkpoint["model"][k]) for k in model)
    timing = ("time_s", "train_time_s", "pairs_per_s")
    same = [{k: v for k, v in e.items() if k not in timing} for e in read_jsonl(tmp_path / "last" / "log.jsonl")]
    assert same == [{**{k: v for k, v in e.items() if k not in timing}, "best_epoch": e["epoch"]} for e in log]


@pytest.mark.parametrize("option, expected", [
    (["--sample", "0"], "--sample must be above 0 (got 0.0"),
    (["--sample", "-1"], "--sample must be above 0 (got -1.0"),
    (["--select", "wordsim"], "--select wordsim needs at least one --wordsim file"),
    (["--wordsim-min-count", "0"], "--wordsim-min-count must be at least 1 (got 0)"),
    (["--select", "valid-loss", "--valid-fraction", "0"], "--select valid-loss needs --valid-fraction above 0"),
    (["--lr-decay", "step"], "--lr-decay: unknown schedule 'step' (none, linear, cosine)"),
    (["--outlier-fraction", "1"], "--outlier-fraction must be in [0, 1) (got 1.0)"),
    (["--outlier-fraction", "0.1"], "--outlier-fraction needs --clusters and --embeddings"),
    (["--objective", "hinge"], "--objective: unknown objective 'hinge' (softmax, sgns)"),
    (["--objective", "sgns"], "--objective sgns is for --method cluster-skipgram (not text)"),
])
def test_bad_training_rule_options(option, expected, corpus, tmp_path, run_awe):
    out = tmp_path / "model"
    rc, _, err = run_awe(["train-skipgram", "--method", "text", *FAST, *option, corpus / "words", out])
    lines = err.strip().splitlines()
    assert rc == 1 and len(lines) == 1, err
    assert lines[0].startswith("awe train-skipgram: error: ") and expected in lines[0]
    assert not out.exists() and not (tmp_path / "model.partial").exists()


def test_bad_wordsim_files_fail_before_the_work_dir(corpus, tmp_path, run_awe):
    (tmp_path / "bad.txt").write_text("a b c d\n")
    (tmp_path / "other").mkdir()
    for name in ("sim.txt", "other/sim.txt"):
        (tmp_path / name).write_text("t0w0\tt0w1\t9\nt0w0\tt1w1\t1\n")
    for files, expected in ((["nope.txt"], "nope.txt: no such file"),
                            (["bad.txt"], "bad.txt:1: unknown word-pair format"),
                            (["sim.txt", "other/sim.txt"], "--wordsim: two files named 'sim'")):
        out = tmp_path / "model"
        rc, _, err = run_awe(["train-skipgram", "--method", "text", *FAST,
                              *[x for f in files for x in ("--wordsim", tmp_path / f)], corpus / "words", out])
        assert rc == 1 and expected in err, err
        assert not out.exists() and not (tmp_path / "model.partial").exists()


def test_epoch_without_pairs_after_subsampling(corpus, tmp_path, run_awe, caplog):
    """A threshold so low that subsampling drops every segment: epochs without steps are
    logged (0 pairs, lr where the schedule stands) with a warning, not a crash."""
    rc, _, err = run_awe(["train-skipgram", "--method", "text", *FAST, "--epochs", "2", "--lr-decay", "linear",
                          "--sample", "1e-12", corpus / "words", tmp_path / "model"])
    assert rc == 0, err
    assert "epoch 1: no training pairs left after subsampling" in caplog.text
    log = read_jsonl(tmp_path / "model" / "log.jsonl")
    assert [e["pairs"] for e in log] == [0, 0] and [e["final_lr"] for e in log] == pytest.approx([1e-3, 5e-4])


def test_cluster_skipgram_embeds_soft_labels_as_given(corpus, clusters, tmp_path, run_awe):
    """awe embed of the cluster dir's soft.h5 equals the AWEs' embedding (same labels), and
    refuses a cluster id the model does not have."""
    out = tmp_path / "model"
    assert run_awe(["train-skipgram", "--method", "cluster-skipgram", *method_args("cluster-skipgram", corpus, clusters),
                    *FAST, corpus / "words", out])[0] == 0
    assert run_awe(["embed", out, f"ark:{corpus / 'emb.ark'}", f"ark:{tmp_path / 'from_awe.ark'}"])[0] == 0
    rc, _, err = run_awe(["embed", out, f"h5:{clusters / 'soft.h5'}", f"ark:{tmp_path / 'from_soft.ark'}"])
    assert rc == 0, err
    keys_a, a = read_vectors(f"ark:{tmp_path / 'from_awe.ark'}")
    keys_s, b = read_vectors(f"ark:{tmp_path / 'from_soft.ark'}")
    order = [keys_s.index(k) for k in keys_a]
    assert np.allclose(a, b[order], atol=1e-5)
    with open_writer(f"ark:{tmp_path / 'bad.ark'}") as w:
        w.write("s0-u00-0", np.array([[9.0, 1.0], [0.5, 0.5]], dtype=np.float32))
    rc, _, err = run_awe(["embed", out, f"ark:{tmp_path / 'bad.ark'}", f"ark:{tmp_path / 'x.ark'}"])
    assert rc == 1 and "key 's0-u00-0' has a cluster id outside 0..7" in err
    assert not (tmp_path / "x.ark").exists()
