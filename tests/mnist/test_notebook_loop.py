"""Notebook 04's iteration, written out in plain PyTorch, is the one ganlib's trainer runs.

The test executes the notebook's own cells (the function ``one_iteration`` and the loop that
drives it), so an edit of the notebook that changes the maths fails here, and compares every
weight and BatchNorm statistic with :func:`ganlib.mnist.training.train_gan` after five
iterations from the same seed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from ganlib.core.device import make_generator
from ganlib.mnist.config import MNISTGANConfig
from ganlib.mnist.data import load_offline_mnist, to_signed_unit
from ganlib.mnist.models import build_gan
from ganlib.mnist.training import train_gan

pytestmark = pytest.mark.usefixtures("one_torch_thread")

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "04_mnist_gan.ipynb"


def _cell(starts: str) -> str:
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    found = [
        "".join(c["source"])
        for c in cells
        if c["cell_type"] == "code" and "".join(c["source"]).startswith(starts)
    ]
    assert len(found) == 1, f"notebook 04 has {len(found)} code cells starting {starts!r}"
    return found[0]


def _run_notebook_loop(arch: str, x_train: torch.Tensor) -> dict:
    """The notebook's two cells, with the DCGAN swapped for ``arch`` where asked."""
    loop = _cell("seed, m, steps = ")
    assert 'build_gan("dcgan"' in loop
    namespace = {"torch": torch, "F": F, "build_gan": build_gan, "make_generator": make_generator,
                 "x_train": x_train}  # fmt: skip
    exec(_cell("def one_iteration("), namespace)  # the notebook's own code
    exec(loop.replace('build_gan("dcgan"', f'build_gan("{arch}"'), namespace)
    return namespace


@pytest.fixture(scope="module")
def x_train() -> torch.Tensor:
    return to_signed_unit(load_offline_mnist("train").images)


def _same(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    return all(torch.equal(sa[k], sb[k]) for k in sa)


@pytest.mark.parametrize("arch", ["dcgan", "keras_gan"])
def test_the_notebooks_iteration_gives_ganlibs_weights_bit_for_bit(arch, x_train, capsys) -> None:
    ns = _run_notebook_loop(arch, x_train)
    assert ns["steps"] == 5
    printed = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in printed] == [f"iteration {i}" for i in range(1, 6)]
    config = MNISTGANConfig(arch=arch, steps=ns["steps"], batch_size=ns["m"], seed=ns["seed"],
                            log_every=1, checkpoint_every=0, grid_size=4)  # fmt: skip
    run = train_gan(config, x_train, device="cpu", progress=False)
    assert _same(ns["G"], run.generator)  # BatchNorm's running statistics included
    assert _same(ns["D"], run.discriminator)
    d_loss = [float(line.split("L_D = ")[1].split(",")[0]) for line in printed]
    assert d_loss == pytest.approx(run.history["d_loss"], abs=5e-5)  # printed to 4 decimals


def test_the_comparison_can_fail(x_train) -> None:
    """Negative controls: the tutorial's loop (G trained on the same fakes as D) or another
    seed gives other weights, so the equality above is no accident of the comparison."""
    ns = _run_notebook_loop("dcgan", x_train)
    base = {"arch": "dcgan", "steps": 5, "batch_size": 64, "log_every": 1,
            "checkpoint_every": 0, "grid_size": 4}  # fmt: skip
    for changes in ({"loop": "tutorial"}, {"seed": 1}):
        run = train_gan(MNISTGANConfig(**base, **changes), x_train, device="cpu", progress=False)
        assert not _same(ns["G"], run.generator), changes
