"""Festival (Debian's ``festival`` with ``festvox-*`` voices): a second engine, voices from recordings.

Festival's diphone and unit-selection voices concatenate pieces of real recordings, so
they bring what a formant synthesiser lacks: the voice quality of real talkers.

Why one process per *job*: starting Festival and loading a voice takes 0.1-1 s, so
:func:`synthesize` writes one Scheme script that says every word of a job, saves each
waveform and prints each word's Segment relation (phone names and end times), and runs
it in a single ``festival -b``.  Every word is its own utterance, so what it sounds like
does not depend on the words before it.

Word boundaries come from the engine's own segment timing: a word's audio is cut from
the end of its leading silence segment to the end of its last phone.

Speaker variation: the duration stretch (rate) and a scale of the F0 targets (pitch; it
changes the pitch of the diphone voices, the unit-selection voice keeps its recorded
pitch) per token, set from the Scheme script.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from awetools.corpus import debian
from awetools.errors import AweError
from awetools.log import get_logger

VOICE_ROOT = Path("/usr/share/festival/voices")
SILENCES = frozenset({"pau", "#", "h#", "sil"})  # the voices' names for silence segments
log = get_logger(__name__)
INSTALL_HINT = "sudo make festival-deps (Debian: apt-get install festival festvox-ru festvox-czech-dita ...)"


@dataclass(frozen=True)
class FestivalVoice:
    """One Debian festvox voice: its Scheme name, language, package and text encoding."""

    name: str
    language: str
    package: str
    encoding: str
    kind: str  # how it was made from recordings


# Debian bookworm's non-English festvox voices with a wordfreq word list for their language
# (festvox-mr-nsk and festvox-te-nsk have none; festvox-ca-ona-hts misreads accented
# letters in our tests, so it is left out).
CATALOGUE: tuple[FestivalVoice, ...] = (
    FestivalVoice("czech_dita", "cs", "festvox-czech-dita", "iso-8859-2", "diphone"),
    FestivalVoice("czech_krb", "cs", "festvox-czech-krb", "iso-8859-2", "diphone"),
    FestivalVoice("czech_machac", "cs", "festvox-czech-machac", "iso-8859-2", "diphone"),
    FestivalVoice("czech_ph", "cs", "festvox-czech-ph", "iso-8859-2", "diphone"),
    FestivalVoice("hy_fi_mv_diphone", "fi", "festvox-suopuhe-mv", "iso-8859-1", "diphone"),
    FestivalVoice("suo_fi_lj_diphone", "fi", "festvox-suopuhe-lj", "iso-8859-1", "diphone"),
    FestivalVoice("hindi_NSK_diphone", "hi", "festvox-hi-nsk", "utf-8", "diphone"),
    FestivalVoice("lp_diphone", "it", "festvox-italp16k", "iso-8859-1", "diphone"),
    FestivalVoice("pc_diphone", "it", "festvox-itapc16k", "iso-8859-1", "diphone"),
    FestivalVoice("msu_ru_nsh_clunits", "ru", "festvox-ru", "utf-8", "unit selection"),
)
PACKAGES = ("festival", "festival-czech", "festival-hi", "festlex-ifd", "festvox-suopuhe-common",
            *sorted({v.package for v in CATALOGUE}))


def runtime() -> str:
    """Path of the ``festival`` program, or a one-line error with the install command."""
    path = shutil.which("festival")
    if path is None:
        raise AweError(f"the festival engine needs Festival and its voices: {INSTALL_HINT}")
    return path


def package_versions(voices: list[FestivalVoice]) -> dict[str, str]:
    """Debian package -> version of Festival and of ``voices`` (for a corpus manifest)."""
    return debian.package_versions(["festival", *sorted({v.package for v in voices})])


@lru_cache(maxsize=1)
def installed_voices() -> dict[str, tuple[FestivalVoice, ...]]:
    """Language -> its voices of :data:`CATALOGUE` that are installed, sorted by name."""
    found: dict[str, list[FestivalVoice]] = {}
    for voice in CATALOGUE:
        if list(VOICE_ROOT.glob(f"*/{voice.name}/festvox")):
            found.setdefault(voice.language, []).append(voice)
    return {lang: tuple(sorted(vs, key=lambda v: v.name)) for lang, vs in sorted(found.items())}


def voice_named(name: str) -> FestivalVoice:
    """The catalogue entry of a voice name."""
    for voice in CATALOGUE:
        if voice.name == name:
            return voice
    raise AweError(f"unknown Festival voice '{name}'")


@dataclass(frozen=True)
class Request:
    """One word to say: duration stretch (> 1 is slower) and F0 scale."""

    word: str
    stretch: float
    f0: float


@dataclass
class Said:
    """A word as Festival said it: int16 samples of the word alone (cut by its segments)."""

    samples: np.ndarray
    sample_rate: int
    phonemes: list[str]


_PRELUDE = """(define (awe_scale_f0 utt)
  (mapcar (lambda (tg) (item.set_feat tg "f0" (* awe_f0 (item.feat tg "f0"))))
          (utt.relation.items utt 'Target))
  utt)
(set! awe_int_targets Int_Targets)
(define (Int_Targets utt) (awe_int_targets utt) (awe_scale_f0 utt))
(define (awe_save index u)
  (begin
    (utt.save.wave u (string-append awe_dir "/" index ".wav") 'riff)
    (mapcar (lambda (s) (format awe_out "%s %s %f\\n" index (item.name s) (item.feat s "end")))
            (utt.relation.items u 'Segment))))
"""


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def script(voice: FestivalVoice, requests: list[Request], folder: Path) -> str:
    """The Scheme program that says every request (in :func:`synthesize`'s ``folder``)."""
    lines = ["(Parameter.set 'Int_Method 'Tree)",  # festvox-hi-nsk needs one and sets none
             f"(voice_{voice.name})",
             "(set! awe_stretch (or (Parameter.get 'Duration_Stretch) 1.0))",  # the voice's own
             f"(set! awe_dir {_quote(str(folder))})",
             f"(set! awe_out (fopen {_quote(str(folder / 'segments'))} \"w\"))", _PRELUDE]
    for index, request in enumerate(requests):
        if not request.word:
            continue
        lines.append(f"(Parameter.set 'Duration_Stretch (* awe_stretch {request.stretch:.4f})) "
                     f"(set! awe_f0 {request.f0:.4f}) "
                     f"(awe_save \"{index}\" (utt.synth (Utterance Text {_quote(request.word)})))")
    lines.append("(fclose awe_out)")
    return "\n".join(lines) + "\n"


def _cut(path: Path, segments: list[tuple[str, float]]) -> Said:
    """The word's samples: from the end of the leading silence to the end of the last phone."""
    with wave.open(str(path)) as handle:
        rate = handle.getframerate()
        samples = np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2")
    spoken = [i for i, (name, _) in enumerate(segments) if name not in SILENCES]
    if not spoken:
        return Said(np.zeros(0, np.int16), rate, [])
    start = segments[spoken[0] - 1][1] if spoken[0] > 0 else 0.0
    end = segments[spoken[-1]][1]
    return Said(samples[round(start * rate):round(end * rate)].copy(), rate,
                [segments[i][0] for i in spoken])


SILENT = Said(np.zeros(0, np.int16), 16000, [])


class _Crashed(Exception):
    """Festival died of a signal (some voices segfault on a few words)."""


def synthesize(voice: FestivalVoice, requests: list[Request]) -> list[Said]:
    """Say every request with ``voice`` in one Festival process, each word on its own.

    A word that the voice's text encoding cannot write is left silent (empty samples), and
    so is a word that crashes Festival (festvox-hi-nsk segfaults on a few): after a crash
    the requests are split in halves and said again until the crashing words are alone.
    """
    sayable = []
    for request in requests:
        try:
            request.word.encode(voice.encoding)
            sayable.append(request)
        except UnicodeEncodeError:
            sayable.append(Request("", request.stretch, request.f0))
    return _say_isolating_crashes(voice, sayable)


def _say_isolating_crashes(voice: FestivalVoice, requests: list[Request]) -> list[Said]:
    try:
        return _say(voice, requests)
    except _Crashed as crash:
        if len(requests) == 1:
            log.warning("festival crashed (%s) saying '%s' with voice %s: the word is left out",
                        crash, requests[0].word, voice.name)
            return [SILENT]
        half = len(requests) // 2
        return (_say_isolating_crashes(voice, requests[:half])
                + _say_isolating_crashes(voice, requests[half:]))


def _say(voice: FestivalVoice, requests: list[Request]) -> list[Said]:
    """One Festival process for ``requests``; raises :class:`_Crashed` when a signal ends it."""
    if not any(r.word for r in requests):
        return [SILENT] * len(requests)
    binary = runtime()
    folder = Path(tempfile.mkdtemp(prefix="awe-festival-"))
    try:
        program = folder / "say.scm"
        program.write_bytes(script(voice, requests, folder).encode(voice.encoding))
        run = subprocess.run([binary, "-b", str(program)], capture_output=True, stdin=subprocess.DEVNULL)
        if run.returncode < 0:
            raise _Crashed(f"signal {-run.returncode}")
        segments_file = folder / "segments"
        if run.returncode != 0 or not segments_file.is_file():
            message = (run.stderr or run.stdout).decode("utf-8", "replace").strip().splitlines()
            raise AweError(f"festival failed with voice {voice.name}: "
                           f"{message[-1] if message else f'exit status {run.returncode}'}")
        segments: dict[str, list[tuple[str, float]]] = {}
        for line in segments_file.read_text(encoding=voice.encoding).splitlines():
            index, name, end = line.split(" ")
            segments.setdefault(index, []).append((name, float(end)))
        return [_cut(folder / f"{i}.wav", segments.get(str(i), [])) if r.word else SILENT
                for i, r in enumerate(requests)]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
