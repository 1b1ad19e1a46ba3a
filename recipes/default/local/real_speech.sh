#!/usr/bin/env bash
# Real-speech check: phonetic models applied to real recordings they never heard.
#
# FSDD's two held-out speakers (theo, yweweler: 1,000 tokens of 10 English digits, 8 kHz
# microphone recordings resampled to the models' 16 kHz) are embedded with every model
# given, and scored by same-different AP and SWDP-AP beside the downsampling and DTW
# baselines on the same tokens and features.  Every vector table is also scored after
# per-speaker mean and variance normalisation (awe normalise --speaker-mvn: a test speaker's
# offset in the embedding space taken away, as per-speaker CMVN does for frames) and less
# its mean over all the tokens (awe normalise --subtract-mean: no speakers needed).
# Writes EXP/results/fsdd_NAME.json, fsdd_NAME_spkmvn.json and fsdd_NAME_centred.json.
#
# Usage: local/real_speech.sh EXP_DIR FSDD_RECORDINGS MFCC_CONF NJ NAME=MODEL_DIR...
# Example: local/real_speech.sh exp/small $AWE_SHARED_DATA/fsdd/recordings conf/mfcc.conf 2 \
#            multilingual=exp/small/phonetic_multilingual
set -euo pipefail
[ $# -ge 5 ] || { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
exp=$1 fsdd=$2 mfcc_conf=$3 nj=$4; shift 4
[ -d "$fsdd" ] || { echo "$0: no such FSDD directory '$fsdd' (set AWE_SHARED_DATA)" >&2; exit 1; }
data=$exp/fsdd
python3 -c '
import sys
from awetools.corpus.fsdd import prepare_fsdd
prepare_fsdd(sys.argv[1], sys.argv[2], speakers=["theo", "yweweler"], overwrite=True)
' "$fsdd" "$data/test"
awe segment --overwrite --ctm "$data/test/words.ctm" "$data/test" "$data/test_words"
awe featurize --config "$mfcc_conf" --resample --nj "$nj" "$data/test_words" \
  "ark,scp:$data/feats.ark,$data/feats.scp"

mkdir -p "$exp/results"
args=(--labels "$data/test_words/text" --utt2spk "$data/test_words/utt2spk")
embed_and_score() {  # NAME EMBED_SOURCE...: as embedded, normalised per speaker, less the mean
  local name=$1; shift
  awe embed --nj "$nj" "$@" "scp:$data/feats.scp" "h5:$data/embed_$name.h5"
  awe normalise --speaker-mvn "$data/test_words/utt2spk" "h5:$data/embed_$name.h5" \
    "h5:$data/embed_${name}_spkmvn.h5"
  awe normalise --subtract-mean "h5:$data/embed_$name.h5" "h5:$data/embed_${name}_centred.h5"
  for table in "$name" "${name}_spkmvn" "${name}_centred"; do
    echo -n "fsdd $table: "
    awe eval samediff "${args[@]}" --json "$exp/results/fsdd_$table.json" "h5:$data/embed_$table.h5"
  done
}
for named in "$@"; do
  embed_and_score "${named%%=*}" "${named#*=}"
done
embed_and_score downsample --downsample 10
echo -n "fsdd dtw: "
awe eval samediff "${args[@]}" --dtw --nj "$nj" --json "$exp/results/fsdd_dtw.json" "scp:$data/feats.scp"
