#!/usr/bin/env bash
# run_slurm.sh: run a command as a Slurm job array and wait for it (same interface as run_local.sh).
#
# Usage: bin/run_slurm.sh [--mem M] [--time T] [--gpu G] [--cpus C] [--partition P]
#                         [--sbatch-opts "..."] [JOB=1:N] LOG_FILE COMMAND...
#   Submits one array task per job with `sbatch --array`, waits for all of them, and
#   writes each task's command, output and exit status to its own log (JOB replaced by
#   the task number, as with run_local.sh).  Exit status 1 if any task failed, naming
#   the failed tasks and their logs.  The generated batch script is kept beside the
#   logs in q/.
#
# Example (in a recipe: cmd="bin/run_slurm.sh --mem 4G --time 1:00:00"):
#   $cmd JOB=1:8 exp/log/embed.JOB.log awe embed exp/model scp:split8/feats.JOB.scp ark:emb.JOB.ark
set -uo pipefail
usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }
opts=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --mem) opts+=("--mem=$2"); shift 2 ;;
    --time) opts+=("--time=$2"); shift 2 ;;
    --gpu) [ "$2" -gt 0 ] && opts+=("--gres=gpu:$2"); shift 2 ;;
    --cpus|--num-threads) opts+=("--cpus-per-task=$2"); shift 2 ;;
    --partition) opts+=("--partition=$2"); shift 2 ;;
    --max-jobs-run) max_run=$2; shift 2 ;;
    --sbatch-opts) read -r -a extra <<< "$2"; opts+=("${extra[@]}"); shift 2 ;;
    --*) echo "$0: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
command -v sbatch >/dev/null || { echo "$0: sbatch not found (is Slurm installed here?)" >&2; exit 1; }
first=1; last=1; var=JOB
if [[ "${1:-}" =~ ^([A-Za-z_]+)=([0-9]+):([0-9]+)$ ]]; then
  var=${BASH_REMATCH[1]}; first=${BASH_REMATCH[2]}; last=${BASH_REMATCH[3]}; shift
fi
[ $# -ge 2 ] || { usage >&2; exit 2; }
log=$1; shift
command="$*"
logdir=$(dirname "$log"); mkdir -p "$logdir/q"
name=$(basename "${log//$var/}" .log); name=${name%.}
script=$logdir/q/$name.sh
array="$first-$last${max_run:+%$max_run}"
# One generated script; the task substitutes its own number for $var.
cat > "$script" <<SCRIPT
#!/usr/bin/env bash
#SBATCH --job-name=$name
#SBATCH --output=/dev/null
#SBATCH --array=$array
cd "$PWD"
job=\$SLURM_ARRAY_TASK_ID
cmd=$(printf '%q' "$command"); cmd=\${cmd//$var/\$job}
job_log=$(printf '%q' "$log"); job_log=\${job_log//$var/\$job}
mkdir -p "\$(dirname "\$job_log")"
{
  echo "# \$cmd"
  echo "# Started at \$(date) on \$(hostname) (slurm job \$SLURM_ARRAY_JOB_ID task \$job)"
  start=\$(date +%s)
  bash -c "\$cmd"
  status=\$?
  echo "# Accounting: time=\$(( \$(date +%s) - start ))"
  echo "# Ended (code \$status) at \$(date)"
} > "\$job_log" 2>&1
echo \$status > "$logdir/q/$name.\$job.status"
exit \$status
SCRIPT
rm -f "$logdir/q/$name".*.status
if ! sbatch --parsable --wait "${opts[@]}" "$script" > "$logdir/q/$name.jobid" 2> "$logdir/q/$name.sbatch.log"; then
  if [ ! -s "$logdir/q/$name.jobid" ]; then
    echo "$0: sbatch failed; see $logdir/q/$name.sbatch.log" >&2; exit 1
  fi
fi
failed=0
for job in $(seq "$first" "$last"); do
  status_file=$logdir/q/$name.$job.status
  job_log=${log//$var/$job}
  if [ ! -f "$status_file" ]; then
    echo "$0: task $job did not finish (killed or never ran); see $job_log" >&2; failed=$((failed + 1))
  elif [ "$(cat "$status_file")" != 0 ]; then
    echo "$0: task $job failed with status $(cat "$status_file"); see $job_log" >&2; failed=$((failed + 1))
  fi
done
if [ "$failed" -gt 0 ]; then
  echo "$0: $failed of $((last - first + 1)) tasks failed (slurm job $(cat "$logdir/q/$name.jobid"))" >&2
  exit 1
fi
