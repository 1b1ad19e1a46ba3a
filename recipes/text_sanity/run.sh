#!/usr/bin/env bash
# Text-to-text sanity check of awe align (issue 7): two PPMI-SVD spaces trained on disjoint
# halves of ../shared/data/text/en must align without a dictionary almost as well as with
# one; then text (PPMI-SVD on all the text, 50-d) against GloVe 6B 50-d. Prints a table
# of P@1/P@10 (NN and CSLS) on held-out identical-word pairs and the unsupervised criterion.
#
# Usage: ./run.sh [--stage N] [--stop-stage M] [--text DIR] [--glove FILE] [--restarts N] [--cmd CMD] [--redo true]
set -euo pipefail
cd "$(dirname "$0")"
. bin/path.sh
. conf/cmd.sh

stage=0
stop_stage=100
text=$AWE_SHARED_DATA/text/en
glove=$AWE_SHARED_DATA/glove/glove.6B.50d.top50k.txt
exp=exp
dim=50           # dimension of the two half-corpus spaces (text vs GloVe is always 50-d)
vocab=5000       # most frequent words of each side used for alignment and retrieval
glove_vocab=20000
restarts=2
seed=0
redo=false
help_message="$(sed -n '2,7p' "$(basename "$0")" | sed 's/^# \{0,1\}//')"
. bin/parse_options.sh
. bin/stages.sh
require_cmd "$cmd"

spaces=$exp/spaces
train_spaces() {
  local/ppmi_svd.py --dim "$dim" "$text" "$spaces"
  [ "$dim" = 50 ] || local/ppmi_svd.py --dim 50 --parts all "$text" "$spaces"
}
run_stage 0 spaces train_spaces

make_dicts() {
  # identical words within the aligned vocabularies, split 4:1 into train/test
  local/make_dicts.sh "$vocab" "$vocab" "$spaces/half_a.$dim.txt" "$spaces/half_b.$dim.txt" "$exp/dico_halves"
  local/make_dicts.sh "$vocab" "$glove_vocab" "$spaces/all.50.txt" "$glove" "$exp/dico_glove"
}
run_stage 1 dicts make_dicts

# name src tgt src_vocab tgt_vocab dico_prefix
pairs=("halves $spaces/half_a.$dim.txt $spaces/half_b.$dim.txt $vocab $vocab $exp/dico_halves"
       "glove $spaces/all.50.txt $glove $vocab $glove_vocab $exp/dico_glove")

align_all() {  # one job per pair of spaces, through $cmd (conf/cmd.sh)
  printf '%s\n' "${pairs[@]}" > "$exp/pairs.txt"
  $cmd JOB=1:${#pairs[@]} "$exp/log/align.JOB.log" \
    local/align_pair.sh "$exp/pairs.txt" JOB "$seed" "$restarts" "$exp/align"
}
run_stage 2 align align_all

eval_all() {
  local name src tgt sv tv dico method
  mkdir -p "$exp/results"
  for p in "${pairs[@]}"; do
    read -r name src tgt sv tv dico <<< "$p"
    for method in identity procrustes procrustes_refined adversarial; do
      local map=(--map "$exp/align/${name}_$method")
      if [ "$method" = identity ]; then
        [ "$name" = halves ] || continue   # PPMI-SVD and GloVe share no coordinates
        map=(--normalize renorm,center,renorm)
      fi
      echo -n "${name}_$method: "
      awe eval translate "${map[@]}" --dico "$dico.test" --src-max-vocab "$sv" --tgt-max-vocab "$tv" \
        --json "$exp/results/${name}_$method.json" "$src" "$tgt"
    done
  done
}
run_stage 3 eval eval_all

run_stage 4 report awe report --title "Text-to-text sanity check: P@k on held-out identical pairs" \
  -c "nn.p@1" -c "csls.p@1" -c "nn.p@10" -c "csls.p@10" -c map.criterion -c n_queries -c coverage \
  --markdown "$exp/results/table.md" --json "$exp/results/table.json" \
  "$exp"/results/halves_*.json "$exp"/results/glove_*.json
