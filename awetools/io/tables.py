"""Tables of arrays keyed by segment id, read and written through Kaldi specifiers.

One vocabulary for every tool (see :mod:`awetools.io.specifiers`)::

    with open_writer("ark,scp:feats.ark,feats.scp") as out:
        out.write("spk1-utt1-0001", features)        # float32 [frames, dim]
    for key, matrix in open_reader("scp:feats.scp"):
        ...
    keys, vectors = read_vectors("h5:embeddings.h5")   # float32 [N, D]

Binary archives are written with kaldiio's Kaldi-compatible encoder and are readable by
Kaldi's own tools.  Files are written atomically (temporary sibling, renamed when the
writer closes without an error); streams (``ark:-``, pipes) cannot be, and are not.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import kaldiio
import numpy as np
from kaldiio.matio import write_array, write_array_ascii

from awetools.errors import AweError
from awetools.io.atomic import atomic_path
from awetools.io.hdf5 import HDF5Table, HDF5TableWriter
from awetools.io.specifiers import Specifier, parse_rspecifier, parse_wspecifier

_WHITESPACE = re.compile(r"\s")


def _invalid_key(keys: list[str]) -> str | None:
    """The first key that is empty or has whitespace, or None (one scan for the common case)."""
    if "" not in keys and not _WHITESPACE.search("".join(keys)):
        return None
    return next(key for key in keys if not key or _WHITESPACE.search(key))


def _open_stream(path: str, mode: str) -> BinaryIO:
    """stdin/stdout for ``-``, a shell pipe for ``cmd |`` / ``| cmd``, else a file."""
    if path == "-":
        return (sys.stdin if "r" in mode else sys.stdout).buffer
    if path.endswith("|") or path.startswith("|"):
        return kaldiio.utils.open_like_kaldi(path, mode)
    try:
        return open(path, mode)
    except FileNotFoundError:
        raise AweError(f"{path}: no such file") from None
    except PermissionError:
        raise AweError(f"{path}: permission denied") from None
    except IsADirectoryError:
        raise AweError(f"{path}: is a directory, not an archive") from None


class TableWriter:
    """Writes ``(key, array)`` pairs to an ark (optionally with scp) or an HDF5 table."""

    def __init__(self, spec: Specifier, ark_tmp: Path | None, scp_tmp: Path | None,
                 h5_tmp: Path | None):
        self.spec = spec
        self.count = 0
        self._seen: set[str] = set()
        self._h5 = HDF5TableWriter(h5_tmp, final_name=spec.h5) if h5_tmp else None
        self._ark: BinaryIO | None = None
        self._scp = None
        if spec.ark is not None:
            self._ark = open(ark_tmp, "wb") if ark_tmp else _open_stream(spec.ark, "wb")
        if scp_tmp is not None:
            self._scp = open(scp_tmp, "w", encoding="utf-8")

    def write(self, key: str, array: np.ndarray) -> None:
        """Append one array; keys must be unique and contain no whitespace."""
        if _invalid_key([key]) is not None:
            raise AweError(f"{self.spec.spelling}: invalid key '{key}' (empty or has whitespace)")
        if key in self._seen:
            raise AweError(f"{self.spec.spelling}: key '{key}' written twice")
        self._seen.add(key)
        array = np.asarray(array, dtype=np.float32)
        if self._h5 is not None:
            self._h5.write(key, array)
        else:
            self._ark.write(f"{key} ".encode("utf-8"))
            offset = self._ark.tell() if self._scp is not None else 0
            if self.spec.text:
                write_array_ascii(self._ark, array)
            else:
                write_array(self._ark, array)
            if self._scp is not None:
                self._scp.write(f"{key} {self.spec.ark}:{offset}\n")
        self.count += 1

    def write_block(self, keys: list[str], arrays: np.ndarray) -> None:
        """Write ``[N, D]`` vectors or ``[N, R, D]`` matrices; one HDF5 append instead of N
        small writes."""
        if self._h5 is not None and not set(keys) & self._seen and len(set(keys)) == len(keys) \
                and _invalid_key(keys) is None:  # otherwise write() names the offending key
            self._h5.write_block(keys, arrays)
            self._seen.update(keys)
            self.count += len(keys)
            return
        for key, array in zip(keys, arrays):
            self.write(key, array)

    def _close(self, ok: bool) -> None:
        if self._h5 is not None:
            (self._h5.close if ok else self._h5.abort)()
        if self._ark is not None:
            if self._ark in (sys.stdout.buffer,):
                self._ark.flush()
            else:
                self._ark.close()
        if self._scp is not None:
            self._scp.close()


@contextlib.contextmanager
def open_writer(wspecifier: str) -> Iterator[TableWriter]:
    """Open a table for writing; the files appear only when the block ends without error."""
    spec = parse_wspecifier(wspecifier)
    with contextlib.ExitStack() as stack:
        h5_tmp = stack.enter_context(atomic_path(spec.h5)) if spec.h5 else None
        ark_tmp = None
        if spec.ark is not None and not spec.to_stream:
            ark_tmp = stack.enter_context(atomic_path(spec.ark))
        scp_tmp = stack.enter_context(atomic_path(spec.scp)) if spec.scp else None
        writer = TableWriter(spec, ark_tmp, scp_tmp, h5_tmp)
        try:
            yield writer
        except BaseException:
            writer._close(ok=False)
            raise
        writer._close(ok=True)


def write_vectors(wspecifier: str, keys: list[str], vectors: np.ndarray) -> None:
    """Write an ``[N, D]`` array of vectors keyed by ``keys``."""
    with open_writer(wspecifier) as writer:
        writer.write_block(list(keys), vectors)


def open_reader(rspecifier: str) -> Iterator[tuple[str, np.ndarray]]:
    """Iterate over ``(key, float32 array)`` in table order; errors name the table and key."""
    spec = parse_rspecifier(rspecifier)
    if spec.kind == "h5":
        table = HDF5Table(spec.h5)
        try:
            yield from table
        finally:
            table.close()
        return
    if spec.kind == "scp":
        if spec.scp != "-" and not os.path.isfile(spec.scp):
            raise AweError(f"{spec.scp}: no such scp file")
        source = kaldiio.load_scp_sequential(spec.scp)
        handle = None
    else:
        handle = _open_stream(spec.ark, "rb")
        source = kaldiio.load_ark(handle)
    last = None
    try:
        while True:
            try:
                key, array = next(source)
            except StopIteration:
                break
            except (OSError, ValueError, KeyError, RuntimeError, EOFError) as exc:
                after = f"after key '{last}'" if last else "at its start"
                raise AweError(f"{rspecifier}: unreadable {after} ({exc})") from None
            last = key
            yield key, np.asarray(array, dtype=np.float32)
    except BaseException:
        if handle is not None and handle is not sys.stdin.buffer:
            handle.close()
        raise
    if handle is not None and handle is not sys.stdin.buffer:
        status = handle.close()  # a pipe's close returns the command's status (shifted)
        if status:
            raise AweError(f"{rspecifier}: command failed with status {status >> 8 or status}")


def _check_finite(rspecifier: str, key: str, array: np.ndarray) -> None:
    if not np.isfinite(array).all():
        raise AweError(f"{rspecifier}: key '{key}' contains NaN or Inf")


def _first_duplicate(keys: list[str]) -> str | None:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            return key
        seen.add(key)
    return None


def read_matrices(rspecifier: str) -> tuple[list[str], list[np.ndarray]]:
    """All ``[T, D]`` matrices of a table, checked: non-empty, one dim, finite, unique keys."""
    keys: list[str] = []
    mats: list[np.ndarray] = []
    seen: set[str] = set()
    dim = None
    for key, mat in open_reader(rspecifier):
        if mat.ndim == 1:
            mat = mat[None, :]
        if key in seen:
            raise AweError(f"{rspecifier}: duplicate key '{key}'")
        seen.add(key)
        if dim is None:
            dim = mat.shape[1]
        elif mat.shape[1] != dim:
            raise AweError(f"{rspecifier}: key '{key}' has dim {mat.shape[1]}, earlier keys {dim}")
        if mat.shape[0] == 0:
            raise AweError(f"{rspecifier}: key '{key}' has no frames")
        _check_finite(rspecifier, key, mat)
        keys.append(key)
        mats.append(mat)
    if not keys:
        raise AweError(f"{rspecifier}: empty table")
    return keys, mats


def read_vectors(rspecifier: str) -> tuple[list[str], np.ndarray]:
    """All vectors of a table as ``(keys, float32 [N, D])``, checked like :func:`read_matrices`."""
    spec = parse_rspecifier(rspecifier)
    if spec.kind == "h5":
        table = HDF5Table(spec.h5)
        try:
            if table.kind == "vectors":
                vectors = table.all_vectors()
                keys = table.keys
                if len(set(keys)) != len(keys):
                    raise AweError(f"{rspecifier}: duplicate key '{_first_duplicate(keys)}'")
                bad = np.flatnonzero(~np.isfinite(vectors).all(axis=1))
                if bad.size:
                    raise AweError(f"{rspecifier}: key '{keys[bad[0]]}' contains NaN or Inf")
                if not keys:
                    raise AweError(f"{rspecifier}: empty table")
                return keys, vectors
        finally:
            table.close()
    keys, mats = read_matrices(rspecifier)
    for key, mat in zip(keys, mats):
        if mat.shape[0] != 1:
            raise AweError(f"{rspecifier}: key '{key}' is a [{mat.shape[0]}, {mat.shape[1]}] "
                           "matrix, expected one vector per key")
    return keys, np.concatenate(mats, axis=0)


class RandomAccessTable:
    """Look arrays up by key: lazily for scp and HDF5, by loading an ark once otherwise."""

    def __init__(self, rspecifier: str):
        spec = parse_rspecifier(rspecifier)
        self.rspecifier = rspecifier
        if spec.kind == "h5":
            self._table = HDF5Table(spec.h5)
        elif spec.kind == "scp":
            if not os.path.isfile(spec.scp):
                raise AweError(f"{spec.scp}: no such scp file")
            self._table = kaldiio.load_scp(spec.scp)
        else:
            self._table = dict(open_reader(rspecifier))

    def __contains__(self, key: str) -> bool:
        return key in self._table

    def keys(self) -> list[str]:
        return list(self._table.keys) if isinstance(self._table, HDF5Table) else list(self._table)

    def __getitem__(self, key: str) -> np.ndarray:
        if key not in self._table:
            raise AweError(f"{self.rspecifier}: no key '{key}'")
        return np.asarray(self._table[key], dtype=np.float32)
