"""Bilingual (speech-text) dictionaries: read, look up, induce with CSLS, and score.

A dictionary file has one ``<source word> <target word>`` pair per line (MUSE format;
a source word may have several translations).  ``identical`` pairs the words spelled the
same on both sides (a labelled speech side against text).  Induction pairs words that are
nearest neighbours under CSLS, restricted to the ``max_rank`` most frequent words of each
side (vectors are in frequency order); ``mutual`` keeps only pairs that are each other's
nearest neighbour in both directions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from awetools.align.csls import Similarity
from awetools.errors import AweError
from awetools.io.datadir import read_lines
from awetools.log import get_logger

log = get_logger(__name__)

BUILDS = ("mutual", "s2t", "t2s", "union")


@dataclass
class Dictionary:
    """Index pairs into the source and target vocabularies, best first when scored."""

    src: np.ndarray
    tgt: np.ndarray
    scores: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.src)


@dataclass
class LookupReport:
    """What happened to the pairs of a dictionary file against two vocabularies."""

    source: str
    pairs: int
    kept: int
    missing_src: list[str] = field(default_factory=list)
    missing_tgt: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"source": self.source, "pairs": self.pairs, "kept": self.kept,
                "dropped": self.pairs - self.kept,
                "missing_src_words": len(self.missing_src),
                "missing_tgt_words": len(self.missing_tgt),
                "missing_src_examples": self.missing_src[:10],
                "missing_tgt_examples": self.missing_tgt[:10]}

    def describe(self) -> str:
        def examples(words: list[str]) -> str:
            return ", ".join(f"'{w}'" for w in words[:5]) + (", ..." if len(words) > 5 else "")
        text = f"{self.source}: {self.kept} of {self.pairs} pairs usable"
        if self.missing_src:
            text += f"; {len(self.missing_src)} source words not in SRC ({examples(self.missing_src)})"
        if self.missing_tgt:
            text += f"; {len(self.missing_tgt)} target words not in TGT ({examples(self.missing_tgt)})"
        return text


def read_pairs(path: str | Path, lowercase: bool = False) -> list[tuple[str, str]]:
    """``(source, target)`` word pairs of a dictionary file, in file order without repeats."""
    pairs: dict[tuple[str, str], None] = {}
    for number, line in enumerate(read_lines(path), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2:
            raise AweError(f"{path}:{number}: expected '<source word> <target word>', "
                           f"got {len(fields)} fields")
        if lowercase:
            fields = [f.lower() for f in fields]
        pairs[(fields[0], fields[1])] = None
    if not pairs:
        raise AweError(f"{path}: empty dictionary")
    return list(pairs)


def identical_pairs(src_words: list[str], tgt_words: list[str]) -> list[tuple[str, str]]:
    """Pairs of identically spelled words, in source order."""
    tgt = set(tgt_words)
    return [(w, w) for w in src_words if w in tgt]


def lookup(pairs: list[tuple[str, str]], src_words: list[str], tgt_words: list[str],
           source: str) -> tuple[Dictionary, LookupReport]:
    """Index pairs of the words present on both sides, and a report of the missing words."""
    src_index = {w: i for i, w in enumerate(src_words)}
    tgt_index = {w: i for i, w in enumerate(tgt_words)}
    keep = [(src_index[s], tgt_index[t]) for s, t in pairs if s in src_index and t in tgt_index]
    missing_src = list(dict.fromkeys(s for s, _ in pairs if s not in src_index))
    missing_tgt = list(dict.fromkeys(t for _, t in pairs if t not in tgt_index))
    report = LookupReport(source, len(pairs), len(keep), missing_src, missing_tgt)
    index = np.asarray(keep, dtype=np.int64).reshape(-1, 2)
    return Dictionary(index[:, 0], index[:, 1]), report


def induce(src: np.ndarray | torch.Tensor, tgt: np.ndarray | torch.Tensor, build: str = "mutual",
           method: str = "csls", k: int = 10, max_rank: int = 15000, max_size: int = 0,
           device: torch.device | str = "cpu", keep: float = 1.0,
           generator: torch.Generator | None = None) -> Dictionary:
    """Dictionary of nearest-neighbour pairs between (mapped) source and target vectors.

    Queries are the ``max_rank`` most frequent words of a side (0: all), searched over the
    whole other side; pairs involving a word ranked beyond ``max_rank`` are dropped.  Pairs
    come sorted by decreasing score; ``max_size`` (0: all) keeps the best ones.  ``keep``
    < 1 drops candidate scores at random (see :meth:`Similarity.best_both_ways`).
    """
    if build not in BUILDS:
        raise AweError(f"unknown dictionary build '{build}' (one of {', '.join(BUILDS)})")
    sim = Similarity(src, tgt, k=k, device=device)
    s_score, s_best, t_score, t_best = sim.best_both_ways(method, keep, generator)
    rank_s = len(s_best) if max_rank <= 0 else min(max_rank, len(s_best))
    rank_t = len(t_best) if max_rank <= 0 else min(max_rank, len(t_best))
    s2t = np.stack([np.arange(rank_s), s_best[:rank_s], s_score[:rank_s]], axis=1)
    t2s = np.stack([t_best[:rank_t], np.arange(rank_t), t_score[:rank_t]], axis=1)
    s2t = s2t[s2t[:, 1] < rank_t]
    t2s = t2s[t2s[:, 0] < rank_s]
    if build == "s2t":
        pairs = s2t
    elif build == "t2s":
        pairs = t2s
    else:
        both = np.concatenate([s2t, t2s])
        _, first, counts = np.unique(both[:, :2], axis=0, return_index=True, return_counts=True)
        pairs = both[first[counts == 2]] if build == "mutual" else both[first]
    order = np.argsort(-pairs[:, 2], kind="stable")
    if max_size > 0:
        order = order[:max_size]
    pairs = pairs[order]
    return Dictionary(pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64),
                      pairs[:, 2].astype(np.float32))


def mean_cosine(src: np.ndarray, tgt: np.ndarray, dico: Dictionary) -> float:
    """Mean cosine similarity of the dictionary pairs (-1 for an empty dictionary)."""
    if len(dico) == 0:
        return -1.0
    a = src[dico.src] / np.maximum(np.linalg.norm(src[dico.src], axis=1, keepdims=True), 1e-12)
    b = tgt[dico.tgt] / np.maximum(np.linalg.norm(tgt[dico.tgt], axis=1, keepdims=True), 1e-12)
    return float(np.mean(np.sum(a * b, axis=1)))


def criterion(src: np.ndarray, tgt: np.ndarray, k: int = 10, max_rank: int = 10000,
              max_size: int = 10000, device: torch.device | str = "cpu") -> tuple[float, int]:
    """Unsupervised model-selection criterion: ``(mean cosine, pairs)`` of the best mutual CSLS pairs.

    No gold dictionary needed: a better map puts more, and more similar, words into
    mutual nearest-neighbour pairs.
    """
    dico = induce(src, tgt, "mutual", "csls", k, max_rank, max_size, device)
    return mean_cosine(src, tgt, dico), len(dico)
