"""Whole-table transforms of segment vectors, chained: what ``awe embed`` applies to the
vectors it has just embedded, and ``awe normalise`` to a table embedded earlier.

Each transform needs every segment of the table at once (a mean, a speaker's statistics,
an utterance's neighbours), so a table is read once, transformed in memory in the order
given, and written once.  Whatever a transform reads besides the table (a reference
table's mean, a word-segment dir) is read when the chain is built, so a bad path fails
before a long embedding, not after it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from awetools.io.tables import read_vectors, write_vectors
from awetools.models.normalise import mean_subtracted, speaker_normalised, table_mean
from awetools.semantic.contextual import contextual, load_word_segments


@dataclass(frozen=True)
class VectorTransform:
    """One step: ``apply(keys, vectors, table_name) -> vectors`` (the name for errors)."""

    apply: Callable[[list[str], np.ndarray, str], np.ndarray]
    description: str


def vector_transforms(*, subtract_mean: bool = False, subtract_mean_of: str | None = None,
                      speaker_mvn: str | Path | None = None, context: str | Path | None = None,
                      context_window: int = 5, context_weight: float = 0.5) -> list[VectorTransform]:
    """The chain of the options given, in the order mean or speaker normalisation, then
    context (as ``awe embed`` documents); empty if none is given."""
    chain = []
    if subtract_mean:
        chain.append(VectorTransform(lambda keys, x, name: mean_subtracted(x, name), "less their mean"))
    if subtract_mean_of is not None:
        reference = table_mean(subtract_mean_of)
        chain.append(VectorTransform(
            lambda keys, x, name: mean_subtracted(x, name, reference, subtract_mean_of),
            f"less the mean of {subtract_mean_of}"))
    if speaker_mvn is not None:
        chain.append(VectorTransform(lambda keys, x, name: speaker_normalised(keys, x, speaker_mvn),
                                     f"normalised per speaker of {speaker_mvn}"))
    if context is not None:
        words = load_word_segments(context)
        chain.append(VectorTransform(
            lambda keys, x, name: contextual(keys, x, words, context_window, context_weight, name),
            f"with their context in {context} (window {context_window}, weight {context_weight})"))
    return chain


def describe(chain: list[VectorTransform]) -> str:
    """What the chain does, for a command's summary line."""
    return ", ".join(step.description for step in chain)


def transform_table(rspecifier: str, wspecifier: str, chain: list[VectorTransform],
                    name: str | None = None) -> int:
    """Write the vectors of ``rspecifier`` through ``chain`` to ``wspecifier``; errors name
    the table ``name`` (default ``rspecifier``: a command embedding into a temporary table
    names its input instead).  Returns the count."""
    keys, x = read_vectors(rspecifier)
    for step in chain:
        x = step.apply(keys, x, name or rspecifier)
    write_vectors(wspecifier, keys, x)
    return len(keys)
