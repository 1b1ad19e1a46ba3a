"""``awe eval translate``: word translation P@k (NN, CSLS) and spoken word classification."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from awetools.cli.main import eval_app
from awetools.io.atomic import atomic_open
from awetools.metrics.translate import TranslateInputs, evaluate_translate, summary_line


@eval_app.command("translate")
def translate_command(
    mapped_src: str = typer.Argument(..., metavar="MAPPED_SRC", help="Mapped source vectors (word2vec/GloVe file), or a segment table (h5:, ark:, scp:) with --labels."),
    tgt: str = typer.Argument(..., metavar="TGT", help="Target word vectors (word2vec text/binary or GloVe)."),
    dico: str | None = typer.Option(None, "--dico", help="Gold dictionary '<src> <tgt>' per line, or 'identical'."),
    classify: bool = typer.Option(False, "--classify", help="Spoken word classification: MAPPED_SRC is a segment table, --labels the gold words."),
    labels: Path | None = typer.Option(None, "--labels", help="Kaldi text '<segment> <word>': average per word (translation) or gold per segment (--classify)."),
    map_dir: Path | None = typer.Option(None, "--map", help="awe align output dir: normalise and map MAPPED_SRC (then raw) and normalise TGT as recorded."),
    normalize: str = typer.Option("", "--normalize", help="Without --map: normalisation applied to both sides (renorm, center, comma-separated)."),
    closed_set: bool = typer.Option(False, "--closed-set", help="--classify: candidates are only the target words that occur as labels."),
    csls_k: int = typer.Option(10, "--csls-k", help="Neighbourhood size of CSLS."),
    src_format: str = typer.Option("auto", "--src-format", help="auto, word2vec, word2vec-binary or glove."),
    tgt_format: str = typer.Option("auto", "--tgt-format", help="auto, word2vec, word2vec-binary or glove."),
    src_max_vocab: int | None = typer.Option(None, "--src-max-vocab", help="Keep the first N source words (types) only."),
    tgt_max_vocab: int | None = typer.Option(None, "--tgt-max-vocab", help="Search the first N target words only."),
    lowercase: bool = typer.Option(False, "--lowercase", help="Lower-case words, labels and dictionary entries."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    json_path: Path | None = typer.Option(None, "--json", help="Write full results as JSON."),
) -> None:
    """Word translation P@1/5/10 by nearest neighbour and CSLS, or spoken word classification.

    Usage: awe eval translate [options] MAPPED_SRC TGT (--dico GOLD | --classify --labels TEXT)

    MAPPED_SRC is already in the target space (awe align's mapped.txt, or a regression
    model's embeddings averaged per --labels), or raw source vectors with --map OUT_DIR.
    Coverage: gold pairs (or labelled segments) whose words exist on both sides.  One line
    on stdout.

    Example:

    \b
      awe eval translate --map exp/align --dico data/dico.test.txt exp/src.txt exp/tgt.txt --json exp/align/translate.json
      awe eval translate --classify --labels data/test_words/text --map exp/align h5:exp/sem/test.h5 exp/tgt.txt
    """
    inputs = TranslateInputs(src=mapped_src, tgt=tgt, dico=dico, labels=str(labels) if labels else None,
                             classify=classify, map_dir=str(map_dir) if map_dir else None,
                             normalize=normalize, closed_set=closed_set, csls_k=csls_k,
                             src_format=src_format, tgt_format=tgt_format,
                             src_max_vocab=src_max_vocab, tgt_max_vocab=tgt_max_vocab,
                             lowercase=lowercase)
    result = evaluate_translate(inputs, device)
    if json_path is not None:
        with atomic_open(json_path) as out:
            json.dump(result, out, indent=2)
            out.write("\n")
    print(f"awe eval translate: {summary_line(result)}")
