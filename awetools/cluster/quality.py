"""Cluster quality against word labels: purity and normalised mutual information."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import normalized_mutual_info_score
from sklearn.metrics.cluster import contingency_matrix


def purity(assign: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of segments whose cluster's majority word is their own word."""
    counts = contingency_matrix(assign, labels, sparse=True)  # [clusters, words]
    return float(counts.max(axis=1).sum() / len(assign))


def nmi(assign: np.ndarray, labels: np.ndarray) -> float:
    """Normalised mutual information (arithmetic normalisation, as scikit-learn)."""
    return float(normalized_mutual_info_score(labels, assign))
