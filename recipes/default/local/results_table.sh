#!/usr/bin/env bash
# Collect the evaluation JSON files of the default recipe into one results table:
# EXP/results/table.md (markdown, one section per task) and EXP/results/table.json
# ({section: {run: {metric: value}}}).
# Usage: local/results_table.sh EXP_DIR
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 EXP_DIR" >&2; exit 2; }
r=$1/results
mkdir -p "$r/sections"
section() {  # section NAME TITLE -c COLUMN ... -- FILES...
  local name=$1 title=$2; shift 2
  local columns=()
  while [ "$1" != -- ]; do columns+=("$1"); shift; done; shift
  awe report --title "$title" "${columns[@]}" --json "$r/sections/$name.json" "$@"
  echo
}
sets='EN-SIMLEX-999 EN-WS-353-ALL EN-MEN-TR-3k'
wordsim_columns=(-c reference.rho_avg -c reference.rho_single)
for s in $sets; do wordsim_columns+=(-c "sets.$s.rho_avg" -c "sets.$s.coverage"); done
{
  section phonetic "Phonetic: same-different AP on English test speakers (multilingual: no English in training; english: topline trained on English; downsample, dtw: baselines; n: tokens scored)" \
    -c ap -c swdp_ap -c n -- "$r"/samediff_*.json
  section real_speech "Real speech: same-different AP on FSDD's 2 held-out speakers (1,000 tokens of English digits, real microphones; no model heard real speech, multilingual heard no English)" \
    -c ap -c swdp_ap -c n -- "$r"/fsdd_*.json
  section wordsim "Semantic: Spearman rho vs the text topline (type-averaged, single-sample) and on similarity sets (type-averaged, with coverage); rho vs edit distance = phonetic leakage" \
    "${wordsim_columns[@]}" -c edit.rho_avg -- "$r"/wordsim_*.json
  section qbe "Semantic query-by-example (relevance: the 10 corpus words nearest the query word in GloVe 6B)" \
    -c semantic.p_at_10 -c semantic.spearman -c exact.p_at_10 -- "$r"/qbe_*.json
  section translate "Speech -> text alignment: word translation P@k, nearest neighbour and CSLS" \
    -c 'nn.p@1' -c 'nn.p@10' -c 'csls.p@1' -c 'csls.p@10' -c coverage -- "$r"/translate_*.json
} > "$r/table.md.tmp"
python3 -c '
import json, pathlib, sys
sections = pathlib.Path(sys.argv[1])
table = {p.stem: json.loads(p.read_text()) for p in sorted(sections.glob("*.json"))}
pathlib.Path(sys.argv[2]).write_text(json.dumps(table, indent=1) + "\n")
' "$r/sections" "$r/table.json.tmp"
mv "$r/table.json.tmp" "$r/table.json"
mv "$r/table.md.tmp" "$r/table.md"
cat "$r/table.md"
