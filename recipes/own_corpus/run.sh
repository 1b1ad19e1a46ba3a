#!/usr/bin/env bash
# Template recipe: phonetic AWEs on your own corpus.
#
# Bring, for a training set and a test set, a Kaldi data dir (wav.scp, utt2spk, optional
# segments and text) and a word alignment: a CTM (<utt> <chan> <start> <dur> <word>), a
# directory of Montreal Forced Aligner TextGrids (tier "words"), or
# <utt> <start> <end> <word> lines.  For LibriSpeech, Buckeye or GlobalPhone: prepare the
# data dir with Kaldi's or lhotse's recipe, align with MFA, point --train-align/--test-align
# at the TextGrid directories.  English transcripts without word times: give
# "pocketsphinx" as the alignment, and stage 0 aligns the data dir's text with PocketSphinx
# (local/pocketsphinx_ctm.py; pip install 'awetools[align]').
#
# Fine-tuning (Kamper's multilingual recipes): --init MODEL_DIR (e.g. the built-in corpus's
# ../default/exp/small/phonetic_multilingual) also evaluates that model as it is and
# fine-tuned on your training words, beside the model trained from scratch;
# --train-minutes M keeps a random M minutes of training words (e.g. 10 or 60) to see how
# far a small labelled corpus goes.
#
# Usage: ./run.sh --train-data DIR --train-align F_OR_DIR --test-data DIR --test-align F_OR_DIR
#                 [--init MODEL_DIR] [--train-minutes M] [--finetune-lr LR]
#                 [--segment-conf FILE] [--stage N] [--stop-stage M] [--nj N] [--cmd CMD]
#                 [--redo true]
set -euo pipefail
cd "$(dirname "$0")"
. bin/path.sh
. conf/cmd.sh

stage=0
stop_stage=100
nj=4
train_data=
train_align=
test_data=
test_align=
exp=exp
data=data
redo=false
seed=0
init=
train_minutes=
finetune_lr=0.0002
segment_conf=conf/segment.conf
help_message="$(sed -n '2,23p' "$(basename "$0")" | sed 's/^# \{0,1\}//')"
. bin/parse_options.sh
. bin/stages.sh
require_cmd "$cmd"
for v in train_data train_align test_data test_align; do
  [ -n "${!v}" ] || { echo "$0: --${v//_/-} is required (see --help)" >&2; exit 2; }
done
for d in "$train_data" "$test_data"; do
  [ -d "$d" ] || { echo "$0: no such data dir '$d'" >&2; exit 1; }
  [ -f "$d/utt2spk" ] || { echo "$0: '$d' has no utt2spk (every utterance needs a speaker)" >&2; exit 1; }
done
[ -z "$init" ] || [ -f "$init/config.json" ] || { echo "$0: --init '$init' is not a model dir (no config.json)" >&2; exit 1; }
models=phonetic
[ -n "$init" ] && models="phonetic phonetic_init phonetic_finetuned"

# "pocketsphinx": the CTM that stage 0 writes
force_align() {
  local set=$1 dir=$2
  mkdir -p "$data"
  local/pocketsphinx_ctm.py "$dir" "$data/${set}_pocketsphinx.ctm"
}
aligned_sets=()
[ "$train_align" = pocketsphinx ] && { aligned_sets+=("train $train_data"); train_align=$data/train_pocketsphinx.ctm; }
[ "$test_align" = pocketsphinx ] && { aligned_sets+=("test $test_data"); test_align=$data/test_pocketsphinx.ctm; }
force_align_all() { local s; for s in "${aligned_sets[@]}"; do force_align $s; done; }
if [ ${#aligned_sets[@]} -gt 0 ]; then run_stage 0 force-align force_align_all; fi

# alignment_option PATH: --textgrid for a directory, --ctm for *.ctm, else --alignment.
alignment_option() {
  if [ -d "$1" ]; then echo --textgrid; elif [[ "$1" == *.ctm ]]; then echo --ctm; else echo --alignment; fi
}

segment_all() {
  awe segment --config "$segment_conf" --overwrite "$(alignment_option "$train_align")" "$train_align" \
    "$train_data" "$data/train_all_words"
  awe segment --config "$segment_conf" --overwrite "$(alignment_option "$test_align")" "$test_align" \
    "$test_data" "$data/test_words"
  # hold out 10% of the training speakers for validation (best epoch, early stopping)
  local nspk ndev
  nspk=$(wc -l < "$data/train_all_words/spk2utt"); ndev=$(( nspk / 10 > 0 ? nspk / 10 : 1 ))
  [ "$nspk" -ge 2 ] || { echo "training set needs >= 2 speakers" >&2; return 1; }
  tail -n "$ndev" "$data/train_all_words/spk2utt" | awk '{ for (i = 2; i <= NF; i++) print $i }' |
    bin/subset_data.sh "$data/train_all_words" - "$data/dev_words"
  head -n $(( nspk - ndev )) "$data/train_all_words/spk2utt" | awk '{ for (i = 2; i <= NF; i++) print $i }' |
    bin/subset_data.sh "$data/train_all_words" - "$data/train_words"
  if [ -n "$train_minutes" ]; then  # a random M minutes of the training words
    awk 'NR == FNR { keep[$1]; next } $1 in keep { print $1, $4 - $3 }' "$data/train_words/utt2spk" \
        "$data/train_all_words/segments" |
      awk -v seed="$seed" 'BEGIN { srand(seed) } { print rand(), $0 }' | sort -k1,1g |
      awk -v budget="$(awk -v m="$train_minutes" 'BEGIN { print m * 60 }')" \
        'total < budget { total += $3; print $2 } END { printf "%.1f min of training words\n", total / 60 > "/dev/stderr" }' |
      sort | bin/subset_data.sh "$data/train_words" - "$data/train_words_subset"
    rm -rf "$data/train_words"; mv "$data/train_words_subset" "$data/train_words"
  fi
}
run_stage 1 segment segment_all

featurize_all() {
  for set in train dev test; do
    bin/make_feats.sh --cmd "$cmd" --nj "$nj" --feat-config conf/mfcc.conf \
      "$data/${set}_words" "$exp/log" "$exp/feats" "$set"
  done
}
run_stage 2 featurize featurize_all

train_all() {
  awe train-phonetic --config conf/train.conf --seed "$seed" --overwrite \
    --train "$data/train_words=scp:$exp/feats/train.scp" \
    --valid "$data/dev_words=scp:$exp/feats/dev.scp" "$exp/phonetic"
  [ -n "$init" ] || return 0
  awe train-phonetic --config conf/train.conf --init "$init" --lr "$finetune_lr" --seed "$seed" \
    --overwrite --train "$data/train_words=scp:$exp/feats/train.scp" \
    --valid "$data/dev_words=scp:$exp/feats/dev.scp" "$exp/phonetic_finetuned"
}
run_stage 3 train train_all

embed_all() {
  mkdir -p "$exp/embed"
  for model in $models; do
    local dir=$exp/$model
    [ "$model" = phonetic_init ] && dir=$init  # the model as it is, before fine-tuning
    awe embed --nj "$nj" "$dir" "scp:$exp/feats/test.scp" "h5:$exp/embed/test_$model.h5"
  done
  awe embed --downsample 10 "scp:$exp/feats/test.scp" "h5:$exp/embed/test_downsample.h5"
}
run_stage 4 embed embed_all

eval_all() {
  mkdir -p "$exp/results"
  local args=(--labels "$data/test_words/text" --utt2spk "$data/test_words/utt2spk")
  for name in $models downsample; do
    awe eval samediff "${args[@]}" --json "$exp/results/samediff_$name.json" "h5:$exp/embed/test_$name.h5"
  done
  awe eval samediff "${args[@]}" --dtw --nj "$nj" --json "$exp/results/samediff_dtw.json" "scp:$exp/feats/test.scp"
}
run_stage 5 eval eval_all

run_stage 6 report awe report --title "same-different on the test set" -c ap -c swdp_ap -c n \
  --markdown "$exp/results/table.md" --json "$exp/results/table.json" "$exp"/results/samediff_*.json
