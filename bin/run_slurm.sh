#!/usr/bin/env bash
# run_slurm.sh: run a command as a Slurm job array and wait for it (same interface as run_local.sh).
#
# Usage: bin/run_slurm.sh [--mem M] [--time T] [--gpu G] [--cpus C] [--partition P]
#                         [--max-jobs-run M] [--sbatch-opts "..."] [JOB=1:N] LOG_FILE COMMAND...
#   Submits one array task per job with `sbatch --array`, waits for all of them, and
#   writes each task's command, output and exit code to its own log (JOB replaced by
#   the task number; COMMAND as with run_local.sh).  Exit status 1 if any task failed,
#   naming each failed task and its log.  The generated batch script, Slurm's own
#   output of each task and sbatch's messages are kept beside the logs in q/.
#   Ctrl-C (or SIGTERM) cancels the job array.
#
# Example (in a recipe: cmd="bin/run_slurm.sh --mem 4G --time 1:00:00"):
#   $cmd JOB=1:8 exp/log/embed.JOB.log awe embed exp/model scp:split8/feats.JOB.scp ark:emb.JOB.ark
set -uo pipefail
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }
opts=()
max_run=
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --*=*) set -- "${1%%=*}" "${1#*=}" "${@:2}"; continue ;;
    --mem|--time|--gpu|--cpus|--num-threads|--partition|--max-jobs-run|--sbatch-opts)
      [ $# -ge 2 ] || { echo "$0: option $1 needs a value" >&2; exit 2; } ;;&
    --mem) opts+=("--mem=$2") ;;
    --time) opts+=("--time=$2") ;;
    --gpu) [ "$2" = 0 ] || opts+=("--gres=gpu:$2") ;;
    --cpus|--num-threads) opts+=("--cpus-per-task=$2") ;;
    --partition) opts+=("--partition=$2") ;;
    --max-jobs-run) max_run=$2 ;;
    --sbatch-opts) read -r -a extra <<< "$2"; opts+=(${extra[@]+"${extra[@]}"}) ;;
    --*) echo "$0: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
  shift 2
done
# shellcheck source=bin/job_args.sh
. "$(dirname "${BASH_SOURCE[0]}")/job_args.sh"
command -v sbatch >/dev/null || { echo "$0: sbatch not found (is Slurm installed here?)" >&2; exit 1; }
qdir=$(dirname "$log")/q
mkdir -p "$qdir" || exit 1
name=$(basename "${log//${var:-JOB}/}" .log); name=${name%.}
script=$qdir/$name.sh
# One generated script; each task substitutes its own number for $var.
{
  echo "#!/usr/bin/env bash"
  echo "#SBATCH --job-name=$name"
  echo "#SBATCH --output=$qdir/$name.%a.out"
  echo "#SBATCH --array=$first-$last${max_run:+%$max_run}"
  echo "cd $(printf '%q' "$PWD") || exit 1"
  echo "job=\$SLURM_ARRAY_TASK_ID"
  echo "cmd=$(printf '%q' "$command")"
  echo "job_log=$(printf '%q' "$log")"
  [ -z "$var" ] || echo "cmd=\${cmd//$var/\$job}; job_log=\${job_log//$var/\$job}"
  echo "status_file=$(printf '%q' "$qdir/$name").\$job.status"
  cat <<'BODY'
mkdir -p "$(dirname "$job_log")" || exit 1
{
  echo "# $cmd"
  echo "# Started at $(date) on $(hostname) (slurm job ${SLURM_ARRAY_JOB_ID}_$job)"
  start=$(date +%s)
  bash -o pipefail -c "$cmd"
  status=$?
  echo "# Accounting: time=$(( $(date +%s) - start )) threads=${SLURM_CPUS_PER_TASK:-1}"
  echo "# Ended (code $status) at $(date)"
} > "$job_log" 2>&1 < /dev/null
echo "$status" > "$status_file"
exit "$status"
BODY
} > "$script"
for job in $(seq "$first" "$last"); do rm -f "$qdir/$name.$job.status"; done

# sbatch --wait prints the job id at once (line-buffered by stdbuf) and exits when every
# task has ended, with the highest exit code.  It runs in the background so that a
# signal reaches the trap below, which cancels the array.
jobid_file=$qdir/$name.jobid sbatch_log=$qdir/$name.sbatch.log
buffer=(); command -v stdbuf >/dev/null && buffer=(stdbuf -oL)
${buffer[@]+"${buffer[@]}"} sbatch --parsable --wait ${opts[@]+"${opts[@]}"} "$script" \
  > "$jobid_file" 2> "$sbatch_log" &
sbatch_pid=$!
jobid() { head -n 1 "$jobid_file" 2>/dev/null | cut -d';' -f1; }
cancel() {
  kill "$sbatch_pid" 2>/dev/null
  if [ -n "$(jobid)" ]; then scancel "$(jobid)"; echo "$0: interrupted; cancelled slurm job $(jobid)" >&2
  else echo "$0: interrupted before the job was submitted" >&2; fi
  exit 130
}
trap cancel INT TERM
wait "$sbatch_pid"; sbatch_status=$?
trap - INT TERM
if [ -z "$(jobid)" ]; then
  echo "$0: sbatch failed (exit code $sbatch_status); see $sbatch_log:" >&2
  sed 's/^/  /' "$sbatch_log" >&2
  exit 1
fi

# On a shared file system the status files may show up late: wait for them up to 60 s
# when Slurm says every task succeeded, 5 s otherwise.
grace=5; [ "$sbatch_status" -eq 0 ] && grace=60
for ((waited = 0; waited <= grace; waited++)); do
  ls "$qdir" > /dev/null  # refreshes an NFS client's view of the directory
  missing=0
  for job in $(seq "$first" "$last"); do [ -f "$qdir/$name.$job.status" ] || missing=1; done
  [ "$missing" -eq 0 ] && break
  [ "$waited" -lt "$grace" ] && sleep 1
done

failed=0
for job in $(seq "$first" "$last"); do
  status_file=$qdir/$name.$job.status
  if [ ! -f "$status_file" ]; then
    echo "$0: task $job did not finish (killed, timed out or never ran); see $(job_log "$job") and $qdir/$name.$job.out" >&2
    failed=$((failed + 1))
  elif [ "$(cat "$status_file")" != 0 ]; then
    echo "$0: task $job failed with exit code $(cat "$status_file"); see $(job_log "$job")" >&2
    failed=$((failed + 1))
  fi
done
if [ "$failed" -gt 0 ]; then
  echo "$0: $failed of $((last - first + 1)) tasks failed (slurm job $(jobid))" >&2
  exit 1
fi
