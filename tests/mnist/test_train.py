"""ganlib.mnist.train: the command line, run in-process on 40 offline digits for a few
iterations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from matplotlib.image import imread

from ganlib.core.checkpoint import load_checkpoint
from ganlib.mnist.models import build_gan
from ganlib.mnist.pretrained import load_pretrained_generator, pretrained_info
from ganlib.mnist.train import main


@pytest.fixture(autouse=True)
def _restore_threads():
    """--threads changes torch's global thread count; put it back after each test."""
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def _args(tmp_path: Path, steps: int, *extra: str) -> list[str]:
    return [
        "--arch", "tutorial_mlp", "--steps", str(steps), "--batch-size", "8", "--limit", "40",
        "--no-download", "--data-dir", str(tmp_path / "no_idx"), "--out", str(tmp_path / "run"),
        "--log-every", "2", "--checkpoint-every", "2", "--grid-size", "9", "--threads", "1",
        "--no-progress", "--device", "cpu", *extra,
    ]  # fmt: skip


def test_cli_trains_checkpoints_resumes_and_exports(tmp_path: Path) -> None:
    assert main(_args(tmp_path, 6)) == 0
    run = tmp_path / "run"
    assert load_checkpoint(run / "checkpoint.pt")["step"] == 6
    log = json.loads((run / "history.json").read_text())
    assert log["status"] == "completed"
    assert log["history"]["step"] == [2, 4, 6]
    pngs = sorted(p.name for p in (run / "samples").glob("*.png"))
    assert pngs == ["epoch_0000.png", "epoch_0001.png"]  # 40 digits / batch 8: epoch 1 at step 5
    assert imread(run / "samples" / "epoch_0001.png").shape[:2] == (3 * 30 + 2, 3 * 30 + 2)

    export = tmp_path / "export"
    argv = _args(tmp_path, 8, "--resume", "--export", str(export), "--export-name", "tiny")
    assert main(argv) == 0
    state = load_checkpoint(run / "checkpoint.pt")
    assert state["step"] == 8
    info = pretrained_info("tiny", root=export)
    assert info["command"].startswith("python -m ganlib.mnist.train --arch tutorial_mlp --steps 8")
    assert info["arch"] == "tutorial_mlp"
    assert info["latent_dim"] == 128
    assert info["device"] == "cpu"
    assert info["training_seconds"] > 0
    assert info["config"]["steps"] == 8

    g = load_pretrained_generator("tiny", root=export)
    reference, _ = build_gan("tutorial_mlp")
    reference.load_state_dict(state["generator"])
    z = torch.randn(16, 128, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.allclose(g(z), reference(z), atol=2e-2)  # float16 weights


def test_cli_rejects_bad_settings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as err:
        main([*_args(tmp_path, 4), "--lr-d", "-1"])
    assert err.value.code == 2
    assert "lr_d" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([*_args(tmp_path, 4), "--limit", "4"])  # fewer images than one batch
    assert not (tmp_path / "run").exists()


def test_cli_reports_divergence_with_exit_status_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = _args(tmp_path, 20, "--lr-d", "10", "--lr-g", "10", "--beta1", "0", "--beta2", "0")
    argv[argv.index("tutorial_mlp")] = (
        "keras_gan"  # LeakyReLU nets overflow at once; tanh saturates
    )
    assert main([*argv, "--log-every", "1"]) == 1
    assert "diverged" in capsys.readouterr().out
    log = json.loads((tmp_path / "run" / "history.json").read_text())
    assert log["status"] == "diverged"
