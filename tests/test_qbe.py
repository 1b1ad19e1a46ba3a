"""awe eval qbe: utterance scoring, relevance from a reference or a pairs list, metrics, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from awetools.io.datadir import DataDir, Segment
from awetools.io.tables import write_vectors
from awetools.metrics.qbe import (Collection, evaluate_qbe, pairs_relevance, ranking_metrics,
                                  reference_relevance)
from awetools.metrics.wordsim import WordPairs, WordTable

# utterance -> words; the query is the 'cat' of u1
UTTERANCES = {"u1": ["cat"], "u2": ["dog", "tree"], "u3": ["car"], "u4": ["cat", "tree"], "u5": ["tree"]}
SPEECH = {"cat": (1.0, 0.0), "dog": (0.8, 0.6), "car": (0.6, 0.8), "tree": (0.0, 1.0)}
REFERENCE = {"cat": (1.0, 0.0), "dog": (0.9, np.sqrt(1 - 0.81)), "car": (0.2, np.sqrt(1 - 0.04)),
             "tree": (0.0, 1.0)}


def segments():
    keys, vectors, seg2utt, text = [], [], {}, {}
    for utt, words in UTTERANCES.items():
        for pos, word in enumerate(words):
            key = f"spk-{utt}-{pos}"
            keys.append(key)
            vectors.append(SPEECH[word])
            seg2utt[key], text[key] = utt, word
    return keys, np.array(vectors, dtype=np.float32), seg2utt, text


@pytest.fixture
def collection():
    return Collection.build(*segments())


def reference_table():
    return WordTable(list(REFERENCE), np.array(list(REFERENCE.values()), dtype=np.float32))


def test_ranking_metrics_by_hand():
    scores = np.array([[0.9, 0.8, 0.7, 0.6]])
    relevant = np.array([[True, False, True, False]])
    m = ranking_metrics(scores, relevant, np.ones_like(relevant))
    assert m["p_at_10"][0] == pytest.approx(0.5)  # 2 relevant among the 4 ranked
    assert m["p_at_n"][0] == pytest.approx(0.5)  # N = 2, top 2 holds one
    assert m["eer"][0] == pytest.approx(0.5)
    m = ranking_metrics(scores, relevant, np.array([[True, False, True, True]]))
    assert m["p_at_n"][0] == pytest.approx(1.0) and m["eer"][0] == pytest.approx(0.0)


def test_utterance_scores_are_best_segment(collection):
    q = collection.keys.index("spk-u1-0")
    scores = collection.utterance_max(collection.vectors[[q]] @ collection.vectors.T)[0]
    by_utt = dict(zip(collection.utterances, scores))
    assert by_utt == pytest.approx({"u1": 1.0, "u2": 0.8, "u3": 0.6, "u4": 1.0, "u5": 0.0})


def test_reference_relevance_metrics(collection):
    q = np.array([collection.keys.index("spk-u1-0")])
    ref = reference_table()
    result = evaluate_qbe(collection, q, lambda w: reference_relevance(w, collection, ref, top_k=1))
    # ranking u4 (1.0), u2 (0.8), u3 (0.6), u5 (0); related to cat: cat, dog -> u4, u2
    assert result["semantic"]["p_at_10"] == pytest.approx(2 / 4)
    assert result["semantic"]["p_at_n"] == pytest.approx(1.0)
    assert result["semantic"]["eer"] == pytest.approx(0.0)
    assert result["semantic"]["spearman"] == pytest.approx(1.0)  # grades 1, .9, .2, 0
    assert result["exact"]["p_at_10"] == pytest.approx(1 / 4)
    assert result["exact"]["p_at_n"] == pytest.approx(1.0)
    assert result["semantic_only"]["p_at_10"] == pytest.approx(1 / 3)  # u4 removed
    assert result["queries"][0]["word"] == "cat" and result["n_utterances"] == 5
    # with top_k=2 'car' becomes related too: u3 joins the relevant set
    wide = evaluate_qbe(collection, q, lambda w: reference_relevance(w, collection, ref, top_k=2))
    assert wide["semantic"]["p_at_n"] == pytest.approx(1.0) and wide["semantic"]["p_at_10"] == pytest.approx(3 / 4)
    # a cosine floor removes car (0.2) again
    floor = evaluate_qbe(collection, q, lambda w: reference_relevance(w, collection, ref, 2, min_cosine=0.5))
    assert floor["semantic"]["p_at_10"] == pytest.approx(2 / 4)


def test_pairs_relevance(collection):
    pairs = WordPairs("toy", ["cat", "car", "tree", "cat"], ["dog", "cat", "dog", "dog"],
                      np.array([8.0, 2.0, 5.0, 6.0]))
    words = np.array([collection.words.index("cat")])
    rel = pairs_relevance(words, collection, pairs)  # threshold: upper quartile of 8,2,5,6 = 6.5
    grade = dict(zip(collection.words, rel.grade[0]))
    related = dict(zip(collection.words, rel.related[0]))
    assert grade == pytest.approx({"car": 2.0, "cat": 8.0, "dog": 7.0, "tree": 2.0})  # dog: mean of 8, 6
    assert related == {"car": False, "cat": True, "dog": True, "tree": False}
    assert not pairs_relevance(words, collection, pairs, threshold=7.5).related[0][collection.words.index("dog")]


@pytest.fixture
def files(tmp_path):
    keys, vectors, seg2utt, text = segments()
    data = DataDir(tmp_path / "words", segments={k: Segment(seg2utt[k], 0.0, 1.0) for k in keys},
                   text=text, utt2spk={k: "spk" for k in keys}, seg2utt=seg2utt,
                   seg2pos={k: int(k[-1]) for k in keys})
    data.save()
    write_vectors(f"ark:{tmp_path / 'emb.ark'}", keys, vectors)
    ref = "\n".join(f"{w.upper()} {a:.6f} {b:.6f}" for w, (a, b) in REFERENCE.items())
    (tmp_path / "ref.txt").write_text(f"4 2\n{ref}\n")
    (tmp_path / "queries").write_text("spk-u1-0\n")
    return tmp_path


def test_cli_reference(files, run_awe):
    rc, out, err = run_awe(["eval", "qbe", "--reference", files / "ref.txt", "--top-k", 1,
                            "--queries", files / "queries", "--json", files / "q.json",
                            f"ark:{files / 'emb.ark'}", files / "words"])
    assert rc == 0, err
    assert out.count("\n") == 1
    assert "semantic P@10 0.500 P@N 1.000 EER 0.000 rho 1.000" in out
    assert "exact P@10 0.250 P@N 1.000" in out and "(1 queries, 5 utterances)" in out
    result = json.loads((files / "q.json").read_text())
    assert result["relevance"] == {"source": "reference", "top_k": 1, "min_cosine": None}
    assert result["queries"][0]["segment"] == "spk-u1-0"


def test_cli_sampled_queries_and_pairs(files, run_awe):
    (files / "pairs.txt").write_text("cat\tdog\t8\ncar\ttree\t1\n")
    rc, out, err = run_awe(["eval", "qbe", "--pairs", files / "pairs.txt", "--seed", 3,
                            f"ark:{files / 'emb.ark'}", files / "words", "--json", files / "p.json"])
    assert rc == 0, err
    result = json.loads((files / "p.json").read_text())
    # candidates: words in a listed pair; at least 2 tokens: cat, tree
    assert sorted(q["word"] for q in result["queries"]) == ["cat", "tree"]


def test_cli_errors(files, run_awe):
    emb, words = f"ark:{files / 'emb.ark'}", files / "words"
    assert run_awe(["eval", "qbe", emb, words])[0] == 2  # no relevance source
    (files / "other.txt").write_text("x-1 [ 1 0 ]\n")
    rc, _, err = run_awe(["eval", "qbe", "--reference", files / "ref.txt", f"ark,t:{files / 'other.txt'}", words])
    assert rc == 1 and "share no segment ids" in err
    (files / "badq").write_text("spk-u1-0\nnope\n")
    rc, _, err = run_awe(["eval", "qbe", "--reference", files / "ref.txt", "--queries", files / "badq", emb, words])
    assert rc == 1 and "badq:2: query segment 'nope' is not in the collection" in err
    (files / "empty_ref.txt").write_text("1 2\nzebra 1 0\n")
    rc, _, err = run_awe(["eval", "qbe", "--reference", files / "empty_ref.txt", emb, words])
    assert rc == 1 and "no queries" in err


def test_cli_oracle_vectors(files, run_awe):
    """--vectors: segments take their word's reference vector, so scores equal the grades."""
    rc, out, err = run_awe(["eval", "qbe", "--vectors", files / "ref.txt", "--reference", files / "ref.txt",
                            "--top-k", 1, "--queries", files / "queries", files / "words"])
    assert rc == 0, err
    assert "rho 1.000" in out and "exact P@10 0.250 P@N 1.000 EER 0.000" in out
    assert run_awe(["eval", "qbe", "--vectors", files / "ref.txt", "--reference", files / "ref.txt",
                    f"ark:{files / 'emb.ark'}", files / "words"])[0] == 2  # both inputs
