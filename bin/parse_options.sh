#!/usr/bin/env bash
# parse_options.sh: Kaldi-style option parsing for recipes.
#
# Usage (sourced, after declaring defaults):
#   stage=0; nj=2
#   . bin/parse_options.sh || exit 1
#
# Every variable declared before sourcing can be set as --name value or --name=value
# (dashes in the option are underscores in the variable: --stop-stage 3 sets stop_stage=3).
# A variable whose default is true or false only takes true or false.  --config FILE
# sources FILE (name=value lines) where it stands, so later options override it.  --help
# prints the caller's $help_message (if set) and exits 0.  An unknown option prints an
# error and returns 1.  Parsing stops at the first argument that is not an option (or
# after --); the rest stay in "$@".

_po_fail() { echo "$0: $*" >&2; }

while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help)
      if [ -n "${help_message:-}" ]; then echo -e "$help_message"; else
        awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"; fi
      exit 0 ;;
    --config|--config=*)
      if [ "$1" = --config ]; then _po_value=${2:-}; shift; else _po_value=${1#--config=}; fi
      shift
      [ -f "$_po_value" ] || { _po_fail "--config: no such file '$_po_value'"; return 1 2>/dev/null || exit 1; }
      # shellcheck disable=SC1090
      . "$_po_value" ;;
    --?*)
      _po_name=${1#--}; _po_name=${_po_name%%=*}; _po_name=${_po_name//-/_}
      if [[ ! "$_po_name" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || [ -z "${!_po_name+x}" ]; then
        _po_fail "unknown option --${_po_name//_/-}"; return 1 2>/dev/null || exit 1
      fi
      if [[ "$1" == *=* ]]; then _po_value=${1#*=}; shift
      elif [ $# -ge 2 ]; then _po_value=$2; shift 2
      else _po_fail "option $1 needs a value"; return 1 2>/dev/null || exit 1
      fi
      case "${!_po_name}" in
        true|false) case "$_po_value" in true|false) ;; *)
          _po_fail "option --${_po_name//_/-} takes true or false, not '$_po_value'"
          return 1 2>/dev/null || exit 1 ;; esac ;;
      esac
      printf -v "$_po_name" '%s' "$_po_value" ;;
    --) shift; break ;;
    *) break ;;
  esac
done
unset -v _po_name _po_value
unset -f _po_fail
true
