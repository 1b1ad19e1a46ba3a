#!/usr/bin/env bash
# parse_options.sh: Kaldi-style option parsing for recipes.
#
# Usage (sourced, after declaring defaults):
#   stage=0; nj=2
#   . bin/parse_options.sh || exit 1
#
# Every variable declared before sourcing can be set as --name value (dashes in the
# option are underscores in the variable: --stop-stage 3 sets stop_stage=3).
# --config FILE sources FILE first (name=value lines).  --help prints the caller's
# $help_message (if set) and exits 0.  An unknown option prints an error and returns 1.

if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
  if [ -n "${help_message:-}" ]; then echo -e "$help_message"; else
    sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; fi
  exit 0
fi

while true; do
  [ -z "${1:-}" ] && break
  case "$1" in
    --config)
      [ -f "${2:-}" ] || { echo "$0: --config: no such file '${2:-}'" >&2; return 1 2>/dev/null || exit 1; }
      # shellcheck disable=SC1090
      . "$2"; shift 2 ;;
    --*=*)
      name=${1%%=*}; name=${name#--}; name=${name//-/_}
      if [ -z "${!name+x}" ]; then echo "$0: unknown option --${name//_/-}" >&2; return 1 2>/dev/null || exit 1; fi
      eval "$name=\"\${1#*=}\""; shift ;;
    --*)
      name=${1#--}; name=${name//-/_}
      if [ -z "${!name+x}" ]; then echo "$0: unknown option $1" >&2; return 1 2>/dev/null || exit 1; fi
      if [ $# -lt 2 ]; then echo "$0: option $1 needs a value" >&2; return 1 2>/dev/null || exit 1; fi
      eval "$name=\"\$2\""; shift 2 ;;
    *) break ;;
  esac
done
true
