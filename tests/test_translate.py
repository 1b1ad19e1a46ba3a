"""awe eval translate: P@k by NN and CSLS, coverage, spoken word classification, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

from awetools.errors import AweError
from awetools.io.tables import write_vectors
from awetools.io.wordvectors import write_word_vectors
from awetools.metrics.translate import classification_scores, translation_scores

TGT_WORDS = ["east", "north", "west", "south"]
TGT = np.array([[1, 0], [0, 1], [-1, 0], [0, -1]], dtype=np.float32)


def unit(deg: float) -> np.ndarray:
    return np.array([np.cos(np.radians(deg)), np.sin(np.radians(deg))], dtype=np.float32)


def test_translation_precision_by_hand():
    # s0 (10 deg) -> east; s1 (80 deg) -> north; s2 (170 deg): west first, north second
    src = np.stack([unit(10), unit(80), unit(170)])
    pairs = [("s0", "east"), ("s1", "west"), ("s1", "south"), ("s2", "north"), ("s9", "east"),
             ("s0", "nowhere")]
    result = translation_scores(src, ["s0", "s1", "s2"], TGT, TGT_WORDS, pairs, csls_k=1)
    assert result["n_queries"] == 3 and result["coverage"] == pytest.approx(4 / 6)
    assert result["dictionary"]["missing_src_words"] == 1 and result["dictionary"]["missing_tgt_words"] == 1
    # NN ranks: s0: east, north, south, west | s1: north, east, west, south | s2: west, north, ...
    assert result["nn"]["p@1"] == pytest.approx(1 / 3)  # only s0
    assert result["nn"]["p@5"] == 1.0 and result["nn"]["p@10"] == 1.0
    # CSLS with k=1: r_src = cos to the nearest target; r_tgt(east) = cos(10), r_tgt(north) = cos(10),
    # r_tgt(west) = cos(10), r_tgt(south) = max(cos(100), cos(260), cos(190)) < 0
    cos = TGT @ src.T  # [target, source]
    r_src = cos.max(axis=0)
    r_tgt = cos.max(axis=1)
    csls = 2 * cos.T - r_src[:, None] - r_tgt[None, :]
    top1 = csls.argmax(axis=1)
    gold = [{0}, {2, 3}, {1}]
    expected = np.mean([t in g for t, g in zip(top1, gold)])
    assert result["csls"]["p@1"] == pytest.approx(expected)


def test_classification_open_and_closed_set():
    segments = np.stack([unit(5), unit(-5), unit(100), unit(260), unit(200)])
    labels = ["east", "east", "north", "south", "unknown"]
    open_set = classification_scores(segments, labels, TGT, TGT_WORDS, csls_k=1)
    assert open_set["n_segments"] == 4 and open_set["coverage"] == pytest.approx(0.8)
    assert open_set["nn"]["accuracy"] == 1.0 and open_set["candidates"] == 4
    closed = classification_scores(np.stack([unit(150)]), ["north"], TGT, TGT_WORDS, closed_set=True)
    assert closed["candidates"] == 1 and closed["nn"]["accuracy"] == 1.0  # west is not a label
    assert classification_scores(np.stack([unit(150)]), ["north"], TGT, TGT_WORDS)["nn"]["accuracy"] == 0.0
    with pytest.raises(AweError, match="no segment label occurs among the target words"):
        classification_scores(segments[:1], ["zzz"], TGT, TGT_WORDS)


@pytest.fixture
def files(tmp_path):
    """A 'regression model' output: segment embeddings near their word's text vector."""
    rng = np.random.default_rng(0)
    keys, vecs, text = [], [], []
    for word, deg in zip(TGT_WORDS, (0, 90, 180, 270)):
        for t in range(3):
            keys.append(f"spk{t}-{word}")
            vecs.append(unit(deg + rng.uniform(-20, 20)) * rng.uniform(0.5, 2))
            text.append(f"spk{t}-{word} {word}\n")
    order = np.argsort(keys)
    write_vectors(f"ark:{tmp_path / 'emb.ark'}", [keys[i] for i in order], np.array(vecs)[order])
    (tmp_path / "text").write_text("".join(sorted(text)))
    write_word_vectors(tmp_path / "tgt.txt", TGT_WORDS, TGT)
    return tmp_path


def test_eval_translate_regression_output_without_map(files, run_awe):
    spec = f"ark:{files / 'emb.ark'}"
    rc, out, err = run_awe(["eval", "translate", "--labels", files / "text", "--dico", "identical",
                            "--json", files / "r.json", spec, files / "tgt.txt"])
    assert rc == 0, err
    assert out == ("awe eval translate: P@1 nn=1.0000 csls=1.0000 P@5 nn=1.0000 csls=1.0000 "
                   "P@10 nn=1.0000 csls=1.0000 queries=4 coverage=1.000\n")
    result = json.loads((files / "r.json").read_text())
    assert result["inputs"]["dico"] == "identical" and result["config"]["csls_k"] == 10
    rc, out, err = run_awe(["eval", "translate", "--classify", "--labels", files / "text", spec,
                            files / "tgt.txt"])
    assert rc == 0, err
    assert out.startswith("awe eval translate: accuracy nn=1.0000 csls=1.0000") and "segments=12" in out


@pytest.mark.parametrize("args, message", [
    ([], "give either --dico GOLD (translation) or --classify"),
    (["--classify"], "--classify needs a segment table as MAPPED_SRC and --labels TEXT"),
    (["--dico", "identical", "--map", "nodir"], "nodir: not an awe align directory (missing map.json)"),
])
def test_eval_translate_usage_errors(files, run_awe, args, message):
    rc, _, err = run_awe(["eval", "translate", *args, files / "tgt.txt", files / "tgt.txt"])
    assert rc == 1 and message in err


def test_eval_translate_dims_and_coverage_errors(files, run_awe):
    write_word_vectors(files / "three.txt", ["east"], np.ones((1, 3)))
    rc, _, err = run_awe(["eval", "translate", "--dico", "identical", files / "three.txt", files / "tgt.txt"])
    assert rc == 1 and "mapped source vectors have dim 3, target vectors 2" in err
    write_word_vectors(files / "other.txt", ["zz"], np.ones((1, 2)))
    rc, _, err = run_awe(["eval", "translate", "--dico", "identical", files / "other.txt", files / "tgt.txt"])
    assert rc == 1 and "0 of 1 pairs usable; 1 target words not in TGT ('zz')" in err
