#!/usr/bin/env bash
# Map a speech space, averaged per word, onto the text topline and onto GloVe, with and
# without a dictionary, and score each map (word translation P@k, NN and CSLS).
# Usage: local/align_to_text.sh EXP SRC LABELS TEXT_VECTORS GLOVE SEED ADVERSARIAL_CONF [MAX_VOCAB]
# Without a dictionary two ways: adversarial (MUSE) and self-learning (VecMap's start).
# Writes EXP/align_{text,glove}_{procrustes,adversarial,self-learning}/ and
# EXP/results/translate_{text,glove}_{procrustes,adversarial,self-learning}.json; the
# adversarial runs take their options from ADVERSARIAL_CONF (an awe align --config file).  MAX_VOCAB: map
# only the N most frequent speech words onto the N most frequent text words (both sides
# are frequency-sorted), as MUSE maps frequent words: a word heard once or twice has an
# average of one or two tokens' contexts, not a meaning; GloVe keeps its whole vocabulary.
set -euo pipefail
[ $# -eq 7 ] || [ $# -eq 8 ] || { echo "usage: $0 EXP SRC LABELS TEXT_VECTORS GLOVE SEED ADVERSARIAL_CONF [MAX_VOCAB]" >&2; exit 2; }
exp=$1 src=$2 labels=$3 text_vectors=$4 glove=$5 seed=$6 adversarial_conf=$7 max_vocab=${8:-}
mkdir -p "$exp/results"
for target in text glove; do
  # GloVe is 50-d, the speech space need not be: a semi-orthogonal (rectangular) map
  tgt=$text_vectors map=orthogonal vocab=()
  [ -n "$max_vocab" ] && vocab=(--src-max-vocab "$max_vocab" --tgt-max-vocab "$max_vocab")
  if [ "$target" = glove ]; then
    tgt=$glove map=semi-orthogonal
    [ -n "$max_vocab" ] && vocab=(--src-max-vocab "$max_vocab")
  fi
  awe align --method procrustes --dico identical --map "$map" --src-labels "$labels" "${vocab[@]}" \
    --seed "$seed" --overwrite "$src" "$tgt" "$exp/align_${target}_procrustes"
  awe align --config "$adversarial_conf" --map "$map" --src-labels "$labels" "${vocab[@]}" \
    --seed "$seed" --overwrite "$src" "$tgt" "$exp/align_${target}_adversarial"
  awe align --method self-learning --restarts 2 --map "$map" --src-labels "$labels" "${vocab[@]}" \
    --seed "$seed" --overwrite "$src" "$tgt" "$exp/align_${target}_self-learning"
  for method in procrustes adversarial self-learning; do
    echo -n "translate $target $method: "
    awe eval translate --dico identical --json "$exp/results/translate_${target}_$method.json" \
      "$exp/align_${target}_$method/mapped.txt" "$tgt"
  done
done
