"""``awe align`` over files: read both sides and the seed dictionary, align, write OUT_DIR."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from awetools.align.dictionary import Dictionary, identical_pairs, induce, lookup, read_pairs
from awetools.align.mapdir import write_align_dir
from awetools.align.normalize import apply_normalization
from awetools.align.pipeline import AlignConfig, AlignResult, align
from awetools.align.procrustes import apply_map
from awetools.errors import AweError
from awetools.io.wordvectors import WordVectors, load_source_vectors, load_word_vectors
from awetools.log import get_logger
from awetools.models.device import resolve_device, set_threads

log = get_logger(__name__)

EXPORTS = ("mutual", "s2t", "none")


@dataclass
class AlignInputs:
    """Where the two spaces and the seed dictionary come from."""

    src: str
    tgt: str
    src_labels: str | None = None
    src_clusters: str | None = None
    dico: str | None = None
    src_format: str = "auto"
    tgt_format: str = "auto"
    src_max_vocab: int | None = None
    tgt_max_vocab: int | None = None
    lowercase: bool = False


def seed_dictionary(spec: str, src: WordVectors, tgt: WordVectors, lowercase: bool = False
                    ) -> tuple[Dictionary, dict]:
    """Index pairs of a dictionary file (or ``identical``), with the missing words reported."""
    if spec == "identical":
        pairs, source = identical_pairs(src.words, tgt.words), "identical strings"
        if not pairs:
            raise AweError("--dico identical: SRC and TGT share no word")
    else:
        pairs, source = read_pairs(spec, lowercase), spec
    dico, report = lookup(pairs, src.words, tgt.words, source)
    (log.warning if report.kept < report.pairs else log.info)("%s", report.describe())
    if len(dico) == 0:
        raise AweError(f"{report.describe()}: no usable pair")
    return dico, report.as_dict()


def align_files(inputs: AlignInputs, out_dir: str | Path, config: AlignConfig,
                export: str = "mutual", device: str = "auto", overwrite: bool = False,
                num_threads: int | None = None) -> AlignResult:
    """Run ``awe align`` end to end; returns the selected result (OUT_DIR is written).

    ``num_threads`` sets torch's CPU threads (None: torch's default, all cores).
    """
    if export not in EXPORTS:
        raise AweError(f"unknown --export-dico '{export}' (one of {', '.join(EXPORTS)})")
    config.check()
    if config.method == "procrustes" and inputs.dico is None:
        raise AweError("--method procrustes needs --dico FILE or --dico identical")
    if Path(out_dir).exists() and not overwrite:
        raise AweError(f"{out_dir}: output directory exists (use --overwrite to replace it)")
    set_threads(num_threads)
    torch_device = resolve_device(device)
    src = load_source_vectors(inputs.src, inputs.src_labels, inputs.src_clusters, inputs.src_format,
                              inputs.src_max_vocab, inputs.lowercase)
    tgt = load_word_vectors(inputs.tgt, inputs.tgt_max_vocab, inputs.tgt_format, inputs.lowercase)
    log.info("SRC %d x %d, TGT %d x %d", len(src.words), src.dim, len(tgt.words), tgt.dim)
    seed, seed_report = (seed_dictionary(inputs.dico, src, tgt, inputs.lowercase)
                         if inputs.dico is not None else (None, None))
    result = align(src.vectors, tgt.vectors, config, seed, torch_device)
    mapped = apply_map(apply_normalization(src.vectors, result.src_normalization), result.w)
    if export == "none":
        dictionary = Dictionary(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32))
    else:
        dictionary = induce(mapped, apply_normalization(tgt.vectors, result.tgt_normalization),
                            "mutual" if export == "mutual" else "s2t", "csls", config.csls_k,
                            0, 0, torch_device)
    info = {"method": config.method, "map": config.map_kind, "config": config.as_dict(),
            "inputs": {"src": inputs.src, "tgt": inputs.tgt, "src_labels": inputs.src_labels,
                       "src_clusters": inputs.src_clusters, "dico": inputs.dico},
            "src_words": len(src.words), "tgt_words": len(tgt.words),
            "seed_dictionary": seed_report, "export_dico": export,
            "exported_pairs": len(dictionary)}
    write_align_dir(out_dir, result, src.words, mapped, dictionary, tgt.words, info, overwrite)
    return result

