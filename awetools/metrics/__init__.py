"""Evaluation metrics: same-different AP, DTW, word similarity, QbE, translation, probes."""
