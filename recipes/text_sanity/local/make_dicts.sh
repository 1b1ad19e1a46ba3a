#!/usr/bin/env bash
# Split the identically spelled words of two vector files into train/test dictionaries.
# Usage: local/make_dicts.sh SRC_RANK TGT_RANK SRC_VECTORS TGT_VECTORS OUT_PREFIX
# Takes the words among the first SRC_RANK source words (frequency order) that are also
# among the first TGT_RANK target words; every 5th of them (the 3rd, 8th, ...) goes to
# OUT_PREFIX.test, the others to OUT_PREFIX.train, as '<word> <word>' lines.  A word2vec
# header line is skipped, a GloVe file has none.
set -euo pipefail
[ $# -eq 5 ] || { echo "usage: $0 SRC_RANK TGT_RANK SRC_VECTORS TGT_VECTORS OUT_PREFIX" >&2; exit 2; }
src_rank=$1 tgt_rank=$2 src=$3 tgt=$4 out=$5
words() {  # words FILE N: the first N words of a vectors file
  awk -v n="$2" 'FNR == 1 && NF == 2 && $1 ~ /^[0-9]+$/ { next } ++k <= n { print $1 }' "$1"
}
words "$tgt" "$tgt_rank" > "$out.tgt_words"
words "$src" "$src_rank" | awk -v train="$out.train" -v test="$out.test" '
  NR == FNR { t[$1] = 1; next }
  ($1 in t) { k++; print $1, $1 > ((k % 5 == 3) ? test : train) }
' "$out.tgt_words" -
rm -f "$out.tgt_words"
echo "$out.train: $(wc -l < "$out.train") pairs, $out.test: $(wc -l < "$out.test") pairs"
