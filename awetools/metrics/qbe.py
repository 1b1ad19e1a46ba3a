"""Semantic query-by-example (QbE) search over utterances.

A *query* is one spoken word segment; every other utterance of the collection gets the
score ``max_s cos(query, s)`` over its word segments (the query's own utterance is left
out of the ranking).  Relevance comes from text, per query word ``q`` and word ``w``:

- *reference* (a text word embedding): grade ``g(q, w) = cos_ref(q, w)`` (1 when
  ``w = q``); ``w`` is *related* to ``q`` when it is ``q`` itself or among the ``top_k``
  nearest collection words of ``q`` in the reference (optionally only if
  ``cos_ref >= min_cosine``); words missing from the reference have no grade;
- *pairs* (a word-similarity list): ``g(q, w)`` is the listed score of the pair (either
  order; ``w = q`` gets the list's maximum, unlisted pairs the list's minimum); related
  when ``g >= threshold`` (default: the list's upper quartile).

An utterance's grade is the maximum grade of its words and it is *relevant* when it holds
a related word.  Reported, averaged over queries with at least one relevant utterance:
P@10, P@N (N = number of relevant utterances), EER and Spearman rho between utterance
scores and grades, for *semantic* relevance (related words, exact matches included),
*semantic-only* (utterances holding the query word itself are removed from the ranking)
and *exact* QbE (relevant = holds the query word).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.stats import spearmanr

from awetools.errors import AweError
from awetools.io.datadir import DataDir, read_lines
from awetools.io.tables import read_vectors
from awetools.log import get_logger
from awetools.metrics.wordsim import WordPairs, WordTable, match_keys

log = get_logger(__name__)


@dataclass
class Collection:
    """Segments grouped by utterance: ``seg_word`` ``[N]`` word ids, ``starts`` ``[U]`` offsets.

    Rows of ``vectors`` are unit-normalised and ordered by utterance, so that the
    segments of utterance ``u`` are ``starts[u]:starts[u+1]``.
    """

    keys: list[str]
    vectors: np.ndarray
    seg_utt: np.ndarray
    seg_word: np.ndarray
    words: list[str]
    utterances: list[str]
    starts: np.ndarray

    @classmethod
    def build(cls, keys: list[str], vectors: np.ndarray, seg2utt: dict[str, str],
              text: dict[str, str]) -> "Collection":
        utts = np.array([seg2utt[k] for k in keys])
        order = np.lexsort((np.arange(len(keys)), utts))
        utterances, seg_utt = np.unique(utts[order], return_inverse=True)
        words, seg_word = np.unique(np.array([text[keys[i]] for i in order]), return_inverse=True)
        vectors = vectors[order] / np.maximum(np.linalg.norm(vectors[order], axis=1, keepdims=True), 1e-12)
        starts = np.flatnonzero(np.r_[True, seg_utt[1:] != seg_utt[:-1]])
        return cls([keys[i] for i in order], vectors.astype(np.float32), seg_utt, seg_word,
                   [str(w) for w in words], [str(u) for u in utterances], starts)

    def utterance_max(self, per_segment: np.ndarray) -> np.ndarray:
        """``[Q, N]`` per-segment values -> ``[Q, U]`` maximum over each utterance's segments."""
        return np.maximum.reduceat(per_segment, self.starts, axis=1)


@dataclass
class Relevance:
    """Word-level grades ``[Q, V]`` (NaN = unknown) and related-word flags ``[Q, V]``."""

    grade: np.ndarray
    related: np.ndarray
    definition: dict


def reference_relevance(query_words: np.ndarray, collection: Collection, reference: WordTable,
                        top_k: int = 10, min_cosine: float | None = None) -> Relevance:
    """Relevance from a reference embedding (see the module docstring)."""
    rows = reference.lookup(collection.words)
    known = rows >= 0
    vocab = reference.vectors[np.where(known, rows, 0)]
    sims = vocab[query_words] @ vocab.T  # [Q, V]
    sims[:, ~known] = np.nan
    exact = np.arange(len(collection.words))[None, :] == query_words[:, None]
    ranked = np.where(exact | ~known[None, :], -np.inf, sims)
    k = min(top_k, max(len(collection.words) - 1, 1))
    nearest = np.argpartition(-ranked, k - 1, axis=1)[:, :k]
    related = np.zeros_like(exact)
    np.put_along_axis(related, nearest, True, axis=1)
    related &= np.isfinite(ranked)
    if min_cosine is not None:
        related &= np.nan_to_num(sims, nan=-np.inf) >= min_cosine
    grade = np.where(exact, 1.0, sims)
    return Relevance(grade, related | exact,
                     {"source": "reference", "top_k": top_k, "min_cosine": min_cosine})


def pairs_relevance(query_words: np.ndarray, collection: Collection, pairs: WordPairs,
                    threshold: float | None = None) -> Relevance:
    """Relevance from a word-similarity list (see the module docstring); repeated pairs are averaged."""
    index = {w: i for i, w in enumerate(collection.words)}
    low, high = float(pairs.scores.min()), float(pairs.scores.max())
    if threshold is None:
        threshold = float(np.quantile(pairs.scores, 0.75))
    a = np.array([index.get(w, -1) for w in pairs.w1])
    b = np.array([index.get(w, -1) for w in pairs.w2])
    keep = (a >= 0) & (b >= 0) & (a != b)
    rows = np.r_[a[keep], b[keep]]
    cols = np.r_[b[keep], a[keep]]
    shape = (len(collection.words),) * 2
    total = sparse.csr_matrix((np.r_[pairs.scores[keep], pairs.scores[keep]], (rows, cols)), shape)
    count = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape)
    listed = count[query_words].toarray() > 0
    grade = np.where(listed, total[query_words].toarray() / np.maximum(count[query_words].toarray(), 1), low)
    related = listed & (grade >= threshold)
    self_pair = (np.arange(len(query_words)), query_words)
    grade[self_pair] = high
    related[self_pair] = True
    return Relevance(grade, related, {"source": "pairs", "file": pairs.name, "threshold": threshold,
                                      "pairs_in_collection": int(keep.sum())})


def graded_words(collection: Collection, reference: WordTable | None = None,
                 pairs: WordPairs | None = None) -> np.ndarray:
    """Word ids that can be queries: in the reference, or in a pair of the list within the collection."""
    if reference is not None:
        return np.flatnonzero(reference.lookup(collection.words) >= 0)
    index = {w: i for i, w in enumerate(collection.words)}
    a = np.array([index.get(w, -1) for w in pairs.w1])
    b = np.array([index.get(w, -1) for w in pairs.w2])
    keep = (a >= 0) & (b >= 0) & (a != b)
    return np.unique(np.r_[a[keep], b[keep]])


def select_queries(collection: Collection, candidates: np.ndarray, num: int, min_count: int,
                   seed: int) -> np.ndarray:
    """One random token each of ``num`` random candidate words with at least ``min_count`` tokens."""
    counts = np.bincount(collection.seg_word, minlength=len(collection.words))
    pool = candidates[counts[candidates] >= min_count]
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(pool, size=min(num, len(pool)), replace=False))
    order = np.argsort(collection.seg_word, kind="stable")
    starts = np.searchsorted(collection.seg_word[order], chosen)
    pick = starts + np.floor(rng.random(len(chosen)) * counts[chosen]).astype(np.int64)
    return order[pick]


def ranking_metrics(scores: np.ndarray, relevant: np.ndarray, valid: np.ndarray) -> dict[str, np.ndarray]:
    """Per-query P@10, P@N and EER of ``[Q, U]`` scores; ``valid`` marks utterances in the ranking."""
    order = np.argsort(-np.where(valid, scores, -np.inf), axis=1, kind="stable")
    rel = np.take_along_axis(relevant & valid, order, axis=1)
    neg = np.take_along_axis(valid & ~relevant, order, axis=1)
    n_pos = rel.sum(1)
    n_neg = neg.sum(1)
    tp = np.cumsum(rel, axis=1)
    fp = np.cumsum(neg, axis=1)
    p10 = tp[:, min(10, rel.shape[1]) - 1] / np.minimum(10, valid.sum(1))
    p_n = np.take_along_axis(tp, np.maximum(n_pos - 1, 0)[:, None], axis=1)[:, 0] / np.maximum(n_pos, 1)
    fnr = 1.0 - tp / np.maximum(n_pos, 1)[:, None]
    fpr = fp / np.maximum(n_neg, 1)[:, None]
    at = np.argmin(np.abs(fnr - fpr), axis=1)[:, None]
    eer = ((np.take_along_axis(fnr, at, 1) + np.take_along_axis(fpr, at, 1)) / 2)[:, 0]
    return {"p_at_10": p10, "p_at_n": p_n, "eer": eer, "relevant": n_pos}


def _mean(values: np.ndarray, use: np.ndarray) -> float | None:
    return float(values[use].mean()) if use.any() else None


def evaluate_qbe(collection: Collection, queries: np.ndarray, relevance_of,
                 graded: np.ndarray | None = None, chunk: int = 64) -> dict:
    """Run the search for query segment rows ``queries`` (rows of ``collection``).

    ``relevance_of(query_words) -> Relevance`` builds the relevance of a block of queries;
    queries whose word is not among the ``graded`` word ids are left out.  Returns the
    averaged metrics, the relevance definition and a per-query list.
    """
    if graded is not None:
        keep = np.isin(collection.seg_word[queries], graded)
        if not keep.all():
            log.warning("%d of %d queries have no relevance grades (word not in the relevance "
                        "source) and are left out", int((~keep).sum()), len(queries))
        queries = queries[keep]
    if len(queries) == 0:
        raise AweError("no queries: none of the query words has relevance grades "
                       "(not in the reference vectors or the pairs list)")
    per_query: list[dict] = []
    totals: dict[str, list] = {}
    for start in range(0, len(queries), chunk):
        block = queries[start:start + chunk]
        words = collection.seg_word[block]
        scores = collection.utterance_max(collection.vectors[block] @ collection.vectors.T)
        own = collection.seg_utt[block]
        valid = np.ones_like(scores, dtype=bool)
        valid[np.arange(len(block)), own] = False
        rel = relevance_of(words)
        definition = rel.definition
        seg_related = rel.related[:, collection.seg_word]
        seg_grade = np.nan_to_num(rel.grade, nan=-np.inf)[:, collection.seg_word]
        related = collection.utterance_max(seg_related.astype(np.int8)).astype(bool)
        grade = collection.utterance_max(seg_grade)
        exact = collection.utterance_max((collection.seg_word[None, :] == words[:, None]).astype(np.int8)).astype(bool)
        results = {"semantic": ranking_metrics(scores, related, valid),
                   "semantic_only": ranking_metrics(scores, related, valid & ~exact),
                   "exact": ranking_metrics(scores, exact, valid)}
        rhos = []
        for q in range(len(block)):
            use = valid[q] & np.isfinite(grade[q])
            ok = use.sum() > 1 and np.ptp(grade[q][use]) > 0
            rhos.append(float(spearmanr(scores[q][use], grade[q][use]).statistic) if ok else np.nan)
        results["semantic"]["spearman"] = np.array(rhos)
        for name, metrics in results.items():
            for metric, values in metrics.items():
                totals.setdefault(f"{name}.{metric}", []).append(values)
        for q, row in enumerate(block):
            per_query.append({"segment": collection.keys[row], "word": collection.words[words[q]],
                              **{f"{n}_{m}": (None if not np.isfinite(v[q]) else float(v[q]))
                                 for n, ms in results.items() for m, v in ms.items()}})
    flat = {key: np.concatenate(parts) for key, parts in totals.items()}
    summary: dict = {"n_queries": int(len(queries)), "n_utterances": len(collection.utterances),
                     "n_segments": len(collection.keys), "relevance": definition}
    for name in ("semantic", "semantic_only", "exact"):
        use = flat[f"{name}.relevant"] > 0
        summary[name] = {m: _mean(flat[f"{name}.{m}"], use) for m in ("p_at_10", "p_at_n", "eer")}
        summary[name]["queries_with_relevant"] = int(use.sum())
    rho = flat["semantic.spearman"]
    summary["semantic"]["spearman"] = _mean(rho, np.isfinite(rho))
    summary["queries"] = per_query
    return summary


def oracle_vectors(text: dict[str, str], words: WordTable, name: str) -> tuple[list[str], np.ndarray]:
    """Segment vectors from word vectors of the true labels (text topline); unknown words left out."""
    keys = [k for k, w in text.items() if w in words.index]
    if not keys:
        raise AweError(f"{name}: none of the segments' words has a vector")
    return keys, words.vectors[words.lookup([text[k] for k in keys])]


def load_collection(rspecifier: str | None, data_dir: str | Path, lowercase: bool = True,
                    words: WordTable | None = None) -> Collection:
    """Segment embeddings grouped by the utterances of a word-segment data dir.

    With ``words`` instead of ``rspecifier``, every segment gets the vector of its true
    word (segments whose word has none are left out).
    """
    data = DataDir.load(data_dir, require=("seg2utt", "text"))
    text = {k: w.lower() for k, w in data.text.items()} if lowercase else data.text
    if words is not None:
        keys, vectors = oracle_vectors(text, words, "--vectors")
        rspecifier = "--vectors"
    else:
        keys, vectors = read_vectors(rspecifier)
    labelled = {k: u for k, u in data.seg2utt.items() if k in text}
    rows = match_keys(keys, labelled, f"{data.path}/seg2utt+text", rspecifier)
    return Collection.build([keys[i] for i in rows], vectors[rows], data.seg2utt, text)


def query_rows(collection: Collection, path: str | Path) -> np.ndarray:
    """Rows of the query segments listed (first field per line) in ``path``."""
    index = {k: i for i, k in enumerate(collection.keys)}
    rows = []
    for number, line in enumerate(read_lines(path), start=1):
        if not line.strip():
            continue
        key = line.split()[0]
        if key not in index:
            raise AweError(f"{path}:{number}: query segment '{key}' is not in the collection")
        rows.append(index[key])
    return np.array(rows, dtype=np.int64)


def summary_line(result: dict) -> str:
    """One human line: semantic, semantic-only and exact metrics and the sizes."""

    def fmt(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    sem, only, exact = result["semantic"], result["semantic_only"], result["exact"]
    return (f"semantic P@10 {fmt(sem['p_at_10'])} P@N {fmt(sem['p_at_n'])} EER {fmt(sem['eer'])} "
            f"rho {fmt(sem['spearman'])}; semantic-only P@10 {fmt(only['p_at_10'])} "
            f"P@N {fmt(only['p_at_n'])}; exact P@10 {fmt(exact['p_at_10'])} P@N {fmt(exact['p_at_n'])} "
            f"EER {fmt(exact['eer'])} ({result['n_queries']} queries, "
            f"{result['n_utterances']} utterances)")
