"""Atomic outputs: a crash or Ctrl-C leaves the old output or none, never half a file.

Everything is written to a temporary sibling (same directory, so the final rename is
atomic on POSIX file systems) and renamed into place only when the writer finishes
without an exception.

A full file system, a quota or a read-only mount (``ENOSPC``, ``EDQUOT``, ``EFBIG``,
``EROFS``) met while writing becomes one :class:`WriteError` naming the output path, for
every writer that goes through here (archives, HDF5, model and cluster dirs): the
temporary is removed and the old output stays.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from awetools.errors import AweError

# errno values that mean "this output cannot be written here", whichever writer met them
WRITE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS)


class WriteError(AweError):
    """An output could not be written (disk full, quota, read-only file system)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: cannot write ({reason}); the previous output is unchanged")
        self.path, self.reason = path, reason

    def __reduce__(self):  # raised in --nj workers: rebuilt from both fields in the parent
        return type(self), (self.path, self.reason)


def _write_errno(exc: BaseException) -> int | None:
    """The write errno of ``exc`` or of an exception it wraps (h5py wraps the C library's)."""
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno in WRITE_ERRNOS:
            return exc.errno
        if isinstance(exc, OSError) and exc.errno is None:  # h5py: errno only in the text
            code = next((c for c in WRITE_ERRNOS if f"errno = {c}," in str(exc)), None)
            if code is not None:
                return code
        exc = exc.__cause__ or exc.__context__
    return None


@contextlib.contextmanager
def _write_errors(path: Path) -> Iterator[None]:
    """Turn a full disk or read-only file system while writing ``path`` into a :class:`WriteError`."""
    try:
        yield
    except WriteError:
        raise
    except Exception as exc:  # torch.save wraps the OSError in a RuntimeError
        code = _write_errno(exc)
        if code is None:
            raise
        raise WriteError(path, os.strerror(code)) from None


def _check_parent_writable(path: Path) -> None:
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        problem = "is not a directory" if parent.exists() else "does not exist"
        raise AweError(f"{parent}: output directory {problem}")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise AweError(f"{parent}: output directory is not writable")


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` on success."""
    path = Path(path)
    if path.exists() and not path.is_file() and not path.is_dir():
        # A device or pipe (/dev/null, /dev/stdout, a FIFO) is written in place: renaming
        # a temporary file onto it would replace, say, /dev/null with a regular file.
        yield path
        return
    _check_parent_writable(path)
    with _write_errors(path):
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        with _write_errors(path):
            yield tmp_path
            os.chmod(tmp_path, 0o644)
            os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator:
    """Open a file for writing atomically (text by default, ``mode='wb'`` for binary)."""
    with atomic_path(path) as tmp:
        kwargs = {} if "b" in mode else {"encoding": encoding}
        with open(tmp, mode, **kwargs) as handle:
            yield handle


@contextlib.contextmanager
def atomic_dir(path: str | Path, overwrite: bool = False) -> Iterator[Path]:
    """Build a directory under a temporary name and move it onto ``path`` when complete.

    An existing ``path`` is refused unless ``overwrite``; then it is replaced only after
    the new directory is complete.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise AweError(f"{path}: output directory exists (use --overwrite to replace it)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise AweError(f"{path.parent}: output directory is not a directory") from None
    except OSError as exc:
        raise AweError(f"{path.parent}: cannot create output directory ({exc.strerror})") from None
    _check_parent_writable(path)
    with _write_errors(path):
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        try:
            with _write_errors(path):
                yield tmp
        except WriteError as exc:  # name the file in the final dir, not in the temporary one
            if exc.path.is_relative_to(tmp):
                raise WriteError(path / exc.path.relative_to(tmp), exc.reason) from None
            raise
        os.chmod(tmp, 0o755)
        if path.exists():
            old = path.with_name(f".{path.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
