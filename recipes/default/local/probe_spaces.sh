#!/usr/bin/env bash
# Linear probes of several embedding spaces (issue 7): how well a logistic regression
# recovers the word and the speaker of a token from its embedding.
# Usage: local/probe_spaces.sh [--words N] OUT_DIR TEXT UTT2SPK NAME=RSPECIFIER...
#   Tokens: one per word and speaker, of the N (default 100) most frequent words of TEXT.
#   Word probe: folds grouped by speaker (every test token is from a speaker the probe
#   never saw).  Speaker probe: folds grouped by word (no word in both train and test).
#   Writes OUT_DIR/{word,speaker}_NAME.json and OUT_DIR/table.{md,json}.
set -euo pipefail
n_words=100
[ "${1:-}" = --words ] && { n_words=$2; shift 2; }
[ $# -ge 4 ] || { echo "usage: $0 [--words N] OUT_DIR TEXT UTT2SPK NAME=RSPECIFIER..." >&2; exit 2; }
out=$1 text=$2 utt2spk=$3; shift 3
mkdir -p "$out"
LC_ALL=C awk '{ n[$2]++ } END { for (w in n) print n[w], w }' "$text" | LC_ALL=C sort -k1,1nr -k2,2 \
  | awk -v n="$n_words" 'NR <= n { print $2 }' > "$out/words.txt"  # not head: no SIGPIPE
awk 'FILENAME == ARGV[1] { keep[$1]; next } FILENAME == ARGV[2] { spk[$1] = $2; next }
     ($2 in keep) && !seen[$2, spk[$1]]++' "$out/words.txt" "$utt2spk" "$text" > "$out/text"
awk 'NR == FNR { keep[$1]; next } $1 in keep' "$out/text" "$utt2spk" > "$out/utt2spk"
speakers=$(cut -d' ' -f2 "$out/utt2spk" | sort -u | wc -l)
folds=$(( speakers < 5 ? speakers : 5 ))
[ "$folds" -ge 2 ] || { echo "$0: $utt2spk: need tokens from at least 2 speakers" >&2; exit 1; }
echo "probes: $(wc -l < "$out/text") tokens of $(wc -l < "$out/words.txt") words, $speakers speakers"
for space in "$@"; do
  name=${space%%=*} rspec=${space#*=}
  echo -n "word $name: "
  awe eval probe --target "$out/text" --groups "$out/utt2spk" --folds "$folds" --min-count "$folds" \
    --json "$out/word_$name.json" "$rspec"
  echo -n "speaker $name: "
  awe eval probe --target "$out/utt2spk" --groups "$out/text" --json "$out/speaker_$name.json" "$rspec"
done
awe report --title "Linear probes: word (folds grouped by speaker) and speaker (grouped by word) accuracy, chance beside it" \
  -c accuracy -c chance -c classes -c n --markdown "$out/table.md" --json "$out/table.json" \
  "$out"/word_*.json "$out"/speaker_*.json
