"""Word alignments: CTM, Praat TextGrid (MFA style; long, short, UTF-16), word lines."""

from __future__ import annotations

import pytest

from awetools.errors import AweError
from awetools.io.alignments import (WordInterval, read_ctm, read_textgrid, read_textgrid_dir,
                                    read_word_lines)

# What the Montreal Forced Aligner writes for "the cat sat" (words tier, then phones),
# with empty intervals for silence; a point tier is added to check that other tiers are
# skipped whatever their kind.
WORDS = [(0.0, 0.31, ""), (0.31, 0.52, "the"), (0.52, 0.9, "cat"), (0.9, 0.95, ""),
         (0.95, 1.37, "sat"), (1.37, 1.6, "")]
PHONES = [(0.0, 0.31, ""), (0.31, 0.4, "DH"), (0.4, 0.52, "AH0"), (0.52, 0.63, "K"),
          (0.63, 0.8, "AE1"), (0.8, 0.9, "T"), (0.9, 0.95, ""), (0.95, 1.1, "S"),
          (1.1, 1.25, "AE1"), (1.25, 1.37, "T"), (1.37, 1.6, "")]
POINTS = [(0.7, 'mark "a"')]
TIERS = [("IntervalTier", "phones", PHONES), ("TextTier", "events", POINTS),
         ("IntervalTier", "words", WORDS)]


def _q(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _textgrid(tiers, short: bool = False, xmax: float = 1.6) -> str:
    """A Praat TextGrid in the long (Praat/MFA default) or short text format."""
    if short:
        out = ['File type = "ooTextFile"', 'Object class = "TextGrid"', "", "0", f"{xmax}",
               "<exists>", str(len(tiers))]
        for kind, name, items in tiers:
            out += [_q(kind), _q(name), "0", f"{xmax}", str(len(items))]
            for item in items:
                out += [f"{v}" if not isinstance(v, str) else _q(v) for v in item]
        return "\n".join(out) + "\n"
    out = ['File type = "ooTextFile"', 'Object class = "TextGrid"', "", "xmin = 0 ",
           f"xmax = {xmax} ", "tiers? <exists> ", f"size = {len(tiers)} ", "item []: "]
    for t, (kind, name, items) in enumerate(tiers, start=1):
        out += [f"    item [{t}]:", f"        class = {_q(kind)} ", f"        name = {_q(name)} ",
                "        xmin = 0 ", f"        xmax = {xmax} "]
        if kind == "IntervalTier":
            out.append(f"        intervals: size = {len(items)} ")
            for i, (a, b, label) in enumerate(items, start=1):
                out += [f"        intervals [{i}]:", f"            xmin = {a} ",
                        f"            xmax = {b} ", f"            text = {_q(label)} "]
        else:
            out.append(f"        points: size = {len(items)} ")
            for i, (time, mark) in enumerate(items, start=1):
                out += [f"        points [{i}]:", f"            number = {time} ",
                        f"            mark = {_q(mark)} "]
    return "\n".join(out) + "\n"


EXPECTED = [("the", 0.31, 0.52), ("cat", 0.52, 0.9), ("sat", 0.95, 1.37)]


def _triples(words: list[WordInterval]) -> list[tuple[str, float, float]]:
    return [(w.word, w.start, w.end) for w in words]


@pytest.mark.parametrize("form", ["long", "short", "utf16"])
def test_textgrid_formats(tmp_path, form):
    path = tmp_path / "spk1-utt1.TextGrid"
    text = _textgrid(TIERS, short=(form == "short"))
    if form == "utf16":  # what Praat writes once a label is not ASCII
        text = text.replace('"cat"', '"cät"')
        path.write_bytes(text.encode("utf-16"))  # with BOM
    else:
        path.write_text(text, encoding="utf-8")
    words = read_textgrid(path)
    expected = [(w.replace("cat", "cät") if form == "utf16" else w, a, b) for w, a, b in EXPECTED]
    assert _triples(words) == expected
    assert {w.utterance for w in words} == {"spk1-utt1"}
    if form == "long":  # each interval points at its xmin line in the words tier
        lines = path.read_text().splitlines()
        tier = lines.index('        name = "words" ')
        line = tier + lines[tier:].index("            xmin = 0.31 ") + 1
        assert words[0].source == f"{path}:{line}"
    phones = read_textgrid(path, tier="phones")
    assert [p.word for p in phones] == ["DH", "AH0", "K", "AE1", "T", "S", "AE1", "T"]
    with_empty = read_textgrid(path, skip_empty=False)
    assert len(with_empty) == 6 and with_empty[0].word == ""


def test_textgrid_escaped_quotes_and_crlf(tmp_path):
    tiers = [("IntervalTier", "words", [(0.0, 0.5, 'say ""hi""'.replace('""', '"')),
                                        (0.5, 1.0, "")])]
    path = tmp_path / "u.TextGrid"
    path.write_bytes(_textgrid(tiers, xmax=1.0).replace("\n", "\r\n").encode())
    assert _triples(read_textgrid(path)) == [('say "hi"', 0.0, 0.5)]


def test_textgrid_without_words_tier_lists_tiers(tmp_path):
    path = tmp_path / "u.TextGrid"
    path.write_text(_textgrid([t for t in TIERS if t[1] != "words"]))
    with pytest.raises(AweError, match=rf"{path}: no interval tier named 'words' "
                                       r"\(tiers: phones, events\)"):
        read_textgrid(path)
    with pytest.raises(AweError, match="no interval tier named 'events'"):
        read_textgrid(path, tier="events")  # a point tier is not an interval tier


def test_textgrid_errors(tmp_path):
    bad = tmp_path / "bad.TextGrid"
    bad.write_text("hello\n")
    with pytest.raises(AweError, match=r"bad.TextGrid:1: not a Praat TextGrid"):
        read_textgrid(bad)
    cut = tmp_path / "cut.TextGrid"
    cut.write_text("\n".join(_textgrid(TIERS).splitlines()[:30]))
    with pytest.raises(AweError, match=r"cut.TextGrid:\d+: malformed TextGrid"):
        read_textgrid(cut)
    backwards = tmp_path / "back.TextGrid"
    backwards.write_text(_textgrid([("IntervalTier", "words", [(0.5, 0.2, "x")])]))
    with pytest.raises(AweError, match=r"back.TextGrid:\d+: interval end 0.2 is not after start 0.5"):
        read_textgrid(backwards)
    latin1 = tmp_path / "l.TextGrid"
    latin1.write_bytes(_textgrid(TIERS).replace('"cat"', '"c\xe4t"').encode("latin-1"))
    with pytest.raises(AweError, match="neither UTF-8 nor UTF-16"):
        read_textgrid(latin1)
    with pytest.raises(AweError, match="no such file"):
        read_textgrid(tmp_path / "missing.TextGrid")


def test_textgrid_dir_is_recursive_per_speaker(tmp_path):
    for spk, utt in (("spk1", "spk1-a"), ("spk2", "spk2-b")):
        (tmp_path / spk).mkdir()
        (tmp_path / spk / f"{utt}.TextGrid").write_text(_textgrid(TIERS))
    (tmp_path / "spk2" / "notes.txt").write_text("ignored")
    alignment = read_textgrid_dir(tmp_path)
    assert list(alignment) == ["spk1-a", "spk2-b"]
    assert _triples(alignment["spk2-b"]) == EXPECTED
    (tmp_path / "spk2" / "spk1-a.TextGrid").write_text(_textgrid(TIERS))
    with pytest.raises(AweError, match="utterance 'spk1-a' has two TextGrids"):
        read_textgrid_dir(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(AweError, match="no .TextGrid files"):
        read_textgrid_dir(tmp_path / "empty")
    with pytest.raises(AweError, match="no such TextGrid directory"):
        read_textgrid_dir(tmp_path / "missing")


def test_ctm_with_and_without_confidence(tmp_path):
    ctm = tmp_path / "a.ctm"
    ctm.write_text(";; produced by nnet3-latgen\n"
                   "u2 1 0.40 0.25 world 0.93\n"
                   "u1 A 1.00 0.50 cat\n"
                   "\n"
                   "u1 A 0.20 0.30 the 1.00\n")
    alignment = read_ctm(ctm)
    assert list(alignment) == ["u2", "u1"]
    assert _triples(alignment["u1"]) == [("the", 0.2, 0.5), ("cat", 1.0, 1.5)]  # time order
    assert alignment["u2"][0] == WordInterval("u2", 0.4, 0.65, "world", f"{ctm}:2")


@pytest.mark.parametrize("line, message", [
    ("u1 1 0.5 0.2", r"a.ctm:2: expected '<utt> <channel> <start> <duration> <word>', got 4 fields"),
    ("u1 1 0.5 -0.2 cat", r"a.ctm:2: duration -0.2 is not positive"),
    ("u1 1 0.5 0 cat", r"a.ctm:2: duration 0 is not positive"),
    ("u1 1 -0.5 0.2 cat", r"a.ctm:2: negative start time -0.5"),
    ("u1 1 abc 0.2 cat", r"a.ctm:2: start 'abc' is not a number"),
    ("u1 1 0.5 nan cat", r"a.ctm:2: duration 'nan' is not finite"),
])
def test_ctm_errors_name_file_and_line(tmp_path, line, message):
    ctm = tmp_path / "a.ctm"
    ctm.write_text(f"u1 1 0.0 0.2 the\n{line}\n")
    with pytest.raises(AweError, match=message):
        read_ctm(ctm)


def test_ctm_non_utf8(tmp_path):
    (tmp_path / "a.ctm").write_bytes(b"u1 1 0.0 0.2 the\nu1 1 0.2 0.2 caf\xe9\n")
    with pytest.raises(AweError, match=r"a.ctm:2: not valid UTF-8"):
        read_ctm(tmp_path / "a.ctm")


def test_word_lines(tmp_path):
    path = tmp_path / "words.txt"
    path.write_text("s1-u1 0.93 1.40 sat\ns1-u1 0.10 0.50 the\ns2-u7 0 0.25 hi\n")
    alignment = read_word_lines(path)
    assert _triples(alignment["s1-u1"]) == [("the", 0.1, 0.5), ("sat", 0.93, 1.4)]
    assert alignment["s2-u7"][0].source == f"{path}:3"
    path.write_text("s1-u1 0.10 0.50 the\ns1-u1 0.9 0.4 sat\n")
    with pytest.raises(AweError, match=r"words.txt:2: end 0.4 is not after start 0.9"):
        read_word_lines(path)
    path.write_text("s1-u1 0.10 0.50 the big\n")
    with pytest.raises(AweError, match=r"words.txt:1: expected '<utt> <start> <end> <word>', "
                                       "got 5 fields"):
        read_word_lines(path)
