"""Recipe helper scripts that compute something: hand-checked cases and bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ABSORBED = Path(__file__).resolve().parents[1] / "recipes" / "semantic" / "local" / "absorbed_labels.py"


def run_absorbed(tmp_path: Path, text: str, assign: str) -> subprocess.CompletedProcess:
    (tmp_path / "text").write_text(text)
    (tmp_path / "assign.txt").write_text(assign)
    return subprocess.run([sys.executable, ABSORBED, tmp_path / "text", tmp_path / "assign.txt", "2",
                           tmp_path / "out"], capture_output=True, text=True)


def test_absorbed_labels_relabel_a_word_to_its_main_clusters_owner(tmp_path):
    # cluster 0: meet x3, meat x2 -> meat takes 'meet'; cluster 1: sea x2 (owner of itself);
    # 'tree' has one token (< 2): <rare>, though it sits in meet's cluster
    keys = {"a1": ("meet", 0), "a2": ("meet", 0), "a3": ("meet", 0), "b1": ("meat", 0),
            "b2": ("meat", 0), "c1": ("sea", 1), "c2": ("sea", 1), "d1": ("tree", 0)}
    result = run_absorbed(tmp_path, "".join(f"{k} {w}\n" for k, (w, _) in keys.items()),
                          "".join(f"{k} {c}\n" for k, (_, c) in keys.items()))
    assert result.returncode == 0, result.stderr
    labels = dict(line.split() for line in (tmp_path / "out").read_text().splitlines())
    assert labels == {"a1": "meet", "a2": "meet", "a3": "meet", "b1": "meet", "b2": "meet",
                      "c1": "sea", "c2": "sea", "d1": "<rare>"}
    assert "1 of 3 frequent words relabelled" in result.stdout and "3 labels" in result.stdout


def test_absorbed_labels_segment_without_cluster(tmp_path):
    result = run_absorbed(tmp_path, "a1 meet\na2 meet\n", "a1 0\n")
    assert result.returncode == 1
    assert result.stderr.strip() == f"{tmp_path / 'assign.txt'}: no cluster for segment 'a2' of {tmp_path / 'text'}"
    assert not (tmp_path / "out").exists()
