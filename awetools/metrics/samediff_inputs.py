"""Inputs of ``awe eval samediff``: segments from an archive matched with labels and speakers.

Strict by default: a segment of the archive without a label, or a label without a segment,
is an error that says how many and names a few (``allow_subset`` evaluates the segments
that have both instead).  Optional filters keep the common discrimination-test tokens
(at least ``min_chars`` characters; at least ``min_duration`` seconds, from a ``segments``
file).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from awetools.errors import AweError
from awetools.io.datadir import read_kaldi_table, read_segments
from awetools.io.tables import read_matrices, read_vectors
from awetools.log import get_logger
from awetools.metrics.dtw import dtw_condensed
from awetools.metrics.samediff import samediff_condensed, samediff_vectors
from awetools.progress import progress

log = get_logger(__name__)


@dataclass
class SamediffOptions:
    """What to evaluate and how (recorded in the JSON output)."""

    metric: str = "cosine"
    dtw: bool = False
    allow_subset: bool = False
    min_chars: int = 0
    min_duration: float = 0.0
    nj: int | None = None


@dataclass
class SamediffSet:
    """Segments to evaluate: keys, word labels, speakers (or None), vectors or matrices."""

    keys: list[str]
    labels: list[str]
    speakers: list[str] | None
    items: np.ndarray | list[np.ndarray]
    coverage: dict = field(default_factory=dict)


def _few(keys: list[str], count: int = 3) -> str:
    return ", ".join(f"'{k}'" for k in keys[:count]) + (", ..." if len(keys) > count else "")


def _match(keys: list[str], labels: dict[str, str], rspecifier: str, labels_path: str,
           allow_subset: bool) -> tuple[np.ndarray, dict]:
    """Rows of ``keys`` that have a label; mismatches are errors unless ``allow_subset``."""
    unlabelled = [k for k in keys if k not in labels]
    archived = set(keys)
    orphans = [k for k in labels if k not in archived]
    rows = np.array([i for i, k in enumerate(keys) if k in labels], dtype=np.int64)
    coverage = {"archive_segments": len(keys), "labelled_segments": len(labels),
                "matched": int(rows.size), "without_label": len(unlabelled),
                "label_without_segment": len(orphans)}
    problems = []
    if unlabelled:
        problems.append(f"{len(unlabelled)} of {len(keys)} segments of {rspecifier} have no label in "
                        f"{labels_path} ({_few(unlabelled)})")
    if orphans:
        problems.append(f"{len(orphans)} of {len(labels)} segments labelled in {labels_path} are not "
                        f"in {rspecifier} ({_few(orphans)})")
    if rows.size == 0:
        raise AweError(f"{rspecifier} and {labels_path} share no segment ids (first archive key "
                       f"'{keys[0]}', first labelled '{next(iter(labels), '(none)')}')")
    if problems and not allow_subset:
        raise AweError("; ".join(problems) + f"; use --allow-subset to evaluate the {rows.size} "
                       "segments found in both")
    for problem in problems:
        log.warning("%s: left out", problem)
    return rows, coverage


def load_set(rspecifier: str, labels_path: str | Path, utt2spk_path: str | Path | None,
             options: SamediffOptions, segments_path: str | Path | None = None) -> SamediffSet:
    """Read the archive (vectors, or matrices for DTW), labels, speakers; match and filter."""
    if options.min_duration > 0 and segments_path is None:
        raise AweError("--min-duration needs --segments FILE (segment start and end times)")
    keys, items = read_matrices(rspecifier) if options.dtw else read_vectors(rspecifier)
    labels = read_kaldi_table(labels_path, check_sorted=False)
    empty = next((k for k, w in labels.items() if not w.strip()), None)
    if empty is not None:
        raise AweError(f"{labels_path}: segment '{empty}' has an empty label")
    rows, coverage = _match(keys, labels, rspecifier, str(labels_path), options.allow_subset)
    words = [labels[keys[i]] for i in rows]
    keep = np.array([len(w) >= options.min_chars for w in words], dtype=bool)
    if options.min_duration > 0:
        segments = read_segments(segments_path)
        missing = [keys[i] for i in rows if keys[i] not in segments]
        if missing:
            raise AweError(f"{segments_path}: no times for {len(missing)} segments ({_few(missing)})")
        keep &= np.array([segments[keys[i]].end - segments[keys[i]].start >= options.min_duration
                          for i in rows], dtype=bool)
    coverage["filtered_out"] = int((~keep).sum())
    rows = rows[keep]
    if rows.size < 2:
        raise AweError(f"{rows.size} segment(s) left after matching and filters: need at least 2")
    coverage["evaluated"] = int(rows.size)
    speakers = None
    if utt2spk_path is not None:
        utt2spk = read_kaldi_table(utt2spk_path, check_sorted=False)
        missing = [keys[i] for i in rows if keys[i] not in utt2spk]
        if missing:
            raise AweError(f"{utt2spk_path}: no speaker for {len(missing)} of the {rows.size} "
                           f"evaluated segments ({_few(missing)})")
        speakers = [utt2spk[keys[i]] for i in rows]
    chosen = items[rows] if not options.dtw else [items[i] for i in rows]
    return SamediffSet([keys[i] for i in rows], [labels[keys[i]] for i in rows], speakers,
                       chosen, coverage)


def evaluate_set(data: SamediffSet, options: SamediffOptions) -> dict:
    """Same-different AP (and SWDP-AP with speakers) of a loaded set, timed."""
    start = time.perf_counter()
    n = len(data.keys)
    pairs = n * (n - 1) // 2
    if options.dtw:
        with progress(total=pairs, desc="dtw", unit="pair") as bar:
            distances = dtw_condensed(data.items, tick=bar.update, nj=options.nj)
        with progress(total=pairs, desc="ranking", unit="pair") as bar:
            result = samediff_condensed(distances, data.labels, data.speakers, options.nj, bar.update)
    else:
        with progress(total=pairs, desc="pairs", unit="pair") as bar:
            result = samediff_vectors(data.items, data.labels, data.speakers, options.metric,
                                      options.nj, bar.update, data.keys)
    result["seconds"] = round(time.perf_counter() - start, 3)
    return result


def summary_line(result: dict) -> str:
    """``AP 0.8123  SWDP-AP 0.7011  N=2000 types=100 pairs=1999000 positives=19000``."""
    text = f"AP {result['ap']:.4f}"
    if result.get("swdp_ap") is not None:
        text += f"  SWDP-AP {result['swdp_ap']:.4f}"
    return (text + f"  N={result['n']} types={result['types']} pairs={result['pairs']} "
            f"positives={result['positives']}")
