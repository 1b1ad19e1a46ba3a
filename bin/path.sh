# path.sh: put the toolkit on PATH: the project's bin/ helpers and, when present, its virtual
# environment (built by `make env`).  Recipes source this first (Kaldi's path.sh).
AWE_ROOT=$(cd -P "$(dirname "${BASH_SOURCE[0]}")" && cd .. && pwd)
export AWE_ROOT
[ -x "$AWE_ROOT/.venv/bin/awe" ] && PATH=$AWE_ROOT/.venv/bin:$PATH
PATH=$AWE_ROOT/bin:$PATH
export PATH
export LC_ALL=C
export MANPATH=$AWE_ROOT/man:${MANPATH:-}
export AWE_SHARED_DATA=${AWE_SHARED_DATA:-$AWE_ROOT/../shared/data}
command -v awe >/dev/null || { echo "awe not found: run 'make env' in $AWE_ROOT or activate its environment" >&2; return 1; }
