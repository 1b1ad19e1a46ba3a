"""Contextual vectors (``awe embed --context``): numbers by hand, a constructed space, the CLI."""

from __future__ import annotations

import numpy as np
import pytest

from awetools.errors import AweError
from awetools.io.datadir import DataDir, Segment
from awetools.io.tables import open_writer, read_vectors
from awetools.semantic.contextual import contextual_vectors

# utterance U: a b c at positions 0 1 2; utterance V: d alone
X = np.array([[1.0, 0.0], [0.0, 2.0], [-3.0, 0.0], [0.0, -1.0]])
UTTS = np.array(["U", "U", "U", "V"])
POSITIONS = np.array([0, 1, 2, 0])
SPEAKERS = np.array(["A"] * 4)


def test_contextual_vectors_by_hand():
    # unit vectors a (1,0) b (0,1) c (-1,0) d (0,-1): mean 0, so centred = unit.
    # window 1 context means: a (0,1), b (0,0), c (0,1), d none -> 0; centred over a, b, c
    # (mean (0, 2/3)): a (0,1/3), b (0,-2/3), c (0,1/3); unit: a (0,1), b (0,-1), c (0,1)
    out = contextual_vectors(X, UTTS, POSITIONS, SPEAKERS, window=1, weight=0.5)
    np.testing.assert_allclose(out, [[0.5, 0.5], [0.0, 0.0], [-0.5, 0.5], [0.0, -0.5]], atol=1e-7)
    np.testing.assert_allclose(contextual_vectors(X, UTTS, POSITIONS, SPEAKERS, 1, 0.0),
                               [[1, 0], [0, 1], [-1, 0], [0, -1]], atol=1e-7)
    np.testing.assert_allclose(contextual_vectors(X, UTTS, POSITIONS, SPEAKERS, 1, 1.0),
                               [[0, 1], [0, -1], [0, 1], [0, 0]], atol=1e-7)
    # window 2: a's context is b and c, mean (-1/2, 1/2); b's (0, 0); c's (1/2, 1/2);
    # centred (mean (0, 1/3)): (-1/2, 1/6), (0, -1/3), (1/2, 1/6)
    out = contextual_vectors(X, UTTS, POSITIONS, SPEAKERS, window=2, weight=1.0)
    np.testing.assert_allclose(out[:3], [[-3 / 10**0.5, 1 / 10**0.5], [0, -1], [3 / 10**0.5, 1 / 10**0.5]],
                               atol=1e-7)
    assert out.dtype == np.float32


def test_each_speaker_is_centred_on_its_own():
    """A speaker's contextual vectors depend on that speaker's segments only: the others'
    offset (here a shifted copy of the same text) does not reach them."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3))
    utts, positions = np.repeat(np.arange(8), 5), np.tile(np.arange(5), 8)
    speakers = np.where(utts < 4, "A", "B")
    x[speakers == "A"] += 5.0
    both = contextual_vectors(x, utts, positions, speakers, 2, 0.5)
    alone = contextual_vectors(x[20:], utts[20:], positions[20:], speakers[20:], 2, 0.5)
    np.testing.assert_allclose(both[20:], alone, atol=1e-6)
    pooled = contextual_vectors(x, utts, positions, np.full(40, "A"), 2, 0.5)
    assert np.abs(pooled[20:] - alone).max() > 0.1


def test_bad_weight_and_window():
    with pytest.raises(AweError, match=r"--context-weight must be in \[0, 1\] \(got 1.5\)"):
        contextual_vectors(X, UTTS, POSITIONS, SPEAKERS, 1, 1.5)
    with pytest.raises(AweError, match="--window must be at least 1"):
        contextual_vectors(X, UTTS, POSITIONS, SPEAKERS, 0, 0.5)


def test_context_tells_apart_words_that_share_a_vector():
    """'meat' and 'meet' have one vector (as when one cluster absorbs the other) but keep
    different company; averaged over their tokens, contextual vectors tell them apart and
    put each with a word of its own company."""
    rng = np.random.default_rng(0)
    vocab = {w: rng.normal(size=8) for w in ["meet", "eat", "cook", "greet", "people", "food"]}
    vocab["meat"] = vocab["meet"]
    sentences = [["eat", "meat", "cook"], ["cook", "meat", "food"], ["greet", "meet", "people"],
                 ["people", "meet", "greet"], ["eat", "food", "cook"], ["greet", "people", "food"]] * 20
    words = [w for s in sentences for w in s]
    utts = np.repeat(np.arange(len(sentences)), 3)
    x = np.stack([vocab[w] for w in words]) + 0.05 * rng.normal(size=(len(words), 8))
    out = contextual_vectors(x, utts, np.tile(np.arange(3), len(sentences)), np.zeros(len(words)),
                             window=1, weight=0.5)
    mean = {w: out[[i for i, v in enumerate(words) if v == w]].mean(0) for w in vocab}

    def cos(a, b):
        return mean[a] @ mean[b] / np.linalg.norm(mean[a]) / np.linalg.norm(mean[b])

    raw = {w: x[[i for i, v in enumerate(words) if v == w]].mean(0) for w in ("meat", "meet")}
    assert raw["meat"] @ raw["meet"] / np.linalg.norm(raw["meat"]) / np.linalg.norm(raw["meet"]) > 0.99
    assert cos("meat", "meet") < 0.8
    assert cos("meat", "food") > cos("meat", "people") and cos("meet", "people") > cos("meet", "food")


@pytest.fixture
def words(tmp_path):
    """A word-segment data dir of the four segments above and their 1-frame features."""
    keys = ["U-0", "U-1", "U-2", "V-0"]
    DataDir(tmp_path / "words", segments={k: Segment(k[0], p, p + 0.5) for k, p in zip(keys, POSITIONS)},
            utt2spk=dict.fromkeys(keys, "spk"), seg2utt=dict(zip(keys, UTTS)),
            seg2pos=dict(zip(keys, POSITIONS.tolist()))).save()
    with open_writer(f"ark:{tmp_path / 'f.ark'}") as out:
        for key, row in zip(keys, X):
            out.write(key, row[None].astype(np.float32))
    return tmp_path


def test_cli_context(words, run_awe):
    rc, _, err = run_awe(["embed", "--downsample", "1", "--context", words / "words", "--context-window", "1",
                          f"ark:{words / 'f.ark'}", f"h5:{words / 'o.h5'}"])
    assert rc == 0, err
    assert "with their context in" in err and "(window 1, weight 0.5)" in err
    keys, out = read_vectors(f"h5:{words / 'o.h5'}")
    assert keys == ["U-0", "U-1", "U-2", "V-0"]
    np.testing.assert_allclose(out, contextual_vectors(X, UTTS, POSITIONS, SPEAKERS, 1, 0.5), atol=1e-6)
    (words / "utt2spk").write_text("U-0 A\nU-1 A\nU-2 B\nV-0 B\n")
    rc, _, err = run_awe(["embed", "--downsample", "1", "--speaker-mvn", words / "utt2spk", "--context",
                          words / "words", f"ark:{words / 'f.ark'}", f"h5:{words / 'both.h5'}"])
    assert rc == 0 and "normalised per speaker of" in err and "with their context in" in err


def test_cli_normalise_context_of_a_table_embedded_earlier(words, run_awe):
    """awe normalise --context on the vectors as embedded gives awe embed --context's."""
    raw = f"h5:{words / 'raw.h5'}"
    assert run_awe(["embed", "--downsample", "1", f"ark:{words / 'f.ark'}", raw])[0] == 0
    rc, _, err = run_awe(["normalise", "--context", words / "words", "--context-window", "1", raw,
                          f"h5:{words / 'o.h5'}"])
    assert rc == 0 and "with their context in" in err, err
    keys, out = read_vectors(f"h5:{words / 'o.h5'}")
    assert keys == ["U-0", "U-1", "U-2", "V-0"]
    np.testing.assert_allclose(out, contextual_vectors(X, UTTS, POSITIONS, SPEAKERS, 1, 0.5), atol=1e-6)
    (words / "words" / "seg2pos").write_text("U-0 0\nU-1 1\nU-2 2\n")
    rc, _, err = run_awe(["normalise", "--context", words / "words", raw, f"h5:{words / 'p.h5'}"])
    assert rc == 1 and err == (f"awe normalise: error: {words / 'words'}: segment 'V-0' of {raw} is not in "
                               "seg2utt, seg2pos and utt2spk (--context needs the word-segment dir the "
                               "segments came from)\n")
    assert not (words / "p.h5").exists()


def test_cli_context_bad_input(words, run_awe):
    args = [f"ark:{words / 'f.ark'}", f"h5:{words / 'o.h5'}"]
    (words / "words" / "seg2pos").write_text("U-0 0\nU-1 1\nU-2 2\n")
    rc, _, err = run_awe(["embed", "--downsample", "1", "--context", words / "words", *args])
    assert rc == 1 and len(err.strip().splitlines()) == 1
    assert f"words: segment 'V-0' of ark:{words / 'f.ark'} is not in seg2utt, seg2pos and utt2spk" in err
    (words / "words" / "seg2pos").unlink()
    rc, _, err = run_awe(["embed", "--downsample", "1", "--context", words / "words", *args])
    assert rc == 1 and "data directory has no 'seg2pos'" in err
    for option, value in (("--context-weight", "1.5"), ("--context-window", "0")):
        rc, _, err = run_awe(["embed", "--downsample", "1", "--context", words / "words", option, value, *args])
        assert rc == 2 and "--context-window must be >= 1 and --context-weight in [0, 1]" in err
    assert not (words / "o.h5").exists()
