"""Parse Kaldi rspecifiers and wspecifiers (plus ``h5:`` for HDF5).

Kaldi spells a table as ``<options>:<path>``: ``ark:feats.ark``, ``scp:feats.scp``,
``ark,t:-`` (text ark on stdout), ``ark,scp:feats.ark,feats.scp`` (an archive and its
index written together).  ``h5:feats.h5`` selects the HDF5 layout of
:mod:`awetools.io.hdf5`.  Unknown options are refused here, so a typo such as
``ark,sc:`` fails at start rather than after an hour of featurisation.
"""

from __future__ import annotations

from dataclasses import dataclass

from awetools.errors import AweError

# Kaldi's read options: o (once), s (sorted), cs (called sorted), p (permissive), b, t.
_READ_OPTIONS = {"ark", "scp", "h5", "o", "s", "cs", "p", "b", "t", "no", "ns", "ncs", "np"}
# Kaldi's write options: b/t (binary/text), f/nf (flush), p (permissive).
_WRITE_OPTIONS = {"ark", "scp", "h5", "b", "t", "f", "nf", "p"}


@dataclass(frozen=True)
class Specifier:
    """A parsed table specifier.

    ``kind`` is ``"ark"``, ``"scp"``, ``"ark,scp"`` (writing only) or ``"h5"``; ``ark``,
    ``scp`` and ``h5`` hold the paths (``"-"`` is stdin/stdout, a trailing ``|`` or a
    leading ``|`` a pipe); ``text`` selects Kaldi's text format.
    """

    kind: str
    ark: str | None = None
    scp: str | None = None
    h5: str | None = None
    text: bool = False
    permissive: bool = False
    spelling: str = ""

    @property
    def to_stream(self) -> bool:
        """True when the archive goes to or comes from stdin/stdout or a pipe."""
        path = self.ark or ""
        return path == "-" or path.endswith("|") or path.startswith("|")


def _split(spec: str, allowed: set[str], role: str) -> tuple[list[str], str]:
    if ":" not in spec:
        raise AweError(
            f"'{spec}': not a {role} (expected e.g. ark:feats.ark, scp:feats.scp, "
            "ark,scp:feats.ark,feats.scp or h5:feats.h5)"
        )
    head, path = spec.split(":", 1)
    options = [o.strip() for o in head.split(",") if o.strip()]
    unknown = [o for o in options if o not in allowed]
    if unknown:
        raise AweError(f"'{spec}': unknown {role} option '{unknown[0]}'")
    if not path:
        raise AweError(f"'{spec}': {role} has no file name")
    return options, path


def parse_rspecifier(spec: str) -> Specifier:
    """Parse a table to read: ``ark:``, ``scp:``, ``ark,t:`` (read as binary or text), ``h5:``."""
    options, path = _split(spec, _READ_OPTIONS, "rspecifier")
    kinds = [o for o in options if o in ("ark", "scp", "h5")]
    if len(kinds) != 1:
        raise AweError(f"'{spec}': an rspecifier needs exactly one of ark, scp, h5")
    kind = kinds[0]
    return Specifier(
        kind=kind,
        ark=path if kind == "ark" else None,
        scp=path if kind == "scp" else None,
        h5=path if kind == "h5" else None,
        text="t" in options,
        permissive="p" in options,
        spelling=spec,
    )


def parse_wspecifier(spec: str) -> Specifier:
    """Parse a table to write: ``ark:``, ``ark,t:``, ``ark,scp:A,S``, ``h5:``."""
    options, path = _split(spec, _WRITE_OPTIONS, "wspecifier")
    text = "t" in options
    if "b" in options and text:
        raise AweError(f"'{spec}': options b and t contradict each other")
    if "h5" in options:
        if len(options) != 1:
            raise AweError(f"'{spec}': h5 takes no other options")
        return Specifier(kind="h5", h5=path, spelling=spec)
    if "ark" in options and "scp" in options:
        parts = path.split(",")
        if len(parts) != 2 or not all(parts):
            raise AweError(f"'{spec}': ark,scp needs two file names, e.g. ark,scp:a.ark,a.scp")
        if parts[0] == "-" or parts[0].endswith("|"):
            raise AweError(f"'{spec}': an scp cannot index an archive written to a stream")
        return Specifier(kind="ark,scp", ark=parts[0], scp=parts[1], text=text, spelling=spec)
    if "ark" in options:
        return Specifier(kind="ark", ark=path, text=text, spelling=spec)
    raise AweError(f"'{spec}': a wspecifier needs ark (optionally with scp) or h5")
