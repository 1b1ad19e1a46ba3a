#!/usr/bin/env bash
# stages.sh: numbered, resumable recipe stages (sourced by recipes/*/run.sh).
#
# Usage (in a recipe, after parse_options.sh has set stage, stop_stage and exp):
#   . bin/stages.sh
#   run_stage 2 featurize bash -c 'awe featurize ...'
#
# run_stage N NAME COMMAND...
#   Runs COMMAND when stage <= N <= stop_stage, with its output both on the terminal and
#   in $exp/log/stageN.NAME.log.  On success it writes the marker $exp/.done/N.NAME; a
#   stage whose marker exists is skipped *with a message* (pass --redo true to run it
#   again, which says what it overwrites).  COMMAND runs with errexit, so any failing
#   command inside a stage function fails the stage, which stops the recipe with the
#   stage name and the log path (exit 1).  Ctrl-C marks nothing done.
#
# Example: run_stage 1 segment awe segment --ctm data/x/words.ctm data/x data/x_words

if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0; fi

: "${stage:=0}" "${stop_stage:=100}" "${exp:=exp}" "${redo:=false}"
stage_times=()

run_stage() {
  local n=$1 name=$2; shift 2
  local marker=$exp/.done/$n.$name log=$exp/log/stage$n.$name.log
  if [ "$n" -lt "$stage" ] || [ "$n" -gt "$stop_stage" ]; then return 0; fi
  if [ -f "$marker" ] && [ "$redo" != true ]; then
    echo "== stage $n ($name): done at $(cat "$marker"); skipping (--redo true to run it again)" >&2
    return 0
  fi
  [ -f "$marker" ] && echo "== stage $n ($name): running again (--redo true), overwriting its outputs" >&2
  mkdir -p "$exp/log" "$exp/.done"
  rm -f "$marker"
  echo "== stage $n ($name): started $(date '+%F %T'); log: $log" >&2
  local start status
  start=$(date +%s)
  set +e
  # errexit inside the stage: a failing command in a stage function fails the stage
  { echo "# $*"; ( set -e; "$@" ); } 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  set -e
  if [ "$status" -ne 0 ]; then
    echo "== stage $n ($name) FAILED (exit $status); see $log" >&2
    exit 1
  fi
  local seconds=$(( $(date +%s) - start ))
  stage_times+=("$n $name $seconds")
  printf '%s %ss\n' "$(date '+%F %T')" "$seconds" > "$marker"
  echo "$n $name $seconds" >> "$exp/stage_times.txt"
  echo "== stage $n ($name): done in ${seconds}s" >&2
}

# require_cmd CMD: fail early when a tool (e.g. the cmd runner) does not exist.
require_cmd() {
  command -v "${1%% *}" >/dev/null 2>&1 || [ -x "${1%% *}" ] || {
    echo "$0: command '${1%% *}' not found (check cmd= in conf/cmd.sh or --cmd)" >&2; exit 1; }
}
