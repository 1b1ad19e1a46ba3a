#!/usr/bin/env bash
# Map a speech space, averaged per word, onto the text topline and onto GloVe, with and
# without a dictionary, and score each map (word translation P@k, NN and CSLS).
# Usage: local/align_to_text.sh EXP SRC LABELS TEXT_VECTORS GLOVE SEED ADVERSARIAL_CONF
# Writes EXP/align_{text,glove}_{procrustes,adversarial}/ and
# EXP/results/translate_{text,glove}_{procrustes,adversarial}.json; the adversarial runs
# take their options from ADVERSARIAL_CONF (an awe align --config file).
set -euo pipefail
[ $# -eq 7 ] || { echo "usage: $0 EXP SRC LABELS TEXT_VECTORS GLOVE SEED ADVERSARIAL_CONF" >&2; exit 2; }
exp=$1 src=$2 labels=$3 text_vectors=$4 glove=$5 seed=$6 adversarial_conf=$7
mkdir -p "$exp/results"
for target in text glove; do
  # GloVe is 50-d, the speech space need not be: a semi-orthogonal (rectangular) map
  tgt=$text_vectors map=orthogonal
  [ "$target" = glove ] && tgt=$glove map=semi-orthogonal
  awe align --method procrustes --dico identical --map "$map" --src-labels "$labels" \
    --seed "$seed" --overwrite "$src" "$tgt" "$exp/align_${target}_procrustes"
  awe align --config "$adversarial_conf" --map "$map" --src-labels "$labels" \
    --seed "$seed" --overwrite "$src" "$tgt" "$exp/align_${target}_adversarial"
  for method in procrustes adversarial; do
    echo -n "translate $target $method: "
    awe eval translate --dico identical --json "$exp/results/translate_${target}_$method.json" \
      "$exp/align_${target}_$method/mapped.txt" "$tgt"
  done
done
