"""The whole MFCC + DTW pipeline against an independent computation on real speech (FSDD).

Independent side: static MFCCs straight from kaldi-native-fbank, Kaldi's ``add-deltas``
written out in numpy, per-speaker mean and variance normalisation of all 39 dimensions
(Kamper's recipes), DTW as Kamper's ``speech_dtw`` defines it (cosine frame distance,
steps match / insertion / deletion) in a plain double loop over a full cost matrix, and
sklearn's average precision over all pairs.

Pipeline side: ``awe featurize`` then ``awe eval samediff --dtw``.  On FSDD's 180
test-data tokens (16,110 pairs) the features agree to 1e-5 and, with the same
normalisation (cost / path length), the APs agree to 1e-6.  ``speech_dtw``'s own
``dur_normalize`` divides by ``n + m`` instead, which ranks pairs worse here: AP 0.478
against 0.569 (path length favours no word length; ``n + m`` favours long words).
"""

from __future__ import annotations

import json

import numba
import numpy as np
import pytest
from sklearn.metrics import average_precision_score

from awetools.io.datadir import DataDir
from awetools.io.tables import open_reader
from test_featurize import direct_frames, kaldi_deltas


@numba.njit(cache=True)
def speech_dtw_cost(s: np.ndarray, t: np.ndarray) -> tuple[float, float]:  # pragma: no cover
    """Best path cost of ``s`` against ``t`` divided by its length in cells and by ``n + m``
    (``speech_dtw.multivariate_dtw_cost_cosine(s, t, dur_normalize=True)``)."""
    n, m = s.shape[0], t.shape[0]
    cost = np.full((n, m), np.inf)
    steps = np.zeros((n, m))
    for i in range(n):
        for j in range(m):
            d = 1.0 - np.dot(s[i], t[j]) / (np.linalg.norm(s[i]) * np.linalg.norm(t[j]))
            best, length = (0.0, 0.0) if i == 0 and j == 0 else (np.inf, 0.0)
            if i > 0 and j > 0:
                best, length = cost[i - 1, j - 1], steps[i - 1, j - 1]
            if i > 0 and cost[i - 1, j] < best:
                best, length = cost[i - 1, j], steps[i - 1, j]
            if j > 0 and cost[i, j - 1] < best:
                best, length = cost[i, j - 1], steps[i, j - 1]
            cost[i, j], steps[i, j] = d + best, length + 1
    return cost[n - 1, m - 1] / steps[n - 1, m - 1], cost[n - 1, m - 1] / (n + m)


def independent_features(data: DataDir) -> dict[str, np.ndarray]:
    """39-d MFCCs, per-speaker MVN after the deltas, computed without awetools."""
    full = {k: kaldi_deltas(direct_frames(data.wav_scp[s.recording])) for k, s in data.segments.items()}
    out = {}
    for speaker in set(data.utt2spk.values()):
        keys = [k for k in full if data.utt2spk[k] == speaker]
        frames = np.concatenate([full[k] for k in keys])
        mean, std = frames.mean(axis=0), frames.std(axis=0)
        out.update({k: (full[k] - mean) / std for k in keys})
    return out


def test_pipeline_agrees_with_independent_features_and_speech_dtw(fsdd_words, fsdd_feats,
                                                                 run_awe, tmp_path):
    data = DataDir.load(fsdd_words)
    feats = independent_features(data)
    keys = sorted(feats)
    pipeline_feats = dict(open_reader(fsdd_feats.rspecifier))
    assert sorted(pipeline_feats) == keys
    for key in keys:
        np.testing.assert_allclose(pipeline_feats[key], feats[key], rtol=0, atol=1e-4, err_msg=key)

    labels = np.array([data.text[k] for k in keys])
    i, j = np.triu_indices(len(keys), k=1)
    costs = np.array([speech_dtw_cost(feats[keys[a]], feats[keys[b]]) for a, b in zip(i, j)])
    path_ap, sum_ap = (average_precision_score(labels[i] == labels[j], -costs[:, c]) for c in (0, 1))

    rc, _, err = run_awe(["eval", "samediff", "--dtw", "--labels", fsdd_words / "text",
                          "--json", tmp_path / "dtw.json", fsdd_feats.rspecifier])
    assert rc == 0, err
    pipeline_ap = json.loads((tmp_path / "dtw.json").read_text())["ap"]
    assert abs(pipeline_ap - path_ap) < 1e-6, (pipeline_ap, path_ap)
    assert pipeline_ap > 0.5  # a real figure (10 digits: chance about 0.1)
    assert sum_ap == pytest.approx(0.478, abs=0.001)  # speech_dtw's n + m normalisation
