"""Boundary jitter: word times moved at random, as real corpora's boundaries move.

Synthetic word times are exact to the sample; real ones come from forced alignments that
are off by tens of milliseconds and from isolated-word recordings with silence and
breath around the word.  A model trained only on exact boundaries reads the silence at
the edges of a real token as part of the word.  Each word's start moves earlier and its
end later by amounts drawn uniformly from a range (negative: inward), clipped to the
utterance; inward moves never cut into the middle half of the word.  Neighbouring words
may overlap afterwards, as the segments of a loose alignment do.
"""

from __future__ import annotations

import numpy as np

from awetools.augment.options import Range

KEPT_MIDDLE = 0.5  # fraction of a word (around its centre) an inward move never removes


def jitter_times(starts: np.ndarray, ends: np.ndarray, duration: float, span: Range,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """New (starts, ends) of the words of an utterance ``duration`` seconds long."""
    outward = rng.uniform(span.low, span.high, size=(2, len(starts)))
    centre, kept = (starts + ends) / 2, KEPT_MIDDLE * (ends - starts) / 2
    new_starts = np.minimum(np.maximum(starts - outward[0], 0.0), centre - kept)
    new_ends = np.maximum(np.minimum(ends + outward[1], np.maximum(duration, ends)), centre + kept)
    return new_starts, new_ends
