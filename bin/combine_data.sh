#!/usr/bin/env bash
# combine_data.sh: merge Kaldi data dirs into one (Kaldi's utils/combine_data.sh).
#
# Usage: bin/combine_data.sh OUT_DIR DATA_DIR...
#   Concatenates and C-sorts each table (wav.scp, segments, text, utt2spk, seg2utt,
#   seg2pos, feats.scp) present in the inputs and rebuilds spk2utt.  A table present in
#   some inputs but not all is left out (with a warning), as are duplicate keys (error).
#
# Example: bin/combine_data.sh data/multi_dev data/de/dev_words data/fr/dev_words
set -euo pipefail
if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0; fi
[ $# -ge 2 ] || { echo "usage: $0 OUT_DIR DATA_DIR..." >&2; exit 2; }
out=$1; shift
for d in "$@"; do
  [ -f "$d/utt2spk" ] || { echo "$0: '$d' is not a data dir (no utt2spk)" >&2; exit 1; }
done
export LC_ALL=C
mkdir -p "$(dirname "$out")"
tmp=$(mktemp -d "$(dirname "$out")/.$(basename "$out").XXXXXX"); trap 'rm -rf "$tmp"' EXIT
for f in wav.scp segments text utt2spk seg2utt seg2pos feats.scp; do
  present=0
  for d in "$@"; do [ -f "$d/$f" ] && present=$((present + 1)); done
  [ "$present" -eq 0 ] && continue
  if [ "$present" -lt $# ]; then echo "$0: warning: $f is missing from some inputs; left out" >&2; continue; fi
  for d in "$@"; do cat "$d/$f"; done | sort -k1,1 -s > "$tmp/$f"
  if [ "$f" = wav.scp ]; then sort -u -o "$tmp/$f" "$tmp/$f"; fi  # segments may share recordings
  dup=$(cut -d' ' -f1 "$tmp/$f" | uniq -d | head -1)
  [ -z "$dup" ] || { echo "$0: key '$dup' occurs in more than one input ($f)" >&2; exit 1; }
done
awk '{ u[$2] = u[$2] " " $1 } END { for (s in u) print s u[s] }' "$tmp/utt2spk" | sort > "$tmp/spk2utt"
chmod 755 "$tmp"
rm -rf "$out"; mv "$tmp" "$out"; trap - EXIT
