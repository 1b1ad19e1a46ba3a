"""awe eval wordsim: pair files, averaged/single-sample rho, reference, edit distance, --min-count, errors."""

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
                            "--reference", corpus / "ref.txt", "--draws", 4, "--min-count", 3,
                            "--json", corpus / "r.json"])
    assert rc == 0, err
    assert out.count("\n") == 1 and out.startswith("awe eval wordsim: rho (avg/single, min-count 3)")
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
    assert "pairs 1.000 cov 6/7, all pairs 1.000 cov 6/7" in out
    assert "(word vectors, min-count not applied" in out


def test_cli_no_covered_pairs(corpus, run_awe):
    (corpus / "other.txt").write_text("tiger\tcat\t7\n")
    rc, _, err = run_awe(["eval", "wordsim", f"ark:{corpus / 'emb.ark'}", "--labels", corpus / "text",
                          "--pairs", corpus / "other.txt"])
    assert rc == 1
    assert f"no covered pairs: none of the pairs in {corpus / 'other.txt'} has both words" in err


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


# --min-count: five frequent words (3 tokens each) and one rare word (1 token).  Angles with
# distinct pairwise gaps; the human scores of the four frequent pairs fall as the angle grows,
# so their rho is exactly 1.  The rare pair (apple, rare) is the closest of all (gap 0.07) but
# scored 2.5, between (apple, dog) and (apple, cat): over all 5 covered pairs the cosine ranks
# are e1 d2 c3 b4 r5 and the score ranks e1 d2 r3 c4 b5, sum d^2 = 0+0+1+1+4 = 6, so
# rho = 1 - 6*6 / (5*(25-1)) = 0.7.
FREQUENT = {"apple": 0.0, "bee": 0.2, "cat": 0.5, "dog": 1.1, "eel": 1.8}
RARE = {"rare": 0.07}
SCORED = [("apple", "bee", 4.0), ("apple", "cat", 3.0), ("apple", "dog", 2.0), ("apple", "eel", 1.0),
          ("apple", "rare", 2.5), ("apple", "missing", 5.0)]


@pytest.fixture
def frequent_corpus(tmp_path):
    """Tokens exactly at their word's angle (any norm), so averaged and single-sample agree."""
    keys, vectors, text = [], [], []
    for word, angle in {**FREQUENT, **RARE}.items():
        for t in range(3 if word in FREQUENT else 1):
            keys.append(f"spk-{word}-{t}")
            vectors.append(unit(angle) * (1.0 + t))
            text.append(f"spk-{word}-{t} {word}\n")
    write_vectors(f"ark:{tmp_path / 'emb.ark'}", keys, np.array(vectors))
    (tmp_path / "text").write_text("".join(sorted(text)))
    (tmp_path / "sim.txt").write_text("".join(f"{a}\t{b}\t{s}\n" for a, b, s in SCORED))
    # the reference agrees on the frequent words; the rare word sits elsewhere in it
    ref = {**FREQUENT, "rare": 1.52}
    (tmp_path / "ref.txt").write_text(f"{len(ref)} 2\n" + "".join(
        f"{w} {np.cos(a):.9f} {np.sin(a):.9f}\n" for w, a in ref.items()))
    (tmp_path / "speech_vectors.txt").write_text("".join(
        f"{w} {np.cos(a):.9f} {np.sin(a):.9f}\n" for w, a in {**FREQUENT, **RARE}.items()))
    return tmp_path


def _reference_all_words_rho() -> float:
    """Spearman rho over the 15 pairs of all six words, speech angles vs reference angles."""
    from scipy.stats import spearmanr
    words = [*FREQUENT, "rare"]
    speech, ref = {**FREQUENT, **RARE}, {**FREQUENT, "rare": 1.52}
    i, j = np.triu_indices(len(words), 1)
    cos = [np.cos(speech[words[a]] - speech[words[b]]) for a, b in zip(i, j)]
    ref_cos = [np.cos(ref[words[a]] - ref[words[b]]) for a, b in zip(i, j)]
    return float(spearmanr(cos, ref_cos).statistic)


def _pairs() -> WordPairs:
    return WordPairs("sim", [a for a, _, _ in SCORED], [b for _, b, _ in SCORED],
                     np.array([s for _, _, s in SCORED]))


def test_min_count_frequent_pairs_by_hand():
    words = [*FREQUENT, *RARE]
    labels = [w for w in words for _ in range(3 if w in FREQUENT else 1)]
    tokens = Tokens(labels, np.stack([unit({**FREQUENT, **RARE}[w]) for w in labels]))
    ref = WordTable([*FREQUENT, "rare"], np.stack([unit(a) for a in [*FREQUENT.values(), 1.52]]))
    result = evaluate_wordsim(tokens, [_pairs()], ref, WordsimConfig(draws=3, min_count=3))
    entry = result["sets"]["sim"]
    assert entry["rho_avg"] == pytest.approx(1.0) and entry["rho_single"] == pytest.approx(1.0)
    assert (entry["pairs_used"], entry["pairs_total"]) == (4, 6)
    assert entry["all_pairs"]["rho_avg"] == pytest.approx(0.7)
    assert entry["all_pairs"]["rho_single"] == pytest.approx(0.7)
    assert entry["all_pairs"]["pairs_used"] == 5
    assert result["min_count_applied"] and result["n_frequent_words"] == 5
    reference = result["reference"]
    assert reference["rho_avg"] == pytest.approx(1.0)
    assert (reference["pairs"], reference["words"]) == (10, 5)
    assert (reference["all_words"]["pairs"], reference["all_words"]["words"]) == (15, 6)
    assert reference["all_words"]["rho_avg"] == pytest.approx(_reference_all_words_rho())
    assert reference["all_words"]["rho_avg"] < 0.95
    # min-count 1: every covered pair is frequent
    everything = evaluate_wordsim(tokens, [_pairs()], config=WordsimConfig(draws=1, min_count=1))
    assert everything["sets"]["sim"]["rho_avg"] == pytest.approx(0.7)
    assert everything["sets"]["sim"]["pairs_used"] == 5
    with pytest.raises(AweError, match=r"no covered pairs at --min-count 4: .*sim"):
        evaluate_wordsim(tokens, [_pairs()], config=WordsimConfig(draws=1, min_count=4))
    quiet = evaluate_wordsim(tokens, [_pairs()], config=WordsimConfig(draws=0, min_count=4),
                             require_coverage=False)
    assert quiet["sets"]["sim"]["rho_avg"] is None and quiet["sets"]["sim"]["pairs_used"] == 0


def test_min_count_word_table_with_counts():
    table = WordTable([*FREQUENT, *RARE], np.stack([unit(a) for a in [*FREQUENT.values(), *RARE.values()]]))
    plain = evaluate_wordsim(table, [_pairs()], config=WordsimConfig(min_count=3))
    assert not plain["min_count_applied"]
    assert plain["sets"]["sim"]["rho_avg"] == pytest.approx(0.7)  # counts unknown: no filter
    counted = Tokens.from_table(table, {**{w: 3 for w in FREQUENT}, "rare": 1})
    result = evaluate_wordsim(counted, [_pairs()], config=WordsimConfig(min_count=3))
    assert result["min_count_applied"] and result["n_tokens"] == 16 and result["draws"] == 0
    assert result["sets"]["sim"]["rho_avg"] == pytest.approx(1.0)
    assert result["sets"]["sim"]["pairs_used"] == 4
    assert result["sets"]["sim"]["all_pairs"]["rho_avg"] == pytest.approx(0.7)


def test_cli_min_count_json_and_summary(frequent_corpus, run_awe):
    c = frequent_corpus
    rc, out, err = run_awe(["eval", "wordsim", f"ark:{c / 'emb.ark'}", "--labels", c / "text",
                            "--pairs", c / "sim.txt", "--reference", c / "ref.txt", "--draws", 3,
                            "--min-count", 3, "--json", c / "r.json"])
    assert rc == 0, err
    assert out.startswith("awe eval wordsim: rho (avg/single, min-count 3): ")
    assert "sim 1.000/1.000±0.000 cov 4/6, all pairs 0.700/0.700±0.000 cov 5/6" in out
    assert "reference 1.000/1.000±0.000 on 5 words, all words " in out
    result = json.loads((c / "r.json").read_text())
    entry = result["sets"]["sim"]
    assert (entry["rho_avg"], entry["pairs_used"]) == (pytest.approx(1.0), 4)
    assert (entry["all_pairs"]["rho_avg"], entry["all_pairs"]["pairs_used"]) == (pytest.approx(0.7), 5)
    assert result["min_count"] == 3 and result["config"]["min_count"] == 3
    assert result["reference"]["rho_avg"] == pytest.approx(1.0) and result["reference"]["pairs"] == 10
    assert result["reference"]["all_words"]["rho_avg"] == pytest.approx(_reference_all_words_rho())


def test_cli_vectors_with_and_without_counts(frequent_corpus, run_awe):
    c = frequent_corpus
    args = ["eval", "wordsim", "--vectors", c / "speech_vectors.txt", "--pairs", c / "sim.txt",
            "--min-count", 3]
    rc, out, err = run_awe([*args, "--json", c / "plain.json"])
    assert rc == 0, err
    assert "min-count not applied: token counts unknown" in out
    assert "sim 0.700 cov 5/6, all pairs 0.700 cov 5/6" in out
    assert json.loads((c / "plain.json").read_text())["min_count_applied"] is False
    # utterance-level Kaldi text: every field after the key is a token (lower-cased)
    (c / "utt_text").write_text("u1 APPLE bee cat dog eel\nu2 apple bee cat dog eel rare\n"
                                "u3 apple bee cat dog eel\n")
    rc, out, err = run_awe([*args, "--counts", c / "utt_text", "--json", c / "counted.json"])
    assert rc == 0, err
    assert "(word vectors, min-count 3)" in out and "sim 1.000 cov 4/6, all pairs 0.700 cov 5/6" in out
    result = json.loads((c / "counted.json").read_text())
    assert result["inputs"]["counts"].endswith("utt_text") and result["n_tokens"] == 16
    # --counts belongs to --vectors
    assert run_awe(["eval", "wordsim", f"ark:{c / 'emb.ark'}", "--labels", c / "text",
                    "--pairs", c / "sim.txt", "--counts", c / "utt_text"])[0] == 2


@pytest.mark.parametrize("value", [0, -3])
def test_cli_min_count_below_one(frequent_corpus, run_awe, value):
    c = frequent_corpus
    rc, out, err = run_awe(["eval", "wordsim", f"ark:{c / 'emb.ark'}", "--labels", c / "text",
                            "--pairs", c / "sim.txt", "--min-count", value, "--json", c / "r.json"])
    assert rc == 1 and out == ""
    assert err.strip().count("\n") == 0 and "--min-count" in err and str(value) in err
    assert not (c / "r.json").exists()


def test_cli_min_count_no_frequent_pair(frequent_corpus, run_awe):
    c = frequent_corpus
    (c / "r.json").write_text("old\n")
    rc, out, err = run_awe(["eval", "wordsim", f"ark:{c / 'emb.ark'}", "--labels", c / "text",
                            "--pairs", c / "sim.txt", "--min-count", 4, "--json", c / "r.json"])
    assert rc == 1 and out == ""
    assert err.strip().count("\n") == 0
    assert "no covered pairs at --min-count 4" in err and str(c / "sim.txt") in err
    assert (c / "r.json").read_text() == "old\n"  # left as it was
    assert [p.name for p in c.iterdir() if p.name.startswith("r.json")] == ["r.json"]
