"""Word translation and spoken word classification after alignment (P@k, NN and CSLS).

*Translation* (MUSE's word translation): for every source word of a gold dictionary
present on both sides, rank all target words by cosine (``nn``) or CSLS and count a hit
at ``k`` when one of its gold translations is among the first ``k``.  CSLS
neighbourhoods are taken over all source and all target vectors.  Coverage is the
fraction of gold pairs whose two words exist.

*Spoken word classification*: every (mapped) speech segment is a query; a hit at ``k``
means its transcribed label is among its ``k`` nearest text words.  Candidates are all
target words, or with ``closed_set`` only the target words that occur as labels.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
import numpy as np
import torch

from awetools.align.csls import METHODS, Similarity
from awetools.align.dictionary import identical_pairs, lookup, read_pairs
from awetools.align.mapdir import load_map
from awetools.align.normalize import normalize
from awetools.errors import AweError
from awetools.io.datadir import read_kaldi_table
from awetools.io.tables import read_vectors
from awetools.io.wordvectors import load_source_vectors, load_word_vectors
from awetools.log import get_logger
from awetools.metrics.wordsim import match_keys
from awetools.models.device import resolve_device

log = get_logger(__name__)

KS = (1, 5, 10)


def _precisions(hits: np.ndarray, ks: tuple[int, ...]) -> dict[str, float]:
    return {f"p@{k}": float(hits[:, :k].any(axis=1).mean()) for k in ks}


def translation_scores(src: np.ndarray, src_words: list[str], tgt: np.ndarray, tgt_words: list[str],
                       pairs: list[tuple[str, str]], source: str = "gold dictionary",
                       csls_k: int = 10, ks: tuple[int, ...] = KS,
                       device: torch.device | str = "cpu") -> dict:
    """P@k of translating the gold dictionary's source words, by NN and by CSLS."""
    if src.shape[1] != tgt.shape[1]:
        raise AweError(f"mapped source vectors have dim {src.shape[1]}, target vectors {tgt.shape[1]}")
    dico, report = lookup(pairs, src_words, tgt_words, source)
    if len(dico) == 0:
        raise AweError(f"{report.describe()}: no gold pair to evaluate")
    queries = np.unique(dico.src)
    gold = dico.src * len(tgt_words) + dico.tgt
    sim = Similarity(src, tgt, k=csls_k, device=device)
    result: dict = {"n_queries": int(len(queries)), "coverage": report.kept / report.pairs,
                    "dictionary": report.as_dict()}
    for method in METHODS:
        _, best = sim.topk(max(ks), method, rows=queries)
        hits = np.isin(queries[:, None] * len(tgt_words) + best, gold)
        result[method] = _precisions(hits, ks)
    return result


def classification_scores(segments: np.ndarray, labels: list[str], tgt: np.ndarray,
                          tgt_words: list[str], closed_set: bool = False, csls_k: int = 10,
                          ks: tuple[int, ...] = KS, device: torch.device | str = "cpu") -> dict:
    """Accuracy (P@1) and P@k of naming each segment's label by its nearest text words."""
    if segments.shape[1] != tgt.shape[1]:
        raise AweError(f"segment vectors have dim {segments.shape[1]}, target vectors {tgt.shape[1]}")
    index = {w: i for i, w in enumerate(tgt_words)}
    gold = np.array([index.get(w, -1) for w in labels], dtype=np.int64)
    covered = gold >= 0
    if not covered.any():
        raise AweError("no segment label occurs among the target words")
    candidates = np.unique(gold[covered]) if closed_set else np.arange(len(tgt_words))
    position = np.full(len(tgt_words), -1, dtype=np.int64)
    position[candidates] = np.arange(len(candidates))
    sim = Similarity(segments[covered], tgt[candidates], k=csls_k, device=device)
    result: dict = {"n_segments": int(covered.sum()), "coverage": float(covered.mean()),
                    "labelled_segments": len(labels), "label_types": int(len(np.unique(gold[covered]))),
                    "candidates": int(len(candidates)), "closed_set": closed_set}
    for method in METHODS:
        _, best = sim.topk(max(ks), method)
        hits = best == position[gold[covered]][:, None]
        result[method] = {"accuracy": float(hits[:, 0].mean()), **_precisions(hits, ks)}
    return result


def summary_line(result: dict) -> str:
    """One human line: P@1/P@10 (or accuracy) for NN and CSLS, N and coverage."""
    if "n_segments" in result:
        return (f"accuracy nn={result['nn']['accuracy']:.4f} csls={result['csls']['accuracy']:.4f} "
                f"P@10 nn={result['nn']['p@10']:.4f} csls={result['csls']['p@10']:.4f} "
                f"segments={result['n_segments']} coverage={result['coverage']:.3f} "
                f"candidates={result['candidates']}")
    return (f"P@1 nn={result['nn']['p@1']:.4f} csls={result['csls']['p@1']:.4f} "
            f"P@5 nn={result['nn']['p@5']:.4f} csls={result['csls']['p@5']:.4f} "
            f"P@10 nn={result['nn']['p@10']:.4f} csls={result['csls']['p@10']:.4f} "
            f"queries={result['n_queries']} coverage={result['coverage']:.3f}")


@dataclass
class TranslateInputs:
    """Files and options of ``awe eval translate``."""

    src: str
    tgt: str
    dico: str | None = None
    labels: str | None = None
    classify: bool = False
    map_dir: str | None = None
    normalize: str = ""
    closed_set: bool = False
    csls_k: int = 10
    src_format: str = "auto"
    tgt_format: str = "auto"
    src_max_vocab: int | None = None
    tgt_max_vocab: int | None = None
    lowercase: bool = False


def _segments(rspecifier: str, labels: str, lowercase: bool) -> tuple[list[str], np.ndarray]:
    keys, vectors = read_vectors(rspecifier)
    table = read_kaldi_table(labels, check_sorted=False)
    rows = match_keys(keys, table, labels, rspecifier)
    words = [table[keys[i]].strip() for i in rows]
    return [w.lower() for w in words] if lowercase else words, vectors[rows]


def _align_output(src: str) -> bool:
    """True for the ``mapped.txt`` of an ``awe align`` directory."""
    path = Path(src)
    return path.name == "mapped.txt" and (path.parent / "map.json").is_file()


def evaluate_translate(inputs: TranslateInputs, device: str = "auto") -> dict:
    """Read the inputs, map/normalise them, and score translation or classification."""
    if inputs.classify == (inputs.dico is not None):
        raise AweError("give either --dico GOLD (translation) or --classify (spoken word classification)")
    if inputs.classify and inputs.labels is None:
        raise AweError("--classify needs a segment table as MAPPED_SRC and --labels TEXT")
    if inputs.map_dir is not None and inputs.normalize:
        raise AweError("--map applies the normalisation recorded in the map; drop --normalize")
    torch_device = resolve_device(device)
    tgt = load_word_vectors(inputs.tgt, inputs.tgt_max_vocab, inputs.tgt_format, inputs.lowercase)
    if inputs.classify:
        words, vectors = _segments(inputs.src, inputs.labels, inputs.lowercase)
    else:
        source = load_source_vectors(inputs.src, inputs.labels, None, inputs.src_format,
                                     inputs.src_max_vocab, inputs.lowercase)
        words, vectors = source.words, source.vectors
    tgt_vectors = tgt.vectors
    saved = None
    if inputs.map_dir is not None:
        saved = load_map(inputs.map_dir)
        vectors, tgt_vectors = saved.map_src(vectors), saved.normalize_tgt(tgt_vectors)
    elif _align_output(inputs.src) and not inputs.normalize:
        # awe align's mapped.txt lives in the normalised target space: normalise TGT alike
        saved = load_map(Path(inputs.src).parent)
        tgt_vectors = saved.normalize_tgt(tgt_vectors)
        log.info("%s: TGT normalised as recorded in %s/map.json", inputs.src, Path(inputs.src).parent)
    elif inputs.normalize:
        vectors, _ = normalize(vectors, inputs.normalize)
        tgt_vectors, _ = normalize(tgt_vectors, inputs.normalize)
    if inputs.classify:
        result = classification_scores(vectors, words, tgt_vectors, tgt.words, inputs.closed_set,
                                       inputs.csls_k, device=torch_device)
    else:
        if inputs.dico == "identical":
            pairs, source_name = identical_pairs(words, words), "identical strings"
        else:
            pairs, source_name = read_pairs(inputs.dico, inputs.lowercase), inputs.dico
        result = translation_scores(vectors, words, tgt_vectors, tgt.words, pairs, source_name,
                                    inputs.csls_k, device=torch_device)
    result["inputs"] = asdict(inputs)
    if saved is not None:
        result["map"] = {key: saved.meta.get(key) for key in ("method", "map", "criterion", "criterion_pairs")}
    result["config"] = {"csls_k": inputs.csls_k, "ks": list(KS), "device": str(torch_device)}
    return result
