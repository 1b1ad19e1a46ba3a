"""Pictures for READMEs and reports: a 2-D map of embeddings and training curves.

matplotlib is an optional extra (``pip install awetools[plot]``); it is imported only
when a picture is drawn, with the Agg backend so no display is needed.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np

from awetools.errors import AweError
from awetools.io.atomic import atomic_path


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise AweError("plotting needs matplotlib: pip install 'awetools[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def embedding_map(vectors: np.ndarray, labels: list[str], out: str | Path, max_words: int = 12,
                  max_points: int = 2000, seed: int = 0, title: str = "") -> int:
    """t-SNE map of the tokens of the ``max_words`` most frequent words, coloured by word.

    Returns the number of points drawn.
    """
    from sklearn.manifold import TSNE

    counts = Counter(labels)
    words = [w for w, n in counts.most_common() if n >= 2][:max_words]
    if not words:
        raise AweError("no word has two or more tokens: nothing to map")
    labels_array = np.array(labels, dtype=object)
    chosen = np.flatnonzero(np.isin(labels_array, words))
    rng = np.random.default_rng(seed)
    if len(chosen) > max_points:
        chosen = np.sort(rng.choice(chosen, max_points, replace=False))
    x = vectors[chosen].astype(np.float64)
    x /= np.linalg.norm(x, axis=1, keepdims=True).clip(1e-12)
    perplexity = float(min(30, max(2, (len(chosen) - 1) // 3)))
    points = TSNE(n_components=2, metric="cosine", init="pca", perplexity=perplexity,
                  random_state=seed).fit_transform(x)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 6), dpi=110)
    colours = plt.get_cmap("tab20")
    for i, word in enumerate(words):
        mask = labels_array[chosen] == word
        ax.scatter(points[mask, 0], points[mask, 1], s=12, color=colours(i % 20), label=word, alpha=0.8)
    ax.set_xticks([]), ax.set_yticks([])
    ax.set_title(title or f"t-SNE of {len(chosen)} tokens of {len(words)} words")
    ax.legend(fontsize=7, markerscale=1.5, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    fig.tight_layout()
    _save(fig, out)
    return len(chosen)


def read_log(path: Path) -> list[dict]:
    """JSON lines of a training log (one object per epoch)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise AweError(f"{path}: no such training log") from None
    records = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                raise AweError(f"{path}:{number}: not a JSON line") from None
    return records


DEFAULT_METRICS = ("loss", "valid_ap", "valid_loss", "wordsim")


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def metric_values(record: dict, metric: str) -> dict[str | None, float]:
    """The numbers a log record has for ``metric``, by series key (None: a plain field).

    ``metric`` names a field; a field holding a number gives one series, a field holding
    an object of numbers (e.g. ``wordsim``, rho per similarity set) one series per key;
    ``FIELD.KEY`` picks one key of such an object.  Missing fields and nulls give nothing.
    """
    if metric in record:
        value = record[metric]
    elif "." in metric:
        field, key = metric.split(".", 1)
        inner = record.get(field)
        value = {key: inner[key]} if isinstance(inner, dict) and key in inner else None
    else:
        value = None
    if _number(value):
        return {None: float(value)}
    if isinstance(value, dict):
        return {str(k): float(v) for k, v in value.items() if _number(v)}
    return {}


def curve_series(records: list[dict], metric: str) -> dict[str | None, tuple[list[int], list[float]]]:
    """``metric`` over the epochs of one log: ``{series key: (epochs, values)}``, keys in
    order of first appearance."""
    series: dict[str | None, tuple[list[int], list[float]]] = {}
    for record in records:
        for key, value in metric_values(record, metric).items():
            epochs, values = series.setdefault(key, ([], []))
            epochs.append(record["epoch"])
            values.append(value)
    return series


def training_curves(logs: dict[str, Path], out: str | Path, metrics: list[str] | None = None) -> list[str]:
    """One panel per metric with one line per model and series (e.g. training loss,
    validation AP of phonetic models; held-out loss and rho per ``--wordsim`` set of
    semantic ones, see :func:`metric_values`).

    ``metrics`` None: the panels of :data:`DEFAULT_METRICS` that some log has.  Returns
    the metrics drawn, in panel order.
    """
    records = {name: [r for r in read_log(path) if "epoch" in r] for name, path in logs.items()}
    asked = list(metrics) if metrics else list(DEFAULT_METRICS)
    lines = {metric: [(f"{name}: {key}" if key is not None else name, *points)
                      for name, rs in records.items()
                      for key, points in curve_series(rs, metric).items()]
             for metric in asked}
    if not any(lines.values()):
        raise AweError(f"no epoch in the logs has any of: {', '.join(asked)}")
    panels = asked if metrics else [m for m in asked if lines[m]]
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), dpi=110, squeeze=False)
    for ax, metric in zip(axes[0], panels):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        for label, epochs, values in lines[metric]:
            ax.plot(epochs, values, marker="o", markersize=3, label=label)
        ax.set_xlabel("epoch"), ax.set_title(metric), ax.grid(alpha=0.3)
        if lines[metric]:
            ax.legend(fontsize=7)
    fig.tight_layout()
    _save(fig, out)
    return panels


def _save(fig, out: str | Path) -> None:
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png")
    import matplotlib.pyplot as plt

    plt.close(fig)
