#!/usr/bin/env bash
# subset_data.sh: the part of a Kaldi data dir whose keys are listed (Kaldi's subset_data_dir.sh --utt-list).
#
# Usage: bin/subset_data.sh DATA_DIR KEY_LIST OUT_DIR
#   KEY_LIST has one utterance or segment id per line (first field).  Filters utt2spk,
#   text, segments, seg2utt, seg2pos, feats.scp by key, wav.scp by the recordings still
#   used, and rebuilds spk2utt.  OUT_DIR is written under a temporary name, then renamed.
#
# Example: awk '$1 ~ /-4[0-9]-/' data/train_words/utt2spk | bin/subset_data.sh data/train_words - data/dev_words
set -euo pipefail
if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0; fi
[ $# -eq 3 ] || { echo "usage: $0 DATA_DIR KEY_LIST OUT_DIR" >&2; exit 2; }
data=$1; list=$2; out=$3
[ -d "$data" ] || { echo "$0: no such data dir '$data'" >&2; exit 1; }
[ -f "$data/utt2spk" ] || { echo "$0: '$data' has no utt2spk" >&2; exit 1; }
[ "$list" = - ] || [ -f "$list" ] || { echo "$0: no such key list '$list'" >&2; exit 1; }
export LC_ALL=C
mkdir -p "$(dirname "$out")"
tmp=$(mktemp -d "$(dirname "$out")/.$(basename "$out").XXXXXX"); trap 'rm -rf "$tmp"' EXIT
awk '{ print $1 }' "$list" > "$tmp/keys"
awk 'NR == FNR { k[$1]; next } $1 in k' "$tmp/keys" "$data/utt2spk" > "$tmp/utt2spk"
rm "$tmp/keys"
[ -s "$tmp/utt2spk" ] || { echo "$0: no key of '$list' is in $data/utt2spk" >&2; exit 1; }
awk '{ u[$2] = u[$2] " " $1 } END { for (s in u) print s u[s] }' "$tmp/utt2spk" | sort > "$tmp/spk2utt"
for f in text segments seg2utt seg2pos feats.scp; do
  [ -f "$data/$f" ] && awk 'NR == FNR { k[$1]; next } $1 in k' "$tmp/utt2spk" "$data/$f" > "$tmp/$f"
done
if [ -f "$tmp/segments" ]; then
  awk 'NR == FNR { r[$2]; next } $1 in r' "$tmp/segments" "$data/wav.scp" > "$tmp/wav.scp"
elif [ -f "$data/wav.scp" ]; then
  awk 'NR == FNR { k[$1]; next } $1 in k' "$tmp/utt2spk" "$data/wav.scp" > "$tmp/wav.scp"
fi
for f in words.ctm lexicon.txt; do [ -f "$data/$f" ] && cp "$data/$f" "$tmp/"; done
chmod 755 "$tmp"
rm -rf "$out"; mv "$tmp" "$out"; trap - EXIT
