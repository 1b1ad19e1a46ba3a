#!/usr/bin/env bash
# split_scp.sh: split a Kaldi table file (scp, text, ...) into N parts of near-equal size.
#
# Usage: bin/split_scp.sh [--utt2spk FILE] IN OUT_1 [OUT_2 ...]
#   Lines keep their order, and the parts hold consecutive runs of lines: part sizes
#   differ by at most one line.  With --utt2spk, all keys of one speaker go to the same
#   part (needed when per-speaker statistics are computed inside a job); parts are then
#   balanced by whole speakers, and none is empty.  Fails if IN has fewer lines (or
#   speakers) than there are parts, or a key has no speaker.
#
# Example: bin/split_scp.sh feats.scp split/feats.1.scp split/feats.2.scp
set -euo pipefail
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }
case "${1:-}" in -h|--help) usage; exit 0 ;; esac
utt2spk=
case "${1:-}" in
  --utt2spk) utt2spk=${2:-}; shift 2 || shift ;;
  --utt2spk=*) utt2spk=${1#--utt2spk=}; shift ;;
esac
[ $# -ge 2 ] || { echo "usage: $0 [--utt2spk FILE] IN OUT_1 [OUT_2 ...]" >&2; exit 2; }
in=$1; shift
[ -f "$in" ] || { echo "$0: no such file '$in'" >&2; exit 1; }
[ -s "$in" ] || { echo "$0: '$in' is empty" >&2; exit 1; }
[ -z "$utt2spk" ] || [ -f "$utt2spk" ] || { echo "$0: no such file '$utt2spk'" >&2; exit 1; }
tmpdir=$(mktemp -d); trap 'rm -rf "$tmpdir"' EXIT
# Two passes over IN.  Pass 1: the unit of each line (its speaker, or the line itself)
# and unit sizes.  Pass 2: units in order of first appearance go to parts by the middle
# of their run of lines, never skipping a part and leaving enough units for the rest.
awk -v n="$#" -v spkfile="$utt2spk" -v dir="$tmpdir" -v infile="$in" -v prog="$0" '
  BEGIN {
    if (spkfile != "") while ((getline l < spkfile) > 0) { split(l, f, " "); spk[f[1]] = f[2] }
  }
  FNR == 1 { pass++ }
  pass == 1 {
    if (spkfile == "") u = FNR
    else if ($1 in spk) u = spk[$1]
    else { printf "%s: %s: key %s (%s line %d) has no speaker\n", prog, spkfile, $1, infile, FNR > "/dev/stderr"; bad = 1; exit 1 }
    unit[FNR] = u
    if (!(u in size)) { order[++units] = u }
    size[u]++; total++
    next
  }
  pass == 2 && FNR == 1 {
    what = spkfile == "" ? "lines" : "speakers"
    if (units < n) { printf "%s: %s has %d %s, fewer than %d parts\n", prog, infile, units, what, n > "/dev/stderr"; bad = 1; exit 1 }
    done_lines = 0; p = 0
    for (i = 1; i <= units; i++) {
      u = order[i]
      want = int((done_lines + size[u] / 2) * n / total) + 1
      if (want > p + 1) want = p + 1                 # never skip a part
      if (want < n - (units - i)) want = n - (units - i)   # leave one unit per later part
      if (want < p) want = p
      part[u] = p = want
      done_lines += size[u]
    }
  }
  pass == 2 { print > (dir "/" part[unit[FNR]]) }
  END { exit bad }
' "$in" "$in" || exit 1
i=1
for out in "$@"; do
  mkdir -p "$(dirname "$out")"
  mv "$tmpdir/$i" "$out.tmp"
  mv "$out.tmp" "$out"
  i=$((i + 1))
done
