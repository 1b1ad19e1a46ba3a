"""Networks of the skipgram methods, rebuilt from a JSON config (``config.json``'s ``model``).

Every model maps its input to a semantic vector with :meth:`encode` (what ``awe embed``
returns) and has the heads its training loss needs:

==================  =========  ==============================================================
method              input      network and training signal
==================  =========  ==============================================================
cluster-skipgram    vectors    the center's soft pseudo-word label (K-means over frozen phonetic
                               AWEs) weights a table of K cluster embeddings -> K-way softmax;
                               cross-entropy with the context segment's soft (or hard) label;
                               or (``objective="sgns"``) word2vec's SGNS against a table of K
                               context vectors, the context's nearest cluster as the positive
projection          vectors    MLP on the frozen AWE; NT-Xent with context segments as positives
two-stage           vectors    center MLP and context MLP on frozen AWEs; skipgram with
                               negative sampling (SGNS)
units               units      embedding of discrete frame units + BiGRU; SGNS (shared encoder,
                               a linear head gives the context role)
contrastive         features   a phonetic RNN encoder (initialised from a model dir); NT-Xent
                               with context segments as positives
speech2vec          features   RNN encoder; an RNN decoder regenerates the context
                               segment's frames from the center's vector (MSE)
text                labels     word2vec SGNS: input and output embedding tables over word types
==================  =========  ==============================================================
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from awetools.errors import AweError
from awetools.models.awe import AweModel, ModelConfig
from awetools.models.decoders import FrameDecoder
from awetools.models.encoder import RNNEncoder

CLUSTER_OBJECTIVES = ("softmax", "sgns")
METHODS = ("cluster-skipgram", "projection", "two-stage", "units", "contrastive", "speech2vec", "text")
INPUT_KIND = {"cluster-skipgram": "vectors", "projection": "vectors", "two-stage": "vectors",
              "units": "units", "contrastive": "features", "speech2vec": "features",
              "text": "labels"}


def mlp(in_dim: int, dim: int, hidden: int) -> nn.Module:
    """Linear map, or Linear-ReLU-Linear with ``hidden`` units."""
    if hidden <= 0:
        return nn.Linear(in_dim, dim)
    return nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, dim))


def soft_cross_entropy(logits: torch.Tensor, index: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """``-sum_k t_k log softmax(logits)_k`` with sparse targets (``index``, ``weight`` ``[B, top]``)."""
    return -(weight * F.log_softmax(logits, dim=1).gather(1, index)).sum(1).mean()


def sgns(center: torch.Tensor, context: torch.Tensor, negatives: torch.Tensor) -> torch.Tensor:
    """Skipgram negative sampling: ``-log s(c.o) - sum_n log s(-c.n)``; ``negatives`` ``[B, n, D]``."""
    positive = F.logsigmoid((center * context).sum(1))
    negative = F.logsigmoid(-torch.einsum("bd,bnd->bn", center, negatives)).sum(1)
    return -(positive + negative).mean()


def nt_xent_pairs(a: torch.Tensor, b: torch.Tensor, temperature: float) -> torch.Tensor:
    """NT-Xent for ``B`` positive pairs ``(a_i, b_i)``, both directions, the rest of the 2B as negatives."""
    z = F.normalize(torch.cat([a, b]), dim=1)
    logits = (z @ z.T) / temperature
    n = len(a)
    logits = logits.masked_fill(torch.eye(2 * n, dtype=torch.bool, device=z.device), float("-inf"))
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return F.cross_entropy(logits, target)


class ClusterSkipgram(nn.Module):
    """Cluster+Skipgram (Jacobs and Kamper 2024): word2vec's skipgram with a softmax over K
    pseudo-word clusters, where a segment's input is its *soft label* over the clusters
    instead of a one-hot word: its semantic vector is the label-weighted sum of the
    cluster embeddings (``clusters``), and ``output`` predicts the context segment's label.

    The input is the label, not the phonetic AWE itself: a network over acoustic vectors
    can only give similar-sounding words similar meanings (Sayeed and Aldarmaki 2023),
    while a table gives every cluster a free vector, as word2vec gives every word.  The
    ``centroids`` (a buffer saved with the weights) let ``awe embed`` label new AWEs as
    ``awe cluster`` did (:func:`awetools.cluster.clusterdir.nearest_labels`).

    With ``objective="sgns"`` the softmax gives way to word2vec's negative sampling over
    the clusters, as the text model is trained (sparse input and ``context`` tables, the
    context table starting at zero): the two spaces then share an objective, so what
    separates them is the clustering alone (recipes/semantic/results/ladder.md, "SGNS over
    clusters").
    """

    def __init__(self, in_dim: int, dim: int, k: int, objective: str = "softmax"):
        super().__init__()
        if objective not in CLUSTER_OBJECTIVES:
            raise AweError(f"unknown cluster-skipgram objective '{objective}' "
                           f"({', '.join(CLUSTER_OBJECTIVES)})")
        sgns = objective == "sgns"
        self.register_buffer("centroids", torch.zeros(k, in_dim))
        self.clusters = nn.Embedding(k, dim, sparse=sgns)  # sparse: see train.Optimizer
        if sgns:
            self.context = nn.Embedding(k, dim, sparse=True)
            nn.init.zeros_(self.context.weight)
        else:
            self.output = nn.Linear(dim, k)
        nn.init.uniform_(self.clusters.weight, -0.5 / dim, 0.5 / dim)  # word2vec's input init

    def encode(self, index: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        """Semantic vectors ``[B, dim]`` of soft labels (``index``, ``weight`` ``[B, top]``)."""
        return (self.clusters(index) * weight.unsqueeze(-1)).sum(1)


class Projection(nn.Module):
    """A projection of frozen AWEs trained contrastively on context pairs."""

    def __init__(self, in_dim: int, dim: int, hidden: int):
        super().__init__()
        self.encoder = mlp(in_dim, dim, hidden)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)


class TwoStage(nn.Module):
    """Spoken Word2Vec two-stage: center and context MLPs over continuous phonetic AWEs."""

    def __init__(self, in_dim: int, dim: int, hidden: int):
        super().__init__()
        self.encoder = mlp(in_dim, dim, hidden)
        self.context = mlp(in_dim, dim, hidden)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)


class UnitSkipgram(nn.Module):
    """Spoken Word2Vec end to end: unit codebook, unit embedding + BiGRU, SGNS heads.

    The codebook (frame K-means centroids) is a buffer, saved with the weights, so that
    ``awe embed`` quantises new features exactly as training did.  Unit id 0 is padding.
    """

    def __init__(self, feat_dim: int, units: int, unit_dim: int, dim: int, hidden: int, layers: int):
        super().__init__()
        self.register_buffer("codebook", torch.zeros(units, feat_dim))
        self.units = nn.Embedding(units + 1, unit_dim, padding_idx=0)
        self.rnn = RNNEncoder(unit_dim, dim, "gru", hidden, layers, bidirectional=True)
        self.context = nn.Linear(dim, dim)

    def encode(self, seqs: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return self.rnn(self.units(seqs), lengths)


class ContrastiveSemantic(nn.Module):
    """A phonetic AWE model (ContrastiveRNN) fine-tuned with context segments as positives."""

    def __init__(self, phonetic: dict):
        super().__init__()
        self.awe = AweModel(ModelConfig.from_dict(phonetic))

    def encode(self, feats: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return self.awe(feats, lengths)


class Speech2Vec(nn.Module):
    """RNN encoder-decoder: a segment's vector decodes the frames of its context segments."""

    def __init__(self, feat_dim: int, dim: int, hidden: int, layers: int, bidirectional: bool):
        super().__init__()
        self.encoder = RNNEncoder(feat_dim, dim, "gru", hidden, layers, bidirectional)
        self.decoder = FrameDecoder(dim, feat_dim, "gru", hidden, layers)

    def encode(self, feats: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return self.encoder(feats, lengths)


class TextSkipgram(nn.Module):
    """word2vec SGNS over word types: input (``words``) and output (``context``) tables."""

    def __init__(self, vocab: int, dim: int):
        super().__init__()
        self.words = nn.Embedding(vocab, dim, sparse=True)  # sparse gradients: see train.Optimizer
        self.context = nn.Embedding(vocab, dim, sparse=True)
        nn.init.uniform_(self.words.weight, -0.5 / dim, 0.5 / dim)
        nn.init.zeros_(self.context.weight)

    def encode(self, ids: torch.Tensor) -> torch.Tensor:
        return self.words(ids)


def build_semantic_model(config: dict) -> nn.Module:
    """Rebuild the network of a semantic model dir from ``config["model"]``."""
    m = config["model"]
    method = m.get("method")
    try:
        if method == "cluster-skipgram":
            return ClusterSkipgram(m["in_dim"], m["dim"], m["k"], m.get("objective", "softmax"))
        if method == "projection":
            return Projection(m["in_dim"], m["dim"], m["hidden"])
        if method == "two-stage":
            return TwoStage(m["in_dim"], m["dim"], m["hidden"])
        if method == "units":
            return UnitSkipgram(m["feat_dim"], m["units"], m["unit_dim"], m["dim"], m["hidden"],
                                m["layers"])
        if method == "contrastive":
            return ContrastiveSemantic(m["phonetic"])
        if method == "speech2vec":
            return Speech2Vec(m["feat_dim"], m["dim"], m["hidden"], m["layers"], m["bidirectional"])
        if method == "text":
            return TextSkipgram(m["vocab"], m["dim"])
    except KeyError as exc:
        raise AweError(f"semantic model config for '{method}' lacks '{exc.args[0]}' (a model dir of an "
                       "older awetools? train it again)") from None
    raise AweError(f"unknown semantic method '{method}' (one of {', '.join(METHODS)})")
