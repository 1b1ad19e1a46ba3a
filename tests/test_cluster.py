"""awe cluster: K-means, soft labels, purity/NMI, cluster dirs and bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

from awetools.cli.main import main
from awetools.cluster import kmeans as kmeans_module
from awetools.cluster.clusterdir import ClusterDir
from awetools.cluster.kmeans import (KMeansOptions, KMeansResult, cluster_means, greedy_kmeans_pp,
                                     kmeans, lloyd, nearest, removable_centroids, swap_refine)
from awetools.cluster.merge import MergeOptions, merged_result, speaker_merge
from awetools.cluster.quality import nmi, purity
from awetools.cluster.soft import softmax_neg_distances
from awetools.io.tables import write_vectors


def blobs(n_per: int = 40, k: int = 4, dim: int = 6, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = np.eye(k, dim) * 20.0
    labels = np.repeat(np.arange(k), n_per)
    x = (centres[labels] + rng.normal(size=(len(labels), dim))).astype(np.float32)
    return x, labels


@pytest.fixture
def table(tmp_path):
    x, labels = blobs()
    keys = [f"spk-u{i:04d}" for i in range(len(x))]
    write_vectors(f"ark:{tmp_path / 'e.ark'}", keys, x)
    (tmp_path / "text").write_text("".join(f"{k} w{l}\n" for k, l in zip(keys, labels)))
    return tmp_path, keys, x, labels


def test_kmeans_finds_blobs_and_inertia_is_sum_of_squares():
    x, labels = blobs()
    result = kmeans(x, KMeansOptions(k=4, init="kmeans++", nredo=3, seed=1))
    assert purity(result.assign, labels) == 1.0
    expected = ((x - result.centroids[result.assign]) ** 2).sum()
    assert result.inertia == pytest.approx(expected, rel=1e-4)
    # centroids are the cluster means at convergence
    for c in range(4):
        np.testing.assert_allclose(result.centroids[c], x[result.assign == c].mean(0), atol=1e-3)


def test_greedy_kmeans_pp_one_centre_per_far_group():
    # 3 tight groups, far apart: every greedy step takes an uncovered group (its points
    # carry nearly all the D^2 mass), so the centres are one row of each group
    x, labels = blobs(n_per=30, k=3, dim=4, seed=2)
    centres = greedy_kmeans_pp(x, 3, np.random.default_rng(0))
    rows = [int(np.flatnonzero((x == c).all(axis=1))[0]) for c in centres]
    assert sorted(labels[rows]) == [0, 1, 2]


def test_greedy_kmeans_pp_identical_vectors():
    x = np.ones((5, 2), np.float32)  # no D^2 mass left after the first centre
    np.testing.assert_array_equal(greedy_kmeans_pp(x, 3, np.random.default_rng(0)), np.ones((3, 2)))


def test_inertia_within_1_percent_of_sklearn_on_zipfian_words():
    """The bench's data at a small size (6,000 x 130 around 120 Zipfian word centres, K=60),
    mean inertia over 3 seeds: the default (random start, swap rounds) as good as
    scikit-learn, random init without swap rounds not."""
    from sklearn.cluster import KMeans

    rng = np.random.default_rng(0)
    centres = rng.normal(size=(120, 130)).astype(np.float32)
    p = 1.0 / np.arange(1, 121)
    x = (centres[rng.choice(120, 6000, p=p / p.sum())]
         + 0.35 * rng.normal(size=(6000, 130))).astype(np.float32)
    seeds = range(3)
    ours = np.mean([kmeans(x, KMeansOptions(k=60, seed=s, device="cpu")).inertia for s in seeds])
    theirs = np.mean([KMeans(60, n_init=1, max_iter=20, random_state=s).fit(x).inertia_
                      for s in seeds])
    plain = np.mean([kmeans(x, KMeansOptions(k=60, seed=s, init="random", swap_rounds=0,
                                             device="cpu")).inertia for s in seeds])
    assert ours < 1.01 * theirs and plain > 1.2 * theirs


def test_cluster_means_by_hand():
    x = np.array([[0, 0], [2, 0], [0, 4]], np.float32)
    old = np.array([[9, 9], [9, 9], [3, 4]], np.float32)
    np.testing.assert_allclose(cluster_means(x, np.array([0, 0, 1]), old, spherical=False),
                               [[1, 0], [0, 4], [3, 4]])  # the empty cluster 2 keeps its centroid
    np.testing.assert_allclose(cluster_means(x, np.array([0, 0, 1]), old, spherical=True),
                               [[1, 0], [0, 1], [0.6, 0.8]], atol=1e-6)


def test_nearest_is_brute_force_across_blocks(monkeypatch):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(301, 7)).astype(np.float32)
    centroids = rng.normal(size=(11, 7)).astype(np.float32)
    monkeypatch.setattr(kmeans_module, "BLOCK_ELEMENTS", 11 * 40)  # 8 blocks of 40 rows
    dist, idx = nearest(x, centroids, top=3)
    exact = ((x[:, None, :].astype(np.float64) - centroids[None]) ** 2).sum(-1)
    order = np.argsort(exact, axis=1)[:, :3]
    np.testing.assert_array_equal(idx, order)
    np.testing.assert_allclose(dist, np.take_along_axis(exact, order, axis=1), rtol=1e-4, atol=1e-4)
    assert nearest(x, centroids[:2], top=3)[1].shape == (301, 2)  # top is at most K


def test_lloyd_gives_an_emptied_cluster_the_farthest_vector():
    x = np.array([[0, 0], [0, 1], [10, 0], [10, 1], [30, 0]], np.float32)
    start = np.array([[0, 0.5], [10, 0.5], [-100, 0]], np.float32)  # the third serves nothing
    centroids, objectives = lloyd(x, start, 1)
    # means of the two served clusters; [30, 0] (20.25 from its centroid) moves to the empty one
    np.testing.assert_allclose(centroids, [[0, 0.5], [50 / 3, 1 / 3], [30, 0]], atol=1e-5)
    assert objectives == [pytest.approx(4 * 0.25 + 20.0 ** 2 + 0.25)]


def test_removable_centroids_by_hand():
    # c0, c1 share blob A; c2 serves B, c3 serves C, whose second choice is c2.
    # cost of removal: c0 0.1 + 0.1, c1 0.2 + 0.2, c2 100 + 100, c3 50
    assign2 = np.array([[0, 1], [0, 1], [1, 0], [1, 0], [2, 0], [2, 0], [3, 2]])
    dist2 = np.array([[0, 0.1], [0, 0.1], [0, 0.2], [0, 0.2], [0, 100], [0, 100], [0, 50]])
    assert removable_centroids(assign2, dist2, 4, 1).tolist() == [0]
    # c1 and c2 would hand their vectors to c0, removed first: passed over; c3 (to c2) is not
    assert removable_centroids(assign2, dist2, 4, 2).tolist() == [0, 3]


def test_swap_rounds_move_a_centroid_from_a_split_blob_to_an_unserved_one():
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0, 0], [50, 0, 0], [0, 50, 0]], np.float32)
    x = (np.repeat(centres, 40, axis=0) + 0.1 * rng.normal(size=(120, 3))).astype(np.float32)
    start = x[[0, 1, 40]]  # two centroids in blob 0, one in blob 1, none in blob 2
    best, objectives = swap_refine(x, start, 3, 120, np.random.default_rng(0))
    assert sorted(np.argmin(((best[:, None] - centres) ** 2).sum(-1), axis=1)) == [0, 1, 2]
    assert objectives[0] > 40 * 50 ** 2 and min(objectives) < 120 * 3 * 0.1 ** 2 * 2


def test_spherical_centroids_are_unit_vectors():
    x, _ = blobs()
    result = kmeans(x, KMeansOptions(k=4, spherical=True, seed=0))
    np.testing.assert_allclose(np.linalg.norm(result.centroids, axis=1), 1.0, atol=1e-5)
    assert result.distances.max() <= 4.0 + 1e-5  # unit vectors: 2 - 2cos


def test_softmax_by_hand():
    dist = np.array([[1.0, 2.0, 4.0]], dtype=np.float32)
    w = softmax_neg_distances(dist, temperature=2.0)
    expected = np.exp([-0.5, -1.0, -2.0])
    np.testing.assert_allclose(w[0], expected / expected.sum(), rtol=1e-6)


def test_purity_and_nmi_by_hand():
    assign = np.array([0, 0, 0, 1, 1, 1])
    words = np.array(["a", "a", "b", "b", "b", "b"])
    assert purity(assign, words) == pytest.approx(5 / 6)
    assert nmi(assign, assign) == pytest.approx(1.0)
    assert nmi(np.array([0, 0, 1, 1]), np.array(["a", "b", "a", "b"])) == pytest.approx(0.0, abs=1e-12)


def test_cli_writes_cluster_dir(table, capsys):
    tmp, keys, x, labels = table
    out = tmp / "clusters"
    code = main(["cluster", "-k", "4", "--init", "kmeans++", "--restarts", "2", "--top-k", "3",
                 "--labels", str(tmp / "text"), f"ark:{tmp / 'e.ark'}", str(out)])
    assert code == 0
    err = capsys.readouterr().err
    assert "purity=1.0000" in err and "NMI=1.0000" in err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n"] == len(keys) and summary["k"] == 4 and summary["dim"] == 6
    centroids = np.load(out / "centroids.npy")
    assert centroids.shape == (4, 6)
    assign_lines = (out / "assign.txt").read_text().splitlines()
    assert [line.split()[0] for line in assign_lines] == sorted(keys)
    assign = np.array([int(line.split()[1]) for line in assign_lines])
    assert summary["inertia"] == pytest.approx(((x - centroids[assign]) ** 2).sum(), rel=1e-4)
    loaded = ClusterDir.load(out)
    assert loaded.k == 4 and loaded.soft.keys == keys
    assert loaded.soft.index.shape == (len(keys), 3)
    np.testing.assert_array_equal(loaded.soft.hard(), assign)
    np.testing.assert_allclose(loaded.soft.weight.sum(1), 1.0, atol=1e-5)
    assert (np.diff(loaded.soft.weight, axis=1) <= 0).all()
    # weights are the softmax over the three nearest squared distances at the summary's T
    d = ((x[:, None, :] - centroids[loaded.soft.index]) ** 2).sum(-1)
    np.testing.assert_allclose(loaded.soft.weight, softmax_neg_distances(d, summary["temperature"]),
                               atol=1e-4)
    assert summary["temperature"] == pytest.approx(summary["inertia"] / len(keys), rel=1e-4)


def test_cli_same_seed_same_output(table):
    tmp, *_ = table
    for name in ("a", "b"):
        assert main(["cluster", "-k", "3", "--seed", "7", f"ark:{tmp / 'e.ark'}", str(tmp / name)]) == 0
    assert (tmp / "a" / "assign.txt").read_bytes() == (tmp / "b" / "assign.txt").read_bytes()
    np.testing.assert_array_equal(np.load(tmp / "a" / "centroids.npy"), np.load(tmp / "b" / "centroids.npy"))


def test_k_larger_than_segments(table, capsys):
    tmp, keys, *_ = table
    code = main(["cluster", "-k", str(len(keys) + 1), f"ark:{tmp / 'e.ark'}", str(tmp / "out")])
    assert code == 1
    assert f"K={len(keys) + 1} is larger than the number of segments ({len(keys)})" in capsys.readouterr().err
    assert not (tmp / "out").exists()


def test_mixed_dims(tmp_path, capsys):
    (tmp_path / "e.txt").write_text("a [ 1 2 3 ]\nb [ 1 2 ]\n")
    assert main(["cluster", "-k", "1", f"ark,t:{tmp_path / 'e.txt'}", str(tmp_path / "o")]) == 1
    assert "key 'b' has dim 2, earlier keys 3" in capsys.readouterr().err


def test_empty_table(tmp_path, capsys):
    (tmp_path / "e.txt").write_text("")
    assert main(["cluster", "-k", "1", f"ark,t:{tmp_path / 'e.txt'}", str(tmp_path / "o")]) == 1
    assert "empty table" in capsys.readouterr().err


def test_labels_matching_nothing_and_existing_output(table, capsys):
    tmp, *_ = table
    (tmp / "other").write_text("zzz w\n")
    assert main(["cluster", "-k", "2", "--labels", str(tmp / "other"), f"ark:{tmp / 'e.ark'}",
                 str(tmp / "o")]) == 1
    assert "none of the 160 segment ids has a label" in capsys.readouterr().err
    (tmp / "exists").mkdir()
    assert main(["cluster", "-k", "2", f"ark:{tmp / 'e.ark'}", str(tmp / "exists")]) == 1
    assert "use --overwrite" in capsys.readouterr().err


def test_temperature_scale_sharpens_the_default_rule(table, capsys):
    tmp, keys, *_ = table
    ark = f"ark:{tmp / 'e.ark'}"
    assert main(["cluster", "-k", "8", "--seed", "3", ark, str(tmp / "plain")]) == 0
    assert main(["cluster", "-k", "8", "--seed", "3", "--temperature-scale", "0.25", ark, str(tmp / "sharp")]) == 0
    plain, sharp = (json.loads((tmp / n / "summary.json").read_text()) for n in ("plain", "sharp"))
    assert sharp["temperature"] == pytest.approx(0.25 * plain["inertia"] / len(keys), rel=1e-4)
    # 8 clusters on 4 blobs: split blobs give labels with real weight on a second cluster
    assert plain["mean_top1_weight"] < 0.8 < sharp["mean_top1_weight"] < 0.99
    # a quarter of T raises every weight to the 4th power (renormalised over the top k)
    w_plain, w_sharp = (ClusterDir.load(tmp / n).soft.weight.astype(np.float64) for n in ("plain", "sharp"))
    expected = w_plain ** 4 / (w_plain ** 4).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(w_sharp, expected, atol=1e-4)
    assert (tmp / "plain" / "assign.txt").read_bytes() == (tmp / "sharp" / "assign.txt").read_bytes()
    capsys.readouterr()
    for bad, message in ((["--temperature-scale", "0"], "--temperature-scale must be positive (got 0.0)"),
                         (["--temperature-scale", "0.5", "--temperature", "1"],
                          "--temperature and --temperature-scale exclude each other"),
                         (["--temperature-scale", "1", "--temperature", "1"],
                          "--temperature and --temperature-scale exclude each other")):
        assert main(["cluster", "-k", "4", *bad, ark, str(tmp / "o")]) == 1
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1
        assert not (tmp / "o").exists()


def test_negative_swap_rounds(table, capsys):
    tmp, *_ = table
    assert main(["cluster", "-k", "2", "--swap-rounds", "-1", f"ark:{tmp / 'e.ark'}", str(tmp / "o")]) == 1
    assert "--swap-rounds must be 0 or more (got -1)" in capsys.readouterr().err
    assert not (tmp / "o").exists()


def test_bad_usage_exits_2(table):
    tmp, *_ = table
    assert main(["cluster", f"ark:{tmp / 'e.ark'}", str(tmp / "o")]) == 2  # --k missing


def test_oracle_clusters_are_the_words_own_word_first(tmp_path, capsys):
    keys = [f"s{i}" for i in range(9)]
    x = np.array([[0, 0], [0.1, 0], [0, 0.1], [1, 0], [1.1, 0], [1, 0.1], [0.6, 0], [0.5, 0.1], [0.4, 0]],
                 np.float32)
    words = ["a", "a", "a", "b", "b", "b", "c", "c", "a"]
    (tmp_path / "text").write_text("".join(f"{k} {w}\n" for k, w in zip(keys, words)))
    write_vectors(f"h5:{tmp_path / 'x.h5'}", keys, x)
    assert main(["cluster", "--oracle", "--labels", str(tmp_path / "text"), f"h5:{tmp_path / 'x.h5'}",
                 str(tmp_path / "o")]) == 0
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert (summary["k"], summary["oracle"], summary["labels"]["purity"]) == (3, True, 1.0)
    centroids = np.load(tmp_path / "o" / "centroids.npy")
    assert centroids == pytest.approx(np.array([[0.125, 0.025], [3.1 / 3, 0.1 / 3], [0.55, 0.05]]), abs=1e-6)
    soft = ClusterDir.load(tmp_path / "o").soft
    assert soft.hard().tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 0]  # the true words, always
    # s8 = (0.4, 0) is nearer c (d = 0.025) than its own a (d = 0.07625): a first, then c, b
    assert soft.index[8].tolist() == [0, 2, 1]
    own = ((x - centroids[[0, 0, 0, 1, 1, 1, 2, 2, 0]]) ** 2).sum(1)
    expected = softmax_neg_distances(np.array([[0.07625, 0.025, 0.3725]]), own.mean())
    assert soft.weight[8] == pytest.approx(expected[0], abs=1e-5)
    # every segment needs a word; --oracle needs --labels
    (tmp_path / "part").write_text("s0 a\n")
    assert main(["cluster", "--oracle", "--labels", str(tmp_path / "part"), f"h5:{tmp_path / 'x.h5'}",
                 str(tmp_path / "o2")]) == 1
    assert "no word for segment 's1'" in capsys.readouterr().err
    assert main(["cluster", "--oracle", f"h5:{tmp_path / 'x.h5'}", str(tmp_path / "o3")]) == 1
    assert "--oracle needs --labels" in capsys.readouterr().err
    assert not (tmp_path / "o2").exists() and not (tmp_path / "o3").exists()


def directions(*degrees: float) -> np.ndarray:
    angles = np.radians(degrees)
    return np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)


def test_speaker_merge_joins_disjoint_neighbours_only():
    # clusters 0, 1: 10 degrees apart (cos 0.985), speakers {0} and {1}: one word split by voice;
    # cluster 2: as near, but the same speakers as 0 and 1: another word; cluster 3: 60 degrees off
    centroids = directions(0, 10, 5, 60)
    assign = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    speakers = np.array([0, 0, 1, 1, 0, 1, 0, 1])
    assert speaker_merge(centroids, assign, speakers).tolist() == [0, 0, 1, 2]
    # a looser overlap bound lets cluster 2 join (its overlap with {0, 1} is 0.5)
    assert speaker_merge(centroids, assign, speakers, MergeOptions(max_overlap=0.5)).tolist() == [0, 0, 0, 1]
    # a stricter cosine keeps everything apart
    assert speaker_merge(centroids, assign, speakers, MergeOptions(min_cosine=0.99)).tolist() == [0, 1, 2, 3]


def test_speaker_merge_rounds_join_three_voices_of_one_word():
    # three voices of one word: round 1 joins a mutual pair, round 2 the third
    centroids = directions(0, 8, 16)
    assign = np.array([0, 1, 2])
    assert speaker_merge(centroids, assign, np.array([0, 1, 2])).tolist() == [0, 0, 0]


def test_merged_result_weighted_centroids_by_hand():
    x = directions(0, 0, 0, 90, 45)
    result = KMeansResult(directions(0, 90, 45), np.array([0, 0, 0, 1, 2]), np.zeros(5, np.float32))
    merged = merged_result(x, result, np.array([0, 0, 1]), spherical=True)
    # (3 * (1, 0) + 1 * (0, 1)) / 4, re-normalised: (3, 1) / sqrt(10)
    assert merged.centroids[0] == pytest.approx(np.array([3, 1]) / np.sqrt(10), abs=1e-6)
    # the 90-degree vector is now nearer the 45-degree centroid (cos 0.707) than its merged one (0.316)
    assert merged.assign.tolist() == [0, 0, 0, 1, 1]
    assert merged.distances[3] == pytest.approx(2 - np.sqrt(2), abs=1e-5)
    assert merged.distances[0] == pytest.approx(2 - 2 * 3 / np.sqrt(10), abs=1e-5)


def test_cli_merge_speakers(tmp_path, capsys):
    # two words, each spoken by two speakers whose tokens sit 8 degrees apart: K-means with K=4
    # finds the four (word, speaker) blobs; the merge gives back the two words
    rng = np.random.default_rng(0)
    blob_angles = np.repeat([0.0, 8.0, 60.0, 68.0], 20)
    x = directions(*(blob_angles + rng.normal(scale=0.5, size=len(blob_angles))))
    keys = [f"u{i:03d}" for i in range(len(x))]
    words = np.repeat(["w0", "w0", "w1", "w1"], 20)
    spk = np.repeat(["a", "b", "a", "b"], 20)
    write_vectors(f"h5:{tmp_path / 'x.h5'}", keys, x)
    (tmp_path / "text").write_text("".join(f"{k} {w}\n" for k, w in zip(keys, words)))
    (tmp_path / "utt2spk").write_text("".join(f"{k} {s}\n" for k, s in zip(keys, spk)))
    args = ["cluster", "-k", "4", "--spherical", "--labels", str(tmp_path / "text"), f"h5:{tmp_path / 'x.h5'}"]
    assert main(args + ["--merge-speakers", str(tmp_path / "utt2spk"), str(tmp_path / "o")]) == 0
    assert "K=2 " in capsys.readouterr().err
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert (summary["k"], summary["speaker_merge"]["k_before"]) == (2, 4)
    assert summary["speaker_merge"]["labels_before"]["nmi"] < 0.75
    assert (summary["labels"]["purity"], summary["labels"]["nmi"]) == (1.0, pytest.approx(1.0))
    assert ClusterDir.load(tmp_path / "o").k == 2
    # bad input: a segment without a speaker, an overlap bound outside [0, 1]
    (tmp_path / "part").write_text(f"{keys[0]} a\n")
    assert main(args + ["--merge-speakers", str(tmp_path / "part"), str(tmp_path / "o2")]) == 1
    assert f"part: no speaker for segment '{keys[1]}'" in capsys.readouterr().err
    assert main(args + ["--merge-speakers", str(tmp_path / "utt2spk"), "--merge-max-overlap", "2",
                        str(tmp_path / "o3")]) == 1
    assert "--merge-max-overlap must be in [0, 1] (got 2.0)" in capsys.readouterr().err
    assert main(["cluster", "--oracle", "--labels", str(tmp_path / "text"), "--merge-speakers",
                 str(tmp_path / "utt2spk"), f"h5:{tmp_path / 'x.h5'}", str(tmp_path / "o4")]) == 1
    assert "--oracle and --merge-speakers do not go together" in capsys.readouterr().err
    assert not any((tmp_path / name).exists() for name in ("o2", "o3", "o4"))
