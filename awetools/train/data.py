"""Labelled word segments for training and validation, checked and capped.

A *set* is a word-segment data dir plus its feature table.  Several training sets
(languages) are pooled with labels namespaced by set (``<set>:<word>``), so the same
spelling in two languages is two word types.  Caps keep multilingual training balanced:
at most ``max_types`` word types per set (the most frequent ones) and ``min_tokens`` to
``max_tokens`` tokens per type (a seeded random subset).  Only the selected segments'
features are kept in memory.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from awetools.errors import AweError
from awetools.io.datadir import DataDir, c_sorted
from awetools.io.tables import open_reader
from awetools.log import get_logger

log = get_logger("awetools.train.data")


@dataclass
class SetSpec:
    """One labelled set as given on the command line."""

    name: str
    data_dir: str
    rspecifier: str


@dataclass
class Caps:
    """Limits applied per set before training (``None``: no limit)."""

    max_types: int | None = None
    min_tokens: int = 1
    max_tokens: int | None = None


@dataclass
class Segments:
    """Pooled segments: features, word labels (namespaced) and speakers, in one order."""

    keys: list[str] = field(default_factory=list)
    feats: list[np.ndarray] = field(default_factory=list)
    words: list[str] = field(default_factory=list)      # the plain word (for lexicon / vectors)
    labels: list[str] = field(default_factory=list)     # namespaced type label
    speakers: list[str] = field(default_factory=list)
    sets: list[str] = field(default_factory=list)

    @property
    def feat_dim(self) -> int:
        return self.feats[0].shape[1]

    def label_ids(self) -> np.ndarray:
        """Integer type id per segment (types in C order)."""
        index = {label: i for i, label in enumerate(c_sorted(set(self.labels)))}
        return np.array([index[label] for label in self.labels], dtype=np.int64)

    def lengths(self) -> np.ndarray:
        return np.array([m.shape[0] for m in self.feats], dtype=np.int64)

    def subset(self, keep: np.ndarray) -> "Segments":
        """The segments at the given indices, in that order."""
        return Segments(*([getattr(self, f)[i] for i in keep] for f in
                          ("keys", "feats", "words", "labels", "speakers", "sets")))


def set_names(data_dirs: list[str]) -> list[str]:
    """Short unique names: the path components that differ (``data/de/train`` -> ``de``)."""
    parts = [Path(d).resolve().parts for d in data_dirs]
    if len(parts) == 1:
        return [parts[0][-1]]
    head = 0
    while all(len(p) > head + 1 for p in parts) and len({p[head] for p in parts}) == 1:
        head += 1
    tail = 0
    while all(len(p) - tail - 1 > head for p in parts) and len({p[-1 - tail] for p in parts}) == 1:
        tail += 1
    names = ["/".join(p[head:len(p) - tail]) for p in parts]
    duplicates = [n for n, c in Counter(names).items() if c > 1]
    if duplicates:
        raise AweError(f"training set '{data_dirs[names.index(duplicates[0])]}' given twice")
    return names


def set_specs(pairs: list[tuple[str, str]]) -> list[SetSpec]:
    """``(data_dir, rspecifier)`` pairs named by :func:`set_names`."""
    names = set_names([d for d, _ in pairs])
    return [SetSpec(name, d, r) for name, (d, r) in zip(names, pairs)]


def _no_pairs(text_file: str, n_types: int) -> str:
    return (f"{text_file}: every word type has a single token ({n_types} types), so there are "
            "no same-word pairs; contrastive, triplet and cae learn from pairs of tokens of the "
            "same word (give several tokens per type, or train with --objective multitask)")


def _few(items: list[str], n: int = 3) -> str:
    return ", ".join(f"'{i}'" for i in items[:n]) + (", ..." if len(items) > n else "")


def select_tokens(text: dict[str, str], caps: Caps, rng: np.random.Generator) -> list[str]:
    """Segment ids kept by the caps (in C order)."""
    by_type: dict[str, list[str]] = {}
    for key in c_sorted(text):
        by_type.setdefault(text[key], []).append(key)
    types = [t for t in c_sorted(by_type) if len(by_type[t]) >= caps.min_tokens]
    types.sort(key=lambda t: -len(by_type[t]))  # most frequent first; stable keeps C order
    if caps.max_types is not None:
        types = types[:caps.max_types]
    kept: list[str] = []
    for word in c_sorted(types):
        tokens = by_type[word]
        if caps.max_tokens is not None and len(tokens) > caps.max_tokens:
            tokens = [tokens[i] for i in np.sort(rng.choice(len(tokens), caps.max_tokens,
                                                             replace=False))]
        kept.extend(tokens)
    return c_sorted(kept)


def load_set(spec: SetSpec, caps: Caps, rng: np.random.Generator,
             namespace: bool = True) -> Segments:
    """Read one labelled set; errors name the file and the offending keys."""
    data = DataDir.load(spec.data_dir, require=("text", "utt2spk"))
    text_file = f"{spec.data_dir}/text"
    wanted = set(select_tokens(data.text, caps, rng))
    if not wanted:
        counts = Counter(data.text.values())
        if max(counts.values()) == 1:
            raise AweError(_no_pairs(text_file, len(counts)))
        raise AweError(f"{text_file}: no word type has at least {caps.min_tokens} tokens "
                       f"({len(counts)} types, {len(data.text)} tokens, at most "
                       f"{max(counts.values())} tokens per type)")
    feats: dict[str, np.ndarray] = {}
    feature_keys: list[str] = []
    dim = None
    for key, mat in open_reader(spec.rspecifier):
        mat = mat if mat.ndim == 2 else mat[None, :]
        dim = mat.shape[1] if dim is None else dim
        if mat.shape[1] != dim:
            raise AweError(f"{spec.rspecifier}: key '{key}' has dim {mat.shape[1]}, earlier keys {dim}")
        feature_keys.append(key)
        if key in wanted:
            if mat.shape[0] == 0:
                raise AweError(f"{spec.rspecifier}: key '{key}' has no frames")
            if not np.isfinite(mat).all():
                raise AweError(f"{spec.rspecifier}: key '{key}' contains NaN or Inf")
            feats[key] = np.array(mat)  # writable copy: shared with torch tensors later
    if not feature_keys:
        raise AweError(f"{spec.rspecifier}: empty table")
    unlabelled = [k for k in feature_keys if k not in data.text]
    if unlabelled:
        raise AweError(f"{spec.rspecifier}: {len(unlabelled)} of {len(feature_keys)} segments "
                       f"have no label in {text_file} (e.g. {_few(unlabelled)})")
    present = set(feature_keys)
    missing = [k for k in c_sorted(data.text) if k not in present]
    if missing:
        raise AweError(f"{text_file}: {len(missing)} of {len(data.text)} labelled segments "
                       f"have no features in {spec.rspecifier} (e.g. {_few(missing)})")
    keys = c_sorted(feats)
    words = data.labels(keys)
    return Segments(keys=keys, feats=[feats[k] for k in keys], words=words,
                    labels=[f"{spec.name}:{w}" if namespace else w for w in words],
                    speakers=data.speakers(keys), sets=[spec.name] * len(keys))


def load_sets(specs: list[SetSpec], caps: Caps, seed: int, namespace: bool = True) -> Segments:
    """Pool several sets (same feature dim required); each set gets its own seeded stream."""
    pooled = Segments()
    for number, spec in enumerate(specs):
        part = load_set(spec, caps, np.random.default_rng([seed, number]), namespace)
        if pooled.keys and part.feat_dim != pooled.feat_dim:
            raise AweError(f"{spec.rspecifier}: {part.feat_dim}-dim features, but "
                           f"{specs[0].rspecifier} has {pooled.feat_dim}-dim; all sets must match")
        log.info("set %s: %d tokens of %d types from %s", spec.name, len(part.keys),
                 len(set(part.labels)), spec.data_dir)
        for name in ("keys", "feats", "words", "labels", "speakers", "sets"):
            getattr(pooled, name).extend(getattr(part, name))
    return pooled


def require_pairs(segments: Segments, specs: list[SetSpec]) -> None:
    """Pair objectives need, in every set, at least one word type with two tokens."""
    for spec in specs:
        counts = Counter(l for l, s in zip(segments.labels, segments.sets) if s == spec.name)
        if max(counts.values()) < 2:
            raise AweError(_no_pairs(f"{spec.data_dir}/text", len(counts)))
