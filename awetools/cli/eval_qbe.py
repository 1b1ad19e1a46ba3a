"""``awe eval qbe``: semantic (and exact) query-by-example search over utterances."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import typer

from awetools.cli.main import eval_app
from awetools.errors import AweError
from awetools.io.atomic import atomic_open
from awetools.metrics.qbe import (evaluate_qbe, graded_words, load_collection, pairs_relevance,
                                  query_rows, reference_relevance, select_queries, summary_line)
from awetools.metrics.wordsim import load_word_table, read_pairs


@eval_app.command("qbe")
def qbe_command(
    args: list[str] = typer.Argument(..., metavar="[RSPECIFIER] DATA_DIR", help="Segment embeddings (omitted with --vectors) and the word-segment data dir (seg2utt, text)."),
    vectors: Path | None = typer.Option(None, "--vectors", help="Instead of RSPECIFIER: each segment gets the word vector of its true label (text topline)."),
    reference: Path | None = typer.Option(None, "--reference", help="Relevance from a text word embedding (word2vec/GloVe)."),
    pairs: Path | None = typer.Option(None, "--pairs", help="Relevance from a word-similarity list instead."),
    top_k: int = typer.Option(10, "--top-k", help="--reference: the query word's K nearest collection words are related."),
    min_cosine: float | None = typer.Option(None, "--min-cosine", help="--reference: and only those with at least this reference cosine."),
    threshold: float | None = typer.Option(None, "--threshold", help="--pairs: related when the pair score is at least this (default: upper quartile)."),
    queries: Path | None = typer.Option(None, "--queries", help="Query segment ids, one per line (default: sampled)."),
    num_queries: int = typer.Option(100, "--num-queries", help="Sampled queries: this many word types, one random token each."),
    min_query_count: int = typer.Option(2, "--min-query-count", help="Sampled queries: words with at least this many tokens."),
    case_sensitive: bool = typer.Option(False, "--case-sensitive", help="Match words as spelled (default: lower-case)."),
    seed: int = typer.Option(0, "--seed", help="Seed for query sampling."),
    json_path: Path | None = typer.Option(None, "--json", help="Write full results (with per-query rows) as JSON."),
) -> None:
    """Semantic QbE: spoken query words ranked against utterances (best-matching segment).

    \b
    Usage: awe eval qbe [options] (--reference VECTORS | --pairs FILE) RSPECIFIER DATA_DIR
           awe eval qbe [options] (--reference VECTORS | --pairs FILE) --vectors FILE DATA_DIR

    Reports P@10, P@N, EER and Spearman rho (graded relevance) for semantic relevance,
    semantic-only (utterances holding the query word removed) and exact QbE.  See
    man awe-eval-qbe for the relevance definitions.

    Example:

    \b
      awe eval qbe --reference exp/text/vectors.txt --json exp/sem/qbe.json h5:exp/sem/test.h5 data/test_words
    """
    if len(args) != (1 if vectors is not None else 2):
        raise typer.BadParameter("expected RSPECIFIER DATA_DIR, or --vectors FILE DATA_DIR",
                                 param_hint="arguments")
    rspecifier = args[0] if vectors is None else None
    data_dir = Path(args[-1])
    if (reference is None) == (pairs is None):
        raise typer.BadParameter("give exactly one of --reference and --pairs")
    if top_k < 1 or num_queries < 1:
        raise AweError("--top-k and --num-queries must be at least 1")
    lowercase = not case_sensitive
    words = load_word_table(vectors, lowercase) if vectors is not None else None
    collection = load_collection(rspecifier, data_dir, lowercase, words)
    if reference is not None:
        ref = load_word_table(reference, lowercase)
        relevance = partial(reference_relevance, collection=collection, reference=ref,
                            top_k=top_k, min_cosine=min_cosine)
        candidates = graded_words(collection, reference=ref)
    else:
        word_pairs = read_pairs(pairs, lowercase)
        relevance = partial(pairs_relevance, collection=collection, pairs=word_pairs,
                            threshold=threshold)
        candidates = graded_words(collection, pairs=word_pairs)
    if queries is not None:
        rows = query_rows(collection, queries)
    else:
        rows = select_queries(collection, candidates, num_queries, min_query_count, seed)
    result = evaluate_qbe(collection, rows, relevance, candidates)
    result["inputs"] = {"embeddings": rspecifier, "vectors": str(vectors) if vectors else None,
                        "data_dir": str(data_dir),
                        "reference": str(reference) if reference else None,
                        "pairs": str(pairs) if pairs else None,
                        "queries": str(queries) if queries else None}
    result["config"] = {"top_k": top_k, "min_cosine": min_cosine, "threshold": threshold,
                        "num_queries": num_queries, "min_query_count": min_query_count,
                        "lowercase": lowercase, "seed": seed}
    if json_path is not None:
        with atomic_open(json_path) as out:
            json.dump(result, out, indent=2)
            out.write("\n")
    print(f"awe eval qbe: {summary_line(result)}")
