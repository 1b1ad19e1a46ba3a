"""Speak utterances word by word: token variation, synthesis, rendering, layout, wavs.

Every word is synthesised on its own, by eSpeak NG, Festival or MBROLA (the speaker's engine; so
eSpeak's merged WORD events for function-word pairs never matter), and the rendered words
are laid end to end with the speaker's pauses; a word's span in the utterance is
therefore exactly the audio the engine made for it.  All randomness of an utterance
(token voices, eSpeak noise seeds, pauses, noise) comes from a generator seeded by the
corpus seed and the utterance id.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from awetools.corpus import mbrola
from awetools.corpus.espeak import Espeak, Synthesis, language_files
from awetools.corpus.festival import Request, synthesize, voice_named
from awetools.corpus.plan import Job
from awetools.corpus.render import (SAMPLE_RATE, add_noise, assemble, milliseconds, render_words,
                                    to_pcm16)
from awetools.corpus.speakers import Speaker, TokenVoice, stable_hash, token_voice, voice_definition
from awetools.errors import AweError
from awetools.io.audio import write_wav

EDGE_SILENCE = (0.05, 0.15)  # silence before the first and after the last word (s)
GAP_JITTER = (0.5, 1.5)      # a pause is the speaker's mean pause times this factor


@dataclass
class Spoken:
    """A synthesised utterance: the words actually spoken and their spans in samples."""

    id: str
    speaker: str
    words: list[str]
    spans: list[tuple[int, int]]
    samples: int
    pronunciations: list[tuple[str, ...]]


def utterance_rng(seed: int, utt: str) -> np.random.Generator:
    """The random generator of one utterance: depends on the seed and its id only."""
    return np.random.default_rng([seed, stable_hash("utterance", utt)])


def plan_tokens(speaker: Speaker, count: int, rng: np.random.Generator) -> list[tuple[TokenVoice, int]]:
    """Voice and eSpeak noise seed of each of ``count`` tokens (drawn before any layout)."""
    return [(token_voice(speaker, rng), int(rng.integers(2 ** 31))) for _ in range(count)]


def say(engine: Espeak, word: str, voice: TokenVoice, seed: int) -> Synthesis:
    """One token at eSpeak's rate (``engine`` already has the speaker's voice)."""
    engine.set_parameters(rate=voice.rate, pitch=voice.pitch)
    return engine.synthesize(word, seed=seed)


def say_all(engine: Espeak, speaker: Speaker, words: list[str],
            rng: np.random.Generator) -> list[Synthesis]:
    """The tokens of one utterance, each synthesised on its own.

    An MBROLA speaker's rate is divided by its formant scale, which resampling
    (:func:`scaled_rate`) multiplies back."""
    scale = speaker.formant_scale if speaker.engine == "mbrola" else 1.0
    return [say(engine, word, TokenVoice(int(round(voice.rate / scale)), voice.pitch), seed)
            for word, (voice, seed) in zip(words, plan_tokens(speaker, len(words), rng))]


def lay_out(speaker: Speaker, words: list[str], said: list[Synthesis], audio: list[np.ndarray],
            rng: np.random.Generator, snr: float | None = None
            ) -> tuple[np.ndarray, list[tuple[int, int]], list[str], list[tuple[str, ...]]]:
    """Rendered words end to end with the speaker's pauses (and noise) as one utterance.

    Returns int16 16 kHz samples, each spoken word's (start, length) in samples, the
    spoken words (eSpeak may stay silent on some) and their phone sequences.
    """
    kept = [i for i, samples in enumerate(audio) if len(samples)]
    gaps = [milliseconds(speaker.pause * rng.uniform(*GAP_JITTER)) for _ in kept[1:]]
    lead, tail = (milliseconds(rng.uniform(*EDGE_SILENCE)) for _ in range(2))
    signal, spans = assemble([audio[i] for i in kept], gaps, lead, tail)
    if snr is not None and spans:
        signal = add_noise(signal, spans, snr, rng)
    return to_pcm16(signal), spans, [words[i] for i in kept], [tuple(said[i].phonemes) for i in kept]


def speak(engine: Espeak, speaker: Speaker, words: list[str], rng: np.random.Generator,
          snr: float | None = None) -> tuple[np.ndarray, list[tuple[int, int]], list[str],
                                             list[tuple[str, ...]]]:
    """Synthesise ``words`` word by word as one utterance of ``speaker`` (see :func:`lay_out`).

    ``engine`` must already speak with the speaker's voice (:func:`prepare_engine`).
    """
    said = say_all(engine, speaker, words, rng)
    audio = render_words([s.samples for s in said], engine.sample_rate, speaker.tilt)
    return lay_out(speaker, words, said, audio, rng, snr)


def festival_request(speaker: Speaker, word: str, voice: TokenVoice) -> Request:
    """A token's Festival request: eSpeak's rate scale (175 words/min = the voice's own
    durations, times the formant scale that resampling takes away again) and a pitch scale
    of 2^((pitch - 50) / 100)."""
    return Request(word, stretch=175.0 / voice.rate * speaker.formant_scale,
                   f0=2.0 ** ((voice.pitch - 50) / 100.0))


def scaled_rate(rate: int, speaker: Speaker) -> int:
    """The rate a Festival or MBROLA voice's audio is taken to have, so that resampling scales
    its formants and pitch by the speaker's formant scale (a multiple of 50 Hz: short
    polyphase filters)."""
    return int(round(rate * speaker.formant_scale / 50.0)) * 50


def say_festival(speaker: Speaker, utterances: list[list[str]], rngs: list[np.random.Generator]
                 ) -> tuple[list[list[Synthesis]], int]:
    """Every token of the utterances in one Festival process, with the speaker's variation.

    Returns the tokens (int16 samples at the speaker's volume) and the rate for
    :func:`render_words`.  Draws the same token voices and seeds as eSpeak does.
    """
    requests = [festival_request(speaker, word, voice)
                for words, rng in zip(utterances, rngs)
                for word, (voice, _) in zip(words, plan_tokens(speaker, len(words), rng))]
    said = synthesize(voice_named(speaker.variant), requests)
    gain = speaker.volume / 100.0
    tokens = iter(Synthesis(np.round(s.samples * gain).astype(np.int16), s.phonemes) for s in said)
    rates = {s.sample_rate for s in said if len(s.samples)}
    rate = scaled_rate(rates.pop() if rates else SAMPLE_RATE, speaker)
    return [[next(tokens) for _ in words] for words in utterances], rate


def open_engine(speaker: Speaker) -> Espeak:
    """A fresh eSpeak NG for the speaker: PyPI's, or Debian's for an MBROLA voice."""
    return mbrola.Mbrola() if speaker.engine == "mbrola" else Espeak()


def prepare_engine(engine: Espeak, speaker: Speaker) -> None:
    """Give ``engine`` the speaker's voice, intonation range and volume."""
    if speaker.engine == "mbrola":
        engine.set_voice(mbrola.voice_named(speaker.variant).definition)
    else:
        engine.set_voice(voice_definition(speaker, language_files()[speaker.language]))
    engine.set_parameters(range=speaker.pitch_range, volume=speaker.volume)


def run_job(job: Job) -> list[Spoken]:
    """Synthesise a job and write its wavs; returns the utterances spoken.

    Does what :func:`speak` does for each utterance, but resamples all words of the job
    together (faster, same samples).
    """
    try:
        job.wav_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AweError(f"{job.wav_dir}: cannot create ({exc.strerror or exc})") from None
    rngs = [utterance_rng(job.seed, utt.id) for utt in job.utterances]
    if job.speaker.engine == "festival":
        said, rate = say_festival(job.speaker, [utt.words for utt in job.utterances], rngs)
    else:
        with open_engine(job.speaker) as engine:
            prepare_engine(engine, job.speaker)
            said = [say_all(engine, job.speaker, utt.words, rng)
                    for utt, rng in zip(job.utterances, rngs)]
            rate = engine.sample_rate
        if job.speaker.engine == "mbrola":
            rate = scaled_rate(rate, job.speaker)
    audio = iter(render_words([s.samples for tokens in said for s in tokens], rate, job.speaker.tilt))
    done = []
    for utt, rng, tokens in zip(job.utterances, rngs, said):
        samples, spans, words, phones = lay_out(job.speaker, utt.words, tokens,
                                                [next(audio) for _ in tokens], rng, job.snr)
        if words:
            write_wav(job.wav_dir / f"{utt.id}.wav", samples, SAMPLE_RATE)
            done.append(Spoken(utt.id, job.speaker.id, words, spans, len(samples), phones))
    return done


