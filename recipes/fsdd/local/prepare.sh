#!/usr/bin/env bash
# Build Kaldi data dirs for FSDD: train (4 speakers), test (2 held-out speakers).
# Usage: local/prepare.sh FSDD_RECORDINGS_DIR DATA_DIR
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 FSDD_RECORDINGS_DIR DATA_DIR" >&2; exit 2; }
[ -d "$1" ] || { echo "$0: no such FSDD directory '$1' (set --fsdd)" >&2; exit 1; }
python - "$1" "$2" <<'PY'
import sys
from awetools.corpus.fsdd import prepare_fsdd
src, out = sys.argv[1:]
prepare_fsdd(src, f"{out}/train", speakers=["george", "jackson", "lucas", "nicolas"], overwrite=True)
prepare_fsdd(src, f"{out}/test", speakers=["theo", "yweweler"], overwrite=True)
PY
