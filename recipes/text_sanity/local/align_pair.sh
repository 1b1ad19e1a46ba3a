#!/usr/bin/env bash
# Align one pair of spaces three ways: supervised Procrustes, Procrustes + refinements,
# and unsupervised (conf/adversarial.conf).
# Usage: local/align_pair.sh PAIRS_FILE N SEED RESTARTS OUT_DIR
#   Line N of PAIRS_FILE: NAME SRC TGT SRC_VOCAB TGT_VOCAB DICO_PREFIX (DICO_PREFIX.train is
#   the seed dictionary); writes OUT_DIR/NAME_{procrustes,procrustes_refined,adversarial}/.
set -euo pipefail
[ $# -eq 5 ] || { echo "usage: $0 PAIRS_FILE N SEED RESTARTS OUT_DIR" >&2; exit 2; }
pairs=$1 n=$2 seed=$3 restarts=$4 out=$5
read -r name src tgt sv tv dico < <(sed -n "${n}p" "$pairs")
[ -n "${dico:-}" ] || { echo "$0: $pairs: no line $n with 6 fields" >&2; exit 1; }
common=(--src-max-vocab "$sv" --tgt-max-vocab "$tv" --seed "$seed" --num-threads 1 --overwrite)
awe align "${common[@]}" --method procrustes --dico "$dico.train" "$src" "$tgt" "$out/${name}_procrustes"
awe align "${common[@]}" --method procrustes --dico "$dico.train" --refinements 5 \
  "$src" "$tgt" "$out/${name}_procrustes_refined"
awe align "${common[@]}" --config conf/adversarial.conf --restarts "$restarts" \
  "$src" "$tgt" "$out/${name}_adversarial"
