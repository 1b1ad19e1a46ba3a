#!/usr/bin/env bash
# Default recipe: the whole awetools pipeline on the built-in synthetic corpus.
#
# A phonetic AWE model is trained on isolated words of 10 non-English languages (clean
# and noisy copies) and applied to English running speech it never heard; K-means over
# its embeddings gives soft pseudo-word labels; a cluster-skipgram model learns semantic
# AWEs from them; the semantic space is aligned to text words.  Every evaluation ends in
# one table (exp/results/table.md) beside baselines (downsampling, DTW) and toplines (a
# model on English, a text skipgram on the same transcripts), plus two pictures.
# Stage 5 also applies the phonetic models to real speech they never heard (FSDD).
# --preset semantic (English running speech only, 600,000 words) stops after stage 2: its
# phonetic models come from another preset (recipes/semantic/run.sh runs the ladder on it).
#
# --mbrola-languages de,es,fr,it,nl,pl,pt,sv,tr adds MBROLA's voices of real talkers to the
# isolated words (needs `sudo make mbrola-deps`; better on real speech, bench/results/fsdd_transfer.md).
#
# Usage: ./run.sh [--preset small|large|semantic] [--stage N] [--stop-stage M] [--nj N]
#                 [--cmd CMD] [--redo true] [--seed N] [--mbrola-languages CODES]
set -euo pipefail
cd "$(dirname "$0")"
. bin/path.sh
. conf/cmd.sh

preset=small
stage=0
stop_stage=100
nj=2
exp=
data=
redo=false
seed=0
clusters=
mbrola_languages=none
help_message="$(sed -n '2,18p' "$(basename "$0")" | sed 's/^# \{0,1\}//')"
. bin/parse_options.sh
case "$preset" in small|large|semantic) ;; *) echo "$0: --preset must be small, large or semantic" >&2; exit 2 ;; esac
[ "$preset" = semantic ] && [ "$stop_stage" -gt 2 ] && stop_stage=2   # data and features only
: "${exp:=exp/$preset}" "${data:=data/$preset}"
phonetic_conf=conf/phonetic.conf adversarial_conf=conf/adversarial.conf
english_epochs=25
# the small preset's words have 32 tokens each (16 speakers, clean and noisy): 16 per epoch
token_cap=(--max-tokens-per-type 16)
[ "$preset" = large ] && phonetic_conf=conf/phonetic_large.conf adversarial_conf=conf/adversarial_large.conf english_epochs=10 \
  token_cap=()   # its conf caps tokens per word itself
# K-means clusters: about a quarter of the English training vocabulary (small) or 2000.
: "${clusters:=$([ "$preset" = small ] && echo 400 || echo 2000)}"
. bin/stages.sh
require_cmd "$cmd"
corpus=$data/corpus
glove=$AWE_SHARED_DATA/glove/glove.6B.50d.top50k.txt
wordsim=$AWE_SHARED_DATA/wordsim/en
wordsim_min_count=5   # similarity pairs whose words both have this many training tokens

run_stage 0 synth awe synth --preset "$preset" --seed "$seed" --nj "$nj" --mbrola-languages "$mbrola_languages" \
  --overwrite "$corpus"

languages() { awk -F/ '{ print $(NF-2) }' <<< "$(ls -d "$corpus"/*/train/words.ctm)" | grep -v '^en$'; }

segment_all() {
  # the phonetic training sets (isolated words, not English) gain a noisy copy of every
  # recording (coloured noise, 5-20 dB SNR) beside the clean one, its word boundaries
  # moved at random, 30 ms inward to 80 ms outward (eSpeak's are exact, real ones are
  # not): the two changes that moved real-speech AP most (README, "From the built-in
  # corpus to real speech"; bench/results/fsdd_transfer.md)
  local lang
  for lang in $(languages); do
    awe augment --perturb noise --keep-clean --boundary-jitter=-0.03:0.08 --seed "$seed" --nj "$nj" \
      --overwrite "$corpus/$lang/train" "$data/$lang/train_noisy"
  done
  for dir in "$corpus"/*/*/; do
    local split source
    lang=$(basename "$(dirname "$dir")"); split=$(basename "$dir") source=$dir
    [ "$split" = train ] && [ -d "$data/$lang/train_noisy" ] && source=$data/$lang/train_noisy
    awe segment --overwrite --ctm "$source/words.ctm" "$source" "$data/$lang/${split}_words"
  done
  # non-English validation data, merged: picks the best epoch without looking at English
  # (the semantic preset has English only: its phonetic models come from another preset)
  [ -z "$(languages)" ] || bin/combine_data.sh "$data/multi/dev_words" $(languages | sed "s|.*|$data/&/dev_words|")
}
run_stage 1 segment segment_all

featurize_all() {
  # one featurisation over every set (fewer, larger jobs), then one scp per set
  local sets
  sets=$(ls -d "$data"/*/*_words | grep -v "/multi/")
  bin/combine_data.sh "$data/all_words" $sets
  bin/make_feats.sh --cmd "$cmd" --nj "$nj" --feat-config conf/mfcc.conf \
    "$data/all_words" "$exp/log" "$exp/feats" all
  for dir in $sets $(ls -d "$data/multi/dev_words" 2>/dev/null); do
    local name=$(basename "$(dirname "$dir")")_$(basename "$dir" _words)
    awk 'NR == FNR { k[$1]; next } $1 in k' "$dir/utt2spk" "$exp/feats/all.scp" > "$exp/feats/$name.scp"
  done
}
run_stage 2 featurize featurize_all

train_phonetic() {
  local train_args=()
  for lang in $(languages); do
    train_args+=(--train "$data/$lang/train_words=scp:$exp/feats/${lang}_train.scp")
  done
  # time warping (each training token re-timed at random) on top: FSDD AP 0.718 (mean of
  # 3 seeds) where the noisy copies alone gave 0.657 (0.649 with time warping), and on
  # FSDD's other 4 speakers 0.600 against 0.475 without the jitter (DTW: 0.750, 0.507)
  awe train-phonetic --config "$phonetic_conf" --seed "$seed" --overwrite "${token_cap[@]}" --time-warp 0.2 \
    "${train_args[@]}" --valid "$data/multi/dev_words=scp:$exp/feats/multi_dev.scp" "$exp/phonetic_multilingual"
  # topline: the same model trained on English itself (its few tokens need more epochs)
  awe train-phonetic --config "$phonetic_conf" --seed "$seed" --overwrite "${token_cap[@]}" --epochs "$english_epochs" \
    --train "$data/en/train_words=scp:$exp/feats/en_train.scp" \
    --valid "$data/en/dev_words=scp:$exp/feats/en_dev.scp" "$exp/phonetic_english"
}
run_stage 3 train-phonetic train_phonetic

embed_phonetic() {
  mkdir -p "$exp/embed"
  for split in train test; do
    awe embed --nj "$nj" "$exp/phonetic_multilingual" "scp:$exp/feats/en_$split.scp" "h5:$exp/embed/en_${split}_multilingual.h5"
  done
  awe embed --nj "$nj" "$exp/phonetic_english" "scp:$exp/feats/en_test.scp" "h5:$exp/embed/en_test_english.h5"
  awe embed --downsample 10 "scp:$exp/feats/en_test.scp" "h5:$exp/embed/en_test_downsample.h5"
}
run_stage 4 embed-phonetic embed_phonetic

eval_phonetic() {
  mkdir -p "$exp/results"
  local args=(--labels "$data/en/test_words/text" --utt2spk "$data/en/test_words/utt2spk")
  for name in multilingual english downsample; do
    echo -n "samediff $name: "
    awe eval samediff "${args[@]}" --json "$exp/results/samediff_$name.json" "h5:$exp/embed/en_test_$name.h5"
  done
  # DTW aligns every pair of feature matrices: on the large preset (30,000 test tokens,
  # 450 M pairs, over an hour) it scores every 6th token instead; the table's n says so
  local dtw_labels=$data/en/test_words/text
  if [ "$preset" = large ]; then
    dtw_labels=$exp/results/dtw_tokens.txt
    awk 'NR % 6 == 1' "$data/en/test_words/text" > "$dtw_labels"
  fi
  echo -n "samediff dtw: "
  awe eval samediff --labels "$dtw_labels" --utt2spk "$data/en/test_words/utt2spk" --allow-subset \
    --dtw --nj "$nj" --json "$exp/results/samediff_dtw.json" "scp:$exp/feats/en_test.scp"
  # real speech the models never heard: FSDD's two held-out speakers (no English in the
  # multilingual model's training, no real speech in either model's)
  local/real_speech.sh "$exp" "$AWE_SHARED_DATA/fsdd/recordings" conf/mfcc.conf "$nj" \
    "multilingual=$exp/phonetic_multilingual" "english=$exp/phonetic_english"
}
run_stage 5 eval-phonetic eval_phonetic

run_stage 6 cluster awe cluster --k "$clusters" --spherical --seed "$seed" --overwrite \
  --labels "$data/en/train_words/text" "h5:$exp/embed/en_train_multilingual.h5" "$exp/clusters"

train_semantic() {
  awe train-skipgram --config conf/skipgram.conf --seed "$seed" --overwrite --method text \
    "$data/en/train_words" "$exp/semantic_text"
  awe train-skipgram --config conf/skipgram.conf --seed "$seed" --overwrite --method cluster-skipgram \
    --embeddings "h5:$exp/embed/en_train_multilingual.h5" --clusters "$exp/clusters" \
    "$data/en/train_words" "$exp/semantic_cluster_skipgram"
  awe train-skipgram --config conf/skipgram.conf --seed "$seed" --overwrite --method cluster-skipgram --hard \
    --embeddings "h5:$exp/embed/en_train_multilingual.h5" --clusters "$exp/clusters" \
    "$data/en/train_words" "$exp/semantic_cluster_skipgram_hard"
}
run_stage 7 train-skipgram train_semantic

embed_semantic() {
  for model in cluster_skipgram cluster_skipgram_hard; do
    awe embed "$exp/semantic_$model" "h5:$exp/embed/en_train_multilingual.h5" "h5:$exp/embed/en_train_$model.h5"
  done
  # joined with their neighbours' vectors: sound-alike words that share a cluster keep their own company
  awe normalise --context "$data/en/train_words" "h5:$exp/embed/en_train_cluster_skipgram.h5" \
    "h5:$exp/embed/en_train_cluster_skipgram_context.h5"
}
run_stage 8 embed-semantic embed_semantic

eval_semantic() {
  local text_vectors=$exp/semantic_text/vectors.txt labels=$data/en/train_words/text
  echo -n "wordsim text topline: "
  awe eval wordsim --vectors "$text_vectors" --pairs "$wordsim" --reference "$text_vectors" \
    --counts "$labels" --min-count "$wordsim_min_count" --json "$exp/results/wordsim_text_topline.json"
  for name in cluster_skipgram cluster_skipgram_hard cluster_skipgram_context multilingual; do
    echo -n "wordsim $name: "
    awe eval wordsim "h5:$exp/embed/en_train_$name.h5" --labels "$labels" --pairs "$wordsim" \
      --min-count "$wordsim_min_count" --reference "$text_vectors" --seed "$seed" \
      --json "$exp/results/wordsim_$name.json"
    echo -n "qbe $name: "  # relevance from GloVe (6B tokens), which knows more than this corpus
    awe eval qbe --reference "$glove" --seed "$seed" --json "$exp/results/qbe_$name.json" \
      "h5:$exp/embed/en_train_$name.h5" "$data/en/train_words"
  done
}
run_stage 9 eval-semantic eval_semantic

align_all() {
  local/align_to_text.sh "$exp" "h5:$exp/embed/en_train_cluster_skipgram.h5" \
    "$data/en/train_words/text" "$exp/semantic_text/vectors.txt" "$glove" "$seed" "$adversarial_conf"
}
run_stage 10 align align_all

report() {
  local/results_table.sh "$exp"
  awe plot map --labels "$data/en/test_words/text" --title "English words, model trained on 10 other languages" \
    "h5:$exp/embed/en_test_multilingual.h5" "$exp/results/map.png"
  awe plot curves -m loss -m valid_ap "$exp/phonetic_multilingual" "$exp/phonetic_english" "$exp/results/curves.png"
  echo "stage times (s):"; cat "$exp/stage_times.txt"
}
run_stage 11 report report
