"""ganlib.mnist.train: the command line, run in-process on 40 offline digits for a few
iterations. Every expected failure is one line on stderr with its documented exit status; the
signal and kill scenarios, in a real subprocess, are in test_train_faults.py."""

from __future__ import annotations

import errno
import json
import stat
import tempfile
from pathlib import Path

import pytest
import torch
from matplotlib.image import imread

from ganlib.core import checkpoint
from ganlib.core.checkpoint import load_checkpoint
from ganlib.core.files import folder_lock
from ganlib.mnist.models import build_gan
from ganlib.mnist.pretrained import load_pretrained_generator, pretrained_info
from ganlib.mnist.train import EXIT_CODES, LOCK_NAME, main
from ganlib.mnist.training import _Trainer


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


def _one_line_error(capsys: pytest.CaptureFixture[str], kind: str) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"ganlib-train: {kind}: "), err
    assert "Traceback" not in err
    return err


def test_exit_codes_are_documented_in_the_module_docstring() -> None:
    from ganlib.mnist import train

    for kind, code in EXIT_CODES.items():
        assert f"\n{code:<4}  " in train.__doc__, kind
    assert sorted(EXIT_CODES.values()) == [0, 2, 3, 4, 5, 130]  # 1 stays Python's: a bug


def test_cli_trains_checkpoints_resumes_and_exports(tmp_path: Path) -> None:
    assert main(_args(tmp_path, 6)) == 0
    run = tmp_path / "run"
    assert load_checkpoint(run / "checkpoint.pt")["step"] == 6
    log = json.loads((run / "history.json").read_text())
    assert log["status"] == "completed"
    assert log["history"]["step"] == [2, 4, 6]
    assert log["data"]["limit"] == 40
    pngs = sorted(p.name for p in (run / "samples").glob("*.png"))
    assert pngs == ["epoch_0000.png", "epoch_0001.png"]  # 40 digits / batch 8: epoch 1 at step 5
    assert imread(run / "samples" / "epoch_0001.png").shape[:2] == (3 * 30 + 2, 3 * 30 + 2)
    for path in (run / "checkpoint.pt", run / "history.json", run / "samples" / pngs[0]):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644

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
    # the whole run's training time (both commands), in ms: 8 tiny steps can take under 0.05 s
    seconds = json.loads((run / "history.json").read_text())["history"]["seconds"][-1]
    assert info["training_seconds"] == round(seconds, 3) > 0
    assert info["config"]["steps"] == 8
    assert "(40 images)" in info["data"]
    lines = (run / "commands.txt").read_text().splitlines()  # both commands trained the run
    assert [line.split(": ", 1)[0] for line in lines] == ["from iteration 0", "from iteration 6"]
    assert lines[1].endswith(info["command"])
    assert info["commands"] == lines

    g = load_pretrained_generator("tiny", root=export)
    reference, _ = build_gan("tutorial_mlp")
    reference.load_state_dict(state["generator"])
    z = torch.randn(16, 128, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.allclose(g(z), reference(z), atol=2e-2)  # float16 weights


def test_recipes_set_the_defaults_and_flags_override_them(tmp_path: Path) -> None:
    argv = [a for a in _args(tmp_path, 2) if a not in ("--arch", "tutorial_mlp")]
    assert main([*argv, "--recipe", "keras_gan"]) == 0
    config = load_checkpoint(tmp_path / "run" / "checkpoint.pt")["config"]
    assert (config["arch"], config["loop"], config["batch_size"]) == ("keras_gan", "keras_gan", 8)


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--lr-d", "-1"], "lr_d must be a finite number in (0, 10]"),
        (["--lr-g", "1e39"], "lr_g must be a finite number"),
        (["--beta1", "nan"], "beta1 must be a finite number"),
        (["--limit", "4"], "--limit 4 is less than one batch (--batch-size 8)"),
        (["--limit", "0"], "--limit must be an int in [1, inf)"),
        (["--limit", "100000"], "--limit 100000 exceeds the 4,000 images"),
        (["--batch-size", "1000000000", "--limit", "4000"], "batch_size must be an int in"),
        (["--batch-size", "5000", "--limit", "-"], "batch_size=5000 exceeds the 4000 images"),
        (["--device", "tpu"], "--device tpu is not a device type; use cuda, mps or cpu"),
        (["--threads", "0"], "--threads must be an int in [1, 1024]"),
        (["--export-name", "../../escape"], "--export-name must be 1-64 letters"),
        (["--resume", "--overwrite"], "--resume and --overwrite exclude each other"),
        (["--resume"], "nothing to resume in"),
    ],
)
def test_cli_rejects_bad_input_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], words: str
) -> None:
    argv = [*_args(tmp_path, 4), *extra]
    if "-" in argv:  # "--limit -": train on every image, no --limit at all
        while "--limit" in argv:
            i = argv.index("--limit")
            del argv[i : i + 2]
    assert main(argv) == EXIT_CODES["bad input"] == 2
    assert words in _one_line_error(capsys, "bad input")
    assert not (tmp_path / "run" / "checkpoint.pt").exists()


def test_cli_checks_the_export_and_out_paths_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a_file = tmp_path / "a_file"
    a_file.write_text("not a folder")
    assert main([*_args(tmp_path, 4), "--export", str(a_file)]) == 2
    assert f"--export {a_file} is a file, not a folder" in _one_line_error(capsys, "bad input")
    assert not (tmp_path / "run" / "checkpoint.pt").exists()
    argv = _args(tmp_path, 4)
    argv[argv.index("--out") + 1] = str(a_file)
    assert main(argv) == 2
    assert f"--out {a_file} is a file" in _one_line_error(capsys, "bad input")


def test_a_folder_with_a_checkpoint_is_not_replaced_silently(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_args(tmp_path, 6)) == 0
    capsys.readouterr()
    assert main(_args(tmp_path, 4)) == 2
    message = _one_line_error(capsys, "bad input")
    assert "already holds a checkpoint (checkpoint.pt, step 6 of 6)" in message
    assert "--resume" in message
    assert "--overwrite" in message
    assert load_checkpoint(tmp_path / "run" / "checkpoint.pt")["step"] == 6
    assert main([*_args(tmp_path, 4), "--overwrite"]) == 0
    assert load_checkpoint(tmp_path / "run" / "checkpoint.pt")["step"] == 4
    lines = (tmp_path / "run" / "commands.txt").read_text().splitlines()
    assert len(lines) == 1  # a new run, a new list
    assert lines[0].endswith("--overwrite")


def test_resume_mismatches_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_args(tmp_path, 4)) == 0
    capsys.readouterr()
    argv = _args(tmp_path, 8, "--resume")
    argv[argv.index("--limit") + 1] = "32"
    assert main(argv) == EXIT_CODES["data error"] == 3
    message = _one_line_error(capsys, "data error")
    assert "trained on mnist train first 40 (40 images" in message
    assert "now given mnist train first 32 (32 images" in message
    assert main([*_args(tmp_path, 8, "--resume"), "--seed", "3"]) == 2
    assert "seed: checkpoint 0 vs now 3" in _one_line_error(capsys, "bad input")
    assert load_checkpoint(tmp_path / "run" / "checkpoint.pt")["step"] == 4


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        (lambda data: b"", "is empty (0 bytes)"),
        (lambda data: data[: len(data) // 3], "truncated"),
        (lambda data: b"\x80\x02}q\x00." + data, "is not a checkpoint"),
    ],
)
def test_a_damaged_checkpoint_is_a_data_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], damage, words: str
) -> None:
    assert main(_args(tmp_path, 2)) == 0
    capsys.readouterr()
    path = tmp_path / "run" / "checkpoint.pt"
    path.write_bytes(damage(path.read_bytes()))
    assert main(_args(tmp_path, 4, "--resume")) == 3
    message = _one_line_error(capsys, "data error")
    assert words in message
    assert "weights_only=False" not in message


def test_a_damaged_idx_file_is_a_data_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "no_idx" / "mnist"
    folder.mkdir(parents=True)
    (folder / "train-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03" + b"\x00" * 7)
    (folder / "train-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x00")
    assert main(_args(tmp_path, 4)) == 3
    assert "is damaged or truncated" in _one_line_error(capsys, "data error")


def test_divergence_has_its_own_exit_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = _args(tmp_path, 20, "--lr-d", "10", "--lr-g", "10", "--beta1", "0", "--beta2", "0")
    argv[argv.index("tutorial_mlp")] = "keras_gan"  # LeakyReLU nets overflow at once
    assert main([*argv, "--log-every", "1"]) == EXIT_CODES["diverged"] == 4
    assert "diverged" in capsys.readouterr().out
    log = json.loads((tmp_path / "run" / "history.json").read_text())
    assert log["status"] == "diverged"
    assert "beyond the loss limit" in log["message"] or "nan" in log["message"]
    assert not (tmp_path / "run" / "checkpoint.pt").exists()  # nothing good to keep


def test_a_full_disk_is_an_io_error_and_keeps_the_last_checkpoint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(_args(tmp_path, 2)) == 0
    capsys.readouterr()

    def full(obj, f) -> None:
        f.write(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device", str(f.name))

    monkeypatch.setattr(checkpoint.torch, "save", full)
    assert main(_args(tmp_path, 6, "--resume")) == EXIT_CODES["I/O error"] == 5
    message = _one_line_error(capsys, "I/O error")
    assert "No space left on device" in message
    assert "the last checkpoint (step 2 in" in message
    monkeypatch.undo()
    assert load_checkpoint(tmp_path / "run" / "checkpoint.pt")["step"] == 2
    assert not list((tmp_path / "run").glob(".*.tmp"))


def test_a_bug_still_shows_its_traceback(tmp_path: Path, monkeypatch) -> None:
    def broken(self) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(_Trainer, "iteration", broken)
    with pytest.raises(ZeroDivisionError):
        main(_args(tmp_path, 4))


def test_stale_temporaries_are_cleaned_and_a_busy_folder_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    assert main(_args(tmp_path, 2)) == 0
    leftovers = []
    for folder, name in ((run, "checkpoint.pt"), (run / "samples", "epoch_0001.png")):
        _, path = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
        leftovers.append(Path(path))
    assert main(_args(tmp_path, 4, "--resume")) == 0
    assert not any(p.exists() for p in leftovers)
    capsys.readouterr()
    with folder_lock(run, LOCK_NAME):  # another run writing here
        assert main(_args(tmp_path, 6, "--resume")) == 2
    assert "another process is writing to" in _one_line_error(capsys, "bad input")


def test_malformed_flags_are_argparse_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as err:
        main(["--steps", "ten"])
    assert err.value.code == 2
    assert "invalid int value" in capsys.readouterr().err
