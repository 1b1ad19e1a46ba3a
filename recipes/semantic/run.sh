#!/usr/bin/env bash
# Semantic AWE comparison (issue 6): every awe train-skipgram method on English running
# speech of the built-in corpus, over the AWEs of a phonetic model trained on other
# languages only, scored against the text topline, word-similarity sets, edit distance
# (phonetic leakage) and semantic query-by-example.  Needs the default recipe's data and
# features first, e.g. for the large preset (300,000 running English words):
#   (cd ../default && ./run.sh --preset large --stop-stage 2)   # synth, segment, featurize
#   ./run.sh --corpus ../default/data/large --feats ../default/exp/large/feats
# (--feats-root: the directory the scp's relative archive paths start from).
# Stage 7 probes every space for word and speaker with linear classifiers.  Stage 8 is
# the diagnosis ladder (issue 16), on the semantic preset's 600,000 running words:
#   (cd ../default && ./run.sh --preset semantic && ./run.sh --preset small --stop-stage 3)
#   ./run.sh --corpus ../default/data/semantic --feats ../default/exp/semantic/feats \
#     --stage 0 --stop-stage 1 && ./run.sh ... --stage 8 --stop-stage 8
# (a) text skipgram; (b) cluster-skipgram on oracle clusters (true words) with hard and (c)
# soft labels; (b') the oracle with only stage 1's word absorption; (d) on K-means clusters
# (--ladder-base-clusters) of the multilingual model's AWEs (soft, hard), soft at a second K
# (--ladder-clusters) as it is and speaker-merged (soft, hard); (e) the
# same with an English-trained phonetic model (--english-model).  Every rung is scored on the
# same frequent pairs; the drop between rungs says where meaning is lost; linear probes say
# how much speaker the (d) spaces carry beside their input.  All rungs get
# 1M pairs (conf/ladder_speech.conf); (a), (d) and (e) also the text's full budget
# (conf/ladder_text.conf: 10 epochs); the oracle rungs' 27,117-way softmax makes that
# about 2 hours per rung on 2 CPU cores, so rungs (b) and (c) get it over word2vec's vocabulary
# (words with >= 5 tokens, rare words pooled: 7,979 classes, 20 minutes).
#
# Usage: ./run.sh [--stage N] [--stop-stage M] [--corpus DIR] [--feats DIR] [--feats-root DIR]
#                 [--phonetic-model DIR] [--english-model DIR] [--clusters K]
#                 [--speaker-mvn true|false] [--merge-speakers true|false] [--ladder-base-clusters K]
#                 [--ladder-clusters K] [--ladder-kmeans "awe cluster options"] [--methods "..."]
#                 [--context-methods "..."] [--context-weights "..."] [--align-methods "..."]
#                 [--exp DIR] [--redo true]
# --context-methods: speech methods (of --methods) whose vectors are also written joined with
# their neighbours' at each of --context-weights (awe normalise --context; "METHOD-contextW" in
# the tables), which tells apart sound-alike words that share a cluster
# (recipes/semantic/results/context.md).  --align-methods: the maps stage 6 fits for each
# space (procrustes, adversarial, self-learning; adversarial takes 17 min per target, the
# others 1-2 min).
set -euo pipefail
cd "$(dirname "$0")"
. bin/path.sh

stage=0
stop_stage=100
corpus=../default/data/large
feats=../default/exp/large/feats
feats_root=../default   # where the relative archive paths inside the scp files start
phonetic_model=../default/exp/small/phonetic_multilingual
english_model=../default/exp/small/phonetic_english   # ladder rung (e)
clusters=8000         # about the frequent word types (7,978); with --merge-speakers (recipes/semantic/results/ladder.md: ladder at the text's budget)
speaker_mvn=false     # true: phonetic AWEs normalised per speaker (awe embed --speaker-mvn) before clustering
merge_speakers=true   # merge clusters that split a word by voice (awe cluster --merge-speakers)
ladder_base_clusters=2000   # ladder rungs (d) and (e): K-means K, no merge (the comparison's first setting)
ladder_clusters=8000   # ladder rung (d) at a second K: about the frequent word types (7,978)
ladder_kmeans="--init kmeans++ --swap-rounds 0 --init-points-per-centroid 50"   # the start of the README's ladder figures (awe cluster's default until 2026-12-06; their Lloyd iterations were faiss's)
methods="text cluster-skipgram cluster-skipgram-hard cluster-skipgram-sgns projection two-stage contrastive speech2vec units"
context_methods="cluster-skipgram"   # also joined with their context (awe normalise --context): METHOD-contextW
context_weights="0.5 1"   # awe normalise --context-weight: 0.5 the tool's default, 1 the context alone
align_methods="procrustes adversarial self-learning"   # stage 6: local/align_to_text.sh --methods
seed=0
nj=2
exp=exp
redo=false
glove=$AWE_SHARED_DATA/glove/glove.6B.50d.top50k.txt
wordsim=$AWE_SHARED_DATA/wordsim/en
wordsim_min_count=5   # similarity pairs whose words both have this many training tokens
help_message=$(awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$(basename "$0")")
. bin/parse_options.sh
. bin/stages.sh
words=$corpus/en/train_words
for f in "$words/text" "$feats/en_train.scp" "$phonetic_model/model.pt"; do
  [ -f "$f" ] || { echo "$0: missing $f (run the default recipe's stages 0-3 first, see --help)" >&2; exit 1; }
done
awe_h5=$exp/embed
train_scp=$exp/feats/en_train.scp

embed_phonetic() {
  # the other recipe's scp, its relative archive paths made absolute
  mkdir -p "$awe_h5" "$exp/feats"
  local root; root=$(cd "$feats_root" && pwd)
  awk -v root="$root" '{ if ($2 !~ /^\//) $2 = root "/" $2; print }' "$feats/en_train.scp" > "$train_scp"
  local normalise=()
  [ "$speaker_mvn" = true ] && normalise=(--speaker-mvn "$words/utt2spk")
  awe embed --nj "$nj" "${normalise[@]}" "$phonetic_model" "scp:$train_scp" "h5:$awe_h5/phonetic.h5"
}
run_stage 0 embed-phonetic embed_phonetic

cluster() {
  local merge=()
  [ "$merge_speakers" = true ] && merge=(--merge-speakers "$words/utt2spk")
  awe cluster --k "$clusters" --spherical --seed "$seed" --overwrite "${merge[@]}" \
    --labels "$words/text" "h5:$awe_h5/phonetic.h5" "$exp/clusters"
}
run_stage 1 cluster cluster

# method -> awe train-skipgram inputs
inputs() {
  case $1 in
    text) echo "--method text" ;;
    cluster-skipgram) echo "--method cluster-skipgram --embeddings h5:$awe_h5/phonetic.h5 --clusters $exp/clusters" ;;
    cluster-skipgram-hard) echo "--method cluster-skipgram --hard --embeddings h5:$awe_h5/phonetic.h5 --clusters $exp/clusters" ;;
    cluster-skipgram-sgns) echo "--method cluster-skipgram --hard --objective sgns --embeddings h5:$awe_h5/phonetic.h5 --clusters $exp/clusters" ;;
    projection|two-stage) echo "--method $1 --embeddings h5:$awe_h5/phonetic.h5" ;;
    contrastive) echo "--method contrastive --init $phonetic_model --features scp:$train_scp" ;;
    speech2vec|units) echo "--method $1 --features scp:$train_scp" ;;
    *) echo "unknown method $1" >&2; return 1 ;;
  esac
}
conf_of() { case $1 in contrastive|speech2vec|units) echo conf/skipgram_rnn.conf ;; *) echo conf/skipgram.conf ;; esac; }

train_all() {
  local method
  for method in $methods; do
    awe train-skipgram --config "$(conf_of "$method")" $(inputs "$method") --seed "$seed" \
      --overwrite "$words" "$exp/semantic_$method"
  done
}
run_stage 2 train train_all

embed_all() {
  local method source weight
  for method in $methods; do
    [ "$method" = text ] && continue   # word vectors, no segment encoder
    case $method in contrastive|speech2vec|units) source=scp:$train_scp ;; *) source=h5:$awe_h5/phonetic.h5 ;; esac
    awe embed --nj "$nj" "$exp/semantic_$method" "$source" "h5:$awe_h5/$method.h5"
    [[ " $context_methods " == *" $method "* ]] || continue
    for weight in $context_weights; do
      awe normalise --context "$words" --context-weight "$weight" "h5:$awe_h5/$method.h5" \
        "h5:$awe_h5/$method-context$weight.h5"
    done
  done
}
run_stage 3 embed embed_all

eval_all() {
  mkdir -p "$exp/results"
  local text_vectors=$exp/semantic_text/vectors.txt name
  # relevance for QbE from GloVe (6B tokens): a reference that knows more than this corpus
  local qbe=(--reference "$glove" --seed "$seed")
  echo -n "wordsim text: "
  awe eval wordsim --vectors "$text_vectors" --pairs "$wordsim" --counts "$words/text" \
    --min-count "$wordsim_min_count" --reference "$text_vectors" --json "$exp/results/wordsim_text.json"
  echo -n "qbe text: "
  awe eval qbe "${qbe[@]}" --vectors "$text_vectors" --json "$exp/results/qbe_text.json" "$words"
  local contextual=() method weight
  for method in $context_methods; do
    for weight in $context_weights; do contextual+=("$method-context$weight"); done
  done
  for name in phonetic $methods "${contextual[@]}"; do
    [ "$name" = text ] && continue
    echo -n "wordsim $name: "
    awe eval wordsim "h5:$awe_h5/$name.h5" --labels "$words/text" --pairs "$wordsim" \
      --min-count "$wordsim_min_count" --reference "$text_vectors" --seed "$seed" \
      --json "$exp/results/wordsim_$name.json"
    echo -n "qbe $name: "
    awe eval qbe "${qbe[@]}" --json "$exp/results/qbe_$name.json" "h5:$awe_h5/$name.h5" "$words"
  done
}
run_stage 4 eval eval_all

report() {
  local sets='EN-SIMLEX-999 EN-WS-353-ALL EN-MEN-TR-3k' columns=() r=$exp/results
  for s in $sets; do columns+=(-c "sets.$s.rho_avg" -c "sets.$s.coverage"); done
  runs() { local f; for f in "$r/$1"_*.json; do [ "$f" = "$r/$1_table.json" ] || echo "$f"; done; }  # not a table of an earlier run
  awe report --title "Semantic AWEs: rho vs text topline, word similarity, edit distance" \
    -c reference.rho_avg -c reference.rho_single "${columns[@]}" -c edit.rho_avg \
    --markdown "$r/wordsim_table.md" --json "$r/wordsim_table.json" $(runs wordsim)
  awe report --title "Semantic QbE (relevance: GloVe 6B top-10 neighbours)" \
    -c semantic.p_at_10 -c semantic.spearman -c exact.p_at_10 \
    --markdown "$r/qbe_table.md" --json "$r/qbe_table.json" $(runs qbe)
}
run_stage 5 report report

align_all() {
  # the cluster-skipgram space and its contextual versions (recipes/semantic/results/context.md),
  # averaged per word, mapped onto the text topline and GloVe over the frequent words
  # (>= --wordsim-min-count tokens, the words the similarity figures are scored on)
  local r=$exp/results frequent space
  frequent=$(awk -v m="$wordsim_min_count" '{ n[$2]++ } END { for (w in n) f += n[w] >= m; print f + 0 }' "$words/text")
  align_space() {  # SPACE OUT TABLE: align h5:$awe_h5/SPACE.h5 into OUT, report to $r/TABLE.{md,json}
    ../default/local/align_to_text.sh --methods "$align_methods" "$2" "h5:$awe_h5/$1.h5" "$words/text" \
      "$exp/semantic_text/vectors.txt" "$glove" "$seed" ../default/conf/adversarial_large.conf "$frequent"
    awe report --title "$1 space -> text spaces: word translation P@k (NN, CSLS)" \
      -c 'nn.p@1' -c 'nn.p@10' -c 'csls.p@1' -c 'csls.p@10' -c coverage \
      --markdown "$r/$3.md" --json "$r/$3.json" "$2"/results/translate_{text,glove}_*.json
  }
  align_space cluster-skipgram "$exp" translate_table
  for space in "$awe_h5"/cluster-skipgram-context*.h5; do
    [ -f "$space" ] || continue
    space=$(basename "$space" .h5)
    align_space "$space" "$exp/align_$space" "translate_table_$space"
  done
}
if [[ " $methods " == *" cluster-skipgram "* ]]; then run_stage 6 align align_all; fi

probe_all() {
  # the phonetic AWEs the semantic models start from, and every semantic space
  local spaces=(phonetic=h5:$awe_h5/phonetic.h5) name
  for name in $methods; do
    [ "$name" = text ] || spaces+=("$name=h5:$awe_h5/$name.h5")
  done
  local weight
  for name in $context_methods; do
    for weight in $context_weights; do spaces+=("$name-context$weight=h5:$awe_h5/$name-context$weight.h5"); done
  done
  ../default/local/probe_spaces.sh "$exp/results/probe" "$words/text" "$words/utt2spk" "${spaces[@]}"
}
run_stage 7 probe probe_all

ladder() {
  # one model per rung, scored on the same frequent pairs; a rung whose model exists is
  # kept (delete it, or --redo true on a fresh exp, to train it again)
  local r=$exp/results/ladder l=$exp/ladder sets=() rung
  mkdir -p "$r" "$l"
  for f in EN-SIMLEX-999 EN-WS-353-ALL EN-MEN-TR-3k; do sets+=(--wordsim "$wordsim/$f.txt"); done
  train() {  # CONF OUT ARGS...
    local conf=$1 out=$2; shift 2
    [ -f "$out/model.pt" ] && { echo "ladder: $out exists, kept" >&2; return; }
    awe train-skipgram --config "$conf" --seed "$seed" --overwrite \
      --wordsim-min-count "$wordsim_min_count" "${sets[@]}" "$@" "$words" "$out"
  }
  train conf/ladder_text.conf "$l/a_text_full" --method text
  train conf/ladder_speech.conf "$l/a_text" --method text
  local text_vectors=$l/a_text_full/vectors.txt
  [ -f "$l/oracle_clusters/summary.json" ] || awe cluster --oracle --spherical --labels "$words/text" \
    --overwrite "h5:$awe_h5/phonetic.h5" "$l/oracle_clusters"
  train conf/ladder_speech.conf "$l/b_oracle_hard" --method cluster-skipgram --hard \
    --embeddings "h5:$awe_h5/phonetic.h5" --clusters "$l/oracle_clusters"
  train conf/ladder_speech.conf "$l/c_oracle_soft" --method cluster-skipgram \
    --embeddings "h5:$awe_h5/phonetic.h5" --clusters "$l/oracle_clusters"
  # rung (b) at the text's full budget over word2vec's vocabulary: the words with at least
  # --wordsim-min-count tokens, the rare ones pooled into one <rare> cluster (gensim's
  # min_count drops them instead), so the softmax has 7,979 classes, not 27,117
  [ -f "$l/oracle_frequent_clusters/summary.json" ] || {
    awk -v m="$wordsim_min_count" 'NR == FNR { n[$2]++; next } { print $1, (n[$2] >= m ? $2 : "<rare>") }' \
      "$words/text" "$words/text" > "$l/oracle_frequent_labels.txt"
    awe cluster --oracle --spherical --labels "$l/oracle_frequent_labels.txt" --overwrite \
      "h5:$awe_h5/phonetic.h5" "$l/oracle_frequent_clusters"
  }
  train conf/ladder_text.conf "$l/b_oracle_frequent_hard_full" --method cluster-skipgram --hard \
    --embeddings "h5:$awe_h5/phonetic.h5" --clusters "$l/oracle_frequent_clusters"
  train conf/ladder_text.conf "$l/c_oracle_frequent_soft_full" --method cluster-skipgram \
    --embeddings "h5:$awe_h5/phonetic.h5" --clusters "$l/oracle_frequent_clusters"
  # rung (b'): the oracle with only stage 1's word absorption (a word whose tokens mostly
  # fall in a more frequent word's cluster takes that word's label), hard labels
  [ -f "$l/absorbed_clusters/summary.json" ] || {
    python3 local/absorbed_labels.py "$words/text" "$exp/clusters/assign.txt" "$wordsim_min_count" \
      "$l/absorbed_labels.txt"
    awe cluster --oracle --spherical --labels "$l/absorbed_labels.txt" --overwrite \
      "h5:$awe_h5/phonetic.h5" "$l/absorbed_clusters"
  }
  train conf/ladder_text.conf "$l/b_absorbed_hard_full" --method cluster-skipgram --hard \
    --embeddings "h5:$awe_h5/phonetic.h5" --clusters "$l/absorbed_clusters"
  # rung (d) at the base K, without merging (its own clusters, whatever stage 1's settings)
  local base=$l/clusters_k$ladder_base_clusters
  [ -f "$base/summary.json" ] || awe cluster $ladder_kmeans --k "$ladder_base_clusters" --spherical --seed "$seed" \
    --overwrite --labels "$words/text" "h5:$awe_h5/phonetic.h5" "$base"
  train conf/ladder_speech.conf "$l/d_kmeans_multilingual" --method cluster-skipgram \
    --embeddings "h5:$awe_h5/phonetic.h5" --clusters "$base"
  train conf/ladder_speech.conf "$l/d_kmeans_multilingual_hard" --method cluster-skipgram --hard \
    --embeddings "h5:$awe_h5/phonetic.h5" --clusters "$base"
  train conf/ladder_text.conf "$l/d_kmeans_multilingual_full" --method cluster-skipgram \
    --embeddings "h5:$awe_h5/phonetic.h5" --clusters "$base"
  local big=d_kmeans_multilingual_k$ladder_clusters
  [ -f "$l/clusters_k$ladder_clusters/summary.json" ] || awe cluster $ladder_kmeans --k "$ladder_clusters" --spherical \
    --seed "$seed" --overwrite --labels "$words/text" "h5:$awe_h5/phonetic.h5" "$l/clusters_k$ladder_clusters"
  train conf/ladder_speech.conf "$l/$big" --method cluster-skipgram \
    --embeddings "h5:$awe_h5/phonetic.h5" --clusters "$l/clusters_k$ladder_clusters"
  # the same K with the clusters that split a word by voice merged (awe cluster --merge-speakers),
  # soft and hard labels, at the text's full budget
  local merged=d_kmeans_multilingual_k${ladder_clusters}_merged
  [ -f "$l/clusters_k${ladder_clusters}_merged/summary.json" ] || awe cluster $ladder_kmeans --k "$ladder_clusters" \
    --spherical --seed "$seed" --overwrite --merge-speakers "$words/utt2spk" --labels "$words/text" \
    "h5:$awe_h5/phonetic.h5" "$l/clusters_k${ladder_clusters}_merged"
  train conf/ladder_text.conf "$l/${merged}_full" --method cluster-skipgram \
    --embeddings "h5:$awe_h5/phonetic.h5" --clusters "$l/clusters_k${ladder_clusters}_merged"
  train conf/ladder_text.conf "$l/${merged}_hard_full" --method cluster-skipgram --hard \
    --embeddings "h5:$awe_h5/phonetic.h5" --clusters "$l/clusters_k${ladder_clusters}_merged"
  [ -f "$awe_h5/phonetic_english.h5" ] || awe embed --nj "$nj" "$english_model" "scp:$train_scp" \
    "h5:$awe_h5/phonetic_english.h5"
  [ -f "$l/clusters_english/summary.json" ] || awe cluster $ladder_kmeans --k "$ladder_base_clusters" --spherical --seed "$seed" \
    --overwrite --labels "$words/text" "h5:$awe_h5/phonetic_english.h5" "$l/clusters_english"
  train conf/ladder_speech.conf "$l/e_kmeans_english" --method cluster-skipgram \
    --embeddings "h5:$awe_h5/phonetic_english.h5" --clusters "$l/clusters_english"
  train conf/ladder_text.conf "$l/e_kmeans_english_full" --method cluster-skipgram \
    --embeddings "h5:$awe_h5/phonetic_english.h5" --clusters "$l/clusters_english"
  for rung in a_text_full a_text; do
    awe eval wordsim --vectors "$l/$rung/vectors.txt" --pairs "$wordsim" --counts "$words/text" \
      --min-count "$wordsim_min_count" --reference "$text_vectors" --json "$r/$rung.json"
  done
  for rung in b_oracle_hard c_oracle_soft b_oracle_frequent_hard_full c_oracle_frequent_soft_full \
              b_absorbed_hard_full d_kmeans_multilingual \
              d_kmeans_multilingual_hard d_kmeans_multilingual_full "$big" "${merged}_full" \
              "${merged}_hard_full" e_kmeans_english e_kmeans_english_full; do
    local input=h5:$awe_h5/phonetic.h5
    [[ "$rung" == e_* ]] && input=h5:$awe_h5/phonetic_english.h5
    [[ "$rung" == [bc]_oracle_[hs]* ]] && input=h5:$l/oracle_clusters/soft.h5   # the oracle labels themselves
    [[ "$rung" == [bc]_oracle_frequent* ]] && input=h5:$l/oracle_frequent_clusters/soft.h5
    [[ "$rung" == b_absorbed* ]] && input=h5:$l/absorbed_clusters/soft.h5
    awe embed "$l/$rung" "$input" "h5:$l/$rung.h5"
    awe eval wordsim "h5:$l/$rung.h5" --labels "$words/text" --pairs "$wordsim" \
      --min-count "$wordsim_min_count" --reference "$text_vectors" --seed "$seed" --json "$r/$rung.json"
  done
  for rung in phonetic phonetic_english; do  # the inputs themselves: no semantics learnt
    awe eval wordsim "h5:$awe_h5/$rung.h5" --labels "$words/text" --pairs "$wordsim" \
      --min-count "$wordsim_min_count" --reference "$text_vectors" --seed "$seed" --json "$r/input_$rung.json"
  done
  # speaker in the semantic spaces (issue 16: no more than the input's + 0.1)
  ../default/local/probe_spaces.sh "$r/probe" "$words/text" "$words/utt2spk" \
    input_phonetic="h5:$awe_h5/phonetic.h5" d_kmeans_multilingual="h5:$l/d_kmeans_multilingual.h5" \
    d_kmeans_multilingual_full="h5:$l/d_kmeans_multilingual_full.h5" "$big=h5:$l/$big.h5" \
    "${merged}_full=h5:$l/${merged}_full.h5"
  local columns=()
  for f in EN-SIMLEX-999 EN-WS-353-ALL EN-MEN-TR-3k; do columns+=(-c "sets.$f.rho_avg" -c "sets.$f.pairs_used"); done
  awe report --title "Diagnosis ladder: where meaning is lost (frequent pairs, min count $wordsim_min_count)" \
    -c reference.rho_avg -c reference.rho_single "${columns[@]}" \
    --markdown "$r/ladder_table.md" --json "$r/ladder_table.json" "$r"/[a-e]_*.json "$r"/input_*.json
}
run_stage 8 ladder ladder
