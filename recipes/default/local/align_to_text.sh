#!/usr/bin/env bash
# Map a speech space, averaged per word, onto the text topline and onto GloVe, with and
# without a dictionary, and score each map (word translation P@k, NN and CSLS).
# Usage: local/align_to_text.sh [--methods "procrustes adversarial self-learning"]
#          EXP SRC LABELS TEXT_VECTORS GLOVE SEED ADVERSARIAL_CONF [MAX_VOCAB]
# With a dictionary: procrustes; without one two ways: adversarial (MUSE) and
# self-learning (VecMap's start).  --methods runs a subset (the adversarial runs take
# 17 min per target on the semantic preset, the others 1-2 min).
# Writes EXP/align_{text,glove}_METHOD/ and EXP/results/translate_{text,glove}_METHOD.json; the
# adversarial runs take their options from ADVERSARIAL_CONF (an awe align --config file).  MAX_VOCAB: map
# only the N most frequent speech words onto the N most frequent text words (both sides
# are frequency-sorted), as MUSE maps frequent words: a word heard once or twice has an
# average of one or two tokens' contexts, not a meaning; GloVe keeps its whole vocabulary.
set -euo pipefail
methods="procrustes adversarial self-learning"
help_message=$(awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0")
. "$(dirname "${BASH_SOURCE[0]}")/../../../bin/parse_options.sh"
[ -n "${methods// /}" ] || { echo "$0: --methods: no method given (procrustes, adversarial, self-learning)" >&2; exit 2; }
for method in $methods; do
  case $method in procrustes|adversarial|self-learning) ;;
    *) echo "$0: --methods: unknown method '$method' (procrustes, adversarial, self-learning)" >&2; exit 2 ;;
  esac
done
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
  for method in $methods; do
    case $method in
      procrustes) options=(--method procrustes --dico identical) ;;
      adversarial) options=(--config "$adversarial_conf") ;;
      self-learning) options=(--method self-learning --restarts 2) ;;
    esac
    awe align "${options[@]}" --map "$map" --src-labels "$labels" "${vocab[@]}" \
      --seed "$seed" --overwrite "$src" "$tgt" "$exp/align_${target}_$method"
    echo -n "translate $target $method: "
    awe eval translate --dico identical --json "$exp/results/translate_${target}_$method.json" \
      "$exp/align_${target}_$method/mapped.txt" "$tgt"
  done
done
