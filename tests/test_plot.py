"""awe plot curves: log fields holding numbers or objects of numbers (wordsim rho per set)."""

from __future__ import annotations

import json

import pytest

from awetools.plot import curve_series, metric_values, read_log
from test_semantic import FAST, corpus, read_jsonl, similarity_files  # noqa: F401  (fixture)


def test_metric_values_numbers_objects_and_keys():
    record = {"epoch": 2, "loss": 1.5, "valid_loss": None, "wordsim": {"a": 0.25, "b.c": None, "d": 0.5},
              "flag": True, "x.y": 3}
    assert metric_values(record, "loss") == {None: 1.5}
    assert metric_values(record, "valid_loss") == {} and metric_values(record, "valid_ap") == {}
    assert metric_values(record, "wordsim") == {"a": 0.25, "d": 0.5}  # nulls skipped
    assert metric_values(record, "wordsim.d") == {"d": 0.5} and metric_values(record, "wordsim.b.c") == {}
    assert metric_values(record, "flag") == {} and metric_values(record, "x.y") == {None: 3.0}
    records = [{"epoch": 1, "wordsim": {"a": 0.1, "d": None}}, {"epoch": 2, "wordsim": {"a": 0.2, "d": 0.3}}]
    assert curve_series(records, "wordsim") == {"a": ([1, 2], [0.1, 0.2]), "d": ([2], [0.3])}


@pytest.fixture
def model_dirs(corpus, tmp_path, run_awe):
    """A real semantic model dir (text, 3 epochs, two --wordsim sets) and a phonetic-style log."""
    files = similarity_files(corpus, tmp_path)[:2]
    rc, _, err = run_awe(["train-skipgram", "--method", "text", *FAST, "--epochs", "3", "--no-subsample",
                          "--wordsim-min-count", "3", *[x for f in files for x in ("--wordsim", f)],
                          corpus / "words", tmp_path / "semantic"])
    assert rc == 0, err
    (tmp_path / "phonetic").mkdir()
    (tmp_path / "phonetic" / "log.jsonl").write_text("".join(
        json.dumps({"epoch": e, "loss": 2.0 / e, "valid_ap": 0.1 * e, "best_epoch": e, "lr": 1e-3}) + "\n"
        for e in (1, 2)))
    return tmp_path / "semantic", tmp_path / "phonetic"


def test_plot_curves_of_semantic_and_phonetic_dirs(model_dirs, tmp_path, run_awe, monkeypatch):
    pytest.importorskip("matplotlib")
    from awetools import plot

    training_curves = plot.training_curves

    semantic, phonetic = model_dirs
    log = read_jsonl(semantic / "log.jsonl")
    series = curve_series(read_log(semantic / "log.jsonl"), "wordsim")
    assert list(series) == ["topics", "anti"]  # one line per set, every epoch
    assert series["topics"] == ([1, 2, 3], [e["wordsim"]["topics"] for e in log])
    # default panels: those of loss, valid_ap, valid_loss, wordsim that some log has
    assert training_curves({"s": semantic / "log.jsonl"}, tmp_path / "a.png") == ["loss", "valid_loss", "wordsim"]
    saved, save = [], plot._save
    monkeypatch.setattr(plot, "_save", lambda fig, out: (saved.append(
        {ax.get_title(): [(line.get_label(), list(line.get_xdata()), list(line.get_ydata())) for line in ax.lines]
         for ax in fig.axes}), save(fig, out)))
    assert training_curves({"s": semantic / "log.jsonl", "p": phonetic / "log.jsonl"}, tmp_path / "b.png") == [
        "loss", "valid_ap", "valid_loss", "wordsim"]
    panels = saved[-1]
    assert [label for label, *_ in panels["loss"]] == ["s", "p"] and [x[0] for x in panels["valid_ap"]] == ["p"]
    assert panels["wordsim"] == [("s: topics", [1, 2, 3], [e["wordsim"]["topics"] for e in log]),
                                 ("s: anti", [1, 2, 3], [e["wordsim"]["anti"] for e in log])]
    rc, _, err = run_awe(["plot", "curves", "-m", "valid_loss", "-m", "wordsim", "-m", "wordsim.anti",
                          semantic, phonetic, tmp_path / "c.png"])
    assert rc == 0, err
    assert "valid_loss, wordsim, wordsim.anti of 2 model dir(s)" in err
    for name in ("a.png", "b.png", "c.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rc, _, err = run_awe(["plot", "curves", semantic, tmp_path / "d.png"])
    assert rc == 0 and "loss, valid_loss, wordsim of 1 model dir(s)" in err
    # asked metrics that no epoch of any log has
    rc, _, err = run_awe(["plot", "curves", "-m", "wordsim", "-m", "wordsim.nope", phonetic, tmp_path / "e.png"])
    assert rc == 1 and "no epoch in the logs has any of: wordsim, wordsim.nope" in err
    assert not (tmp_path / "e.png").exists()
