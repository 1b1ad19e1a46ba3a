#!/usr/bin/env bash
# Real-speech check: phonetic models applied to real recordings they never heard.
#
# FSDD's two held-out speakers (theo, yweweler: 1,000 tokens of 10 English digits, 8 kHz
# microphone recordings resampled to the models' 16 kHz) are embedded with every model
# given, and scored by same-different AP and SWDP-AP beside the downsampling and DTW
# baselines on the same tokens and features.  Writes EXP/results/fsdd_NAME.json.
#
# Usage: local/real_speech.sh EXP_DIR FSDD_RECORDINGS MFCC_CONF NJ NAME=MODEL_DIR...
# Example: local/real_speech.sh exp/small $AWE_SHARED_DATA/fsdd/recordings conf/mfcc.conf 2 \
#            multilingual=exp/small/phonetic_multilingual
set -euo pipefail
[ $# -ge 5 ] || { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
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
for named in "$@"; do
  name=${named%%=*} model=${named#*=}
  awe embed --nj "$nj" "$model" "scp:$data/feats.scp" "h5:$data/embed_$name.h5"
  echo -n "fsdd $name: "
  awe eval samediff "${args[@]}" --json "$exp/results/fsdd_$name.json" "h5:$data/embed_$name.h5"
done
awe embed --downsample 10 "scp:$data/feats.scp" "h5:$data/embed_downsample.h5"
echo -n "fsdd downsample: "
awe eval samediff "${args[@]}" --json "$exp/results/fsdd_downsample.json" "h5:$data/embed_downsample.h5"
echo -n "fsdd dtw: "
awe eval samediff "${args[@]}" --dtw --nj "$nj" --json "$exp/results/fsdd_dtw.json" "scp:$data/feats.scp"
