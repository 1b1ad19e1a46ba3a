"""In-process eSpeak NG through ctypes (``libespeak-ng.so`` from PyPI ``espeakng-loader``).

Why in-process: one ``espeak-ng`` process per word is about 20 times slower than calling
the library.  The library runs synchronously and hands every block of samples to a
callback together with its events; PHONEME events give the phonemes actually spoken
(in IPA).

Why a *private copy* of the library per :class:`Espeak`: the synthesiser keeps state in C
statics between calls (pitch-cycle counters, gain control, Klatt filters) that
``espeak_Terminate``/``espeak_Initialize`` do not reset, so the same word comes out
slightly differently depending on what was spoken before.  Loading a copy of the shared
object under a new file name gives a fresh set of statics; an :class:`Espeak` therefore
starts from the same state in any process, and what it says depends only on the
sequence of calls made on it.  :meth:`Espeak.close` unloads the copy.
"""

from __future__ import annotations

import _ctypes
import ctypes
import shutil
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from awetools.errors import AweError
from awetools.interrupts import ctrl_c_deferred

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INIT_PHONEME_EVENTS = 0x0001
_INIT_PHONEME_IPA = 0x0002
_INIT_DONT_EXIT = 0x8000
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_EVENT_LIST_TERMINATED = 0
_EVENT_PHONEME = 7
_EVENT_SAMPLERATE = 8  # the rate of the audio that follows (an MBROLA voice's own)
_PARAMETERS = {"rate": 1, "volume": 2, "pitch": 3, "range": 4}
_NO_STRESS = str.maketrans("", "", "ˈˌ")  # stress is not a phone


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint),
                ("text_position", ctypes.c_int), ("length", ctypes.c_int),
                ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", _EventId)]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                             ctypes.POINTER(_Event))


def _loader():
    try:
        import espeakng_loader
    except ImportError:
        raise AweError("speech synthesis needs eSpeak NG from PyPI: "
                       "pip install 'awetools[synth]' (espeakng-loader, wordfreq)") from None
    return espeakng_loader


def data_path() -> Path:
    """The ``espeak-ng-data`` directory shipped with ``espeakng-loader``."""
    return Path(_loader().get_data_path())


@lru_cache(maxsize=1)
def language_files() -> dict[str, Path]:
    """eSpeak NG language code (lower case) -> its voice file under ``espeak-ng-data/lang``."""
    return {p.name.lower(): p for p in sorted((data_path() / "lang").rglob("*")) if p.is_file()}


def variant_file(name: str) -> Path:
    """The voice-variant file ``espeak-ng-data/voices/!v/<name>``."""
    path = data_path() / "voices" / "!v" / name
    if not path.is_file():
        raise AweError(f"eSpeak NG has no voice variant '{name}' ({path})")
    return path


def _short_temp_dir() -> Path:
    """A new temporary directory whose path leaves room for a file name in 40 bytes."""
    for parent in (None, "/tmp", "/var/tmp", "/dev/shm"):
        try:
            path = Path(tempfile.mkdtemp(prefix="awe", dir=parent))
        except OSError:
            continue
        if len(str(path / "voice").encode()) < 40:
            return path
        path.rmdir()
    raise AweError("eSpeak NG needs a temporary directory with a short path (< 34 bytes); "
                   "set TMPDIR=/tmp")


@dataclass
class Synthesis:
    """Audio and phonemes of one call: int16 samples at :attr:`Espeak.sample_rate`."""

    samples: np.ndarray
    phonemes: list[str]  # IPA; stress marks, pauses and language switches such as (en) left out


class Espeak:
    """A private, freshly initialised instance of the eSpeak NG library.

    By default PyPI's build and data; ``library`` and ``data_root`` (the directory that
    holds ``espeak-ng-data``) select another build, such as Debian's, which can drive
    MBROLA voices (:mod:`awetools.corpus.mbrola`).  :attr:`sample_rate` follows the voice:
    eSpeak announces an MBROLA database's rate when it starts speaking.
    """

    def __init__(self, library: Path | None = None, data_root: Path | None = None) -> None:
        tmp = tempfile.mkdtemp(prefix="awe-espeak-")
        try:
            copy = Path(tmp) / "libespeak-ng-private.so"
            shutil.copyfile(library or _loader().get_library_path(), copy)
            self._lib = ctypes.CDLL(str(copy))
        except OSError as exc:
            raise AweError(f"cannot load eSpeak NG ({exc})") from None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        lib = self._lib
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                     ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        lib.espeak_SetVoiceByFile.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        # eSpeak NG < 1.52 (Debian bookworm's) has no seed: its noise is then unseeded,
        # which MBROLA voices, the only use of that build here, do not synthesise.
        self._set_seed = getattr(lib, "espeak_ng_SetRandSeed", None)
        if self._set_seed is not None:
            self._set_seed.argtypes = [ctypes.c_long]
        flags = _INIT_PHONEME_EVENTS | _INIT_PHONEME_IPA | _INIT_DONT_EXIT
        data = data_root or data_path()
        self.sample_rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 1000, str(data).encode(), flags)
        if self.sample_rate <= 0:
            raise AweError(f"cannot initialise eSpeak NG with data in {data}")
        self._chunks: list[np.ndarray] = []
        self._phonemes: list[str] = []
        self._callback = _CALLBACK(self._collect)  # keep a reference: C holds the pointer
        lib.espeak_SetSynthCallback(self._callback)

    def _collect(self, wav, count: int, events) -> int:
        """The synth callback: keep samples, phonemes and the sample rate."""
        if count > 0:
            self._chunks.append(np.frombuffer(ctypes.string_at(wav, 2 * count), dtype=np.int16))
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            if events[i].type == _EVENT_PHONEME:
                name = events[i].id.string.decode("utf-8", "replace").translate(_NO_STRESS)
                if name and not (name.startswith("(") and name.endswith(")")):
                    self._phonemes.append(name)
            elif events[i].type == _EVENT_SAMPLERATE:
                self.sample_rate = events[i].id.number
            i += 1
        return 0

    def set_voice(self, definition: str) -> None:
        """Use a voice given as the text of an eSpeak voice file (language and attribute lines).

        eSpeak reads voice files by path into a 40-byte buffer, so the text goes to a file
        in a short temporary directory, removed as soon as eSpeak has read it.
        """
        folder = _short_temp_dir()
        try:
            path = folder / "voice"
            path.write_text(definition, encoding="utf-8")
            status = self._lib.espeak_SetVoiceByFile(str(path).encode())
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        if status != 0:
            raise AweError(f"eSpeak NG cannot load the voice definition:\n{definition}")

    def set_parameters(self, **values: int) -> None:
        """Set ``rate`` (words/min), ``volume`` (0-200), ``pitch`` and ``range`` (0-100)."""
        for name, value in values.items():
            if self._lib.espeak_SetParameter(_PARAMETERS[name], int(value), 0) != 0:
                raise AweError(f"eSpeak NG refused {name}={value}")

    def synthesize(self, text: str, seed: int = 0) -> Synthesis:
        """Speak ``text`` (UTF-8); ``seed`` fixes eSpeak's noise generator for this call."""
        self._chunks, self._phonemes = [], []
        if self._set_seed is not None:
            self._set_seed(seed)
        data = text.encode("utf-8")
        with ctrl_c_deferred():
            status = self._lib.espeak_Synth(data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8,
                                            None, None)
        if status != 0:
            raise AweError(f"eSpeak NG failed to speak '{text}' (status {status})")
        samples = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
        return Synthesis(samples, self._phonemes)

    def close(self) -> None:
        """Terminate the library and unload the private copy."""
        if self._lib is not None:
            self._lib.espeak_Terminate()
            handle = self._lib._handle
            self._lib = None
            _ctypes.dlclose(handle)

    def __enter__(self) -> "Espeak":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
