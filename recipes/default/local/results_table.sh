#!/usr/bin/env bash
# Collect the evaluation JSON files of the default recipe into one table (markdown + JSON).
# Usage: local/results_table.sh EXP_DIR
set -euo pipefail
exp=$1 r=$1/results
{
  awe report --title "Phonetic: same-different on English test speakers (no English in training)" \
    -c ap -c swdp_ap -c n "$r"/samediff_*.json
  echo
  awe report --title "Semantic: word similarity on English running speech (rho x 100 in JSON as given)" \
    -c 'averaged.*rho' -c 'single*.rho*' -c 'reference*' -c 'edit*' "$r"/wordsim_*.json
  echo
  awe report --title "Semantic query-by-example" -c '*p_at_10' -c '*spearman*' "$r"/qbe_*.json
  echo
  awe report --title "Speech -> text alignment (word translation)" -c 'nn.p_at_*' -c 'csls.p_at_*' -c coverage "$r"/translate_*.json
} > "$r/table.md.tmp"
mv "$r/table.md.tmp" "$r/table.md"
cat "$r/table.md"
