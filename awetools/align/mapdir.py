"""The ``awe align`` output directory, and re-applying a map from it.

``OUT_DIR`` (built under a temporary name, renamed when complete) holds:

- ``W.npy``: the map, float32 ``[D_tgt, D_src]``; a source row ``x`` maps to ``W x``;
- ``W.txt``: the same matrix in Kaldi's text matrix format (``[`` rows ``]``), readable by
  Kaldi's ``transform-feats`` and by ``kaldiio.load_mat``;
- ``map.json``: dims, map kind, the normalisation of each side with its statistics,
  the criterion, the configuration, the inputs and the seed-dictionary report;
- ``mapped.txt``: the normalised, mapped source vectors (word2vec text format), in the
  normalised target space;
- ``dictionary.txt``: the induced dictionary ``<source> <target> <CSLS score>``, best first;
- ``log.jsonl``: one JSON record per adversarial epoch and refinement (the criterion).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from awetools.align.dictionary import Dictionary
from awetools.align.normalize import apply_normalization
from awetools.align.pipeline import AlignResult
from awetools.align.procrustes import apply_map
from awetools.errors import AweError
from awetools.io.atomic import atomic_dir
from awetools.io.wordvectors import write_word_vectors

FORMAT = "awetools-map-1"


def write_kaldi_text_matrix(path: Path, matrix: np.ndarray) -> None:
    """Kaldi text matrix: `` [`` newline, one row per line, `` ]`` after the last row."""
    rows = [" ".join(f"{v:.9g}" for v in row) for row in np.asarray(matrix, dtype=np.float32).tolist()]
    path.write_text(" [\n  " + " \n  ".join(rows) + " ]\n", encoding="utf-8")


def write_align_dir(out_dir: str | Path, result: AlignResult, src_words: list[str],
                    mapped: np.ndarray, dictionary: Dictionary, tgt_words: list[str],
                    info: dict, overwrite: bool = False) -> None:
    """Write every output of ``awe align`` atomically (see the module docstring)."""
    with atomic_dir(out_dir, overwrite=overwrite) as tmp:
        np.save(tmp / "W.npy", result.w.astype(np.float32))
        write_kaldi_text_matrix(tmp / "W.txt", result.w)
        meta = {"format": FORMAT, "src_dim": int(result.w.shape[1]), "tgt_dim": int(result.w.shape[0]),
                "src_normalization": result.src_normalization,
                "tgt_normalization": result.tgt_normalization,
                "criterion": result.criterion, "criterion_pairs": result.criterion_pairs,
                "selected_restart": result.restart, **info}
        (tmp / "map.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        write_word_vectors(tmp / "mapped.txt", src_words, mapped)
        with open(tmp / "dictionary.txt", "w", encoding="utf-8") as out:
            for s, t, score in zip(dictionary.src.tolist(), dictionary.tgt.tolist(),
                                   dictionary.scores.tolist()):
                out.write(f"{src_words[s]} {tgt_words[t]} {score:.6f}\n")
        with open(tmp / "log.jsonl", "w", encoding="utf-8") as out:
            for record in result.history:
                out.write(json.dumps(record) + "\n")


@dataclass
class SavedMap:
    """A map read back from an ``awe align`` directory."""

    w: np.ndarray
    src_normalization: list[dict]
    tgt_normalization: list[dict]
    meta: dict

    def map_src(self, vectors: np.ndarray) -> np.ndarray:
        """Normalise source vectors as during alignment, then map them."""
        return apply_map(apply_normalization(vectors, self.src_normalization), self.w)

    def normalize_tgt(self, vectors: np.ndarray) -> np.ndarray:
        """Normalise target vectors as during alignment."""
        if vectors.shape[1] != self.w.shape[0]:
            raise AweError(f"target vectors have dim {vectors.shape[1]}, the map gives {self.w.shape[0]}")
        return apply_normalization(vectors, self.tgt_normalization)


def load_map(path: str | Path) -> SavedMap:
    """Read ``W.npy`` and ``map.json`` of an ``awe align`` directory."""
    path = Path(path)
    try:
        meta = json.loads((path / "map.json").read_text(encoding="utf-8"))
        w = np.load(path / "W.npy", allow_pickle=False)
    except FileNotFoundError as exc:
        raise AweError(f"{path}: not an awe align directory (missing {Path(exc.filename).name})") from None
    except (json.JSONDecodeError, ValueError) as exc:
        raise AweError(f"{path}: unreadable map ({exc})") from None
    if meta.get("format") != FORMAT or w.shape != (meta["tgt_dim"], meta["src_dim"]):
        raise AweError(f"{path}/map.json: not an {FORMAT} map matching W.npy")
    return SavedMap(w.astype(np.float32), meta["src_normalization"], meta["tgt_normalization"], meta)
