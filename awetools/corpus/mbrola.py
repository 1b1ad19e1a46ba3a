"""MBROLA (Debian's ``mbrola`` with ``mbrola-*`` voices): diphone voices cut from real talkers.

Each MBROLA voice is a database of diphones cut from one real speaker's recordings, so
unlike eSpeak's formant voices it carries a real voice source and real coarticulation.
eSpeak NG is its front end: it reads the word, gives the phones, their durations and the
pitch contour (so rate, pitch and range act as for eSpeak's own voices), and pipes them to
the ``mbrola`` program.  The PyPI build of eSpeak NG leaves MBROLA support out, so this
engine runs Debian's ``libespeak-ng1`` with Debian's ``espeak-ng-data`` (which has the
``voices/mb`` definitions and the ``mbrola_ph`` phone maps), through the same in-process
wrapper (:class:`awetools.corpus.espeak.Espeak`).  Every word is said on its own, so a
word's span is exactly the audio made for it, as with eSpeak.  MBROLA keeps some state
from word to word (a word's length can differ by a few ms with the words before it), so,
as for every engine, a job on a fresh instance is the unit that reproduces exactly.

MBROLA databases run at 16 or 22.05 kHz; eSpeak reports the rate in a SAMPLERATE event,
which the wrapper keeps.  A speaker's formant scale is applied, as for Festival, by
taking the audio to be at ``rate * scale`` when it is resampled to 16 kHz (vocal tract and
pitch together); the eSpeak rate is scaled the other way so durations keep their spread.

A voice's database may lack a diphone that eSpeak's phones ask for (Debian's Spanish
voices lack most unstressed-vowel diphones, ``nl1`` a third of its word edges); MBROLA
then puts silence in its place and warns on stderr.  :class:`Mbrola` catches the warning
and returns such a word empty, so the corpus leaves it out as it does a word eSpeak
cannot say (``silent_words_dropped`` in the manifest), and the terminal stays quiet.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from awetools.corpus import debian
from awetools.corpus.espeak import Espeak, Synthesis
from awetools.errors import AweError

DATABASES = Path("/usr/share/mbrola")   # Debian: /usr/share/mbrola/<voice>/<voice>
# What `make mbrola-deps` installs: the program (contrib), Debian's eSpeak NG with MBROLA
# support, and every voice (non-free) of the default isolated-word languages but Russian,
# which has none.
PACKAGES = ("mbrola", "libespeak-ng1", "espeak-ng-data",
            "mbrola-de1", "mbrola-de2", "mbrola-de3", "mbrola-de4", "mbrola-de5", "mbrola-de6",
            "mbrola-de7", "mbrola-de8", "mbrola-es1", "mbrola-es2", "mbrola-es3", "mbrola-es4",
            "mbrola-mx1", "mbrola-mx2", "mbrola-vz1", "mbrola-fr1", "mbrola-fr2", "mbrola-fr3",
            "mbrola-fr4", "mbrola-fr5", "mbrola-fr6", "mbrola-fr7", "mbrola-ca1", "mbrola-ca2",
            "mbrola-it1", "mbrola-it2", "mbrola-it3", "mbrola-it4", "mbrola-nl1", "mbrola-nl2",
            "mbrola-nl3", "mbrola-pl1", "mbrola-pt1", "mbrola-br1", "mbrola-br2", "mbrola-br3",
            "mbrola-br4", "mbrola-sw1", "mbrola-sw2", "mbrola-tr1", "mbrola-tr2")
INSTALL_HINT = ("sudo make mbrola-deps (Debian, contrib and non-free: apt-get install mbrola "
                "libespeak-ng1 espeak-ng-data mbrola-de1 ...)")


@dataclass(frozen=True)
class MbrolaVoice:
    """One MBROLA voice as eSpeak NG defines it (``voices/mb/mb-<name>``)."""

    name: str           # the database, e.g. de1
    language: str       # the eSpeak language's base code (pt for pt-br, fr for fr-ca)
    definition: str     # the text of eSpeak's voice file


@dataclass(frozen=True)
class Runtime:
    """Debian's eSpeak NG library and the directory that holds its ``espeak-ng-data``."""

    library: Path
    data_root: Path


def _find_runtime() -> Runtime | None:
    """Debian's library and data, in /usr/lib or its multiarch folder, if installed."""
    for folder in (Path("/usr/lib"), *sorted(Path("/usr/lib").glob("*-linux-gnu*"))):
        library = folder / "libespeak-ng.so.1"
        if library.is_file() and (folder / "espeak-ng-data" / "voices" / "mb").is_dir():
            return Runtime(library, folder)
    return None


def runtime() -> Runtime:
    """The eSpeak NG build with MBROLA support and the ``mbrola`` program, or a one-line
    error with the install command."""
    found = _find_runtime()
    if found is None or shutil.which("mbrola") is None:
        raise AweError(f"the mbrola engine needs MBROLA, its voices and Debian's eSpeak NG: {INSTALL_HINT}")
    return found


def _setting(definition: str, key: str) -> list[str]:
    for line in definition.splitlines():
        fields = line.split()
        if fields and fields[0] == key:
            return fields[1:]
    return []


@lru_cache(maxsize=1)
def installed_voices() -> dict[str, tuple[MbrolaVoice, ...]]:
    """Language -> its MBROLA voices whose database is installed, sorted by name.

    eSpeak's definitions that speak another language with a voice (``mb-de4-en``: English
    by a German talker) are left out: the database's own language is the voice's."""
    found = _find_runtime()
    if found is None:
        return {}
    voices: dict[str, list[MbrolaVoice]] = {}
    for path in sorted((found.data_root / "espeak-ng-data" / "voices" / "mb").glob("mb-*")):
        definition = path.read_text(encoding="utf-8", errors="replace")
        database, language = _setting(definition, "mbrola")[:1], _setting(definition, "language")[:1]
        if not database or not language or path.name != f"mb-{database[0]}":
            continue
        if (DATABASES / database[0] / database[0]).is_file():
            code = language[0].split("-")[0].lower()
            voices.setdefault(code, []).append(MbrolaVoice(database[0], code, definition))
    return {code: tuple(vs) for code, vs in sorted(voices.items())}


def voice_named(name: str) -> MbrolaVoice:
    """The installed voice with database ``name``."""
    for voices in installed_voices().values():
        for voice in voices:
            if voice.name == name:
                return voice
    raise AweError(f"MBROLA voice '{name}' is not installed ({INSTALL_HINT})")


def package_versions(voices: list[MbrolaVoice]) -> dict[str, str]:
    """Debian package -> version of MBROLA, Debian's eSpeak NG and ``voices`` (for a manifest)."""
    return debian.package_versions(["mbrola", "libespeak-ng1", "espeak-ng-data",
                                    *sorted(f"mbrola-{v.name}" for v in voices)])


class Mbrola(Espeak):
    """Debian's eSpeak NG driving MBROLA voices, whose complaints go to a private file.

    A word during which MBROLA warned (a diphone missing from the voice, said as silence)
    comes back with no samples: it would have a hole in it.
    """

    def __init__(self) -> None:
        found = runtime()
        self._messages = tempfile.TemporaryFile()
        super().__init__(found.library, found.data_root)

    def _quietly(self, call, *args):
        """Run ``call`` with stderr (fd 2: eSpeak prints MBROLA's warnings there) in the file;
        returns its result and whether anything was written."""
        before = os.fstat(self._messages.fileno()).st_size
        saved = os.dup(2)
        os.dup2(self._messages.fileno(), 2)
        try:
            result = call(*args)
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        return result, os.fstat(self._messages.fileno()).st_size > before

    def set_voice(self, definition: str) -> None:
        self._quietly(super().set_voice, definition)

    def synthesize(self, text: str, seed: int = 0) -> Synthesis:
        said, warned = self._quietly(super().synthesize, text, seed)
        return Synthesis(np.zeros(0, np.int16), []) if warned else said

    def close(self) -> None:
        super().close()
        self._messages.close()
