"""ganlib.core.checkpoint: atomic writes, weights_only loads."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch
from torch import nn

from ganlib.core import checkpoint
from ganlib.core.checkpoint import load_checkpoint, save_checkpoint


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
    }


def test_round_trip_preserves_everything(tmp_path: Path) -> None:
    state = _state()
    path = save_checkpoint(tmp_path / "sub" / "ck.pt", state)
    loaded = load_checkpoint(path)
    assert loaded["config"] == state["config"]
    assert loaded["history"] == state["history"]
    assert torch.equal(loaded["rng"], state["rng"])
    for key, value in state["model"].items():
        assert torch.equal(loaded["model"][key], value)
    assert loaded["opt"]["state"][0]["step"] == state["opt"]["state"][0]["step"]
    assert [p.name for p in path.parent.iterdir()] == ["ck.pt"]  # no temporary file left


class _Evil:
    def __reduce__(self):  # runs code when unpickled by a plain pickle.load
        return (print, ("pwned",))


def test_loading_refuses_pickled_objects(tmp_path: Path) -> None:
    path = tmp_path / "evil.pt"
    torch.save({"x": _Evil()}, path)
    with pytest.raises(pickle.UnpicklingError):
        load_checkpoint(path)


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
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        load_checkpoint(tmp_path / "missing.pt")
    torch.save([1, 2], tmp_path / "list.pt")
    with pytest.raises(ValueError, match="checkpoint dict"):
        load_checkpoint(tmp_path / "list.pt")
