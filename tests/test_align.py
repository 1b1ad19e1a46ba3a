"""Alignment: Procrustes and rectangular maps, chunked CSLS, dictionary induction, adversarial
training, refinement, the awe align command and its bad-input messages."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import kaldiio
import numpy as np
import pytest
import torch

from awetools.align.adversarial import AdversarialOptions, orthogonalize, train_adversarial
from awetools.align.csls import Similarity
from awetools.align.dictionary import Dictionary, criterion, identical_pairs, induce, lookup, read_pairs
from awetools.align.mapdir import load_map
from awetools.align.normalize import apply_normalization, normalize
from awetools.align.pipeline import AlignConfig, align
from awetools.align.procrustes import apply_map, fit_map
from awetools.align.selflearning import (SelfLearningOptions, initial_dictionary, reweighted_spaces,
                                        similarity_distributions)
from awetools.errors import AweError
from awetools.io.tables import write_vectors
from awetools.io.wordvectors import read_word_vectors, write_word_vectors

ALIGN_TO_TEXT = Path(__file__).resolve().parents[1] / "recipes/default/local/align_to_text.sh"


def rotation(dim: int, seed: int) -> np.ndarray:
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(dim, dim)))
    return q.astype(np.float32)


def clustered(n: int, dim: int, seed: int = 0) -> np.ndarray:
    """Anisotropic vectors with cluster structure (a space worth aligning)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(20, dim)) * 3
    scale = np.linspace(2.0, 0.3, dim)
    return (centres[rng.integers(0, 20, n)] + rng.normal(size=(n, dim)) * scale).astype(np.float32)


def brute_csls(a: np.ndarray, b: np.ndarray, k: int) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    s = a @ b.T
    r_a = np.sort(s, axis=1)[:, -k:].mean(axis=1)
    r_b = np.sort(s, axis=0)[-k:, :].mean(axis=0)
    return 2 * s - r_a[:, None] - r_b[None, :]


# ---------------------------------------------------------------- maps

def test_procrustes_recovers_rotation():
    x = clustered(300, 16)
    q = rotation(16, 1)
    w = fit_map(x, x @ q.T)
    np.testing.assert_allclose(w, q, atol=1e-5)
    np.testing.assert_allclose(apply_map(x, w), x @ q.T, atol=1e-4)


def test_semi_orthogonal_and_linear_maps_for_different_dims():
    x = clustered(200, 6)
    embed = rotation(10, 2)[:, :6]  # [10, 6] orthonormal columns
    w = fit_map(x, x @ embed.T, "semi-orthogonal")
    assert w.shape == (10, 6)
    np.testing.assert_allclose(w.T @ w, np.eye(6), atol=1e-5)
    np.testing.assert_allclose(w, embed, atol=1e-5)
    general = np.random.default_rng(3).normal(size=(4, 6)).astype(np.float32)
    w = fit_map(x, x @ general.T, "linear", ridge=0.0)
    np.testing.assert_allclose(w, general, atol=1e-4)
    with pytest.raises(AweError, match="dim 6 and TGT vectors dim 4: an orthogonal map needs equal dims"):
        fit_map(x, x @ general.T, "orthogonal")


def test_fewer_pairs_than_dims_warns(caplog):
    x = clustered(5, 8)
    with caplog.at_level(logging.WARNING, logger="awetools"):
        fit_map(x, x, "orthogonal")
    assert "only 5 dictionary pairs for a orthogonal map with 8 input dims" in caplog.text


def test_orthogonalize_pushes_singular_values_to_one():
    w = torch.tensor(rotation(5, 4) * np.array([1.3, 1.1, 1.0, 0.9, 0.7], dtype=np.float32))
    for _ in range(3000):
        orthogonalize(w, 0.01)
    np.testing.assert_allclose(torch.linalg.svdvals(w).numpy(), 1.0, atol=1e-4)


def test_normalize_spec_and_reapply():
    x = clustered(50, 4) + 5
    y, record = normalize(x, "renorm,center,renorm")
    np.testing.assert_allclose(np.linalg.norm(y, axis=1), 1.0, atol=1e-6)
    assert [r["op"] for r in record] == ["renorm", "center", "renorm"]
    np.testing.assert_allclose(apply_normalization(x, record), y, atol=1e-6)
    centred, _ = normalize(x, "center")
    np.testing.assert_allclose(centred.mean(axis=0), 0.0, atol=1e-5)
    with pytest.raises(AweError, match="unknown step 'unit'"):
        normalize(x, "unit,center")


# ---------------------------------------------------------------- CSLS and dictionaries

def test_chunked_csls_matches_brute_force():
    a, b = clustered(37, 5, 1), clustered(23, 5, 2)
    expected = brute_csls(a, b, 3)
    sim = Similarity(a, b, k=3, block_elems=50)  # 2 rows per block
    assert sim.block == 2
    scores, index = sim.topk(4, "csls")
    np.testing.assert_array_equal(index, np.argsort(-expected, axis=1)[:, :4])
    np.testing.assert_allclose(scores, np.take_along_axis(expected, index, axis=1), atol=1e-5)
    _, nn = sim.topk(1, "nn", rows=np.array([5, 0]))
    cos = (a / np.linalg.norm(a, axis=1, keepdims=True)) @ (b / np.linalg.norm(b, axis=1, keepdims=True)).T
    assert nn[:, 0].tolist() == [cos[5].argmax(), cos[0].argmax()]
    a_score, a_best, b_score, b_best = sim.best_both_ways("csls")
    np.testing.assert_array_equal(a_best, expected.argmax(axis=1))
    np.testing.assert_array_equal(b_best, expected.argmax(axis=0))
    np.testing.assert_allclose(b_score, expected.max(axis=0), atol=1e-5)


def test_best_both_ways_drops_scores_at_random_but_not_the_neighbourhoods():
    a, b = clustered(37, 5, 1), clustered(23, 5, 2)
    expected = brute_csls(a, b, 3)  # hub terms from every score
    sim = Similarity(a, b, k=3)     # one block: the mask is one draw of the whole matrix
    kept = (torch.rand(expected.shape, generator=torch.Generator().manual_seed(5)) < 0.5).numpy()
    a_score, a_best, b_score, b_best = sim.best_both_ways(
        "csls", keep=0.5, generator=torch.Generator().manual_seed(5))
    dropped_out = np.where(kept, expected, -np.inf)
    np.testing.assert_array_equal(a_best, dropped_out.argmax(axis=1))
    np.testing.assert_array_equal(b_best, dropped_out.argmax(axis=0))
    np.testing.assert_allclose(a_score, dropped_out.max(axis=1), atol=1e-5)
    assert (a_best != expected.argmax(axis=1)).any()  # the dropout changed some choices
    full = sim.best_both_ways("csls", keep=1.0)
    np.testing.assert_array_equal(full[1], expected.argmax(axis=1))


def test_induce_mutual_and_ranks():
    a, b = clustered(40, 6, 3), clustered(30, 6, 4)
    expected = brute_csls(a, b, 10)
    s2t, t2s = expected.argmax(axis=1), expected.argmax(axis=0)
    mutual = {(i, int(s2t[i])) for i in range(40) if t2s[s2t[i]] == i}
    dico = induce(a, b, "mutual", "csls", 10, max_rank=0)
    assert set(zip(dico.src.tolist(), dico.tgt.tolist())) == mutual
    assert np.all(np.diff(dico.scores) <= 0)
    limited = induce(a, b, "s2t", "csls", 10, max_rank=10)
    assert set(zip(limited.src.tolist(), limited.tgt.tolist())) == {
        (i, int(s2t[i])) for i in range(10) if s2t[i] < 10}
    assert len(induce(a, b, "mutual", "csls", 10, max_rank=0, max_size=2)) == min(2, len(mutual))


def test_criterion_prefers_the_true_map():
    x = clustered(400, 12)
    q = rotation(12, 5)
    y = x @ q.T
    good, pairs = criterion(x @ q.T, y, max_rank=400, max_size=400)
    bad, _ = criterion(x, y, max_rank=400, max_size=400)
    assert good == pytest.approx(1.0, abs=1e-5) and pairs == 400 and bad < 0.9


def test_dictionary_lookup_reports_missing(tmp_path):
    (tmp_path / "d.txt").write_text("a A\nb B\nzz B\na A\nc QQ\n")
    pairs = read_pairs(tmp_path / "d.txt")
    assert pairs == [("a", "A"), ("b", "B"), ("zz", "B"), ("c", "QQ")]
    dico, report = lookup(pairs, ["a", "b", "c"], ["A", "B"], "d.txt")
    assert dico.src.tolist() == [0, 1] and dico.tgt.tolist() == [0, 1]
    assert (report.pairs, report.kept, report.missing_src, report.missing_tgt) == (4, 2, ["zz"], ["QQ"])
    assert "2 of 4 pairs usable; 1 source words not in SRC ('zz'); 1 target words not in TGT ('QQ')" \
        in report.describe()
    assert identical_pairs(["a", "x", "B"], ["B", "a"]) == [("a", "a"), ("B", "B")]
    (tmp_path / "bad.txt").write_text("a A\nb\n")
    with pytest.raises(AweError, match="bad.txt:2: expected '<source word> <target word>'"):
        read_pairs(tmp_path / "bad.txt")


# ---------------------------------------------------------------- adversarial and refinement

TINY = AdversarialOptions(epochs=2, epoch_size=640, batch_size=32, dis_steps=2, dis_hidden=32,
                          dis_most_frequent=0)


def test_adversarial_is_seeded_and_keeps_the_map_orthogonal():
    x, y = clustered(120, 8, 1), clustered(130, 8, 2)
    records: list[dict] = []

    def crit(w):
        return criterion(apply_map(x, w), y, max_rank=100, max_size=100)

    w1, c1 = train_adversarial(x, y, TINY, 7, crit, on_epoch=records.append)
    w2, c2 = train_adversarial(x, y, TINY, 7, crit)
    np.testing.assert_array_equal(w1, w2)
    assert c1 == c2 and [r["epoch"] for r in records] == [0, 1]
    # the rate used in each epoch: decayed by 0.98 per epoch (a shrink needs two criterion drops)
    assert [r["map_lr"] for r in records] == pytest.approx([0.1, 0.098])
    np.testing.assert_allclose(w1 @ w1.T, np.eye(8), atol=0.05)
    with pytest.raises(AweError, match="--dis-smooth"):
        AdversarialOptions(dis_smooth=0.7).check()


def test_refinement_recovers_a_nearby_rotation():
    """Identity start (0 adversarial epochs) + CSLS/Procrustes refinement finds a small rotation."""
    x = clustered(600, 10)
    angle = np.zeros((10, 10))
    angle[0, 1], angle[1, 0] = 0.35, -0.35
    angle[2, 3], angle[3, 2] = 0.25, -0.25
    from scipy.linalg import expm
    q = expm(angle).astype(np.float32)
    perm = np.random.default_rng(0).permutation(600)
    y = (x @ q.T)[perm]
    config = AlignConfig(method="adversarial", normalize="", refinements=4,
                         adversarial=AdversarialOptions(epochs=0), criterion_max_rank=600,
                         dico_max_rank=600)
    result = align(x, y, config)
    np.testing.assert_allclose(result.w, q, atol=1e-3)
    assert result.criterion == pytest.approx(1.0, abs=1e-4)
    assert [h["phase"] for h in result.history][-2:] == ["restart-end", "selected"]


def test_similarity_distributions_ignore_rotation_and_order():
    x = clustered(200, 8, 3).astype(np.float64)
    perm = np.random.default_rng(2).permutation(200)
    np.testing.assert_allclose(similarity_distributions(x @ rotation(8, 4))[perm],
                               similarity_distributions(x[perm]), atol=1e-6)
    # the start pairs rows by their sorted similarities alone: a shuffled, rotated copy
    # is matched back to its own rows
    start = initial_dictionary(x, (x @ rotation(8, 4))[perm], 200)
    assert np.mean(perm[start.tgt] == start.src) > 0.9


def test_reweighted_spaces_of_a_rotated_copy_coincide():
    """y = x R with the true pairs: whitening makes the cross-covariance R itself (singular
    values 1, so any re-weighting is neutral), and both sides land on the same rows, a
    rotation of x (de-whitening gives x's own geometry back)."""
    x = clustered(300, 8, 3).astype(np.float64)
    y = x @ rotation(8, 4)
    pairs = Dictionary(np.arange(300), np.arange(300))
    for reweight in (0.0, 0.5, 1.0):
        mapped_x, mapped_y = reweighted_spaces(x, y, pairs, reweight)
        np.testing.assert_allclose(mapped_x, mapped_y, atol=1e-4)
        np.testing.assert_allclose(mapped_x @ mapped_x.T, x @ x.T, atol=1e-4)


def test_reweighting_favours_the_axes_the_pairs_agree_on():
    """Two axes agree across the pairs, two are noise on the target side: re-weighting the
    common space's axes by their agreement brings each pair's rows closer together."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 4))
    y = np.concatenate([x[:, :2], rng.normal(size=(500, 2))], axis=1)
    pairs = Dictionary(np.arange(500), np.arange(500))

    def pair_cosine(reweight: float) -> float:
        a, b = reweighted_spaces(x, y, pairs, reweight)
        return float(np.mean(np.sum(a * b, 1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)))

    assert pair_cosine(0.0) < pair_cosine(0.5) < pair_cosine(1.0)
    assert pair_cosine(1.0) > 0.9 > 0.6 > pair_cosine(0.0)


def test_self_learning_recovers_a_rotation_without_a_dictionary():
    """No seed pairs, target rows shuffled: the map is found (VecMap's unsupervised start)."""
    x = clustered(600, 20, 5)
    q = rotation(20, 6)
    perm = np.random.default_rng(7).permutation(600)
    y = (x @ q.T + 0.01 * np.random.default_rng(8).normal(size=x.shape))[perm]
    config = AlignConfig(method="self-learning", self_learning=SelfLearningOptions(vocab=600),
                         criterion_max_rank=600, dico_max_rank=600)
    result = align(x, y, config)
    src, _ = normalize(x, config.normalize)
    tgt, _ = normalize(y, config.normalize)
    assert np.mean(np.argmax(apply_map(src, result.w) @ tgt.T, axis=1) == np.argsort(perm)) > 0.99
    assert [h["phase"] for h in result.history][0] == "self-learning"
    halved = align(x, y, replace(config, restarts=2))  # restart 1 starts from half the words
    assert [h["vocab"] for h in halved.history if h["phase"] == "self-learning"] == [600, 300]
    with pytest.raises(AweError, match="--map linear needs --method procrustes"):
        align(x, y, AlignConfig(method="self-learning", map_kind="linear"))
    with pytest.raises(AweError, match="--init-vocab >= 2"):
        align(x, y, AlignConfig(method="self-learning", self_learning=SelfLearningOptions(vocab=1)))


# ---------------------------------------------------------------- awe align

@pytest.fixture
def spaces(tmp_path):
    """SRC = TGT rotated (same words, shuffled order), plus a few extra words on each side."""
    x = clustered(300, 12, 7)
    q = rotation(12, 8)
    words = [f"w{i:03d}" for i in range(300)]
    write_word_vectors(tmp_path / "src.txt", words + ["onlysrc"], np.vstack([x, x[:1] + 1]), precision=9)
    perm = np.random.default_rng(1).permutation(300)
    write_word_vectors(tmp_path / "tgt.txt", [words[i] for i in perm] + ["onlytgt"],
                       np.vstack([(x @ q.T)[perm], x[:1]]), fmt="glove", precision=9)
    (tmp_path / "dico.txt").write_text("".join(f"{w} {w}\n" for w in words[:200]) + "nosuch w001\nw002 nosuch\n")
    (tmp_path / "gold.txt").write_text("".join(f"{w} {w}\n" for w in words[200:]))
    return tmp_path, q


def test_align_procrustes_outputs_and_eval(spaces, run_awe, caplog):
    d, q = spaces
    rc, _, err = run_awe(["align", "--method", "procrustes", "--dico", d / "dico.txt", "--normalize", "",
                          "--export-dico", "s2t", d / "src.txt", d / "tgt.txt", d / "out"])
    assert rc == 0, err
    assert "200 of 202 pairs usable; 1 source words not in SRC ('nosuch'); 1 target words not in TGT ('nosuch')" \
        in caplog.text
    out = d / "out"
    assert sorted(p.name for p in out.iterdir()) == ["W.npy", "W.txt", "dictionary.txt", "log.jsonl",
                                                    "map.json", "mapped.txt"]
    w = np.load(out / "W.npy")
    np.testing.assert_allclose(w, q, atol=1e-4)
    np.testing.assert_allclose(kaldiio.load_mat(str(out / "W.txt")), w, atol=1e-6)
    meta = json.loads((out / "map.json").read_text())
    assert (meta["src_dim"], meta["tgt_dim"], meta["map"], meta["method"]) == (12, 12, "orthogonal", "procrustes")
    assert meta["seed_dictionary"]["missing_src_words"] == 1 and meta["seed_dictionary"]["kept"] == 200
    words, mapped = read_word_vectors(out / "mapped.txt")
    assert len(words) == 301 and mapped.shape == (301, 12)
    lines = (out / "dictionary.txt").read_text().splitlines()
    assert len(lines) == 301 and sum(a == b for a, b, _ in (l.split() for l in lines)) >= 300
    log = [json.loads(l) for l in (out / "log.jsonl").read_text().splitlines()]
    assert log[0]["phase"] == "procrustes" and log[-1]["phase"] == "selected"
    rc, stdout, err = run_awe(["eval", "translate", "--map", out, "--dico", d / "gold.txt",
                               "--json", d / "t.json", d / "src.txt", d / "tgt.txt"])
    assert rc == 0, err
    assert stdout.startswith("awe eval translate: P@1 nn=1.0000 csls=1.0000") and stdout.count("\n") == 1
    result = json.loads((d / "t.json").read_text())
    assert result["n_queries"] == 100 and result["coverage"] == 1.0
    # the mapped vectors are already in the target space: no --map needed
    rc, stdout, _ = run_awe(["eval", "translate", "--dico", d / "gold.txt", out / "mapped.txt", d / "tgt.txt"])
    assert rc == 0 and "P@1 nn=1.0000" in stdout


def test_align_adversarial_is_deterministic(spaces, run_awe):
    d, _ = spaces
    args = ["align", "--epochs", "1", "--epoch-size", "320", "--dis-hidden", "16", "--dis-steps", "1",
            "--refinements", "2", "--restarts", "2", "--seed", "3", "--device", "cpu",
            d / "src.txt", d / "tgt.txt"]
    assert run_awe([*args, d / "a"])[0] == 0
    assert run_awe([*args, d / "b"])[0] == 0
    np.testing.assert_array_equal(np.load(d / "a" / "W.npy"), np.load(d / "b" / "W.npy"))
    log = [json.loads(l) for l in (d / "a" / "log.jsonl").read_text().splitlines()]
    assert {r["restart"] for r in log} == {0, 1}
    assert [r["phase"] for r in log if r["restart"] == 0] == ["adversarial", "refine", "refine", "restart-end",
                                                               "selected"]
    assert all("criterion" in r for r in log)


@pytest.mark.parametrize("extra, message", [
    ([], "SRC vectors have dim 12 and TGT vectors dim 5: an orthogonal map needs equal dims; "
         "choose a rectangular map with --map semi-orthogonal"),
    (["--map", "linear"], "--map linear needs --method procrustes"),
])
def test_align_different_dims(spaces, run_awe, extra, message):
    d, _ = spaces
    write_word_vectors(d / "small.txt", ["w000", "w001"], np.ones((2, 5)))
    rc, _, err = run_awe(["align", *extra, d / "src.txt", d / "small.txt", d / "out"])
    assert rc == 1 and message in err and not (d / "out").exists()


def test_align_rectangular_procrustes_and_few_pairs(spaces, run_awe, caplog):
    d, _ = spaces
    words, vecs = read_word_vectors(d / "src.txt")
    write_word_vectors(d / "wide.txt", words, np.hstack([vecs, np.zeros((len(vecs), 3))]))
    (d / "few.txt").write_text("w000 w000\nw001 w001\n")
    rc, _, err = run_awe(["align", "--method", "procrustes", "--map", "semi-orthogonal", "--dico",
                          d / "few.txt", d / "src.txt", d / "wide.txt", d / "out"])
    assert rc == 0, err
    assert "only 2 dictionary pairs for a semi-orthogonal map with 12 input dims" in caplog.text
    assert np.load(d / "out" / "W.npy").shape == (15, 12)
    assert load_map(d / "out").map_src(vecs[:3]).shape == (3, 15)


@pytest.mark.parametrize("content, message", [
    ("2 3\na 1 2 3\nb 1 nan 3\n", "bad.txt:3: vector of 'b' contains NaN or Inf"),
    ("2 3\na 1 2 3\na 4 5 6\n", "bad.txt:3: duplicate word 'a' (first on line 2)"),
])
def test_align_bad_vectors(spaces, run_awe, content, message):
    d, _ = spaces
    (d / "bad.txt").write_text(content)
    rc, _, err = run_awe(["align", d / "bad.txt", d / "tgt.txt", d / "out"])
    assert rc == 1 and f"awe align: error: {d / message}" in err


def test_align_self_learning_cli(spaces, run_awe):
    d, _ = spaces
    rc, _, err = run_awe(["align", "--method", "self-learning", "--init-vocab", "300", "--seed", "1",
                          d / "src.txt", d / "tgt.txt", d / "sl"])
    assert rc == 0 and "method=self-learning" in err
    rc, out, err = run_awe(["eval", "translate", "--dico", d / "gold.txt", d / "sl" / "mapped.txt", d / "tgt.txt"])
    assert rc == 0 and "P@1 nn=1.0000" in err + out
    options = json.loads((d / "sl" / "map.json").read_text())["config"]["self_learning"]
    assert options["vocab"] == 300 and options["reweight"] == 0.5
    rc, _, err = run_awe(["align", "--method", "self-learning", "--reweight", "2", d / "src.txt", d / "tgt.txt",
                          d / "bad"])
    assert rc == 1 and "--reweight 2.0: must be between 0 and 1" in err and not (d / "bad").exists()
    rc, _, err = run_awe(["align", "--method", "self-learning", "--reweight", "none", "--init-vocab", "300",
                          d / "src.txt", d / "tgt.txt", d / "plain"])
    assert rc == 0
    assert json.loads((d / "plain" / "map.json").read_text())["config"]["self_learning"]["reweight"] is None


def test_align_usage_errors(spaces, run_awe):
    d, _ = spaces
    rc, _, err = run_awe(["align", "--method", "procrustes", d / "src.txt", d / "tgt.txt", d / "out"])
    assert rc == 1 and "needs --dico FILE or --dico identical" in err
    (d / "none.txt").write_text("zz yy\n")
    rc, _, err = run_awe(["align", "--method", "procrustes", "--dico", d / "none.txt",
                          d / "src.txt", d / "tgt.txt", d / "out"])
    assert rc == 1 and "0 of 1 pairs usable" in err and "no usable pair" in err
    rc, _, err = run_awe(["align", "--num-threads", "0", "--dico", "identical",
                          d / "src.txt", d / "tgt.txt", d / "out"])
    assert rc == 1 and "awe align: error: --num-threads must be at least 1 (got 0)" in err
    assert not (d / "out").exists()
    (d / "out").mkdir()
    rc, _, err = run_awe(["align", "--dico", "identical", d / "src.txt", d / "tgt.txt", d / "out"])
    assert rc == 1 and "output directory exists" in err


def test_align_segment_table_averaged_per_label(spaces, run_awe, tmp_path):
    """Speech side: noisy segment embeddings averaged per label, aligned with identical strings."""
    d, q = spaces
    words, vecs = read_word_vectors(d / "src.txt")
    rng = np.random.default_rng(2)
    keys = [f"spk{t}-{i:03d}" for i in range(300) for t in range(2)]
    tokens = np.repeat(vecs[:300], 2, axis=0) + rng.normal(scale=0.01, size=(600, 12)).astype(np.float32)
    write_vectors(f"h5:{tmp_path / 'seg.h5'}", keys, tokens)
    (tmp_path / "text").write_text("".join(f"{k} {words[int(k[-3:])]}\n" for k in sorted(keys)))
    rc, _, err = run_awe(["align", "--method", "procrustes", "--dico", "identical", "--src-labels",
                          tmp_path / "text", f"h5:{tmp_path / 'seg.h5'}", d / "tgt.txt", tmp_path / "out"])
    assert rc == 0, err
    np.testing.assert_allclose(np.load(tmp_path / "out" / "W.npy"), q, atol=1e-2)
    meta = json.loads((tmp_path / "out" / "map.json").read_text())
    assert meta["src_words"] == 300 and meta["seed_dictionary"]["kept"] == 300
    rc, out, err = run_awe(["eval", "translate", "--classify", "--labels", tmp_path / "text", "--map",
                            tmp_path / "out", f"h5:{tmp_path / 'seg.h5'}", d / "tgt.txt"])
    assert rc == 0, err
    assert "accuracy nn=1.0000" in out and "segments=600 coverage=1.000" in out


def test_align_src_max_vocab_keeps_the_most_frequent_labels(spaces, run_awe, tmp_path):
    """--src-max-vocab N with --src-labels: the N words with the most segments are mapped."""
    d, _ = spaces
    words, vecs = read_word_vectors(d / "src.txt")
    frequent = {f"w{i:03d}" for i in range(100, 140)}  # 3 tokens each, every other word 1
    keys, rows = [], []
    for i, word in enumerate(words[:300]):
        for t in range(3 if word in frequent else 1):
            keys.append(f"spk{t}-{i:03d}")
            rows.append(vecs[i])
    write_vectors(f"h5:{tmp_path / 'seg.h5'}", keys, np.array(rows))
    (tmp_path / "text").write_text("".join(f"{k} {words[int(k[-3:])]}\n" for k in sorted(keys)))
    rc, _, err = run_awe(["align", "--method", "procrustes", "--dico", "identical", "--src-max-vocab", "40",
                          "--src-labels", tmp_path / "text", f"h5:{tmp_path / 'seg.h5'}", d / "tgt.txt",
                          tmp_path / "out"])
    assert rc == 0, err
    mapped, _ = read_word_vectors(tmp_path / "out" / "mapped.txt")
    assert sorted(mapped) == sorted(frequent)


def test_align_to_text_recipe_helper_runs_the_methods_asked(spaces, tmp_path):
    """recipes/default/local/align_to_text.sh --methods: only those maps, onto both targets;
    an unknown method is refused before any work."""
    d, _ = spaces
    words, vecs = read_word_vectors(d / "src.txt")
    keys = [f"spk0-{i:03d}" for i in range(300)]
    write_vectors(f"h5:{tmp_path / 'seg.h5'}", keys, vecs[:300])
    (tmp_path / "text").write_text("".join(f"{k} {words[i]}\n" for i, k in enumerate(keys)))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "AWE_NO_PROGRESS": "1"}

    def helper(*argv):
        return subprocess.run([str(ALIGN_TO_TEXT), *map(str, argv)], env=env, capture_output=True,
                              text=True, cwd=tmp_path)

    args = [tmp_path / "exp", f"h5:{tmp_path / 'seg.h5'}", tmp_path / "text", d / "tgt.txt",
            d / "tgt.txt", 0, tmp_path / "no_adversarial.conf"]
    done = helper("--methods", "procrustes self-learning", *args)
    assert done.returncode == 0, done.stderr
    results = tmp_path / "exp" / "results"
    assert sorted(p.name for p in results.iterdir()) == [
        f"translate_{t}_{m}.json" for t in ("glove", "text") for m in ("procrustes", "self-learning")]
    assert json.loads((results / "translate_text_procrustes.json").read_text())["csls"]["p@1"] == 1.0
    refused = helper("--methods", "procrustes mapping", *args)
    assert refused.returncode == 2
    assert "--methods: unknown method 'mapping' (procrustes, adversarial, self-learning)" in refused.stderr
    refused = helper("--methods", " ", *args)
    assert refused.returncode == 2 and "--methods: no method given" in refused.stderr
