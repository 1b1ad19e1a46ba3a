#!/usr/bin/env bash
# Multi-task recipe: form, meaning, or both, against contrastive and triplet (issue 5).
# English isolated words of the built-in corpus (6 training, 2 validation and 2 unseen
# test speakers); the multitask model decodes the eSpeak phone sequence (form, weight
# alpha) and/or regresses GloVe 50-d vectors (meaning, weight beta).  Also scored on the
# same test tokens: downsampling, DTW, and --transfer-model (e.g. the default recipe's
# model trained on 10 other languages, never on English).  Stage 7 puts the test words
# into the GloVe space three ways (issue 7): supervised regression (the meaning head),
# supervised Procrustes and unsupervised adversarial alignment of contrastive AWEs.
# Stage 8 probes every space (and the meaning head's GloVe-space outputs) for word and
# speaker with linear classifiers.  Stage 9 trains triplet, form and form + meaning again
# on the paper's schedule (100 epochs, conf/train_paper.conf) to compare them converged.
#
# Usage: ./run.sh [--stage N] [--stop-stage M] [--nj N] [--words N] [--speakers TRAIN,DEV,TEST]
#                 [--transfer-model DIR] [--redo true]
set -euo pipefail
cd "$(dirname "$0")"
. bin/path.sh
. conf/cmd.sh

stage=0
stop_stage=100
nj=2
words=1000
speakers=6,2,2  # the tables are for 6 training speakers; awe synth alone follows its preset (16)
seed=0
exp=exp
data=data
redo=false
glove=$AWE_SHARED_DATA/glove/glove.6B.50d.top50k.txt
transfer_model=../default/exp/small/phonetic_multilingual
help_message="$(sed -n '2,15p' "$(basename "$0")" | sed 's/^# \{0,1\}//')"
. bin/parse_options.sh
. bin/stages.sh
require_cmd "$cmd"
corpus=$data/corpus

run_stage 0 synth awe synth --languages en --target-language none --num-words "$words" \
  --speakers "$speakers" --seed "$seed" --nj "$nj" --overwrite "$corpus"

segment_all() {
  for split in train dev test; do
    awe segment --overwrite --ctm "$corpus/en/$split/words.ctm" "$corpus/en/$split" "$data/${split}_words"
  done
}
run_stage 1 segment segment_all

featurize_all() {
  mkdir -p "$exp/feats"
  for split in train dev test; do
    awe featurize --config conf/mfcc.conf --nj "$nj" "$data/${split}_words" \
      "ark,scp:$exp/feats/$split.ark,$exp/feats/$split.scp"
  done
}
run_stage 2 featurize featurize_all

# name: awe train-phonetic options
models=("contrastive --objective contrastive"
        "triplet --objective triplet"
        "form --objective multitask --alpha 1 --beta 0"
        "meaning --objective multitask --alpha 0 --beta 1"
        "form_meaning --objective multitask --alpha 1 --beta 1")

# train_models CONF PREFIX MODEL...: one awe train-phonetic per "name options" spec
train_models() {
  local conf=$1 prefix=$2 model; shift 2
  for model in "$@"; do
    set -- $model
    local name=$1 targets=(); shift
    [[ "$*" == *multitask* ]] && targets=(--lexicon "$corpus/en/train/lexicon.txt" --word-vectors "$glove")
    awe train-phonetic --config "$conf" "$@" "${targets[@]}" --seed "$seed" --overwrite \
      --train "$data/train_words=scp:$exp/feats/train.scp" \
      --valid "$data/dev_words=scp:$exp/feats/dev.scp" "$exp/$prefix$name"
  done
}
run_stage 3 train train_models conf/train.conf phonetic_ "${models[@]}"

embed_all() {
  mkdir -p "$exp/embed"
  for model in "${models[@]}"; do
    local name=${model%% *}
    awe embed "$exp/phonetic_$name" "scp:$exp/feats/test.scp" "h5:$exp/embed/test_$name.h5"
  done
  if [ -d "$transfer_model" ]; then
    awe embed "$transfer_model" "scp:$exp/feats/test.scp" "h5:$exp/embed/test_transfer.h5"
  else
    echo "no --transfer-model $transfer_model: run recipes/default first to score it" >&2
  fi
  awe embed --downsample 10 "scp:$exp/feats/test.scp" "h5:$exp/embed/test_downsample.h5"
}
run_stage 4 embed embed_all

eval_all() {
  mkdir -p "$exp/results"
  local args=(--labels "$data/test_words/text" --utt2spk "$data/test_words/utt2spk") table
  for table in "$exp"/embed/test_*.h5; do
    local name=$(basename "$table" .h5); name=${name#test_}
    echo -n "$name: "
    awe eval samediff "${args[@]}" --json "$exp/results/samediff_$name.json" "h5:$table"
  done
  echo -n "dtw: "
  awe eval samediff "${args[@]}" --dtw --nj "$nj" --json "$exp/results/samediff_dtw.json" "scp:$exp/feats/test.scp"
}
run_stage 5 eval eval_all

run_stage 6 report awe report --title "English isolated words, unseen speakers: same-different" \
  -c ap -c swdp_ap -c n --markdown "$exp/results/table.md" --json "$exp/results/table.json" \
  "$exp"/results/samediff_*.json

joint_space() {
  local r=$exp/results labels=$data/test_words/text name method
  mkdir -p "$exp/joint"
  # supervised regression (teacher-student): the meaning head maps a segment into GloVe space
  for name in meaning form_meaning; do
    awe embed --output meaning "$exp/phonetic_$name" "scp:$exp/feats/test.scp" "h5:$exp/joint/test_$name.h5"
    echo -n "regression ($name) translation: "
    # the head regresses unit, centred, unit word vectors: normalise GloVe (and the output) alike
    awe eval translate --labels "$labels" --dico identical --normalize renorm,center,renorm \
      --json "$r/translate_regression_$name.json" "h5:$exp/joint/test_$name.h5" "$glove"
    echo -n "regression ($name) classification: "
    awe eval translate --classify --labels "$labels" --normalize renorm,center,renorm \
      --json "$r/classify_regression_$name.json" "h5:$exp/joint/test_$name.h5" "$glove"
  done
  # maps learnt on the training speakers' contrastive AWEs (averaged per word), applied to the test speakers'
  awe embed "$exp/phonetic_contrastive" "scp:$exp/feats/train.scp" "h5:$exp/joint/train_contrastive.h5"
  awe align --method procrustes --dico identical --map semi-orthogonal --src-labels "$data/train_words/text" \
    --seed "$seed" --overwrite "h5:$exp/joint/train_contrastive.h5" "$glove" "$exp/joint/align_procrustes"
  awe align --config conf/adversarial.conf --map semi-orthogonal --src-labels "$data/train_words/text" \
    --seed "$seed" --overwrite "h5:$exp/joint/train_contrastive.h5" "$glove" "$exp/joint/align_adversarial"
  for method in procrustes adversarial; do
    echo -n "$method translation: "
    awe eval translate --map "$exp/joint/align_$method" --labels "$labels" --dico identical \
      --json "$r/translate_${method}.json" "h5:$exp/embed/test_contrastive.h5" "$glove"
  done
  awe report --title "English test words -> GloVe 6B 50-d: regression vs Procrustes vs adversarial" \
    -c 'nn.p@1' -c 'nn.p@10' -c 'csls.p@1' -c 'csls.p@10' -c coverage -c 'nn.accuracy' -c 'csls.accuracy' \
    --markdown "$r/joint_table.md" --json "$r/joint_table.json" "$r"/translate_*.json "$r"/classify_*.json
}
run_stage 7 joint-space joint_space

probe_all() {
  local spaces=() table
  for table in "$exp"/embed/test_*.h5; do
    spaces+=("$(basename "$table" .h5 | sed 's/^test_//')=h5:$table")
  done
  for table in "$exp"/joint/test_*.h5; do  # the meaning head: speech regressed into GloVe space
    spaces+=("$(basename "$table" .h5 | sed 's/^test_//')_head=h5:$table")
  done
  ../default/local/probe_spaces.sh --words "$words" "$exp/results/probe" \
    "$data/test_words/text" "$data/test_words/utt2spk" "${spaces[@]}"
}
run_stage 8 probe probe_all

# The paper's schedule (seed 002: 100 epochs, the LR halved after 10 epochs without a
# better validation AP, the best epoch kept; here also stopped after 20 such epochs), for
# the claim that form + meaning beats the triplet baseline once both have converged:
# triplet, form only and form + meaning, scored on the same test tokens (about 35 min on
# 2 cores).
# model_specs NAME...: the "name options" specs of the named models, in that order
model_specs() {
  local name model
  for name; do
    for model in "${models[@]}"; do [ "${model%% *}" = "$name" ] && echo "$model"; done
  done
}
mapfile -t paper_models < <(model_specs triplet form form_meaning)
paper_schedule() {
  local r=$exp/results name
  train_models conf/train_paper.conf paper_ "${paper_models[@]}"
  for name in "${paper_models[@]%% *}"; do
    awe embed "$exp/paper_$name" "scp:$exp/feats/test.scp" "h5:$exp/embed/paper_$name.h5"
    echo -n "$name (paper's schedule): "
    awe eval samediff --labels "$data/test_words/text" --utt2spk "$data/test_words/utt2spk" \
      --json "$r/paper_samediff_$name.json" "h5:$exp/embed/paper_$name.h5"
  done
  awe report --title "English isolated words, unseen speakers: the paper's schedule" \
    -c ap -c swdp_ap -c n --markdown "$r/paper_table.md" --json "$r/paper_table.json" \
    "$r"/paper_samediff_*.json
}
run_stage 9 paper-schedule paper_schedule
