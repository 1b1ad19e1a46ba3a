#!/usr/bin/env bash
# run_local.sh: run a command as N parallel jobs on this machine (Kaldi's run.pl).
#
# Usage: bin/run_local.sh [--max-jobs-run M] [JOB=1:N] LOG_FILE COMMAND...
#   Every JOB in LOG_FILE and COMMAND is replaced by the job number.  COMMAND runs in
#   bash (quote pipes).  Each job writes its command, its output and its exit status to
#   its own log.  Exit status 1 if any job failed, naming the failed jobs and logs.
#
# Example:
#   bin/run_local.sh JOB=1:4 exp/log/featurize.JOB.log \
#     awe featurize data/train/split4/JOB ark,scp:feats/raw.JOB.ark,feats/raw.JOB.scp
set -uo pipefail
usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }
max_jobs=0
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --max-jobs-run) max_jobs=$2; shift 2 ;;
    --*) shift 2 ;;  # options of other runners (e.g. --mem, --gpu) are accepted and ignored
    *) break ;;
  esac
done
first=1; last=1; var=
if [[ "${1:-}" =~ ^([A-Za-z_]+)=([0-9]+):([0-9]+)$ ]]; then
  var=${BASH_REMATCH[1]}; first=${BASH_REMATCH[2]}; last=${BASH_REMATCH[3]}; shift
fi
[ $# -ge 2 ] || { usage >&2; exit 2; }
log=$1; shift
command="$*"
[ "$last" -ge "$first" ] || { echo "$0: empty job range $first:$last" >&2; exit 2; }
[ "$max_jobs" -gt 0 ] 2>/dev/null || max_jobs=$((last - first + 1))

run_job() {  # job number
  local job=$1 cmd=$command job_log=$log
  if [ -n "$var" ]; then cmd=${cmd//$var/$job}; job_log=${job_log//$var/$job}; fi
  mkdir -p "$(dirname "$job_log")"
  {
    echo "# $cmd"
    echo "# Started at $(date)"
    start=$(date +%s)
    bash -c "$cmd"
    status=$?
    echo "# Accounting: time=$(( $(date +%s) - start )) threads=1"
    echo "# Ended (code $status) at $(date)"
    exit $status
  } > "$job_log" 2>&1
}

declare -A pid_job=()
failed=()
collect() {
  local done_pid
  wait -n -p done_pid; local status=$?
  [ "$status" -eq 0 ] || failed+=("${pid_job[$done_pid]}")
  unset "pid_job[$done_pid]"
}
for job in $(seq "$first" "$last"); do
  while [ "${#pid_job[@]}" -ge "$max_jobs" ]; do collect; done
  run_job "$job" & pid_job[$!]=$job
done
while [ "${#pid_job[@]}" -gt 0 ]; do collect; done

if [ "${#failed[@]}" -gt 0 ]; then
  for job in $(printf '%s\n' "${failed[@]}" | sort -n); do
    job_log=$log; [ -n "$var" ] && job_log=${job_log//$var/$job}
    echo "$0: job $job failed; see $job_log" >&2
  done
  echo "$0: ${#failed[@]} of $((last - first + 1)) jobs failed" >&2
  exit 1
fi
