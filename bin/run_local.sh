#!/usr/bin/env bash
# run_local.sh: run a command as N parallel jobs on this machine (Kaldi's run.pl).
#
# Usage: bin/run_local.sh [--max-jobs-run M] [JOB=1:N] LOG_FILE COMMAND...
#   Every JOB in LOG_FILE and COMMAND is replaced by the job number; at most M jobs run
#   at once (default: all).  COMMAND runs in bash with pipefail: a single argument is a
#   bash command line ("a | b > c"); several arguments are passed literally, except
#   shell operators given as their own argument (\| \> 2\>\&1 \&\& \;).
#   Each job writes its command, its output and its exit code to its own log.  Exit
#   status 1 if any job failed, naming each failed job and its log.  Options of other
#   runners (--mem 4G, --time T, --gpu G, ...) are accepted and ignored.  Ctrl-C or
#   SIGTERM kills the running jobs and exits 130.
#
# Example:
#   bin/run_local.sh JOB=1:4 exp/log/featurize.JOB.log \
#     awe featurize data/train/split4/JOB ark,scp:feats/raw.JOB.ark,feats/raw.JOB.scp
set -uo pipefail
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }
max_jobs=0
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --max-jobs-run) max_jobs=${2:-}; shift 2 || shift ;;
    --max-jobs-run=*) max_jobs=${1#*=}; shift ;;
    --*=*) shift ;;
    --*) shift 2 || shift ;;  # options meant for other runners (--mem, --gpu, ...)
    *) break ;;
  esac
done
case "$max_jobs" in ''|*[!0-9]*) echo "$0: --max-jobs-run must be a number, got '$max_jobs'" >&2; exit 2 ;; esac
# shellcheck source=bin/job_args.sh
. "$(dirname "${BASH_SOURCE[0]}")/job_args.sh"
[ "$max_jobs" -gt 0 ] || max_jobs=$((last - first + 1))
statusdir=$(mktemp -d) || exit 1; trap 'rm -rf "$statusdir"' EXIT

run_job() {  # job number: runs in a subshell, leaves its exit code in $statusdir/JOB
  local job=$1 cmd=$command out start status
  out=$(job_log "$job")
  [ -n "$var" ] && cmd=${cmd//$var/$job}
  mkdir -p "$(dirname "$out")" || return
  {
    echo "# $cmd"
    echo "# Started at $(date) on $(hostname)"
    start=$(date +%s)
    bash -o pipefail -c "$cmd"
    status=$?
    echo "# Accounting: time=$(( $(date +%s) - start )) threads=1"
    echo "# Ended (code $status) at $(date)"
    echo "$status" > "$statusdir/$job"
  } > "$out" 2>&1 < /dev/null
}

# Each job in its own process group (job control on), so that an interrupt can end
# whole jobs: background jobs ignore SIGINT, and Ctrl-C reaches only this script.
set -m
interrupted() {
  trap '' INT TERM
  exec 3>&2 2>/dev/null  # no job-control notices
  for pid in $(jobs -p); do kill -TERM -- "-$pid"; done
  wait
  echo "$0: interrupted; the running jobs were killed" >&3
  exit 130
}
trap interrupted INT TERM
for job in $(seq "$first" "$last"); do
  # wait -n (bash >= 4.3) returns when any job ends; older bash polls
  while [ "$(jobs -pr | wc -l)" -ge "$max_jobs" ]; do wait -n 2>/dev/null || sleep 0.1; done
  run_job "$job" &
done
# A suspended job (SIGSTOP: Ctrl-Z, Slurm's scontrol suspend) makes a plain wait return
# early under job control: wait until no job is left, running or stopped.
while [ -n "$(jobs -p)" ]; do wait -n 2>/dev/null; sleep 0.1; done
trap - INT TERM

failed=0
for job in $(seq "$first" "$last"); do
  status=$(cat "$statusdir/$job" 2>/dev/null || echo "none (killed, or its log could not be written)")
  if [ "$status" != 0 ]; then
    echo "$0: job $job failed with exit code $status; see $(job_log "$job")" >&2
    failed=$((failed + 1))
  fi
done
if [ "$failed" -gt 0 ]; then
  echo "$0: $failed of $((last - first + 1)) jobs failed" >&2
  exit 1
fi
