"""Word similarity: Spearman rho between embedding cosines and human judgments.

Speech embeddings are per *token*; a word gets either the mean of all its tokens'
vectors (*averaged*) or one random token's vector (*single-sample*, repeated over several
draws).  Besides the human-judgment sets (``data/wordsim/`` formats) two diagnostics
run over pairs of vocabulary words:

- *reference*: rho between speech cosines and the cosines of a reference word embedding
  (e.g. a text skipgram on the same transcripts): how close speech semantics get to text;
- *edit*: rho between cosine distance ``1 - cos`` and the normalised edit distance of the
  two words' spellings (Levenshtein / longer length): positive means words that are
  spelled (and so sound) alike land close together: phonetic leakage.

As the field does it, similarity pairs are scored only when both words have at least
``min_count`` tokens (a mean over one or two noisy tokens is not a word vector); the
reference diagnostic uses the same frequent words.  The rho over all covered pairs
(``min_count`` 1) is reported beside it (``all_pairs``).  Token counts come from the
token labels, or, for a word table, from :meth:`WordTable.with_counts`; a word table
without counts is scored on all covered pairs (``min_count_applied`` false).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numba
import numpy as np
from scipy.stats import spearmanr

from awetools.errors import AweError
from awetools.io.datadir import read_kaldi_table, read_lines
from awetools.io.tables import read_vectors
from awetools.io.wordvectors import read_word_vectors
from awetools.log import get_logger

log = get_logger(__name__)


@dataclass
class WordPairs:
    """A word-similarity set: word pairs and their human scores."""

    name: str
    w1: list[str]
    w2: list[str]
    scores: np.ndarray
    path: str | None = None  # the file it was read from (named in errors)

    @property
    def label(self) -> str:
        return self.path or self.name


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if np.isfinite(value) else None


def read_pairs(path: str | Path, lowercase: bool = True) -> WordPairs:
    """Read ``word1<TAB>word2<TAB>score`` lines, with an optional header line first.

    The format is detected per file: tab-separated (or, failing that, whitespace-separated)
    three fields with a numeric score; a first line whose score is not a number is a
    header.  Anything else is an error naming ``file:line``.
    """
    path = Path(path)
    w1: list[str] = []
    w2: list[str] = []
    scores: list[float] = []
    for number, line in enumerate(read_lines(path), start=1):
        if not line.strip():
            continue
        fields = [f.strip() for f in line.split("\t")]
        if len(fields) != 3:
            fields = line.split()
        if len(fields) == 3 and all(fields) and _number(fields[2]) is not None:
            a, b = (fields[0].lower(), fields[1].lower()) if lowercase else fields[:2]
            w1.append(a)
            w2.append(b)
            scores.append(float(fields[2]))
        elif len(fields) == 3 and not w1 and number == 1:
            continue  # header, e.g. "word 1<TAB>word 2<TAB>score"
        else:
            raise AweError(f"{path}:{number}: unknown word-pair format (expected "
                           "'word1<TAB>word2<TAB>score', optionally after one header line)")
    if not w1:
        raise AweError(f"{path}: no word pairs")
    return WordPairs(path.stem, w1, w2, np.asarray(scores, dtype=np.float64), str(path))


def pair_files(paths: list[str | Path]) -> list[Path]:
    """Expand directories into their ``*.txt`` files (sorted); files are kept as given."""
    out: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(path.glob("*.txt"))
            if not found:
                raise AweError(f"{path}: directory holds no *.txt word-pair files")
            out.extend(found)
        else:
            out.append(path)
    return out


def read_counts(path: str | Path, lowercase: bool = True) -> dict[str, int]:
    """Tokens per word of a Kaldi ``text`` file: the first field of a line is its key, every
    other field is one word token (``<segment> <word>`` or ``<utterance> <word> <word> ...``)."""
    tokens = [w.lower() if lowercase else w
              for line in read_lines(path) for w in line.split()[1:]]
    if not tokens:
        raise AweError(f"{path}: no word tokens (expected Kaldi text lines '<key> <word> ...')")
    words, counts = np.unique(np.asarray(tokens), return_counts=True)
    return {str(w): int(c) for w, c in zip(words, counts)}


@dataclass
class WordTable:
    """One L2-normalised vector per word (``vectors`` ``[V, D]``, rows match ``words``).

    ``counts`` (``[V]``) is the number of tokens of each word where known, else None.
    """

    words: list[str]
    vectors: np.ndarray
    counts: np.ndarray | None = None

    def __post_init__(self) -> None:
        norms = np.linalg.norm(self.vectors, axis=1, keepdims=True)
        self.vectors = (self.vectors / np.maximum(norms, 1e-12)).astype(np.float32)
        self.index = {w: i for i, w in enumerate(self.words)}
        if self.counts is not None:
            self.counts = np.asarray(self.counts, dtype=np.int64)
            if self.counts.shape != (len(self.words),):
                raise ValueError(f"{len(self.counts)} counts for {len(self.words)} words")

    def with_counts(self, counts: Mapping[str, int]) -> WordTable:
        """The same table with token counts per word (0 for a word not in ``counts``)."""
        return WordTable(self.words, self.vectors,
                         np.array([counts.get(w, 0) for w in self.words], dtype=np.int64))

    def lookup(self, words: list[str]) -> np.ndarray:
        """Row of each word, -1 where the word is missing."""
        return np.array([self.index.get(w, -1) for w in words], dtype=np.int64)

    def cosines(self, rows1: np.ndarray, rows2: np.ndarray) -> np.ndarray:
        return np.einsum("ij,ij->i", self.vectors[rows1], self.vectors[rows2]).astype(np.float64)


class Tokens:
    """Token vectors grouped by word: type averages and random single samples."""

    def __init__(self, labels: list[str], vectors: np.ndarray):
        words, inverse, counts = np.unique(np.asarray(labels), return_inverse=True,
                                           return_counts=True)
        self.words = [str(w) for w in words]
        self.order = np.argsort(inverse, kind="stable")
        self.starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        self.counts = counts
        self.vectors = vectors

    @staticmethod
    def from_table(table: WordTable, counts: Mapping[str, int]) -> WordTable:
        """A word table whose token counts are known (e.g. text vectors and their transcripts):
        scored as word vectors (no single-sample draws) with the ``min_count`` filter."""
        return table.with_counts(counts)

    def averaged(self) -> WordTable:
        sums = np.add.reduceat(self.vectors[self.order], self.starts, axis=0, dtype=np.float64)
        return WordTable(self.words, (sums / self.counts[:, None]).astype(np.float32))

    def single(self, rng: np.random.Generator) -> WordTable:
        pick = self.starts + np.floor(rng.random(len(self.counts)) * self.counts).astype(np.int64)
        return WordTable(self.words, self.vectors[self.order[pick]])


def match_keys(keys: list[str], table: dict[str, str], table_name: str, rspecifier: str) -> np.ndarray:
    """Rows of ``keys`` present in ``table``; an error names both sides when none is."""
    rows = np.array([i for i, k in enumerate(keys) if k in table], dtype=np.int64)
    if rows.size == 0:
        first = next(iter(table), "(none)")
        raise AweError(f"{rspecifier} and {table_name} share no segment ids "
                       f"(first embedding key '{keys[0]}', first {table_name} key '{first}')")
    if rows.size < len(keys):
        log.warning("%d of %d segments of %s are not in %s and are left out",
                    len(keys) - rows.size, len(keys), rspecifier, table_name)
    return rows


def load_tokens(rspecifier: str, labels: str | Path, lowercase: bool = True) -> Tokens:
    """Token embeddings of ``rspecifier`` labelled by a Kaldi ``text`` file (``<segment> <word>``)."""
    keys, vectors = read_vectors(rspecifier)
    table = read_kaldi_table(labels, check_sorted=False)
    rows = match_keys(keys, table, str(labels), rspecifier)
    words = [table[keys[i]] for i in rows]
    return Tokens([w.lower() for w in words] if lowercase else words, vectors[rows])


def load_word_table(path: str | Path, lowercase: bool = True) -> WordTable:
    """Word vectors from a word2vec/GloVe file; with ``lowercase`` the first spelling of a word wins."""
    return WordTable(*read_word_vectors(path, lowercase=lowercase))


def rho(a: np.ndarray, b: np.ndarray) -> float | None:
    """Spearman rho, or None when fewer than 2 pairs or a constant side make it undefined."""
    if len(a) < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return None
    return float(spearmanr(a, b).statistic)


@numba.njit(cache=True)
def _levenshtein(codes, offsets, left, right, out):  # pragma: no cover - compiled
    row = np.empty(64, dtype=np.int64)
    for p in range(left.shape[0]):
        a0, a1 = offsets[left[p]], offsets[left[p] + 1]
        b0, b1 = offsets[right[p]], offsets[right[p] + 1]
        m = b1 - b0
        if row.shape[0] < m + 1:
            row = np.empty(2 * (m + 1), dtype=np.int64)
        for j in range(m + 1):
            row[j] = j
        for i in range(a1 - a0):
            diagonal = row[0]
            row[0] = i + 1
            for j in range(m):
                cost = 0 if codes[a0 + i] == codes[b0 + j] else 1
                best = min(row[j + 1] + 1, row[j] + 1, diagonal + cost)
                diagonal = row[j + 1]
                row[j + 1] = best
        out[p] = row[m] / max(a1 - a0, m, 1)


def normalised_edit_distance(words: list[str], left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Levenshtein distance between ``words[left[p]]`` and ``words[right[p]]`` / longer length."""
    lengths = np.array([len(w) for w in words], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    codes = np.array([ord(c) for w in words for c in w], dtype=np.int64)
    out = np.empty(len(left), dtype=np.float64)
    _levenshtein(codes, offsets, np.asarray(left, np.int64), np.asarray(right, np.int64), out)
    return out


def word_pairs(n: int, max_pairs: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """All pairs ``i < j`` of ``n`` words, or ``max_pairs`` distinct random ones if there are more."""
    total = n * (n - 1) // 2
    if total <= max_pairs:
        return np.triu_indices(n, k=1)
    flat = rng.choice(total, size=max_pairs, replace=False)
    # invert the row-major enumeration of the upper triangle
    i = (n - 2 - np.floor(np.sqrt(-8 * (flat - total) - 7) / 2 - 0.5)).astype(np.int64)
    j = flat + i + 1 - total + (n - i) * (n - i - 1) // 2
    return i, j.astype(np.int64)


@dataclass(frozen=True)
class WordsimConfig:
    """``draws`` single-sample draws, ``seed``, the cap on vocabulary pairs for reference/edit,
    and ``min_count``: pairs (and reference words) need at least this many tokens per word."""

    draws: int = 10
    seed: int = 0
    max_pairs: int = 500_000
    min_count: int = 5


def _rows(words: list[str], query: list[str]) -> np.ndarray:
    """Row of each ``query`` word in ``words`` (its last occurrence), -1 where missing."""
    if not words or not query:
        return np.full(len(query), -1, dtype=np.int64)
    vocab = np.asarray(words)
    order = np.argsort(vocab, kind="stable")
    ordered = vocab[order]
    q = np.asarray(query)
    pos = np.minimum(np.searchsorted(ordered, q, side="right") - 1, len(ordered) - 1)
    hit = (pos >= 0) & (ordered[np.maximum(pos, 0)] == q)
    return np.where(hit, order[np.maximum(pos, 0)], -1).astype(np.int64)


@dataclass
class _Scored:
    """Table rows of the pairs a diagnostic is scored on and what their cosines are ranked against."""

    rows1: np.ndarray
    rows2: np.ndarray
    target: np.ndarray


class _Plan:
    """The pairs every word table is scored on, fixed once so that all draws see the same pairs.

    ``frequent`` marks the words with at least ``min_count`` tokens (all words when the
    counts are unknown).  Every set is scored twice: on its frequent pairs (``set:NAME``)
    and on all its covered pairs (``all:NAME``); the reference likewise over frequent words
    (``reference``) and all common words (``reference_all``).
    """

    def __init__(self, words: list[str], sets: list[WordPairs], reference: WordTable | None,
                 config: WordsimConfig, frequent: np.ndarray):
        rng = np.random.default_rng(config.seed)
        self.sets: list[tuple[WordPairs, _Scored, _Scored]] = []
        for pairs in sets:
            r1, r2 = _rows(words, pairs.w1), _rows(words, pairs.w2)
            covered = (r1 >= 0) & (r2 >= 0)
            # -1 rows index the last word here, but those pairs are not covered anyway
            often = covered & frequent[r1] & frequent[r2] if len(words) else covered
            scored = _Scored(r1[often], r2[often], pairs.scores[often])
            self.sets.append((pairs, scored, scored if np.array_equal(often, covered)
                              else _Scored(r1[covered], r2[covered], pairs.scores[covered])))
        i, j = word_pairs(len(words), config.max_pairs, rng)
        self.edit = _Scored(i, j, normalised_edit_distance(words, i, j))
        self.reference = self.reference_all = None
        if reference is not None:
            ref_rows = reference.lookup(words)
            common_all = np.flatnonzero(ref_rows >= 0)
            common = np.flatnonzero((ref_rows >= 0) & frequent)

            def vocabulary_pairs(common: np.ndarray) -> tuple[_Scored, int]:
                a, b = word_pairs(len(common), config.max_pairs, rng)
                i, j = common[a], common[b]
                return _Scored(i, j, reference.cosines(ref_rows[i], ref_rows[j])), int(common.size)

            self.reference = vocabulary_pairs(common)
            scored = self.reference[0]
            self.reference_edit = rho(1 - scored.target,
                                      normalised_edit_distance(words, scored.rows1, scored.rows2))
            self.reference_all = (self.reference if np.array_equal(common, common_all)
                                  else vocabulary_pairs(common_all))

    def score(self, table: WordTable) -> dict[str, float | None]:
        """rho of every set, of the reference and of the edit-distance diagnostic for one table."""

        def of(p: _Scored, distance: bool = False) -> float | None:
            cos = table.cosines(p.rows1, p.rows2)
            return rho(1 - cos if distance else cos, p.target)

        out = {}
        for pairs, often, covered in self.sets:
            out[f"set:{pairs.name}"] = of(often)
            out[f"all:{pairs.name}"] = out[f"set:{pairs.name}"] if covered is often else of(covered)
        out["edit"] = of(self.edit, distance=True)
        if self.reference is not None:
            out["reference"] = of(self.reference[0])
            out["reference_all"] = (out["reference"] if self.reference_all is self.reference
                                    else of(self.reference_all[0]))
        return out


def _spread(values: list[float | None]) -> tuple[float | None, float | None]:
    kept = [v for v in values if v is not None]
    return (float(np.mean(kept)), float(np.std(kept))) if kept else (None, None)


def evaluate_wordsim(source: Tokens | WordTable, sets: list[WordPairs],
                     reference: WordTable | None = None,
                     config: WordsimConfig = WordsimConfig(),
                     require_coverage: bool = True) -> dict:
    """Score token embeddings (averaged and single-sample) or word vectors on every set.

    Pairs count when both words have at least ``config.min_count`` tokens (token counts
    of ``source``; a :class:`WordTable` without ``counts`` is not filtered).  Returns a
    JSON-ready dict: per set ``rho_avg``, ``rho_single`` (mean over draws),
    ``rho_single_std``, ``pairs_used``, ``pairs_total``, ``coverage`` on those frequent
    pairs, and ``all_pairs`` with the same keys on every covered pair; ``reference``
    (frequent words, with ``all_words`` beside it) and ``edit`` likewise.  Raises
    :class:`AweError` when no set has a frequent pair (unless not ``require_coverage``:
    then such sets get rho None) and for ``min_count`` below 1.
    """
    if config.min_count < 1:
        raise AweError(f"--min-count must be at least 1 (got {config.min_count})")
    tokens = source if isinstance(source, Tokens) else None
    words = source.words
    counts = source.counts
    frequent = (np.ones(len(words), dtype=bool) if counts is None
                else np.asarray(counts) >= config.min_count)
    plan = _Plan(words, sets, reference, config, frequent)
    used = [len(often.target) for _, often, _ in plan.sets]
    if require_coverage and sets and not any(used):
        files = ", ".join(p.label for p in sets)
        covered = sum(len(c.target) for _, _, c in plan.sets)
        if covered:
            raise AweError(f"no covered pairs at --min-count {config.min_count}: none of the pairs "
                           f"in {files} has both words with at least {config.min_count} tokens "
                           f"({covered} pairs have both words at any count; lower --min-count)")
        raise AweError(f"no covered pairs: none of the pairs in {files} has both words among "
                       f"the {len(words)} embedded words (check --labels and letter case)")
    for (pairs, _, covered), n in zip(plan.sets, used):
        if n == 0:
            log.warning("%s: no pair has both words with at least %d tokens (%d covered pairs "
                        "at any count): its rho is n/a", pairs.label, config.min_count,
                        len(covered.target))
    averaged = tokens.averaged() if tokens is not None else source
    main = plan.score(averaged)
    draws = []
    if tokens is not None:
        rng = np.random.default_rng(config.seed + 1)
        draws = [plan.score(tokens.single(rng)) for _ in range(config.draws)]

    def entry(name: str) -> dict:
        single, std = _spread([d[name] for d in draws])
        return {"rho_avg": main[name], "rho_single": single, "rho_single_std": std}

    n_tokens = (len(tokens.vectors) if tokens is not None
                else None if counts is None else int(np.sum(counts)))
    result: dict = {"n_words": len(words), "n_tokens": n_tokens, "draws": len(draws),
                    "min_count": config.min_count, "min_count_applied": counts is not None,
                    "n_frequent_words": int(frequent.sum()), "sets": {}}

    def on_pairs(key: str, used: int, total: int) -> dict:
        return {**entry(key), "pairs_used": used, "pairs_total": total,
                "coverage": used / total if total else 0.0}

    for pairs, often, covered in plan.sets:
        total = len(pairs.scores)
        result["sets"][pairs.name] = {
            **on_pairs(f"set:{pairs.name}", len(often.target), total),
            "all_pairs": on_pairs(f"all:{pairs.name}", len(covered.target), total)}
    result["edit"] = {**entry("edit"), "pairs": int(len(plan.edit.target))}
    if plan.reference is not None:
        (scored, common), (scored_all, common_all) = plan.reference, plan.reference_all
        result["reference"] = {**entry("reference"), "pairs": len(scored.target), "words": common,
                               "reference_rho_edit": plan.reference_edit,
                               "all_words": {**entry("reference_all"),
                                             "pairs": len(scored_all.target),
                                             "words": common_all}}
    return result


def summary_line(result: dict) -> str:
    """One human line: rho averaged/single-sample per set, reference and edit diagnostics."""

    def fmt(entry: dict) -> str:
        avg = "n/a" if entry["rho_avg"] is None else f"{entry['rho_avg']:.3f}"
        if entry["rho_single"] is None:
            return avg
        return f"{avg}/{entry['rho_single']:.3f}±{entry['rho_single_std']:.3f}"

    parts = [f"{name} {fmt(e)} cov {e['pairs_used']}/{e['pairs_total']}, all pairs "
             f"{fmt(e['all_pairs'])} cov {e['all_pairs']['pairs_used']}/{e['pairs_total']}"
             for name, e in result["sets"].items()]
    if "reference" in result:
        ref = result["reference"]
        parts.append(f"reference {fmt(ref)} on {ref['words']} words, all words "
                     f"{fmt(ref['all_words'])} on {ref['all_words']['words']}")
    parts.append(f"edit {fmt(result['edit'])}")
    kind = "avg/single" if result["draws"] else "word vectors"
    count = (f"min-count {result['min_count']}" if result["min_count_applied"]
             else "min-count not applied: token counts unknown, see --counts")
    return f"rho ({kind}, {count}): " + "; ".join(parts)
