#!/usr/bin/env bash
# make_feats.sh: featurize a Kaldi data dir in parallel jobs (Kaldi's steps/make_mfcc.sh).
#
# Usage: bin/make_feats.sh [--cmd CMD] [--nj N] [--feat-config CONF] DATA_DIR LOG_DIR FEAT_DIR NAME
#   Splits DATA_DIR by speaker into min(N, speakers) parts (split_data.sh: speakers are never
#   split, so per-speaker CMVN inside a job is exact), runs `awe featurize --config CONF` on
#   each part through the job runner CMD (default bin/run_local.sh; bin/run_slurm.sh ... for
#   a cluster), one log per job in LOG_DIR/featurize.NAME.JOB.log, and writes
#   FEAT_DIR/NAME.JOB.ark and .scp, then FEAT_DIR/NAME.scp: every part's scp merged and
#   sorted, written under a temporary name and renamed, so it exists only when all jobs
#   succeeded.  Without --feat-config, awe featurize's defaults.
#
# Example: bin/make_feats.sh --cmd bin/run_local.sh --nj 4 --feat-config conf/mfcc.conf data/train_words exp/log exp/feats train
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
cmd=$here/run_local.sh
nj=4
feat_config=
help_message=$(awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0")
. "$here/parse_options.sh"
[ $# -eq 4 ] || { echo "usage: $0 [--cmd CMD] [--nj N] [--feat-config CONF] DATA_DIR LOG_DIR FEAT_DIR NAME" >&2; exit 2; }
data=$1; logdir=$2; featdir=$3; name=$4
case "$nj" in ''|*[!0-9]*|0) echo "$0: --nj must be a positive integer, got '$nj'" >&2; exit 2 ;; esac
[ -f "$data/spk2utt" ] || { echo "$0: '$data' is not a data dir (no spk2utt)" >&2; exit 1; }
[ -z "$feat_config" ] || [ -f "$feat_config" ] || { echo "$0: --feat-config: no such file '$feat_config'" >&2; exit 1; }
nspk=$(wc -l < "$data/spk2utt")
n=$(( nj < nspk ? nj : nspk ))
"$here/split_data.sh" "$data" "$n"
mkdir -p "$logdir" "$featdir"
# shellcheck disable=SC2086  # CMD is a command line: the runner and its options
$cmd JOB=1:"$n" "$logdir/featurize.$name.JOB.log" \
  awe featurize ${feat_config:+--config "$feat_config"} "$data/split$n/JOB" \
    "ark,scp:$featdir/$name.JOB.ark,$featdir/$name.JOB.scp"
tmp=$(mktemp "$featdir/.$name.scp.XXXXXX"); trap 'rm -f "$tmp"' EXIT
for job in $(seq "$n"); do cat "$featdir/$name.$job.scp"; done | LC_ALL=C sort > "$tmp"
mv "$tmp" "$featdir/$name.scp"
