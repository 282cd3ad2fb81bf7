"""ganlib.core.checkpoint: atomic writes, weights_only loads, and every damaged file refused."""

from __future__ import annotations

import hashlib
import io
import stat
import zipfile
from pathlib import Path

import pytest
import torch
from torch import nn

from ganlib.core import checkpoint
from ganlib.core.checkpoint import (
    HEADER_KEY,
    CheckpointError,
    content_sha256,
    load_checkpoint,
    save_checkpoint,
)


def _state() -> dict:
    gen = torch.Generator().manual_seed(0)
    net = nn.Linear(3, 2)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    net(torch.randn(4, 3, generator=gen)).sum().backward()
    opt.step()
    return {
        "model": net.state_dict(),
        "opt": opt.state_dict(),
        "config": {"lr": 1e-3, "betas": (0.5, 0.999), "name": "x", "k": None},
        "rng": gen.get_state(),
        "history": {"step": [1, 2], "loss": [0.5, 0.25]},
        "samples": [torch.zeros(2, 28, 28, dtype=torch.uint8)],
        "weights": torch.linspace(-3, 3, 4096),  # 16 kB of float data to damage
    }


def test_round_trip_preserves_everything(tmp_path: Path) -> None:
    state = _state()
    path = save_checkpoint(tmp_path / "sub" / "ck.pt", state, kind="test")
    loaded = load_checkpoint(path, kind="test")
    assert loaded.keys() == state.keys()  # the header is taken out again
    assert loaded["config"] == state["config"]
    assert loaded["history"] == state["history"]
    assert torch.equal(loaded["rng"], state["rng"])
    for key, value in state["model"].items():
        assert torch.equal(loaded["model"][key], value)
    assert loaded["opt"]["state"][0]["step"] == state["opt"]["state"][0]["step"]
    assert [p.name for p in path.parent.iterdir()] == ["ck.pt"]  # no temporary file left
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_the_header_holds_an_independent_sha256_of_the_content(tmp_path: Path) -> None:
    """Recompute the digest the header should hold from the raw tensors, without ganlib."""
    state = {"w": torch.arange(6, dtype=torch.float32).reshape(2, 3), "n": 3}
    path = save_checkpoint(tmp_path / "ck.pt", state, kind="test")
    raw = torch.load(path, weights_only=True)  # a plain torch file: torch itself can read it
    expected = hashlib.sha256()
    expected.update(b"D2;")
    expected.update(b"str:'w';")
    expected.update(b"Ttorch.float32(2, 3);" + state["w"].numpy().tobytes())
    expected.update(b"str:'n';int:3;")
    assert raw[HEADER_KEY] == {"format": 1, "kind": "test", "sha256": expected.hexdigest()}
    assert content_sha256(state) == expected.hexdigest()


def test_content_digest_sees_every_change() -> None:
    base = {"a": torch.zeros(3), "b": [1, 2.0], "c": None}
    digest = content_sha256(base)
    changed = [
        {"a": torch.tensor([0.0, 0.0, 1e-30]), "b": [1, 2.0], "c": None},  # one value
        {"a": torch.zeros(3, dtype=torch.float64), "b": [1, 2.0], "c": None},  # dtype
        {"a": torch.zeros(1, 3), "b": [1, 2.0], "c": None},  # shape
        {"a": torch.zeros(3), "b": (1, 2.0), "c": None},  # list -> tuple
        {"a": torch.zeros(3), "b": [1, 2], "c": None},  # float -> int
        {"b": [1, 2.0], "a": torch.zeros(3), "c": None},  # order
    ]
    assert all(content_sha256(c) != digest for c in changed)
    with pytest.raises(ValueError, match="holds a object"):
        content_sha256({"x": object()})


class _Evil:
    def __reduce__(self):  # runs code when unpickled by a plain pickle.load
        return (print, ("pwned",))


def _flip(data: bytes, offset: int) -> bytes:
    return data[:offset] + bytes([data[offset] ^ 0x01]) + data[offset + 1 :]


def _damaged_files(tmp_path: Path) -> dict[str, tuple[bytes, str]]:
    """Each kind of bad file and the words its error must contain."""
    good_path = save_checkpoint(tmp_path / "good.pt", _state())
    good = good_path.read_bytes()
    tensor = torch.linspace(-3, 3, 4096).numpy().tobytes()
    at = good.find(tensor[:64]) + 1000  # a byte inside the tensor data
    assert at > 1000
    plain = io.BytesIO()
    torch.save({**_state(), HEADER_KEY: {"format": 1, "kind": None, "sha256": "0" * 64}}, plain)
    evil = io.BytesIO()
    torch.save({"x": _Evil()}, evil)
    listed = io.BytesIO()
    torch.save([1, 2], listed)
    return {
        "empty": (b"", "is empty (0 bytes)"),
        "truncated": (good[: len(good) // 2], "truncated"),
        "bit-flipped tensor": (_flip(good, at), "fails its CRC-32 check"),
        "text file": (b'{"step": 3}\n', "is not a checkpoint"),
        "wrong digest": (plain.getvalue(), "differs from the SHA-256 in its header"),
        "pickled code": (evil.getvalue(), "refuses to load it"),
        "a list": (listed.getvalue(), "holds a list, not a checkpoint dict"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "empty",
        "truncated",
        "bit-flipped tensor",
        "text file",
        "wrong digest",
        "pickled code",
        "a list",
    ],
)
def test_every_damaged_file_is_refused_with_its_message(tmp_path: Path, case: str) -> None:
    content, words = _damaged_files(tmp_path)[case]
    path = tmp_path / "bad.pt"
    path.write_bytes(content)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    message = str(info.value)
    assert words in message
    assert str(path) in message
    assert "weights_only=False" not in message
    error = info.value  # no chained torch error (with its advice) in the traceback either
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__


def test_a_flipped_byte_that_zip_cannot_see_is_caught_by_the_header(tmp_path: Path) -> None:
    """Rewrite a valid zip around changed tensor bytes (fresh CRCs): only the SHA-256 sees it."""
    path = save_checkpoint(tmp_path / "ck.pt", _state())
    out = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if len(data) == 4096 * 4:  # the 'weights' tensor's storage
                data = _flip(data, 2000)
            dst.writestr(info, data)
    path.write_bytes(out.getvalue())
    assert zipfile.ZipFile(path).testzip() is None  # the archive itself is consistent
    with pytest.raises(CheckpointError, match="differs from the SHA-256 in its header"):
        load_checkpoint(path)


def test_recorded_file_digest_is_checked_first(tmp_path: Path) -> None:
    path = save_checkpoint(tmp_path / "ck.pt", {"step": 1})
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert load_checkpoint(path, sha256=digest) == {"step": 1}
    with pytest.raises(CheckpointError, match="does not match its record"):
        load_checkpoint(path, sha256="0" * 64)


def test_a_file_of_another_kind_is_named(tmp_path: Path) -> None:
    path = save_checkpoint(tmp_path / "g.pt", {"w": torch.zeros(2)}, kind="generator")
    with pytest.raises(CheckpointError, match=r"holds a generator's weights .* not an MNIST GAN"):
        load_checkpoint(path, kind="mnist-gan-training")


def test_failed_write_keeps_the_previous_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ck.pt"
    save_checkpoint(path, {"step": 1})

    def broken_save(obj: object, f) -> None:
        f.write(b"partial")
        raise KeyboardInterrupt  # e.g. Ctrl-C in the middle of writing

    monkeypatch.setattr(checkpoint.torch, "save", broken_save)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, {"step": 2})
    monkeypatch.undo()
    assert load_checkpoint(path) == {"step": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["ck.pt"]


def test_overwrite_replaces(tmp_path: Path) -> None:
    path = tmp_path / "ck.pt"
    save_checkpoint(path, {"step": 1})
    save_checkpoint(path, {"step": 2})
    assert load_checkpoint(path) == {"step": 2}


def test_bad_input(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="dict"):
        save_checkpoint(tmp_path / "a.pt", [1, 2])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=HEADER_KEY):
        save_checkpoint(tmp_path / "a.pt", {HEADER_KEY: 1})
    with pytest.raises(ValueError, match="holds a Linear"):
        save_checkpoint(tmp_path / "a.pt", {"model": nn.Linear(2, 2)})  # never pickle modules
    assert not (tmp_path / "a.pt").exists()
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        load_checkpoint(tmp_path / "missing.pt")
