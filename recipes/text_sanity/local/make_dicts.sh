#!/usr/bin/env bash
# Split the identically spelled words of two vector files into train/test dictionaries.
# Usage: local/make_dicts.sh N SRC_VECTORS TGT_VECTORS OUT_PREFIX
# Takes the first N source words (frequency order) that also occur in TGT; every 5th
# (the 3rd, 8th, ...) goes to OUT_PREFIX.test, the others to OUT_PREFIX.train, as
# '<word> <word>' lines.  A word2vec header line is skipped, a GloVe file has none.
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: $0 N SRC_VECTORS TGT_VECTORS OUT_PREFIX" >&2; exit 2; }
n=$1 src=$2 tgt=$3 out=$4
words() { awk 'FNR == 1 && NF == 2 && $1 ~ /^[0-9]+$/ { next } { print $1 }' "$1"; }
words "$tgt" > "$out.tgt_words"
words "$src" | awk -v n="$n" -v train="$out.train" -v test="$out.test" '
  NR == FNR { t[$1] = 1; next }
  ($1 in t) { k++; if (k > n) exit; print $1, $1 > ((k % 5 == 3) ? test : train) }
' "$out.tgt_words" -
rm -f "$out.tgt_words"
echo "$out.train: $(wc -l < "$out.train") pairs, $out.test: $(wc -l < "$out.test") pairs"
