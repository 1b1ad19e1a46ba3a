"""awe eval samediff: exact AP and SWDP-AP over all pairs, streamed counting, DTW, CLI errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import average_precision_score

from awetools.errors import AweError
from awetools.io.datadir import read_kaldi_table
from awetools.io.tables import write_vectors
from awetools.metrics.dtw import dtw_condensed
from awetools.metrics.pairdist import Bins, CondensedPairs, VectorPairs, _tile, ordered_keys
from awetools.metrics.samediff import samediff, samediff_condensed, samediff_vectors


def points(*xs: float) -> np.ndarray:
    """1-d vectors: euclidean distances are exact differences."""
    return np.array(xs, dtype=np.float32)[:, None]


def condensed(x: np.ndarray, metric: str) -> np.ndarray:
    """All pair distances in pdist order, from the library's own kernel."""
    pairs = VectorPairs(x, metric)
    n = len(x)
    out = np.empty(n * (n - 1) // 2, dtype=np.float32)
    at = 0
    for i in range(n - 1):
        _tile(pairs.x, pairs.xt, i, i + 1, n, pairs.euclid, out[at:at + n - i - 1])
        at += n - i - 1
    return out


def sklearn_scores(d: np.ndarray, labels, speakers) -> tuple[float, float]:
    """Reference AP and SWDP-AP with sklearn on a condensed list."""
    labels, speakers = np.asarray(labels), np.asarray(speakers)
    i, j = np.triu_indices(len(labels), k=1)
    same, same_spk = labels[i] == labels[j], speakers[i] == speakers[j]
    keep = ~(same & same_spk)
    return (average_precision_score(same, -d.astype(np.float64)),
            average_precision_score((same & ~same_spk)[keep], -d[keep].astype(np.float64)))


def test_hand_computed_ap():
    # pairs: (0,1)=1 +, (1,2)=2, (0,2)=3, (2,3)=4 +, (1,3)=6, (0,3)=7 -> AP = (1/1 + 2/4) / 2
    r = samediff_vectors(points(0, 1, 3, 7), ["a", "a", "b", "b"], metric="euclidean")
    assert r["ap"] == pytest.approx(0.75, abs=1e-12)
    assert (r["n"], r["types"], r["pairs"], r["positives"]) == (4, 2, 6, 2)
    assert r["swdp_ap"] is None
    # a negative tied with the only positive: one operating point, precision 1/2
    assert samediff_vectors(points(0, 1, 2), ["a", "a", "b"], metric="euclidean")["ap"] == 0.5


def test_swdp_by_hand():
    # (0,1) same word same speaker: out of the SWDP ranking; (1,3), (0,3) same speaker other
    # word: negatives.  SWDP ranking: (2,3)=1 -, (1,2)=4 +, (0,2)=5 + tied with (1,3)=5 -, (0,3)=6 -
    x, labels, speakers = points(0, 1, 5, 6), ["a", "a", "a", "b"], ["s1", "s1", "s2", "s1"]
    r = samediff_vectors(x, labels, speakers, metric="euclidean")
    assert r["swdp_ap"] == pytest.approx((1 / 2 + 2 / 4) / 2, abs=1e-12)
    assert r["ap"] == pytest.approx((1 / 2 + 2 / 3 + 3 / 5) / 3, abs=1e-12)
    assert (r["positives"], r["swdp_positives"], r["swdp_pairs"]) == (3, 2, 5)
    ref = sklearn_scores(condensed(x, "euclidean"), labels, speakers)
    assert (r["ap"], r["swdp_ap"]) == pytest.approx(ref, abs=1e-12)


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_equals_sklearn_with_ties(metric):
    rng = np.random.default_rng(1)
    x = rng.integers(-2, 3, size=(400, 6)).astype(np.float32)  # few distinct distances: many ties
    x[~x.any(axis=1)] = 1.0
    labels = rng.integers(0, 25, 400).astype(str)
    speakers = rng.integers(0, 5, 400).astype(str)
    d = condensed(x, metric)
    assert np.unique(d).size < d.size // 20
    ref = sklearn_scores(d, labels, speakers)
    ours = samediff_vectors(x, labels, speakers, metric=metric)
    assert (ours["ap"], ours["swdp_ap"]) == pytest.approx(ref, abs=1e-12)
    from_list = samediff_condensed(d, labels, speakers)
    assert (from_list["ap"], from_list["swdp_ap"]) == pytest.approx(ref, abs=1e-12)


def test_condensed_float64_equals_sklearn():
    rng = np.random.default_rng(2)
    labels = rng.integers(0, 12, 150).astype(str)
    speakers = rng.integers(0, 3, 150).astype(str)
    d = np.round(rng.random(150 * 149 // 2) * 50) / 7 - 1  # float64 with ties, some negative
    d[:5] = -0.0
    r = samediff_condensed(d, labels, speakers)
    assert (r["ap"], r["swdp_ap"]) == pytest.approx(sklearn_scores(d, labels, speakers), abs=1e-12)


def test_chunking_and_threads_do_not_change_results():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(300, 16)).astype(np.float32)
    labels = rng.integers(0, 30, 300).astype(str)
    speakers = rng.integers(0, 4, 300).astype(str)
    base = samediff_vectors(x, labels, speakers)
    keys = ("ap", "swdp_ap", "prb", "swdp_prb", "positives", "swdp_pairs")
    for tile, cols, cells in [(1, 3, 2), (3, 5, 7), (7, 64, 1000), (300, 1000, 1 << 24)]:
        other = samediff(VectorPairs(x, "cosine", tile=tile, cols=cols), labels, speakers,
                         max_cells=cells)
        assert [other[k] for k in keys] == [base[k] for k in keys]
    single = samediff_vectors(x, labels, speakers, nj=1)
    assert [single[k] for k in keys] == [base[k] for k in keys]


def test_counters_carry_and_cells_hold_many_floats():
    # 70,000 equal distances overflow the uint8 counters many times; max_cells=3 puts several
    # thresholds and non-threshold values in each cell
    d = np.concatenate([np.full(70_000, 0.5), np.linspace(0, 1, 1001), [2.0, -1.0]])
    n = int((1 + np.sqrt(1 + 8 * d.size)) / 2) + 1
    d = np.concatenate([d, np.linspace(1.5, 3, n * (n - 1) // 2 - d.size)])
    pairs = CondensedPairs(d, n)
    thresholds = np.array([-1.0, 0.25, 0.5, 0.75, 1.0, 2.0])
    expected = [(d <= t).sum() for t in thresholds]
    for cells in (3, 1 << 24):
        assert list(pairs.count(Bins(ordered_keys(thresholds).astype(np.int64), cells))) == expected


def test_no_positive_pairs_and_zero_vectors():
    with pytest.raises(AweError, match="no positive pairs"):
        samediff_vectors(points(1, 2, 3), ["a", "b", "c"])
    with pytest.raises(AweError, match="all-zero vector.*'k2'"):
        samediff_vectors(np.array([[1, 0], [0, 1], [0, 0]], np.float32), ["a", "a", "b"],
                         keys=["k0", "k1", "k2"])
    with pytest.raises(AweError, match="same-word different-speaker"):
        samediff_vectors(points(1, 2, 3), ["a", "a", "b"], ["s", "s", "t"])


def dtw_reference(s: np.ndarray, t: np.ndarray) -> float:
    """Plain DP over the full cost matrix, ties: match, insertion, deletion."""
    unit = lambda m: m / np.linalg.norm(m, axis=1, keepdims=True)  # noqa: E731
    d = 1 - unit(s) @ unit(t).T
    n, m = d.shape
    cost = np.full((n + 1, m + 1), np.inf)
    cost[0, 0] = 0
    steps = np.zeros((n + 1, m + 1), dtype=int)
    for i in range(n):
        for j in range(m):
            options = [(cost[i, j], steps[i, j]), (cost[i, j + 1], steps[i, j + 1]),
                       (cost[i + 1, j], steps[i + 1, j])]
            best = min(range(3), key=lambda k: (options[k][0], k))
            cost[i + 1, j + 1] = d[i, j] + options[best][0]
            steps[i + 1, j + 1] = options[best][1] + 1
    return cost[n, m] / steps[n, m]


def test_dtw_against_reference():
    rng = np.random.default_rng(4)
    mats = [rng.normal(size=(rng.integers(1, 13), 5)) for _ in range(14)]
    expected = [dtw_reference(mats[i], mats[j]) for i in range(14) for j in range(i + 1, 14)]
    np.testing.assert_allclose(dtw_condensed(mats), expected, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(dtw_condensed(mats, nj=1), dtw_condensed(mats))
    # identical sequences: 0; one frame against two (one of them orthogonal): path of 2, cost 1
    s = np.array([[1.0, 0.0]])
    assert dtw_condensed([s, s])[0] == 0
    assert dtw_condensed([s, np.array([[1.0, 0.0], [0.0, 1.0]])])[0] == pytest.approx(0.5)


# --- command line -------------------------------------------------------------------------

@pytest.fixture
def small(tmp_path):
    """30 segments of 6 words by 3 speakers: embeddings near their word's direction."""
    rng = np.random.default_rng(5)
    centres = rng.normal(size=(6, 8))
    keys = [f"s{k // 6 % 3}-w{k % 6}-{k:03d}" for k in range(30)]
    x = np.array([centres[k % 6] + 0.6 * rng.normal(size=8) for k in range(30)], dtype=np.float32)
    order = np.argsort(keys)
    keys, x = [keys[i] for i in order], x[order]
    write_vectors(f"ark:{tmp_path / 'emb.ark'}", keys, x)
    (tmp_path / "text").write_text("".join(f"{k} {k.split('-')[1]}\n" for k in keys))
    (tmp_path / "utt2spk").write_text("".join(f"{k} {k.split('-')[0]}\n" for k in keys))
    return tmp_path, keys, x


def test_cli_summary_and_json(small, run_awe):
    d, keys, x = small
    rc, out, err = run_awe(["eval", "samediff", "--labels", d / "text", "--utt2spk", d / "utt2spk",
                            "--json", d / "r.json", f"ark:{d / 'emb.ark'}"])
    assert rc == 0, err
    result = json.loads((d / "r.json").read_text())
    labels = [k.split("-")[1] for k in keys]
    speakers = [k.split("-")[0] for k in keys]
    ref = sklearn_scores(condensed(x, "cosine"), labels, speakers)
    assert (result["ap"], result["swdp_ap"]) == pytest.approx(ref, abs=1e-12)
    assert out == (f"awe eval samediff: AP {result['ap']:.4f}  SWDP-AP {result['swdp_ap']:.4f}  "
                   "N=30 types=6 pairs=435 positives=60\n")
    assert result["coverage"]["evaluated"] == 30 and result["config"]["metric"] == "cosine"
    assert result["inputs"]["labels"] == str(d / "text")


def test_cli_label_mismatch(small, run_awe):
    d, keys, _ = small
    text = read_kaldi_table(d / "text")
    (d / "part").write_text("".join(f"{k} {text[k]}\n" for k in keys[4:]) + "ghost-1 w0\n")
    rc, _, err = run_awe(["eval", "samediff", "--labels", d / "part", f"ark:{d / 'emb.ark'}"])
    assert rc == 1
    assert "4 of 30 segments" in err and f"'{keys[0]}'" in err and "no label" in err
    assert "1 of 27 segments labelled" in err and "'ghost-1'" in err and "--allow-subset" in err
    rc, out, err = run_awe(["eval", "samediff", "--allow-subset", "--labels", d / "part",
                            "--json", d / "r.json", f"ark:{d / 'emb.ark'}"])
    assert rc == 0 and "N=26 " in out
    coverage = json.loads((d / "r.json").read_text())["coverage"]
    assert (coverage["without_label"], coverage["label_without_segment"], coverage["evaluated"]) == (4, 1, 26)


def test_cli_errors(small, run_awe):
    d, keys, x = small
    (d / "unique").write_text("".join(f"{k} {k}\n" for k in keys))
    rc, _, err = run_awe(["eval", "samediff", "--labels", d / "unique", f"ark:{d / 'emb.ark'}"])
    assert rc == 1 and "no positive pairs" in err and err.count("\n") == 1
    bad = x.copy()
    bad[7, 2] = np.nan
    write_vectors(f"ark:{d / 'nan.ark'}", keys, bad)
    rc, _, err = run_awe(["eval", "samediff", "--labels", d / "text", f"ark:{d / 'nan.ark'}"])
    assert rc == 1 and f"'{keys[7]}'" in err and "NaN" in err
    (d / "spk").write_text("".join(f"{k} s\n" for k in keys[1:]))
    rc, _, err = run_awe(["eval", "samediff", "--labels", d / "text", "--utt2spk", d / "spk",
                          f"ark:{d / 'emb.ark'}"])
    assert rc == 1 and "no speaker for 1 " in err and f"'{keys[0]}'" in err
    rc, _, err = run_awe(["eval", "samediff", "--labels", d / "text", "--min-duration", "0.5",
                          f"ark:{d / 'emb.ark'}"])
    assert rc == 1 and "--segments" in err
    rc, _, _ = run_awe(["eval", "samediff", "--labels", d / "text", "--metric", "manhattan",
                        f"ark:{d / 'emb.ark'}"])
    assert rc == 2
    rc, _, err = run_awe(["eval", "samediff", "--labels", d / "text", f"ark:{d / 'missing.ark'}"])
    assert rc == 1 and "missing.ark" in err


def test_cli_dtw_and_filters_on_fsdd(fsdd_words, fsdd_feats, run_awe, tmp_path):
    args = ["eval", "samediff", "--dtw", "--labels", fsdd_words / "text", "--utt2spk",
            fsdd_words / "utt2spk"]
    rc, out, err = run_awe([*args, "--json", tmp_path / "dtw.json", fsdd_feats.rspecifier])
    assert rc == 0, err
    result = json.loads((tmp_path / "dtw.json").read_text())
    assert result["n"] == 180 and result["types"] == 10 and result["positives"] == 10 * 18 * 17 // 2
    assert 0.3 < result["ap"] < 1 and result["swdp_ap"] < result["ap"]  # chance is about 0.1
    assert result["config"]["distance"] == "dtw-cosine"
    # five-letter words only ("three", "seven", "eight"), at least 0.3 s long
    rc, out, err = run_awe([*args, "--min-chars", "5", "--min-duration", "0.3", "--segments",
                            fsdd_words / "segments", "--json", tmp_path / "f.json",
                            fsdd_feats.rspecifier])
    assert rc == 0, err
    filtered = json.loads((tmp_path / "f.json").read_text())
    segments = read_kaldi_table(fsdd_words / "segments")
    text = read_kaldi_table(fsdd_words / "text")
    kept = [k for k in text if len(text[k]) >= 5
            and float(segments[k].split()[2]) - float(segments[k].split()[1]) >= 0.3]
    assert filtered["n"] == len(kept) and filtered["types"] == 3
    assert filtered["coverage"]["filtered_out"] == 180 - len(kept)
    rc, _, err = run_awe(["eval", "samediff", "--labels", fsdd_words / "text", fsdd_feats.rspecifier])
    assert rc == 1 and "expected one vector per key" in err
