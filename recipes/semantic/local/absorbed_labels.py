#!/usr/bin/env python3
"""Oracle word labels with only the word absorption of a clustering (ladder rung b').

Usage: local/absorbed_labels.py TEXT ASSIGN MIN_COUNT OUT

TEXT is a word data dir's ``text`` (``<segment> <word>``), ASSIGN an ``awe cluster``
``assign.txt`` of the same segments.  Every word with >= MIN_COUNT tokens is relabelled
to the majority word of its main (largest) cluster when that word is frequent too, i.e.
the words the clustering gives another word's cluster keep that word's label; rarer words
become ``<rare>``, as in rung (b).  No token-level noise is added, so cluster-skipgram on
these labels measures what absorption alone costs.  Writes OUT (``<segment> <label>``)
and prints how many frequent words were relabelled.
"""

import sys
from collections import Counter, defaultdict


def main() -> None:
    if len(sys.argv) != 5:
        sys.exit(__doc__.split("\n\n")[1])
    text_path, assign_path, min_count, out_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    with open(text_path, encoding="utf-8") as f:
        text = dict(line.split(maxsplit=1) for line in f if line.strip())
    text = {key: word.strip() for key, word in text.items()}
    with open(assign_path, encoding="utf-8") as f:
        assign = dict(line.split() for line in f if line.strip())
    missing = next((key for key in text if key not in assign), None)
    if missing is not None:
        sys.exit(f"{assign_path}: no cluster for segment '{missing}' of {text_path}")
    count = Counter(text.values())
    word_clusters, cluster_words = defaultdict(Counter), defaultdict(Counter)
    for key, word in text.items():
        word_clusters[word][assign[key]] += 1
        cluster_words[assign[key]][word] += 1
    owner = {cluster: words.most_common(1)[0][0] for cluster, words in cluster_words.items()}

    def label(word: str) -> str:
        if count[word] < min_count:
            return "<rare>"
        absorber = owner[word_clusters[word].most_common(1)[0][0]]
        return absorber if count[absorber] >= min_count else word

    mapped = {word: label(word) for word in count}
    with open(out_path, "w", encoding="utf-8") as out:
        out.writelines(f"{key} {mapped[text[key]]}\n" for key in sorted(text))
    frequent = [w for w in count if count[w] >= min_count]
    moved = sum(mapped[w] != w for w in frequent)
    print(f"{out_path}: {moved} of {len(frequent)} frequent words relabelled to their cluster's "
          f"majority word; {len(set(mapped.values()))} labels")


if __name__ == "__main__":
    main()
