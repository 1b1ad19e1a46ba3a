"""Check a synthesised data dir: are its CTM spans exactly the words' audio?

Every word is cut from its wav by the CTM and compared with the same word synthesised
alone on a fresh eSpeak by the same speaker with the same token voice (speaker
parameters and seed come from the data dir's ``manifest.json``):

- lengths should agree; eSpeak carries a little state from call to call (the Klatt
  generator a pitch-period remainder, any voice a least significant bit at a word edge),
  so about 1 % of words differ by one 1-ms grid step or, in Klatt voices, by one or two
  64-sample steps at 22.05 kHz (2.9 ms each);
- the first word of each speaker's first utterance starts a job on a fresh engine, as
  the isolated word does, so the two must agree sample by sample;
- in a clean corpus everything outside the spans must be digital silence.

Only eSpeak's speakers are checked: a data dir's Festival and MBROLA speakers (other
engines, other state) are skipped.
"""

from __future__ import annotations

import json
import wave
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from awetools.corpus.espeak import Espeak
from awetools.corpus.render import SAMPLE_RATE, render_words, to_pcm16
from awetools.corpus.speakers import Speaker, uses_klatt
from awetools.corpus.speak import plan_tokens, prepare_engine, say, utterance_rng
from awetools.io.alignments import read_ctm
from awetools.io.datadir import DataDir


@dataclass
class Exactness:
    """Counts of the checks of :func:`check_exactness`."""

    words: int = 0
    equal_length: int = 0
    klatt_words: int = 0
    klatt_equal_length: int = 0
    max_length_difference_ms: float = 0.0
    first_words: int = 0         # first word of a speaker's first utterance
    first_words_identical: int = 0
    utterances: int = 0
    utterances_silent_outside: int = 0  # only counted in clean corpora

    def to_dict(self) -> dict:
        return asdict(self)


def read_wav(path: str | Path) -> np.ndarray:
    """int16 samples of a 16 kHz mono 16-bit wav written by ``awe synth``."""
    with wave.open(str(path)) as handle:
        return np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2")


def check_exactness(directory: str | Path, max_utterances: int | None = None) -> Exactness:
    """Compare every CTM span of a synthesised data dir with isolated re-synthesis."""
    directory = Path(directory)
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    speakers = {d["id"]: Speaker(**d) for d in manifest["speaker_definitions"]}
    clean = manifest["snr_db"] is None
    data = DataDir.load(directory, require=("wav.scp", "utt2spk"))
    firsts = {}
    for utt in sorted(data.utt2spk):  # the first utterance of a speaker starts its first job
        firsts.setdefault(data.utt2spk[utt], utt)
    stats = Exactness()
    utterances = [(utt, words) for utt, words in read_ctm(directory / "words.ctm").items()
                  if speakers[data.utt2spk[utt]].engine == "espeak"]
    for utt, words in utterances[:max_utterances]:
        samples = read_wav(data.wav_scp[utt])
        spans = [(round(w.start * SAMPLE_RATE), round(w.end * SAMPLE_RATE)) for w in words]
        stats.utterances += 1
        if clean:
            outside = np.ones(len(samples), bool)
            for start, end in spans:
                outside[start:end] = False
            stats.utterances_silent_outside += not samples[outside].any()
        speaker = speakers[data.utt2spk[utt]]
        klatt = uses_klatt(speaker.variant)
        tokens = plan_tokens(speaker, len(words), utterance_rng(manifest["seed"], utt))
        for index, (word, (start, end), (voice, seed)) in enumerate(zip(words, spans, tokens)):
            with Espeak() as engine:
                prepare_engine(engine, speaker)
                said = say(engine, word.word, voice, seed)
                alone = to_pcm16(render_words([said.samples], engine.sample_rate, speaker.tilt)[0])
            same_length = len(alone) == end - start
            stats.words += 1
            stats.equal_length += same_length
            stats.klatt_words += klatt
            stats.klatt_equal_length += klatt and same_length
            difference = abs(len(alone) - (end - start)) * 1000 / SAMPLE_RATE
            stats.max_length_difference_ms = max(stats.max_length_difference_ms, difference)
            if clean and index == 0 and firsts[speaker.id] == utt:
                stats.first_words += 1
                stats.first_words_identical += same_length and np.array_equal(samples[start:end], alone)
    return stats
