"""Fault injection: the command line in a real subprocess, hit by SIGINT, SIGTERM and SIGKILL.

Each scenario starts ``python -m ganlib.mnist.train``'s ``main`` on a tiny configuration through a
small launcher (below) that can pause the child at two kinds of points and wait for the test:

* ``("iteration", N)``: inside iteration N, between D's step and G's step;
* ``("save", N)``: inside the save of the step-N checkpoint, after its bytes went into the
  temporary file and before the rename.

While the child is paused the test sends its signals (so a signal lands exactly there, every
time), then lets it go on. The points are drawn from a seeded ``random.Random``: they vary with the
seed but reproduce. After every scenario:

* the last checkpoint loads (with every check of :func:`ganlib.core.checkpoint.load_checkpoint`);
* after SIGINT or SIGTERM the run printed "checkpoint saved at step N" for that checkpoint, and
  resuming it to the end gives the uninterrupted run's final checkpoint bit for bit;
* after SIGKILL the run resumes from the last checkpoint (and again ends bit for bit equal);
* when the next run has started, no temporary file is left in the run folder.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from ganlib.core.checkpoint import load_checkpoint

REPO = Path(__file__).resolve().parents[2]
STEPS, EVERY = 100, 50
ARGS = [
    "--recipe", "keras_gan", "--batch-size", "16", "--limit", "256", "--steps", str(STEPS),
    "--checkpoint-every", str(EVERY), "--log-every", "10", "--grid-size", "4", "--threads", "1",
    "--no-download", "--no-progress", "--device", "cpu",
]  # fmt: skip

# The launcher: test-only instrumentation around the real command line, in the child process.
LAUNCHER = """
import sys
from ganlib.core import checkpoint
from ganlib.mnist import steps, training
from ganlib.mnist.train import main

PAUSES = {tuple(p.split(":")) for p in sys.argv[1].split(",") if p}

def pause(where, step):
    if (where, str(step)) in PAUSES:
        sys.stderr.write(f"PAUSED {where} {step}\\n")
        sys.stderr.flush()
        sys.stdin.readline()

iteration, g_step, current = training._Trainer.iteration, steps.GANStep.g_step, [0]
def noted_iteration(self):
    current[0] = self.result.step + 1
    return iteration(self)
def paused_g_step(self, z):  # inside iteration N: after its D step, before its G step
    pause("iteration", current[0])
    return g_step(self, z)
training._Trainer.iteration = noted_iteration
steps.GANStep.g_step = paused_g_step

torch_save = checkpoint.torch.save
def paused_save(obj, f, *args, **kwargs):
    torch_save(obj, f, *args, **kwargs)
    f.flush()
    pause("save", obj["step"])
checkpoint.torch.save = paused_save

sys.exit(main(sys.argv[2:]))
"""


def temporaries(run: Path) -> list[str]:
    return sorted(str(p.relative_to(run)) for p in run.rglob("*.tmp"))


def launch(run: Path, data: Path, actions: dict, extra=(), check_clean_at=None) -> dict:
    """Run the CLI; at each pause in ``actions`` send its signals. Returns what happened.

    stdout and stderr come through one unbuffered pipe, so ``lines`` is the true order of the
    child's messages and pauses.
    """
    pauses = [f"{w}:{s}" for w, s in actions]
    if check_clean_at is not None:
        pauses.append(f"iteration:{check_clean_at}")
    argv = [*ARGS, "--out", str(run), "--data-dir", str(data), *extra]
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, ",".join(pauses), *argv],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=env, cwd=run.parent,
    )  # fmt: skip
    seen = {"killed": False, "clean_after_start": None, "lines": []}
    assert proc.stdout is not None
    assert proc.stdin is not None
    for line in proc.stdout:
        seen["lines"].append(line.rstrip("\n"))
        if not line.startswith("PAUSED "):
            continue
        _, where, step = line.split()
        if check_clean_at is not None and (where, int(step)) == ("iteration", check_clean_at):
            seen["clean_after_start"] = temporaries(run)
        for sig in actions.get((where, int(step)), ()):
            if sig == signal.SIGKILL:
                proc.kill()
                seen["killed"] = True
                break
            proc.send_signal(sig)
        if seen["killed"]:
            break
        proc.stdin.write("\n")
        proc.stdin.flush()
    seen["code"] = proc.wait(timeout=120)
    seen["lines"] += proc.stdout.read().splitlines()
    proc.stdin.close()
    proc.stdout.close()
    seen["out"] = "\n".join(seen["lines"])
    return seen


def line_index(seen: dict, text: str) -> int:
    """Index of the first line of the child's output that contains ``text``."""
    found = [i for i, line in enumerate(seen["lines"]) if text in line]
    assert found, f"{text!r} not in the output:\n{seen['out']}"
    return found[0]


def assert_same_run(a: dict, b: dict) -> None:
    """Two final checkpoints are the same run: every tensor and value, timing aside."""
    assert a.keys() == b.keys()
    for key in a:
        if key in ("elapsed",):
            continue
        _same(a[key], b[key], key)


def _same(x, y, where: str) -> None:
    if isinstance(x, torch.Tensor):
        assert isinstance(y, torch.Tensor), where
        assert torch.equal(x, y), where
    elif isinstance(x, dict):
        assert x.keys() == y.keys(), where
        for k in x:
            if where == "history" and k == "seconds":
                continue
            _same(x[k], y[k], f"{where}.{k}")
    elif isinstance(x, list | tuple):
        assert len(x) == len(y), where
        for i, (u, v) in enumerate(zip(x, y, strict=True)):
            _same(u, v, f"{where}[{i}]")
    else:
        assert x == y, where


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The uninterrupted run's final checkpoint."""
    root = tmp_path_factory.mktemp("reference")
    seen = launch(root / "run", root / "no_idx", {})
    assert seen["code"] == 0, seen["out"]
    return load_checkpoint(root / "run" / "checkpoint.pt")


POINTS = random.Random(20_14_06_2661)  # seeded: the points vary with the seed, and reproduce
MID_FIRST = POINTS.randint(2, EVERY - 1)  # before the first checkpoint
MID_SECOND = POINTS.randint(EVERY + 1, STEPS - 1)  # between the checkpoints
MID_OTHER = POINTS.randint(EVERY + 1, STEPS - 1)
INT, TERM, KILL = signal.SIGINT, signal.SIGTERM, signal.SIGKILL
SCENARIOS = {
    # name: (pauses with their signals, the step the run must stop and save at)
    "SIGINT inside an iteration": ({("iteration", MID_FIRST): [INT]}, MID_FIRST),
    "SIGTERM inside an iteration": ({("iteration", MID_SECOND): [TERM]}, MID_SECOND),
    "SIGINT during a checkpoint save": ({("save", EVERY): [INT]}, EVERY),
    "SIGTERM during a checkpoint save": ({("save", EVERY): [TERM]}, EVERY),
    "second SIGINT during the interrupt's save": (
        {("iteration", MID_OTHER): [INT], ("save", MID_OTHER): [INT]},
        MID_OTHER,
    ),
}
KILLS = {
    "SIGKILL inside an iteration": {("iteration", MID_SECOND): [KILL]},
    "SIGKILL during a checkpoint save": {("save", STEPS): [KILL]},
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_interrupt_saves_at_the_boundary_and_resumes_bit_for_bit(
    tmp_path: Path, reference: dict, name: str
) -> None:
    actions, stop_step = SCENARIOS[name]
    run, data = tmp_path / "run", tmp_path / "no_idx"
    actions = {("save", stop_step): [], **actions}  # pause in the last save in any case
    seen = launch(run, data, actions)
    assert seen["code"] == 130, seen["out"]
    saved = load_checkpoint(run / "checkpoint.pt")
    assert saved["step"] == stop_step  # not one iteration more or less
    assert saved["history"]["step"][-1] == stop_step // 10 * 10  # no extra partial record
    # "checkpoint saved" comes only after the save went on and finished
    done = line_index(seen, f"; checkpoint saved at step {stop_step}")
    assert done > line_index(seen, f"PAUSED save {stop_step}")
    assert "stopped by SIG" in seen["lines"][done]
    if name.startswith("second"):
        assert "1 further interrupt(s) waited for the save" in seen["out"]
    resumed = launch(run, data, {}, extra=["--resume"], check_clean_at=stop_step + 1)
    assert resumed["code"] == 0, resumed["out"]
    assert f"resumed from {run / 'checkpoint.pt'} at iteration {stop_step}" in resumed["out"]
    assert resumed["clean_after_start"] == []
    assert_same_run(load_checkpoint(run / "checkpoint.pt"), reference)


@pytest.mark.parametrize("name", list(KILLS))
def test_after_sigkill_the_run_resumes_from_the_last_checkpoint(
    tmp_path: Path, reference: dict, name: str
) -> None:
    run, data = tmp_path / "run", tmp_path / "no_idx"
    seen = launch(run, data, KILLS[name])
    assert seen["killed"]
    assert seen["code"] == -signal.SIGKILL
    assert load_checkpoint(run / "checkpoint.pt")["step"] == EVERY  # the last one loads
    if "save" in name:  # killed with the new checkpoint half renamed: its temporary is left
        (left,) = temporaries(run)
        assert left.startswith(".checkpoint.pt.")
    resumed = launch(run, data, {}, extra=["--resume"], check_clean_at=EVERY + 1)
    assert resumed["code"] == 0, resumed["out"]
    assert f"at iteration {EVERY}" in resumed["out"]
    assert resumed["clean_after_start"] == []
    assert_same_run(load_checkpoint(run / "checkpoint.pt"), reference)
