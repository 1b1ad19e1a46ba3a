"""Targets of the multi-task objective attached to the training tokens.

Form (``alpha > 0``): each token's phone sequence from its set's lexicon.  Meaning
(``beta > 0``): its word's pretrained vector (looked up as spelled, then lower-cased).
Tokens whose word has no needed target are dropped, with a warning that counts them
and names a few.
"""

from __future__ import annotations

import numpy as np
import torch

from awetools.errors import AweError
from awetools.io.wordvectors import read_word_vectors
from awetools.log import get_logger
from awetools.train.data import Segments
from awetools.train.objectives import LossOptions, TrainTensors
from awetools.train.targets import encode_phones, phone_inventory, read_lexicon, regression_targets

log = get_logger("awetools.train")


def lexicon_for_sets(sets: list[str], lexicons: dict[str, str]) -> dict[str, dict[str, list[str]]]:
    """``set -> lexicon``: a set's own file, else the one given for all sets (``"*"``)."""
    unknown = sorted(set(lexicons) - set(sets) - {"*"})
    if unknown:
        raise AweError(f"--lexicon names set '{unknown[0]}', but the training sets are "
                       f"{', '.join(sets)}")
    files = {s: lexicons.get(s, lexicons.get("*")) for s in sets}
    missing = [s for s, f in files.items() if f is None]
    if missing:
        raise AweError(f"multitask with --alpha > 0 needs a lexicon for training set '{missing[0]}' "
                       "(--lexicon FILE for all sets, or --lexicon SET=FILE)")
    read = {f: read_lexicon(f) for f in set(files.values())}
    return {s: read[f] for s, f in files.items()}


def _warn_dropped(what: str, words: list[str], total: int) -> None:
    types = sorted(set(words))
    log.warning("dropped %d of %d training tokens (%d types) with no %s, e.g. %s", len(words),
                total, len(types), what, ", ".join(types[:5]))


def attach_targets(train: Segments, lexicons: dict[str, str], word_vectors: str | None,
                   loss: LossOptions) -> tuple[Segments, TrainTensors, dict]:
    """The kept tokens, their tensors with phone and/or vector targets, and the
    model-config additions (``phones``, ``vector_dim``)."""
    if loss.alpha <= 0 and loss.beta <= 0:
        raise AweError("multitask needs --alpha > 0 (form), --beta > 0 (meaning) or both")
    keep = np.ones(len(train.keys), dtype=bool)
    pronunciations: list[list[str]] = []
    if loss.alpha > 0:
        by_set = lexicon_for_sets(sorted(set(train.sets)), lexicons)
        found = [by_set[s].get(w) for s, w in zip(train.sets, train.words)]
        missing = [w for w, p in zip(train.words, found) if p is None]
        if missing:
            _warn_dropped("lexicon entry", missing, len(train.words))
        keep &= np.array([p is not None for p in found])
        pronunciations = found
    table: dict[str, int] = {}
    vectors = None
    if loss.beta > 0:
        if word_vectors is None:
            raise AweError("multitask with --beta > 0 needs --word-vectors FILE")
        words, vectors = read_word_vectors(word_vectors)
        for i, word in enumerate(words):
            table.setdefault(word, i)
        rows = [table.get(w, table.get(w.lower(), -1)) for w in train.words]
        missing = [w for w, r in zip(train.words, rows) if r < 0]
        if missing:
            _warn_dropped(f"vector in {word_vectors}", missing, len(train.words))
        keep &= np.array([r >= 0 for r in rows])
    index = np.flatnonzero(keep)
    if not len(index):
        raise AweError("no training token has the multitask targets it needs "
                       "(lexicon entries / word vectors)")
    kept = train.subset(index)
    tensors = TrainTensors([torch.from_numpy(m) for m in kept.feats], kept.label_ids())
    extra: dict = {}
    if loss.alpha > 0:
        chosen = [pronunciations[i] for i in index]
        inventory = phone_inventory(chosen)
        tensors.phones = encode_phones(chosen, inventory)
        extra["phones"] = inventory
    if loss.beta > 0:
        types, token_type = np.unique([rows[i] for i in index], return_inverse=True)
        targets = regression_targets(vectors[types], word_vectors)[token_type]
        tensors.vectors = torch.from_numpy(np.ascontiguousarray(targets))
        extra["vector_dim"] = targets.shape[1]
    return kept, tensors, extra
