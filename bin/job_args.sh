# shellcheck shell=bash
# job_args.sh: the arguments every job runner shares, [JOB=1:N] LOG_FILE COMMAND...
# Sourced by run_local.sh and run_slurm.sh after their own options, with "$@" holding
# the rest.  Sets var (JOB, or empty without a range), first, last, log and command;
# exits 2 on bad usage.  job_log N prints job N's log file name.
#
# COMMAND: a single argument is a bash command line as it is ("a | b > c"); several
# arguments are joined, each quoted unless it is plain (letters, digits, _./:=,+@%-)
# or a shell operator given as its own argument (\| \> 2\>\&1 \&\& \;), so an argument
# with spaces or quotes reaches the job literally.

first=1; last=1; var=
if [[ "${1:-}" =~ ^([A-Za-z_]+)=([0-9]+):([0-9]+)$ ]]; then
  var=${BASH_REMATCH[1]}; first=${BASH_REMATCH[2]}; last=${BASH_REMATCH[3]}; shift
fi
[ $# -ge 2 ] || { usage >&2; exit 2; }
log=$1; shift
[ "$last" -ge "$first" ] || { echo "$0: empty job range $first:$last" >&2; exit 2; }
if [ "$last" -gt "$first" ] && [[ "$log" != *"$var"* ]]; then
  echo "$0: $((last - first + 1)) jobs but the log file name '$log' has no $var: one log per job" >&2
  exit 2
fi
if [ $# -eq 1 ]; then command=$1; else
  command=
  for arg in "$@"; do
    if [[ "$arg" =~ ^[A-Za-z0-9_./:=,+@%-]+$ || "$arg" =~ ^[0-9]*[\|\&\;\<\>][\|\&\;\<\>0-9]*$ ]]; then
      command+="$arg "
    else
      command+="'${arg//\'/\'\\\'\'}' "
    fi
  done
  command=${command% }
fi

job_log() { if [ -n "$var" ]; then echo "${log//$var/$1}"; else echo "$log"; fi; }
