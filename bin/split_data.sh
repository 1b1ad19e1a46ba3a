#!/usr/bin/env bash
# split_data.sh: split a Kaldi data dir into N parts by speaker (Kaldi's utils/split_data.sh).
#
# Usage: bin/split_data.sh DATA_DIR N
#   Writes DATA_DIR/splitN/1 .. DATA_DIR/splitN/N, each a complete data dir with the
#   speakers of that part (made by subset_data.sh).  Speakers are never split, so
#   per-speaker CMVN inside a job is exact; each speaker goes to the part with the fewest
#   keys so far, largest speakers first.  An existing split newer than every file of
#   DATA_DIR is reused; otherwise it is rebuilt and replaced in one rename.
#
# Example: bin/split_data.sh data/train_words 8
set -euo pipefail
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }
case "${1:-}" in -h|--help) usage; exit 0 ;; esac
[ $# -eq 2 ] || { echo "usage: $0 DATA_DIR N" >&2; exit 2; }
data=$1; n=$2
case "$n" in ''|*[!0-9]*|0) echo "$0: N must be a positive integer, got '$n'" >&2; exit 2 ;; esac
[ -d "$data" ] || { echo "$0: no such data dir '$data'" >&2; exit 1; }
[ -f "$data/utt2spk" ] || { echo "$0: '$data' has no utt2spk" >&2; exit 1; }
out=$data/split$n
if [ -f "$out/.done" ] && [ -z "$(find "$data" -maxdepth 1 -type f -newer "$out/.done" -print -quit)" ]; then
  exit 0
fi
export LC_ALL=C
nspk=$(awk '{ print $2 }' "$data/utt2spk" | sort -u | wc -l)
[ "$nspk" -ge "$n" ] || { echo "$0: '$data' has $nspk speakers, fewer than $n parts" >&2; exit 1; }
tmp=$(mktemp -d "$data/.split$n.XXXXXX"); trap 'rm -rf "$tmp"' EXIT
# speaker -> part: largest speakers first, each to the part with the fewest keys so far
awk '{ print $2 }' "$data/utt2spk" | sort | uniq -c | sort -k1,1nr -k2,2 |
  awk -v n="$n" '{ p = 1; for (i = 2; i <= n; i++) if (load[i] < load[p]) p = i
                   load[p] += $1; print $2, p }' > "$tmp/spk2part"
here=$(dirname "$0")
for i in $(seq "$n"); do
  awk -v i="$i" 'NR == FNR { if ($2 == i) s[$1]; next } $2 in s' "$tmp/spk2part" "$data/utt2spk" |
    "$here/subset_data.sh" "$data" - "$tmp/$i"
done
rm -f "$tmp/spk2part"; touch "$tmp/.done"; chmod 755 "$tmp"
rm -rf "$out"; mv "$tmp" "$out"; trap - EXIT
