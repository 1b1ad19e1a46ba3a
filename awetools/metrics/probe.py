"""Linear probes: what an embedding space encodes (word, speaker, language, ...).

A multinomial logistic regression (scikit-learn, on standardised embeddings) predicts a
per-segment property from the embedding, cross-validated over stratified folds (or
group-aware folds, e.g. grouped by speaker so a word probe cannot lean on speaker
identity).  Chance is the majority-class baseline: the most frequent class of each
training fold, scored on its test fold.  Classes with fewer than ``min_count``
segments cannot be stratified and are left out (reported).
"""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import asdict, dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from awetools.errors import AweError
from awetools.io.datadir import read_kaldi_table
from awetools.io.tables import read_vectors
from awetools.log import get_logger
from awetools.metrics.wordsim import match_keys
from awetools.progress import progress

log = get_logger(__name__)


@dataclass
class ProbeOptions:
    """Cross-validation and classifier settings."""

    folds: int = 5
    c: float = 1.0
    max_iter: int = 1000
    min_count: int | None = None
    seed: int = 0

    def check(self) -> None:
        if self.folds < 2:
            raise AweError("--folds must be at least 2")
        if self.c <= 0 or self.max_iter < 1:
            raise AweError("--C must be > 0 and --max-iter >= 1")


def probe(x: np.ndarray, y: list[str], options: ProbeOptions, groups: list[str] | None = None) -> dict:
    """Cross-validated accuracy of predicting ``y`` from ``x``, with chance beside it."""
    options.check()
    min_count = options.folds if options.min_count is None else options.min_count
    counts = Counter(y)
    keep = np.array([counts[v] >= min_count for v in y], dtype=bool)
    dropped = sorted(v for v, c in counts.items() if c < min_count)
    if dropped:
        log.warning("%d classes with fewer than %d segments left out (%d segments)",
                    len(dropped), min_count, int((~keep).sum()))
    labels = np.asarray(y)[keep]
    classes = np.unique(labels)
    if len(classes) < 2:
        raise AweError(f"fewer than 2 classes with at least {min_count} segments: nothing to probe")
    data = np.asarray(x, dtype=np.float64)[keep]
    if groups is not None:
        group_ids = np.asarray(groups)[keep]
        if len(np.unique(group_ids)) < options.folds:
            raise AweError(f"{len(np.unique(group_ids))} groups for {options.folds} folds: "
                           "need at least one group per fold")
        splits = StratifiedGroupKFold(options.folds, shuffle=True, random_state=options.seed
                                      ).split(data, labels, group_ids)
    else:
        splits = StratifiedKFold(options.folds, shuffle=True, random_state=options.seed
                                 ).split(data, labels)
    accuracy, chance = [], []
    with warnings.catch_warnings(), progress(options.folds, desc="probe folds", unit="fold") as bar:
        warnings.simplefilter("ignore", ConvergenceWarning)
        # word probes have many classes of few tokens each: by design, not a regression target
        warnings.filterwarnings("ignore", message="The number of unique classes is greater than 50%")
        for train, test in splits:
            model = make_pipeline(StandardScaler(),
                                  LogisticRegression(C=options.c, max_iter=options.max_iter))
            model.fit(data[train], labels[train])
            accuracy.append(float(np.mean(model.predict(data[test]) == labels[test])))
            values, freq = np.unique(labels[train], return_counts=True)
            chance.append(float(np.mean(labels[test] == values[freq.argmax()])))
            bar.update()
    return {"accuracy": float(np.mean(accuracy)), "accuracy_std": float(np.std(accuracy)),
            "chance": float(np.mean(chance)), "fold_accuracy": accuracy, "fold_chance": chance,
            "n": int(keep.sum()), "classes": int(len(classes)),
            "dropped_classes": len(dropped), "dropped_segments": int((~keep).sum()),
            "grouped": groups is not None, "config": {**asdict(options), "min_count": min_count}}


def summary_line(result: dict) -> str:
    """One human line: accuracy, chance, classes, N."""
    return (f"accuracy={result['accuracy']:.4f}±{result['accuracy_std']:.4f} "
            f"chance={result['chance']:.4f} classes={result['classes']} N={result['n']} "
            f"folds={len(result['fold_accuracy'])}{' grouped' if result['grouped'] else ''}")


def probe_table(rspecifier: str, target: str, options: ProbeOptions, groups: str | None = None) -> dict:
    """:func:`probe` on a segment table and a ``<key> <value>`` target file (optional groups file)."""
    keys, vectors = read_vectors(rspecifier)
    table = read_kaldi_table(target, check_sorted=False)
    rows = match_keys(keys, table, target, rspecifier)
    group_values = None
    if groups is not None:
        group_table = read_kaldi_table(groups, check_sorted=False)
        missing = next((keys[i] for i in rows if keys[i] not in group_table), None)
        if missing is not None:
            raise AweError(f"{groups}: no group for segment '{missing}'")
        group_values = [group_table[keys[i]] for i in rows]
    result = probe(vectors[rows], [table[keys[i]] for i in rows], options, group_values)
    result["coverage"] = len(rows) / len(keys)
    result["inputs"] = {"embeddings": rspecifier, "target": target, "groups": groups}
    return result
