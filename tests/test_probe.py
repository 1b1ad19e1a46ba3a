"""awe eval probe: cross-validated logistic regression with majority-class chance, groups, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from awetools.errors import AweError
from awetools.io.tables import write_vectors
from awetools.metrics.probe import ProbeOptions, probe


def data(n_per_class: int = 12, separable: bool = True, seed: int = 0):
    """Three classes, class 'a' twice as frequent; dim 0-2 carry the class when separable."""
    rng = np.random.default_rng(seed)
    labels = ["a"] * (2 * n_per_class) + ["b"] * n_per_class + ["c"] * n_per_class
    x = rng.normal(size=(len(labels), 6))
    if separable:
        x[np.arange(len(labels)), [ord(v) - ord("a") for v in labels]] += 8
    return x, labels


def test_separable_classes_and_majority_chance():
    x, y = data()
    result = probe(x, y, ProbeOptions(folds=4))
    assert result["accuracy"] == 1.0 and result["classes"] == 3 and result["n"] == 48
    assert result["chance"] == pytest.approx(0.5)  # 'a' is half of every stratified test fold
    assert len(result["fold_accuracy"]) == 4 and result["dropped_classes"] == 0


def test_noise_stays_near_chance_and_is_seeded():
    x, y = data(30, separable=False)
    first = probe(x, y, ProbeOptions(folds=5, seed=1))
    assert first["accuracy"] < 0.65 and first["chance"] == pytest.approx(0.5)
    assert probe(x, y, ProbeOptions(folds=5, seed=1))["fold_accuracy"] == first["fold_accuracy"]


def test_rare_classes_dropped_and_groups():
    x, y = data()
    x = np.vstack([x, np.zeros((2, 6))])
    y = y + ["rare", "rare"]
    groups = [f"g{i % 6}" for i in range(len(y))]
    result = probe(x, y, ProbeOptions(folds=3), groups=groups)
    assert result["dropped_classes"] == 1 and result["dropped_segments"] == 2 and result["grouped"]
    assert result["accuracy"] == 1.0
    with pytest.raises(AweError, match="2 groups for 3 folds"):
        probe(x, y, ProbeOptions(folds=3), groups=[f"g{i % 2}" for i in range(len(y))])
    with pytest.raises(AweError, match="fewer than 2 classes"):
        probe(x[:5], ["a"] * 5, ProbeOptions(folds=2))
    with pytest.raises(AweError, match="--folds must be at least 2"):
        probe(x, y, ProbeOptions(folds=1))


def test_eval_probe_command(tmp_path, run_awe):
    x, y = data()
    keys = [f"seg{i:03d}" for i in range(len(y))]
    write_vectors(f"ark:{tmp_path / 'e.ark'}", keys, x.astype(np.float32))
    (tmp_path / "target").write_text("".join(f"{k} {v}\n" for k, v in zip(keys[:-1], y[:-1])))
    (tmp_path / "groups").write_text("".join(f"{k} spk{i % 4}\n" for i, k in enumerate(keys)))
    rc, out, err = run_awe(["eval", "probe", "--target", tmp_path / "target", "--folds", "4",
                            "--groups", tmp_path / "groups", "--json", tmp_path / "p.json",
                            f"ark:{tmp_path / 'e.ark'}"])
    assert rc == 0, err
    assert out.startswith("awe eval probe: accuracy=1.0000") and "classes=3 N=47 folds=4 grouped" in out
    result = json.loads((tmp_path / "p.json").read_text())
    assert result["coverage"] == pytest.approx(47 / 48) and result["inputs"]["groups"].endswith("groups")
    (tmp_path / "other").write_text("zzz a\n")
    rc, _, err = run_awe(["eval", "probe", "--target", tmp_path / "other", f"ark:{tmp_path / 'e.ark'}"])
    assert rc == 1 and "share no segment ids" in err
