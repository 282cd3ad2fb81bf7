"""Atomic file writes and content hashes: the one implementation every lesson uses.

A file the project writes (a checkpoint, exported weights, a JSON record, a download, a recorded
run) appears under its final name only when it is complete:

1. the bytes go to a temporary file in the same folder (``.<name>.<random>.tmp``);
2. the file is flushed and ``fsync``-ed, then given ordinary permissions (0644);
3. ``os.replace`` renames it over the destination, which is atomic on POSIX and Windows;
4. the folder is ``fsync``-ed, so the rename itself survives a power cut.

On any exception, Ctrl-C included, the temporary file is removed and the destination is left as
it was. A process killed outright (SIGKILL, power loss) can leave a temporary file behind; it
never has the final name, and :func:`remove_stale_temporaries` (one destination) or
:func:`remove_stale_temporaries_in` (a whole folder) clears such leftovers the next time the
folder is written.

A file that another library writes (a download by ``pooch``) goes through the same last steps:
it is written into a :func:`temporary_folder` beside its destination, then
:func:`atomic_replace` fsyncs it, gives it mode 0644 and renames it into place.
:func:`folder_lock` keeps two processes from writing one run folder at the same time.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

TEMP_SUFFIX = ".tmp"
FILE_MODE = 0o644
#: ``.<name>.<8 random characters>.tmp``: what ``tempfile.mkstemp``/``mkdtemp`` make for us.
_TEMPORARY = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")


def _fsync_folder(folder: Path) -> None:
    """Flush a folder's entries to disk (no-op where folders cannot be opened, e.g. Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def temporary_name_prefix(path: str | os.PathLike[str]) -> str:
    """The prefix of the temporary files :func:`atomic_open` makes for ``path``."""
    return f".{Path(path).name}."


def _remove(paths: list[Path]) -> list[Path]:
    for p in paths:
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
    return paths


def remove_stale_temporaries(path: str | os.PathLike[str]) -> list[Path]:
    """Delete leftover temporaries of ``path`` (from a killed write); return what went.

    Only files and folders named like :func:`atomic_open`'s and :func:`temporary_folder`'s
    temporaries *for this destination* are touched.
    """
    path = Path(path)
    if not path.parent.is_dir():
        return []
    prefix = temporary_name_prefix(path)
    return _remove(
        sorted(
            p
            for p in path.parent.iterdir()
            if p.name.startswith(prefix) and _TEMPORARY.match(p.name)
        )
    )


def remove_stale_temporaries_in(folder: str | os.PathLike[str]) -> list[Path]:
    """Delete every leftover temporary (``.<name>.<random>.tmp``) directly in ``folder``.

    Call it only while no other process writes into ``folder`` (see :func:`folder_lock`).
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return _remove(sorted(p for p in folder.iterdir() if _TEMPORARY.match(p.name)))


@contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "wb") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on success make it ``path`` atomically.

    Parameters
    ----------
    path : path-like
        The destination; its folder is created when missing.
    mode : {"wb", "w"}
        Binary or text (UTF-8).

    Examples
    --------
    >>> with atomic_open("out/record.json", "w") as f:  # doctest: +SKIP
    ...     f.write("{}")
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"mode must be 'wb' or 'w', got {mode!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=temporary_name_prefix(path), suffix=TEMP_SUFFIX, dir=path.parent
    )
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        _commit(Path(tmp), path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _commit(tmp: Path, path: Path) -> None:
    """Steps 2-4 for a complete, fsynced temporary file: mode 0644, rename, fsync the folder."""
    os.chmod(tmp, FILE_MODE)  # mkstemp (and other libraries' temporaries) make it private, 0600
    os.replace(tmp, path)
    _fsync_folder(path.parent)


def atomic_replace(source: str | os.PathLike[str], path: str | os.PathLike[str]) -> Path:
    """Make a finished file ``source`` appear as ``path`` atomically, with mode 0644.

    ``source`` must be on the same file system as ``path`` (e.g. in a :func:`temporary_folder`
    beside it): it is fsynced, given mode 0644, renamed over ``path``, and the folder fsynced.
    """
    source, path = Path(source), Path(path)
    with open(source, "rb") as f:
        os.fsync(f.fileno())
    _commit(source, path)
    return path


@contextmanager
def temporary_folder(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A fresh folder ``.<name>.<random>.tmp`` beside ``path``, deleted with its content on exit.

    For libraries that write files themselves: let them write in here, then move the result
    with :func:`atomic_replace`. A killed process leaves the folder behind;
    :func:`remove_stale_temporaries` removes it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(
        tempfile.mkdtemp(prefix=temporary_name_prefix(path), suffix=TEMP_SUFFIX, dir=path.parent)
    )
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def folder_lock(folder: str | os.PathLike[str], name: str = ".lock") -> Iterator[Path]:
    """Hold an exclusive lock on ``folder`` (a ``flock`` on ``folder/name``) or raise.

    The operating system releases the lock when the process ends, however it ends (SIGKILL
    included), so a stale lock never blocks a later run. Where ``fcntl`` is missing (Windows)
    this only creates the file.

    Raises
    ------
    BlockingIOError
        Another process holds the lock (its message names the folder).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lock = folder / name
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            fcntl = None
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise BlockingIOError(
                    f"another process is writing to {folder} (it holds {lock}); wait for it to "
                    "end or choose another folder"
                ) from None
        yield lock
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see the module docstring); return the path."""
    with atomic_open(path, "wb") as f:
        f.write(data)
    return Path(path)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; return the path."""
    with atomic_open(path, "w") as f:
        f.write(text)
    return Path(path)


def sha256_bytes(data: bytes) -> str:
    """The SHA-256 hex digest of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    """The SHA-256 hex digest of a file's content, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()
