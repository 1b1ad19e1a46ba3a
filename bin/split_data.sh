#!/usr/bin/env bash
# split_data.sh: split a Kaldi data dir into N parts by speaker (Kaldi's utils/split_data.sh).
#
# Usage: bin/split_data.sh DATA_DIR N
#   Writes DATA_DIR/splitN/1 .. DATA_DIR/splitN/N, each a complete data dir with the
#   speakers of that part (made by subset_data.sh).
#   Speakers are never split, so per-speaker CMVN inside a job is exact.
#   An existing, up-to-date split is reused.
#
# Example: bin/split_data.sh data/train_words 8
set -euo pipefail
if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0; fi
[ $# -eq 2 ] || { echo "usage: $0 DATA_DIR N" >&2; exit 2; }
data=$1; n=$2
[ -d "$data" ] || { echo "$0: no such data dir '$data'" >&2; exit 1; }
[ -f "$data/utt2spk" ] || { echo "$0: '$data' has no utt2spk" >&2; exit 1; }
case "$n" in ''|*[!0-9]*|0) echo "$0: N must be a positive integer, got '$n'" >&2; exit 2 ;; esac
out=$data/split$n
if [ -f "$out/.done" ] && [ "$out/.done" -nt "$data/utt2spk" ]; then exit 0; fi
nspk=$(cut -d' ' -f2 "$data/utt2spk" | sort -u | wc -l)
[ "$nspk" -ge "$n" ] || { echo "$0: '$data' has $nspk speakers, fewer than $n parts" >&2; exit 1; }
tmp=$(mktemp -d "$data/.split$n.XXXXXX"); trap 'rm -rf "$tmp"' EXIT
export LC_ALL=C
# speaker -> part, round-robin over speakers sorted by number of keys (balanced load)
cut -d' ' -f2 "$data/utt2spk" | sort | uniq -c | sort -k1,1nr -k2,2 |
  awk -v n="$n" '{ print $2, (NR - 1) % n + 1 }' > "$tmp/spk2part"
here=$(dirname "$0")
for i in $(seq "$n"); do
  awk -v i="$i" 'NR == FNR { if ($2 == i) s[$1]; next } $2 in s' "$tmp/spk2part" "$data/utt2spk" |
    "$here/subset_data.sh" "$data" - "$tmp/$i"
done
rm -f "$tmp/spk2part"; touch "$tmp/.done"
rm -rf "$out"; mv "$tmp" "$out"; trap - EXIT
