#!/usr/bin/env bash
# FSDD recipe: phonetic AWEs on real English spoken digits (issue 5 experiment 1).
# 4 speakers train (repetitions 40-49 held out for validation), 2 unseen speakers test.
# Prints a table of same-different AP and SWDP-AP on the test speakers for the
# contrastive, triplet and CAE models, the downsampling baseline and DTW.
#
# Usage: ./run.sh [--stage N] [--stop-stage M] [--nj N] [--fsdd DIR] [--cmd CMD] [--redo true]
set -euo pipefail
cd "$(dirname "$0")"
. bin/path.sh
. conf/cmd.sh

stage=0
stop_stage=100
nj=2
fsdd=$AWE_SHARED_DATA/fsdd/recordings
exp=exp
data=data
redo=false
objectives="contrastive triplet cae"
seed=0
help_message="$(sed -n '2,8p' "$(basename "$0")" | sed 's/^# \{0,1\}//')"
. bin/parse_options.sh
. bin/stages.sh
require_cmd "$cmd"

run_stage 0 prepare local/prepare.sh "$fsdd" "$data"

segment_all() {
  awe segment --overwrite --ctm "$data/train/words.ctm" "$data/train" "$data/train_all_words"
  awe segment --overwrite --ctm "$data/test/words.ctm" "$data/test" "$data/test_words"
  awk '$1 !~ /-4[0-9]-[0-9]+$/' "$data/train_all_words/utt2spk" |
    bin/subset_data.sh "$data/train_all_words" - "$data/train_words"
  awk '$1 ~ /-4[0-9]-[0-9]+$/' "$data/train_all_words/utt2spk" |
    bin/subset_data.sh "$data/train_all_words" - "$data/dev_words"
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
  for objective in $objectives; do
    awe train-phonetic --config conf/train.conf --objective "$objective" --seed "$seed" \
      --train "$data/train_words=scp:$exp/feats/train.scp" \
      --valid "$data/dev_words=scp:$exp/feats/dev.scp" \
      --overwrite "$exp/phonetic_$objective"
  done
}
run_stage 3 train train_all

embed_all() {
  mkdir -p "$exp/embed"
  for objective in $objectives; do
    awe embed "$exp/phonetic_$objective" "scp:$exp/feats/test.scp" "h5:$exp/embed/test_$objective.h5"
  done
  awe embed --downsample 10 "scp:$exp/feats/test.scp" "h5:$exp/embed/test_downsample.h5"
}
run_stage 4 embed embed_all

eval_all() {
  mkdir -p "$exp/results"
  local args=(--labels "$data/test_words/text" --utt2spk "$data/test_words/utt2spk")
  for name in $objectives downsample; do
    echo -n "$name: "
    awe eval samediff "${args[@]}" --json "$exp/results/samediff_$name.json" "h5:$exp/embed/test_$name.h5"
  done
  echo -n "dtw: "
  awe eval samediff "${args[@]}" --dtw --nj "$nj" --json "$exp/results/samediff_dtw.json" "scp:$exp/feats/test.scp"
}
run_stage 5 eval eval_all

run_stage 6 report awe report --title "FSDD: held-out speakers, same-different" -c ap -c swdp_ap -c n \
  --markdown "$exp/results/table.md" --json "$exp/results/table.json" "$exp"/results/samediff_*.json
