"""``awe align``: a linear map from a source (speech) space onto target (text) word vectors."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from awetools.align.adversarial import AdversarialOptions
from awetools.align.selflearning import SelfLearningOptions
from awetools.align.files import AlignInputs, align_files
from awetools.align.pipeline import AlignConfig
from awetools.cli.main import app


@app.command("align")
def align_command(
    src: str = typer.Argument(..., metavar="SRC", help="Source vectors: word2vec/GloVe file, or a segment table (h5:, ark:, scp:) with --src-labels/--src-clusters."),
    tgt: str = typer.Argument(..., metavar="TGT", help="Target word vectors (word2vec text/binary or GloVe)."),
    out_dir: Path = typer.Argument(..., metavar="OUT_DIR", help="Output directory (map, mapped vectors, dictionary, log)."),
    method: str = typer.Option("adversarial", "--method", help="procrustes (needs --dico), or unsupervised: adversarial (MUSE) or self-learning (VecMap's fully unsupervised start)."),
    dico: str | None = typer.Option(None, "--dico", help="Seed dictionary '<src> <tgt>' per line, or 'identical' (same spelling)."),
    map_kind: str = typer.Option("orthogonal", "--map", help="orthogonal, semi-orthogonal (different dims) or linear (least squares, procrustes only)."),
    normalize: str = typer.Option("renorm,center,renorm", "--normalize", help="Steps applied to both sides: renorm, center, none (comma-separated)."),
    src_labels: Path | None = typer.Option(None, "--src-labels", help="Kaldi text '<segment> <word>': average SRC segment vectors per word."),
    src_clusters: Path | None = typer.Option(None, "--src-clusters", help="'<segment> <cluster>' (awe cluster assign.txt): average per cluster."),
    src_format: str = typer.Option("auto", "--src-format", help="auto, word2vec, word2vec-binary or glove."),
    tgt_format: str = typer.Option("auto", "--tgt-format", help="auto, word2vec, word2vec-binary or glove."),
    src_max_vocab: int | None = typer.Option(None, "--src-max-vocab", help="Keep the N most frequent source words/types."),
    tgt_max_vocab: int | None = typer.Option(None, "--tgt-max-vocab", help="Keep the first N target words (files are frequency-sorted)."),
    lowercase: bool = typer.Option(False, "--lowercase", help="Lower-case words (first spelling wins) and dictionary entries."),
    restarts: int = typer.Option(1, "--restarts", help="Restarts of an unsupervised method; the best by the unsupervised criterion is kept."),
    epochs: int = typer.Option(5, "--epochs", help="Adversarial epochs per restart."),
    epoch_size: int = typer.Option(100_000, "--epoch-size", help="Source samples per adversarial epoch (MUSE: 1000000)."),
    batch_size: int = typer.Option(32, "--batch-size", help="Adversarial batch size (per side)."),
    dis_steps: int = typer.Option(5, "--dis-steps", help="Discriminator steps per map step."),
    dis_hidden: int = typer.Option(2048, "--dis-hidden", help="Discriminator hidden units (2 layers)."),
    dis_most_frequent: int = typer.Option(75000, "--dis-most-frequent", help="Discriminator samples the N most frequent words of each side (0: all)."),
    map_lr: float = typer.Option(0.1, "--map-lr", help="SGD learning rate of the map."),
    dis_lr: float = typer.Option(0.1, "--dis-lr", help="SGD learning rate of the discriminator."),
    map_beta: float = typer.Option(0.001, "--map-beta", help="Orthogonalisation strength b in W <- (1+b)W - b(WW^T)W."),
    refinements: int | None = typer.Option(None, "--refinements", help="Procrustes refinements on CSLS-induced dictionaries (default 5 unsupervised, 0 procrustes)."),
    init_vocab: int = typer.Option(4000, "--init-vocab", help="self-learning: the N most frequent words of each side its start and dictionaries use (halved at each restart)."),
    reweight: str = typer.Option("0.5", "--reweight", help="self-learning: read each dictionary in VecMap's common space, its axes scaled by their agreement to this power (0-1), or 'none' for the plainly rotated source (always so for spaces of different dimensions)."),
    csls_k: int = typer.Option(10, "--csls-k", help="Neighbourhood size of CSLS."),
    dico_max_rank: int = typer.Option(15000, "--dico-max-rank", help="Induced dictionaries use the N most frequent words of each side."),
    export_dico: str = typer.Option("mutual", "--export-dico", help="dictionary.txt: mutual (CSLS mutual NN), s2t (best target per source word) or none."),
    seed: int = typer.Option(0, "--seed", help="Random seed (restart seeds derive from it)."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    num_threads: int | None = typer.Option(None, "--num-threads", help="CPU threads for torch (default: all cores; use 1 per job when several run at once)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace OUT_DIR if it exists."),
) -> None:
    """Align a source embedding space to target word vectors with a linear map.

    Usage: awe align [options] SRC TGT OUT_DIR

    Supervised (--method procrustes --dico FILE|identical) or unsupervised (adversarial
    training, or self-learning from the words' sorted similarity distributions, then
    Procrustes refinement on CSLS-induced dictionaries; the epoch and restart are chosen
    by the mean cosine of mutual CSLS pairs, no gold data).  OUT_DIR
    gets W.npy, W.txt (Kaldi text matrix), map.json, mapped.txt (word2vec),
    dictionary.txt and log.jsonl.  A summary line goes to stderr.

    Example:

    \b
      awe align --method adversarial --restarts 3 --src-labels data/train_words/text \\
          h5:exp/sem/train.h5 ../shared/data/glove/glove.6B.50d.top50k.txt exp/align
      awe align --method self-learning --src-labels data/train_words/text --src-max-vocab 8000 \\
          --tgt-max-vocab 8000 h5:exp/sem/contextual.h5 exp/text/vectors.txt exp/align_sl
    """
    adversarial = AdversarialOptions(epochs=epochs, epoch_size=epoch_size, batch_size=batch_size,
                                     dis_steps=dis_steps, dis_hidden=dis_hidden,
                                     dis_most_frequent=dis_most_frequent, dis_lr=dis_lr,
                                     map_lr=map_lr, map_beta=map_beta)
    config = AlignConfig(method=method, map_kind=map_kind, normalize=normalize,
                         refinements=refinements, restarts=restarts, seed=seed, csls_k=csls_k,
                         dico_max_rank=dico_max_rank, adversarial=adversarial,
                         self_learning=SelfLearningOptions(vocab=init_vocab, reweight=_reweight(reweight)))
    inputs = AlignInputs(src=src, tgt=tgt, src_labels=str(src_labels) if src_labels else None,
                         src_clusters=str(src_clusters) if src_clusters else None, dico=dico,
                         src_format=src_format, tgt_format=tgt_format, src_max_vocab=src_max_vocab,
                         tgt_max_vocab=tgt_max_vocab, lowercase=lowercase)
    result = align_files(inputs, out_dir, config, export=export_dico, device=device,
                         overwrite=overwrite, num_threads=num_threads)
    print(f"awe align: method={method} map={map_kind} criterion={result.criterion:.4f} "
          f"pairs={result.criterion_pairs} restart={result.restart} -> {out_dir}", file=sys.stderr)


def _reweight(value: str) -> float | None:
    """'none' -> None, else the exponent (range checked by SelfLearningOptions)."""
    if value.strip().lower() == "none":
        return None
    try:
        return float(value)
    except ValueError:
        raise typer.BadParameter(f"'{value}' (a number between 0 and 1, or none)", param_hint="--reweight") from None
