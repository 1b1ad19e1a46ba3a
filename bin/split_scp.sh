#!/usr/bin/env bash
# split_scp.sh: split a Kaldi table file (scp, text, ...) into N parts of near-equal size.
#
# Usage: bin/split_scp.sh [--utt2spk FILE] IN OUT_1 [OUT_2 ...]
#   Lines keep their order; with --utt2spk, all keys of one speaker go to the same part
#   (needed when per-speaker statistics are computed inside a job).
#
# Example: bin/split_scp.sh feats.scp split/feats.1.scp split/feats.2.scp
set -euo pipefail
if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0; fi
utt2spk=
if [ "${1:-}" = "--utt2spk" ]; then utt2spk=$2; shift 2; fi
[ $# -ge 2 ] || { echo "usage: $0 [--utt2spk FILE] IN OUT_1 [OUT_2 ...]" >&2; exit 2; }
in=$1; shift
[ -f "$in" ] || { echo "$0: no such file '$in'" >&2; exit 1; }
[ -s "$in" ] || { echo "$0: '$in' is empty" >&2; exit 1; }
[ -z "$utt2spk" ] || [ -f "$utt2spk" ] || { echo "$0: no such file '$utt2spk'" >&2; exit 1; }
n=$#
total=$(wc -l < "$in")
[ "$total" -ge "$n" ] || { echo "$0: '$in' has $total lines, fewer than $n parts" >&2; exit 1; }
tmpdir=$(mktemp -d); trap 'rm -rf "$tmpdir"' EXIT
# Part of each line: by line number, or by the speaker's first line number.
awk -v n="$n" -v total="$total" -v spkfile="$utt2spk" -v dir="$tmpdir" '
  BEGIN { if (spkfile != "") while ((getline l < spkfile) > 0) { split(l, f, " "); spk[f[1]] = f[2] } }
  {
    if (spkfile != "") {
      if (!($1 in spk)) { printf "%s: key %s has no speaker\n", spkfile, $1 > "/dev/stderr"; exit 1 }
      s = spk[$1]; if (!(s in part)) part[s] = int((NR - 1) * n / total) + 1; p = part[s]
    } else p = int((NR - 1) * n / total) + 1
    print > (dir "/" p)
  }' "$in"
i=1
for out in "$@"; do
  mkdir -p "$(dirname "$out")"
  if [ -f "$tmpdir/$i" ]; then mv "$tmpdir/$i" "$out.tmp"; else : > "$out.tmp"; fi
  mv "$out.tmp" "$out"
  [ -s "$out" ] || echo "$0: warning: part $i ($out) is empty" >&2
  i=$((i + 1))
done
