"""Text for synthesis: normalised words, sentences from text files, frequent-word lists.

Normalisation is applied once, and both the audio and the transcript are made from its
output, so they always agree: NFC, lower case, words split at white space, hyphens,
dashes and slashes, punctuation stripped from word edges; plain numbers become words in
English (``1,200`` -> ``one thousand two hundred``, ``1947`` -> ``nineteen forty seven``)
and are dropped in other languages; any other token with digits or symbols is dropped.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

from awetools.errors import AweError
from awetools.io.datadir import read_lines

_SPLIT = re.compile(r"[\s\-\u2010-\u2015/]+")
_EDGES = re.compile(r"^[\W_]+|[\W_]+$")
_WORD = re.compile(r"^[^\W\d_]+(?:'[^\W\d_]+)*$")
_NUMBER = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)$")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'\u201d\u2019)\]]*\s+")

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
         "fourteen fifteen sixteen seventeen eighteen nineteen").split()
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_SCALES = ((10 ** 9, "billion"), (10 ** 6, "million"), (1000, "thousand"))


def english_number(n: int) -> list[str]:
    """Cardinal number words for 0 <= n < 10**12 (``[]`` above)."""
    if n >= 10 ** 12:
        return []
    if n < 20:
        return [_ONES[n]]
    if n < 100:
        return [_TENS[n // 10]] + ([_ONES[n % 10]] if n % 10 else [])
    if n < 1000:
        return [_ONES[n // 100], "hundred"] + (english_number(n % 100) if n % 100 else [])
    for value, name in _SCALES:
        if n >= value:
            rest = english_number(n % value) if n % value else []
            return english_number(n // value) + [name] + rest
    raise AssertionError(n)


def english_year(n: int) -> list[str]:
    """Years 1100-1999 read in pairs: ``nineteen forty seven``, ``eighteen hundred``,
    ``nineteen oh five``."""
    century, rest = divmod(n, 100)
    if rest == 0:
        return english_number(century) + ["hundred"]
    if rest < 10:
        return english_number(century) + ["oh", _ONES[rest]]
    return english_number(century) + english_number(rest)


def number_words(token: str, language: str) -> list[str]:
    """Words for a digit token (``1947``, ``1,200``); ``[]`` (drop) outside English."""
    if language != "en" and not language.startswith("en-"):
        return []
    value = int(token.replace(",", ""))
    if len(token) == 4 and 1100 <= value <= 1999:
        return english_year(value)
    return english_number(value)


def normalize_words(text: str, language: str) -> list[str]:
    """The words of ``text`` as they are spoken and transcribed (see the module docstring)."""
    text = unicodedata.normalize("NFC", text).lower().replace("\u2019", "'")
    words: list[str] = []
    for token in _SPLIT.split(text):
        token = _EDGES.sub("", token)
        if _NUMBER.match(token):
            words.extend(number_words(token, language))
        elif _WORD.match(token):
            words.append(token)
    return words


def read_sentences(paths: list[Path]) -> list[str]:
    """Sentences of UTF-8 text files: paragraphs (blank-line separated) split after . ! ?.

    An empty file, or one that is not UTF-8, is an error naming the file (and line).
    """
    sentences: list[str] = []
    for path in paths:
        lines = read_lines(path)
        if not any(line.strip() for line in lines):
            raise AweError(f"{path}: empty text file")
        paragraph: list[str] = []
        for line in [*lines, ""]:
            if line.strip():
                paragraph.append(line.strip())
            elif paragraph:
                sentences.extend(s for s in _SENTENCE_END.split(" ".join(paragraph)) if s)
                paragraph = []
    return sentences


def top_words(language: str, count: int) -> list[str]:
    """The ``count`` most frequent words of ``language`` (wordfreq) that survive normalisation.

    Single letters are left out (eSpeak tends to spell them), as is anything with digits
    or symbols.
    """
    import wordfreq

    if language not in wordfreq.available_languages():
        available = ", ".join(sorted(wordfreq.available_languages()))
        raise AweError(f"language '{language}' has no wordfreq word list (isolated-word "
                       f"languages need one; available: {available})")
    words: list[str] = []
    for word in wordfreq.iter_wordlist(language):
        if normalize_words(word, language) == [word] and len(word) >= 2:
            words.append(word)
            if len(words) == count:
                break
    return words


def default_texts(language: str) -> list[Path]:
    """``$AWE_SHARED_DATA/text/<language>/*.txt`` (default ``../shared/data``), sorted."""
    folder = Path(os.environ.get("AWE_SHARED_DATA", "../shared/data")) / "text" / language
    files = sorted(folder.glob("*.txt"))
    if not files:
        raise AweError(f"no running text for '{language}' in {folder} "
                       "(give --text FILE or set AWE_SHARED_DATA)")
    return files
