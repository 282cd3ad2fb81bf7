"""ganlib.core.files: atomic writes leave the old file or the new one, never a mixture."""

from __future__ import annotations

import hashlib
import os
import signal
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from ganlib.core.files import (
    atomic_open,
    atomic_replace,
    atomic_write_bytes,
    atomic_write_text,
    folder_lock,
    remove_stale_temporaries,
    remove_stale_temporaries_in,
    sha256_bytes,
    sha256_file,
    temporary_folder,
    temporary_name_prefix,
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


def _leftover(path: Path, folder: bool = False) -> Path:
    """What a killed atomic_open / temporary_folder leaves: made with tempfile's own naming."""
    prefix, parent = temporary_name_prefix(path), path.parent
    if folder:
        made = Path(tempfile.mkdtemp(prefix=prefix, suffix=".tmp", dir=parent))
        (made / "partial.gz").write_bytes(b"x")
        return made
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=parent)
    os.close(fd)
    return Path(name)


def test_stale_temporaries_of_one_destination_are_removed(tmp_path: Path) -> None:
    other = _leftover(tmp_path / "other.pt")
    user_file = tmp_path / ".checkpoint.pt.notes.tmp"  # not tempfile's 8 random characters
    user_file.write_bytes(b"mine")
    stale = sorted(
        [_leftover(tmp_path / "checkpoint.pt"), _leftover(tmp_path / "checkpoint.pt", True)]
    )
    assert remove_stale_temporaries(tmp_path / "checkpoint.pt") == stale
    assert other.exists()
    assert user_file.exists()
    assert not any(p.exists() for p in stale)
    assert remove_stale_temporaries(tmp_path / "missing" / "x.pt") == []


def test_all_stale_temporaries_of_a_folder_are_removed(tmp_path: Path) -> None:
    keep = atomic_write_text(tmp_path / "history.json", "{}")
    stale = [_leftover(tmp_path / "a.pt"), _leftover(tmp_path / "b.png", folder=True)]
    assert remove_stale_temporaries_in(tmp_path) == sorted(stale)
    assert sorted(tmp_path.iterdir()) == [keep]
    assert remove_stale_temporaries_in(tmp_path / "missing") == []


def test_atomic_replace_gives_another_library_s_private_file_ordinary_permissions(
    tmp_path: Path,
) -> None:
    dest = atomic_write_bytes(tmp_path / "data.gz", b"old")
    with temporary_folder(dest) as staging:
        assert staging.parent == tmp_path
        assert staging.name.startswith(".data.gz.")
        private = staging / "download"
        fd = os.open(private, os.O_WRONLY | os.O_CREAT, 0o600)  # what pooch's temporaries are
        os.write(fd, b"new")
        os.close(fd)
        assert stat.S_IMODE(private.stat().st_mode) == 0o600
        assert atomic_replace(private, dest) == dest
    assert dest.read_bytes() == b"new"
    assert stat.S_IMODE(dest.stat().st_mode) == 0o644
    assert sorted(tmp_path.iterdir()) == [dest]  # the staging folder is gone


def test_temporary_folder_is_removed_on_error(tmp_path: Path) -> None:
    def fail_inside() -> None:
        with temporary_folder(tmp_path / "x") as staging:
            (staging / "half").write_bytes(b"?")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        fail_inside()
    assert list(tmp_path.iterdir()) == []


def test_folder_lock_refuses_a_second_writer_and_dies_with_its_holder(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom ganlib.core.files import folder_lock\n"
            "with folder_lock(sys.argv[1]):\n    print('locked', flush=True)\n    time.sleep(60)\n",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        with (
            pytest.raises(BlockingIOError, match="another process is writing to"),
            folder_lock(tmp_path),
        ):
            pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        holder.stdout.close()
    with folder_lock(tmp_path) as lock:  # SIGKILL released it: no stale lock
        assert lock.parent == tmp_path


def test_hashes_match_hashlib(tmp_path: Path) -> None:
    data = os.urandom(3 << 20)
    path = atomic_write_bytes(tmp_path / "blob", data)
    expected = hashlib.sha256(data).hexdigest()
    assert sha256_bytes(data) == expected
    assert sha256_file(path, chunk=1 << 16) == expected


def test_bad_mode_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="mode"), atomic_open(tmp_path / "x", "a"):
        pass
