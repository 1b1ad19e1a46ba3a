"""Word times for English transcripts without them: forced alignment with PocketSphinx.

For corpora that come with transcripts but no word alignment (the ``own_corpus``
recipe): every utterance of a data dir (``wav.scp`` + ``text``) is aligned to its
transcript with PocketSphinx's US English acoustic model and CMU dictionary (both ship
with the ``pocketsphinx`` wheel, the ``align`` extra), and the words are written as a
CTM that ``awe segment --ctm`` reads.  Audio is resampled to 16 kHz.

An utterance is left out, and counted, when a word is not in the dictionary or when the
aligner does not reach the end of the transcript (it gives up rather than invent
times); nothing is guessed.  Times have the model's 10 ms frame resolution.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from awetools.errors import AweError
from awetools.io.atomic import atomic_open
from awetools.io.audio import read_audio, resample
from awetools.io.datadir import DataDir, c_sorted
from awetools.log import get_logger
from awetools.progress import progress

log = get_logger(__name__)
RATE = 16000
FRAME_S = 0.01
# Wide beams: an alignment search follows one word sequence, so pruning buys little and
# the default beams lose the path on long utterances.  No optional fillers between words
# (fsgusefiller=False): with them the search loses its way in long pauses.
BEAMS = {"beam": 1e-100, "pbeam": 1e-100, "wbeam": 1e-80}


@dataclass
class AlignReport:
    """Counts for the summary line: utterances aligned and why others were left out."""

    aligned: int = 0
    words: int = 0
    left_out: Counter = field(default_factory=Counter)
    oov_examples: list[str] = field(default_factory=list)

    def summary(self) -> str:
        reasons = ", ".join(f"{n} {why}" for why, n in sorted(self.left_out.items())) or "none"
        oov = f" (e.g. {' '.join(self.oov_examples[:5])})" if self.oov_examples else ""
        return f"{self.aligned} utterances ({self.words} words) aligned; left out: {reasons}{oov}"


def new_decoder():
    """A PocketSphinx decoder for alignment (US English model, no language model)."""
    try:
        from pocketsphinx import Decoder
    except ImportError:
        raise AweError("forced alignment needs PocketSphinx: pip install 'awetools[align]'") from None
    return Decoder(samprate=RATE, lm=None, loglevel="FATAL", fsgusefiller=False, **BEAMS)


def align_words(decoder, samples: np.ndarray, words: list[str]) -> list[tuple[str, float, float]] | None:
    """``[(word, start_s, duration_s)]`` for ``words`` in 16 kHz ``samples``, or None when
    the aligner does not place every word."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    decoder.set_align_text(" ".join(words))
    decoder.start_utt()
    decoder.process_raw(pcm, no_search=False, full_utt=True)
    decoder.end_utt()
    segments = decoder.seg()
    if segments is None:
        return None
    # dictionary variants are spelled word(2); silences and fillers are <...>
    found = [(s.word.split("(")[0], s.start_frame * FRAME_S, (s.end_frame - s.start_frame + 1) * FRAME_S)
             for s in segments if not s.word.startswith(("<", "["))]
    return found if [w for w, _, _ in found] == words else None


def force_align(data_dir: str, out_ctm: str) -> AlignReport:
    """Align every utterance of ``data_dir`` and write a CTM (atomically) to ``out_ctm``."""
    data = DataDir.load(data_dir, require=("wav.scp", "text"))
    decoder = new_decoder()
    report, lines = AlignReport(), []
    scp = str(data.path / "wav.scp")
    utterances = c_sorted(data.text)
    with progress(len(utterances), desc="align", unit="utt") as bar:
        for utt in utterances:
            bar.update(1)
            words = data.text[utt].lower().split()
            oov = [w for w in words if decoder.lookup_word(w) is None]
            if oov:
                report.left_out["with out-of-dictionary words"] += 1
                new = [w for w in dict.fromkeys(oov) if w not in report.oov_examples]
                report.oov_examples.extend(new[:5 - len(report.oov_examples)])
                continue
            if utt not in data.wav_scp:
                raise AweError(f"{data.path}/text (key '{utt}'): utterance not in wav.scp")
            samples, rate = read_audio(data.wav_scp[utt], utt, scp)
            aligned = align_words(decoder, resample(samples, rate, RATE), words) if words else None
            if aligned is None:
                report.left_out["not aligned to the end"] += 1
                continue
            report.aligned += 1
            report.words += len(aligned)
            lines.extend(f"{utt} 1 {start:.3f} {duration:.3f} {word}\n" for word, start, duration in aligned)
    if not lines:
        raise AweError(f"{data_dir}: no utterance could be aligned ({report.summary()})")
    with atomic_open(out_ctm) as handle:
        handle.writelines(lines)
    return report
