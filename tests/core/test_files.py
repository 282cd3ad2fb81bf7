"""ganlib.core.files: atomic writes leave the old file or the new one, never a mixture."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from ganlib.core.files import (
    atomic_open,
    atomic_write_bytes,
    atomic_write_text,
    remove_stale_temporaries,
    sha256_bytes,
    sha256_file,
)


def test_write_creates_folders_and_ordinary_permissions(tmp_path: Path) -> None:
    path = atomic_write_text(tmp_path / "a" / "b" / "record.json", "{}\n")
    assert path.read_text() == "{}\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in path.parent.iterdir()] == ["record.json"]


def test_an_error_mid_write_keeps_the_old_file_and_leaves_nothing_else(tmp_path: Path) -> None:
    path = atomic_write_bytes(tmp_path / "w.bin", b"old")

    def interrupted_write() -> None:
        with atomic_open(path, "wb") as f:
            f.write(b"new, half written")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted_write()
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.bin"]


def test_stale_temporaries_of_one_destination_are_removed(tmp_path: Path) -> None:
    keep = tmp_path / ".other.pt.abc.tmp"
    keep.write_bytes(b"x")
    stale = tmp_path / ".checkpoint.pt.k3j2.tmp"
    stale.write_bytes(b"x")
    assert remove_stale_temporaries(tmp_path / "checkpoint.pt") == [stale]
    assert keep.exists()
    assert not stale.exists()
    assert remove_stale_temporaries(tmp_path / "missing" / "x.pt") == []


def test_hashes_match_hashlib(tmp_path: Path) -> None:
    data = os.urandom(3 << 20)
    path = atomic_write_bytes(tmp_path / "blob", data)
    expected = hashlib.sha256(data).hexdigest()
    assert sha256_bytes(data) == expected
    assert sha256_file(path, chunk=1 << 16) == expected


def test_bad_mode_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="mode"), atomic_open(tmp_path / "x", "a"):
        pass
