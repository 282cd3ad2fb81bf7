"""Atomic file writes and content hashes: the one implementation every lesson uses.

A file the project writes (a checkpoint, exported weights, a JSON record, a download, a recorded
run) appears under its final name only when it is complete:

1. the bytes go to a temporary file in the same folder (``.<name>.<random>.tmp``);
2. the file is flushed and ``fsync``-ed, then given ordinary permissions (0644);
3. ``os.replace`` renames it over the destination, which is atomic on POSIX and Windows;
4. the folder is ``fsync``-ed, so the rename itself survives a power cut.

On any exception, Ctrl-C included, the temporary file is removed and the destination is left as
it was. A process killed outright (SIGKILL, power loss) can leave a temporary file behind; it
never has the final name, and :func:`remove_stale_temporaries` clears such leftovers the next
time the folder is written.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

TEMP_SUFFIX = ".tmp"
FILE_MODE = 0o644


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


def remove_stale_temporaries(path: str | os.PathLike[str]) -> list[Path]:
    """Delete leftover temporary files of ``path`` (from a killed write); return what went.

    Only files named like :func:`atomic_open`'s temporaries *for this destination* are touched.
    """
    path = Path(path)
    if not path.parent.is_dir():
        return []
    prefix = temporary_name_prefix(path)
    stale = [p for p in path.parent.iterdir() if p.name.startswith(prefix) and p.suffix == ".tmp"]
    for p in stale:
        p.unlink(missing_ok=True)
    return stale


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
        os.chmod(tmp, FILE_MODE)  # mkstemp makes it private (0600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


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
