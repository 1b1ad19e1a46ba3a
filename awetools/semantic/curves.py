"""Word similarity of a model under training: the rho curve that ``--select wordsim`` reads.

After every epoch the training segments are encoded with the current model (the text
method's word table is read directly), averaged per word label, and scored by
:func:`awetools.metrics.wordsim.evaluate_wordsim` on the pairs whose words both have at
least ``min_count`` tokens, as ``awe eval wordsim --min-count`` does.
"""

from __future__ import annotations

import numpy as np
import torch

from awetools.errors import AweError
from awetools.io.datadir import read_kaldi_table
from awetools.metrics.wordsim import Tokens, WordsimConfig, WordTable, evaluate_wordsim, read_pairs
from awetools.semantic.objectives import SkipgramTask

ENCODE_BATCH = 1024


class EpochWordsim:
    """rho of the current model on every similarity file (``None`` for a set without pairs)."""

    def __init__(self, files: list[str], labels_path: str, keys: list[str], min_count: int,
                 vocab: list[str] | None = None):
        text = read_kaldi_table(labels_path, check_sorted=False)
        missing = next((k for k in keys if k not in text), None)
        if missing is not None:
            raise AweError(f"{labels_path}: no word label for segment '{missing}' (needed by --wordsim)")
        self.labels = [text[k].lower() for k in keys]
        self.sets = [read_pairs(path) for path in files]
        names = [pairs.name for pairs in self.sets]
        twice = next((name for name in names if names.count(name) > 1), None)
        if twice is not None:  # rho per set is keyed by the file's stem
            raise AweError(f"--wordsim: two files named '{twice}' "
                           f"({', '.join(p.label for p in self.sets if p.name == twice)}); rename one")
        self.vocab = vocab
        self.config = WordsimConfig(draws=0, min_count=min_count, max_pairs=1)
        self.counts = None if vocab is None else dict(zip(*np.unique(self.labels, return_counts=True)))

    @torch.no_grad()
    def vectors(self, task: SkipgramTask) -> np.ndarray:
        """The current model's vector of every training segment (row order)."""
        task.model.eval()
        rows = np.arange(len(self.labels))
        parts = [task._encode(rows[i:i + ENCODE_BATCH]).float().cpu().numpy()
                 for i in range(0, len(rows), ENCODE_BATCH)]
        task.model.train()
        return np.concatenate(parts)

    def __call__(self, task: SkipgramTask) -> dict[str, float | None]:
        if self.vocab is not None:  # text: the word table itself, token counts from the labels
            table = WordTable([w.lower() for w in self.vocab],
                              task.model.words.weight.detach().float().cpu().numpy())
            source = Tokens.from_table(table, self.counts)
        else:
            source = Tokens(self.labels, self.vectors(task))
        result = evaluate_wordsim(source, self.sets, config=self.config, require_coverage=False)
        return {name: entry["rho_avg"] for name, entry in result["sets"].items()}
