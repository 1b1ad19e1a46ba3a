"""awe eval wordsim: pair files, averaged/single-sample rho, reference, edit distance, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from awetools.errors import AweError
from awetools.io.tables import write_vectors
from awetools.metrics.wordsim import (Tokens, WordPairs, WordsimConfig, WordTable, evaluate_wordsim,
                                      normalised_edit_distance, read_pairs, word_pairs)

# angles with 15 distinct pairwise gaps, so that no two cosines tie
ANGLES = {"apple": 0.0, "apply": 0.23, "banana": 0.71, "cherry": 1.37, "grape": 1.94, "melon": 2.83}
PAIRS = [("apple", "apply"), ("apple", "banana"), ("banana", "cherry"), ("apple", "grape"),
         ("cherry", "melon"), ("apple", "melon"), ("grape", "unknown")]


def unit(angle: float) -> np.ndarray:
    return np.array([np.cos(angle), np.sin(angle)], dtype=np.float32)


@pytest.fixture
def corpus(tmp_path):
    """Three tokens per word near the word's angle; pairs scored by minus the angle gap."""
    rng = np.random.default_rng(0)
    keys, vectors, text = [], [], []
    for word, angle in ANGLES.items():
        for t in range(3):
            keys.append(f"spk-{word}-{t}")
            vectors.append(unit(angle + rng.uniform(-0.01, 0.01)) * rng.uniform(0.5, 2.0))
            text.append(f"spk-{word}-{t} {word.upper() if t == 0 else word}\n")
    write_vectors(f"ark:{tmp_path / 'emb.ark'}", keys, np.array(vectors))
    (tmp_path / "text").write_text("".join(sorted(text)))
    lines = [f"{a}\t{b}\t{-abs(ANGLES.get(a, 0) - ANGLES.get(b, 0)):.3f}\n" for a, b in PAIRS]
    (tmp_path / "pairs.txt").write_text("".join(lines))
    (tmp_path / "header.txt").write_text("Word 1\tWord 2\tScore\n" + "".join(lines))
    ref = "\n".join(f"{w} {np.cos(a):.6f} {np.sin(a):.6f}" for w, a in ANGLES.items())
    (tmp_path / "ref.txt").write_text(f"{len(ANGLES)} 2\n{ref}\n")
    return tmp_path


def test_read_pairs_formats(corpus):
    plain = read_pairs(corpus / "pairs.txt")
    header = read_pairs(corpus / "header.txt")
    assert plain.w1 == header.w1 and plain.w2 == header.w2
    np.testing.assert_array_equal(plain.scores, header.scores)
    assert len(plain.scores) == 7 and plain.name == "pairs"
    (corpus / "spaces.txt").write_text("Old New 1.5\r\nsmart clever 9\r\n")
    spaced = read_pairs(corpus / "spaces.txt")
    assert spaced.w1 == ["old", "smart"] and list(spaced.scores) == [1.5, 9.0]
    assert read_pairs(corpus / "spaces.txt", lowercase=False).w1 == ["Old", "smart"]


@pytest.mark.parametrize("content, line", [("a\tb\t1\nc\td\n", 2), ("a\tb\nc\td\t1\n", 1),
                                           ("a\tb\t1\nh1\th2\tscore\n", 2)])
def test_read_pairs_unknown_format(tmp_path, content, line):
    (tmp_path / "bad.txt").write_text(content)
    with pytest.raises(AweError, match=rf"bad.txt:{line}: unknown word-pair format"):
        read_pairs(tmp_path / "bad.txt")


def test_tokens_average_and_single_by_hand():
    vectors = np.array([[1, 0], [3, 0], [0, 2], [0, 4], [0, 6]], dtype=np.float32)
    tokens = Tokens(["b", "b", "a", "a", "a"], vectors)
    avg = tokens.averaged()
    assert avg.words == ["a", "b"]
    np.testing.assert_allclose(avg.vectors, [[0, 1], [1, 0]])  # unit-normalised means
    rng = np.random.default_rng(3)
    for _ in range(5):
        single = tokens.single(rng)
        np.testing.assert_allclose(single.vectors, [[0, 1], [1, 0]])


def test_rho_coverage_reference_and_edit():
    words = list(ANGLES)
    table = WordTable(words, np.stack([unit(a) for a in ANGLES.values()]))
    pairs = WordPairs("toy", [a for a, _ in PAIRS], [b for _, b in PAIRS],
                      np.array([-abs(ANGLES.get(a, 0) - ANGLES.get(b, 0)) for a, b in PAIRS]))
    result = evaluate_wordsim(table, [pairs], reference=table, config=WordsimConfig(draws=3))
    entry = result["sets"]["toy"]
    assert entry["rho_avg"] == pytest.approx(1.0)
    assert entry["rho_single"] is None  # word vectors have no tokens to draw
    assert (entry["pairs_used"], entry["pairs_total"]) == (6, 7)
    assert result["reference"]["rho_avg"] == pytest.approx(1.0)
    assert result["reference"]["pairs"] == 15 and result["reference"]["words"] == 6
    # edit diagnostic by hand over all 15 word pairs
    i, j = np.triu_indices(6, 1)
    ned = normalised_edit_distance(words, i, j)
    from scipy.stats import spearmanr
    cos = np.array([unit(ANGLES[words[a]]) @ unit(ANGLES[words[b]]) for a, b in zip(i, j)])
    assert result["edit"]["rho_avg"] == pytest.approx(spearmanr(1 - cos, ned).statistic)


def test_edit_distance_by_hand():
    words = ["kitten", "sitting", "", "abc", "flaw", "lawn"]
    got = normalised_edit_distance(words, np.array([0, 2, 3, 4]), np.array([1, 3, 3, 5]))
    np.testing.assert_allclose(got, [3 / 7, 1.0, 0.0, 2 / 4])


def test_word_pairs_sampling_is_distinct_upper_triangle():
    rng = np.random.default_rng(0)
    i, j = word_pairs(300, 2000, rng)
    assert len(set(zip(i.tolist(), j.tolist()))) == 2000
    assert (i < j).all() and j.max() < 300
    i, j = word_pairs(5, 100, rng)
    assert len(i) == 10


def test_cli_tokens_with_reference(corpus, run_awe):
    rc, out, err = run_awe(["eval", "wordsim", f"ark:{corpus / 'emb.ark'}", "--labels", corpus / "text",
                            "--pairs", corpus / "pairs.txt", "--pairs", corpus / "header.txt",
                            "--reference", corpus / "ref.txt", "--draws", 4,
                            "--json", corpus / "r.json"])
    assert rc == 0, err
    assert out.count("\n") == 1 and out.startswith("awe eval wordsim: rho (avg/single)")
    result = json.loads((corpus / "r.json").read_text())
    for name in ("pairs", "header"):
        entry = result["sets"][name]
        assert entry["rho_avg"] == pytest.approx(1.0)
        assert entry["rho_single"] == pytest.approx(1.0) and entry["rho_single_std"] == pytest.approx(0.0)
        assert entry["coverage"] == pytest.approx(6 / 7)
    assert result["n_tokens"] == 18 and result["n_words"] == 6 and result["draws"] == 4
    assert result["reference"]["rho_avg"] == pytest.approx(1.0)
    assert result["inputs"]["reference"].endswith("ref.txt")


def test_cli_word_vectors_file(corpus, run_awe):
    # GloVe text format (no header) evaluated directly
    lines = (corpus / "ref.txt").read_text().splitlines()[1:]
    (corpus / "glove.txt").write_text("\n".join(lines) + "\n")
    rc, out, err = run_awe(["eval", "wordsim", "--vectors", corpus / "glove.txt",
                            "--pairs", corpus / "pairs.txt"])
    assert rc == 0, err
    assert "pairs 1.000 cov 6/7" in out and "(word vectors)" in out


def test_cli_no_covered_pairs(corpus, run_awe):
    (corpus / "other.txt").write_text("tiger\tcat\t7\n")
    rc, _, err = run_awe(["eval", "wordsim", f"ark:{corpus / 'emb.ark'}", "--labels", corpus / "text",
                          "--pairs", corpus / "other.txt"])
    assert rc == 1
    assert "no covered pairs: none of the pairs in other has both words" in err


def test_cli_unknown_pair_format_exit_1(corpus, run_awe):
    (corpus / "bad.txt").write_text("apple\tbanana\t3\napple banana\n")
    rc, _, err = run_awe(["eval", "wordsim", "--vectors", corpus / "ref.txt", "--pairs", corpus / "bad.txt"])
    assert rc == 1 and "bad.txt:2: unknown word-pair format" in err


def test_cli_disjoint_keys(corpus, run_awe):
    (corpus / "text2").write_text("other-seg apple\n")
    rc, _, err = run_awe(["eval", "wordsim", f"ark:{corpus / 'emb.ark'}", "--labels", corpus / "text2",
                          "--pairs", corpus / "pairs.txt"])
    assert rc == 1 and "share no segment ids" in err and "other-seg" in err


def test_cli_bad_usage(corpus, run_awe):
    assert run_awe(["eval", "wordsim", "--pairs", corpus / "pairs.txt"])[0] == 2
    assert run_awe(["eval", "wordsim", f"ark:{corpus / 'emb.ark'}", "--pairs", corpus / "pairs.txt"])[0] == 2
