"""Nearest neighbours by cosine and by CSLS, computed in row blocks (bounded memory).

CSLS (cross-domain similarity local scaling, Conneau et al. 2018) corrects the hubness
of nearest-neighbour retrieval in high dimension::

    CSLS(a, b) = 2 cos(a, b) - r_A(a) - r_B(b)

where ``r_A(a)`` is the mean cosine of ``a`` to its ``k`` nearest rows of ``B`` and
``r_B(b)`` the mean cosine of ``b`` to its ``k`` nearest rows of ``A``.

Everything runs in float32 torch matmuls over blocks of rows of ``A`` against all of
``B`` (on the GPU when the tensors live there); a block holds at most ``block_elems``
similarities (128 MiB by default), so 20,000 x 20,000 never materialises, and column
statistics (``r_B``, best row per column) are merged block by block.
"""

from __future__ import annotations

import numpy as np
import torch

METHODS = ("nn", "csls")
BLOCK_ELEMS = 1 << 25


def unit_rows(x: np.ndarray | torch.Tensor, device: torch.device | str = "cpu") -> torch.Tensor:
    """Float32 tensor on ``device`` with rows scaled to unit length."""
    t = torch.as_tensor(np.asarray(x, dtype=np.float32) if not torch.is_tensor(x) else x)
    t = t.to(device=device, dtype=torch.float32)
    return t / t.norm(dim=1, keepdim=True).clamp_min(1e-12)


class Similarity:
    """Cosine and CSLS scores between the rows of ``a`` and the rows of ``b``.

    ``a`` and ``b`` are unit-normalised on construction.  Neighbourhoods are always taken
    against all of the other side; :meth:`topk` can then score a subset of rows of ``a``
    (e.g. evaluation queries among all mapped source words).
    """

    def __init__(self, a, b, k: int = 10, device: torch.device | str = "cpu",
                 block_elems: int = BLOCK_ELEMS):
        self.a = unit_rows(a, device)
        self.b = unit_rows(b, device)
        if self.a.shape[1] != self.b.shape[1]:
            raise ValueError(f"dims differ: {self.a.shape[1]} vs {self.b.shape[1]}")
        self.k = k
        self.block = max(1, block_elems // max(1, len(self.b)))
        self._r: tuple[torch.Tensor, torch.Tensor] | None = None

    def _blocks(self, rows: torch.Tensor | None = None):
        """``(row indices or slice start, block of a)`` pairs."""
        n = len(self.a) if rows is None else len(rows)
        for start in range(0, n, self.block):
            stop = min(n, start + self.block)
            index = torch.arange(start, stop, device=self.a.device) if rows is None else rows[start:stop]
            yield index, self.a[index]

    def neighbourhoods(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``(r_a, r_b)``: mean cosine to the ``k`` nearest rows of the other side, one pass."""
        if self._r is None:
            ka, kb = min(self.k, len(self.b)), min(self.k, len(self.a))
            r_a = torch.empty(len(self.a), device=self.a.device)
            top_b = None
            for index, block in self._blocks():
                scores = block @ self.b.T
                r_a[index] = scores.topk(ka, dim=1).values.mean(dim=1)
                top = scores.topk(min(kb, len(block)), dim=0).values
                if top_b is not None:
                    top = torch.cat([top_b, top])
                top_b = top.topk(min(kb, len(top)), dim=0).values
            self._r = (r_a, top_b.mean(dim=0))
        return self._r

    def _scores(self, index: torch.Tensor, block: torch.Tensor, method: str) -> torch.Tensor:
        scores = block @ self.b.T
        if method == "csls":
            r_a, r_b = self.neighbourhoods()
            scores.mul_(2).sub_(r_a[index, None]).sub_(r_b[None, :])
        elif method != "nn":
            raise ValueError(f"unknown retrieval method '{method}' (nn or csls)")
        return scores

    def topk(self, n: int, method: str = "csls", rows: np.ndarray | None = None
             ) -> tuple[np.ndarray, np.ndarray]:
        """``(scores, indices)`` ``[len(rows), n]`` of the best rows of ``b`` for rows of ``a``."""
        index_rows = None if rows is None else torch.as_tensor(rows, device=self.a.device)
        n = min(n, len(self.b))
        out_s, out_i = [], []
        for index, block in self._blocks(index_rows):
            top = self._scores(index, block, method).topk(n, dim=1)
            out_s.append(top.values)
            out_i.append(top.indices)
        return torch.cat(out_s).cpu().numpy(), torch.cat(out_i).cpu().numpy()

    def best_both_ways(self, method: str = "csls", keep: float = 1.0,
                       generator: torch.Generator | None = None
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Best ``b`` per row of ``a`` and best ``a`` per row of ``b``, in one pass.

        ``keep`` < 1 drops each score with probability ``1 - keep`` before the maxima
        (VecMap's stochastic dictionary induction; the neighbourhoods use every score).
        Returns ``(a_score, a_best, b_score, b_best)``.
        """
        a_score = torch.empty(len(self.a), device=self.a.device)
        a_best = torch.empty(len(self.a), dtype=torch.long, device=self.a.device)
        b_score = torch.full((len(self.b),), -torch.inf, device=self.a.device)
        b_best = torch.zeros(len(self.b), dtype=torch.long, device=self.a.device)
        for index, block in self._blocks():
            scores = self._scores(index, block, method)
            if keep < 1.0:
                dropped = torch.rand(scores.shape, generator=generator) >= keep
                scores.masked_fill_(dropped.to(scores.device), -torch.inf)
            a_score[index], a_best[index] = scores.max(dim=1)
            col_score, col_arg = scores.max(dim=0)
            better = col_score > b_score
            b_score = torch.where(better, col_score, b_score)
            b_best = torch.where(better, index[col_arg], b_best)
        return (a_score.cpu().numpy(), a_best.cpu().numpy(),
                b_score.cpu().numpy(), b_best.cpu().numpy())
