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


def training_curves(logs: dict[str, Path], out: str | Path, metrics: list[str]) -> None:
    """One panel per metric (e.g. training loss, validation AP) with one line per model."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 4), dpi=110, squeeze=False)
    drawn = 0
    for name, path in logs.items():
        records = [r for r in read_log(path) if "epoch" in r]
        for ax, metric in zip(axes[0], metrics):
            points = [(r["epoch"], r[metric]) for r in records if isinstance(r.get(metric), (int, float))]
            if points:
                epochs, values = zip(*points)
                ax.plot(epochs, values, marker="o", markersize=3, label=name)
                drawn += 1
    if not drawn:
        raise AweError(f"no epoch in the logs has any of: {', '.join(metrics)}")
    for ax, metric in zip(axes[0], metrics):
        ax.set_xlabel("epoch"), ax.set_title(metric), ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    _save(fig, out)


def _save(fig, out: str | Path) -> None:
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png")
    import matplotlib.pyplot as plt

    plt.close(fig)
