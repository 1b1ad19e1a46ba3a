"""HDF5 tables that scale to millions of keys (no dataset per key).

Layout of one file (attribute ``format = "awetools-table"``, ``version = 1``):

- ``keys``: ``[N]`` fixed-length UTF-8 byte strings, in write order;
- fixed-size rows (``kind = "vectors"``): ``vectors`` ``[N, D]`` float32;
- variable-length matrices (``kind = "matrices"``): ``data`` ``[sum T, D]`` float32 and
  ``offsets`` ``[N + 1]`` int64, so that key ``i`` is ``data[offsets[i]:offsets[i+1]]``.

Attributes ``dim``, ``count`` and ``provenance`` (the command line that wrote the file)
describe the contents.  Writers buffer rows and append them in large blocks to
resizable, chunked datasets, so writing a million 128-d vectors takes seconds.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import h5py
import numpy as np

from awetools.errors import AweError

FORMAT = "awetools-table"
VERSION = 1
_BLOCK_ROWS = 1 << 16
# Chunks of ~128 KiB: a look-up by key reads one small chunk (HDF5's default chunk cache
# is 1 MiB; 2 MiB chunks made every random read fetch a whole chunk, ~10x slower), while
# block reads and writes stay as fast as with large chunks.
_CHUNK_BYTES = 1 << 17


class HDF5TableWriter:
    """Append ``(key, array)`` pairs to an HDF5 table; 1-D arrays make a vector table."""

    def __init__(self, path: str | Path, final_name: str | None = None):
        self.path = Path(path)
        self._file = h5py.File(self.path, "w")
        self._file.attrs["format"] = FORMAT
        self._file.attrs["version"] = VERSION
        self._file.attrs["provenance"] = " ".join(sys.argv)
        self._name = final_name or str(path)
        self._kind: str | None = None
        self._dim: int | None = None
        self._written_keys: list[bytes] = []
        self._keys: list[bytes] = []
        self._rows: list[np.ndarray] = []
        self._lengths: list[int] = []
        self._buffered = 0
        self._total_rows = 0

    def _start(self, array: np.ndarray, key: str) -> None:
        if array.ndim not in (1, 2):
            raise AweError(f"{self._name}: key '{key}' has {array.ndim} dimensions (1 or 2 allowed)")
        self._kind = "vectors" if array.ndim == 1 else "matrices"
        self._dim = int(array.shape[-1])
        main = "vectors" if self._kind == "vectors" else "data"
        rows = max(1, _CHUNK_BYTES // (4 * max(self._dim, 1)))
        self._file.create_dataset(main, shape=(0, self._dim), maxshape=(None, self._dim),
                                  dtype="float32", chunks=(rows, self._dim))
        if self._kind == "matrices":
            self._file.create_dataset("offsets", data=np.zeros(1, dtype=np.int64),
                                      maxshape=(None,), chunks=(_BLOCK_ROWS,))

    def write(self, key: str, array: np.ndarray) -> None:
        array = np.asarray(array, dtype=np.float32)
        if self._kind is None:
            self._start(array, key)
        expected_ndim = 1 if self._kind == "vectors" else 2
        if array.ndim != expected_ndim or array.shape[-1] != self._dim:
            raise AweError(
                f"{self._name}: key '{key}' has shape {array.shape}, but the table holds "
                f"{self._kind} of dim {self._dim}"
            )
        self._keys.append(key.encode("utf-8"))
        self._rows.append(array.reshape(-1, self._dim))
        self._lengths.append(1 if expected_ndim == 1 else array.shape[0])
        self._buffered += self._lengths[-1]
        if self._buffered >= _BLOCK_ROWS:
            self._flush()

    def write_block(self, keys: list[str], arrays: np.ndarray) -> None:
        """Write many arrays of one shape at once: ``[N, D]`` vectors or ``[N, R, D]``
        matrices (the fast path for embeddings and soft labels)."""
        arrays = np.asarray(arrays, dtype=np.float32)
        if arrays.ndim not in (2, 3) or len(keys) != len(arrays):
            raise ValueError("write_block needs N keys and an [N, D] or [N, R, D] array")
        if not keys:
            return
        if self._kind is None:
            self._start(arrays[0], keys[0])
        if self._kind != ("vectors" if arrays.ndim == 2 else "matrices") or arrays.shape[-1] != self._dim:
            raise AweError(f"{self._name}: block of shape {arrays.shape} does not fit the table")
        self._flush()
        self._append_keys([k.encode("utf-8") for k in keys])
        rows = 1 if arrays.ndim == 2 else arrays.shape[1]
        self._append_rows(arrays.reshape(-1, self._dim), [rows] * len(keys))

    def _append_keys(self, keys: list[bytes]) -> None:
        self._written_keys.extend(keys)

    def _append_rows(self, rows: np.ndarray, lengths: list[int]) -> None:
        main = self._file["vectors" if self._kind == "vectors" else "data"]
        start = main.shape[0]
        main.resize(start + len(rows), axis=0)
        main[start:] = rows
        if self._kind == "matrices":
            offsets = self._file["offsets"]
            ends = self._total_rows + np.cumsum(lengths, dtype=np.int64)
            n = offsets.shape[0]
            offsets.resize(n + len(ends), axis=0)
            offsets[n:] = ends
        self._total_rows += len(rows)

    def _flush(self) -> None:
        if not self._keys:
            return
        self._append_keys(self._keys)
        self._append_rows(np.concatenate(self._rows), self._lengths)
        self._keys, self._rows, self._lengths, self._buffered = [], [], [], 0

    def close(self) -> None:
        self._flush()
        if self._kind is None:  # nothing written: an empty vector table
            self._kind, self._dim = "vectors", 0
            self._file.create_dataset("vectors", shape=(0, 0), dtype="float32")
        keys = self._written_keys
        width = max((len(k) for k in keys), default=1)
        self._file.create_dataset("keys", data=np.array(keys, dtype=f"S{width}"))
        self._file.attrs["kind"] = self._kind
        self._file.attrs["dim"] = self._dim
        self._file.attrs["count"] = len(keys)
        self._file.close()

    def abort(self) -> None:
        self._file.close()


class HDF5Table:
    """Read an awetools HDF5 table: iterate, look up by key, or load all at once."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise AweError(f"{self.path}: no such HDF5 file")
        try:
            self._file = h5py.File(self.path, "r")
        except OSError as exc:
            raise AweError(f"{self.path}: not a readable HDF5 file ({exc})") from None
        if self._file.attrs.get("format") != FORMAT or "keys" not in self._file:
            raise AweError(f"{self.path}: not an awetools HDF5 table (no 'keys' dataset)")
        self.kind = str(self._file.attrs["kind"])
        self.keys = [k.decode("utf-8") for k in self._file["keys"][:]]
        self._index: dict[str, int] | None = None
        if self.kind == "vectors":
            self._vectors = self._file["vectors"]
        else:
            self._data = self._file["data"]
            self._offsets = self._file["offsets"][:]

    @property
    def dim(self) -> int:
        return int(self._file.attrs["dim"])

    def __len__(self) -> int:
        return len(self.keys)

    def __contains__(self, key: str) -> bool:
        return key in self.index

    @property
    def index(self) -> dict[str, int]:
        if self._index is None:
            self._index = {k: i for i, k in enumerate(self.keys)}
        return self._index

    def row(self, i: int) -> np.ndarray:
        if self.kind == "vectors":
            return self._vectors[i]
        return self._data[self._offsets[i]:self._offsets[i + 1]]

    def __getitem__(self, key: str) -> np.ndarray:
        try:
            return self.row(self.index[key])
        except KeyError:
            raise AweError(f"{self.path}: no key '{key}'") from None

    def __iter__(self) -> Iterator[tuple[str, np.ndarray]]:
        """Sequential read in large blocks (one HDF5 read per block, not per key)."""
        n = len(self.keys)
        for start in range(0, n, _BLOCK_ROWS):
            stop = min(n, start + _BLOCK_ROWS)
            if self.kind == "vectors":
                block = self._vectors[start:stop]
                yield from zip(self.keys[start:stop], block)
            else:
                base = self._offsets[start]
                block = self._data[base:self._offsets[stop]]
                for i in range(start, stop):
                    yield self.keys[i], block[self._offsets[i] - base:self._offsets[i + 1] - base]

    def all_vectors(self) -> np.ndarray:
        """The whole ``[N, D]`` matrix of a vector table in one read."""
        if self.kind != "vectors":
            raise AweError(f"{self.path}: holds variable-length matrices, not vectors")
        return self._vectors[:]

    def close(self) -> None:
        self._file.close()
