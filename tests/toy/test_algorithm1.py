"""Notebook 02's Algorithm 1, written out in plain PyTorch, is the loop ToyGAN runs.

The test reads the loop from the committed notebook itself (the code cell that starts with
:data:`MARK`), runs it from ToyGAN's initial weights on ToyGAN's training stream, and compares
every weight of G and D with ToyGAN's after the same number of iterations: they must be equal
bit for bit. A changed loop (another k, a different loss, a missing ``opt_g.zero_grad()``) must
make them differ. (Removing ``.detach()`` alone would not: ``opt_d`` holds only D's parameters and
G's gradients are zeroed before G's step, so the stray G gradients of D's step are wasted work,
not a different result.)
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from ganlib.core.device import make_generator
from ganlib.toy.models import ToyNetConfig
from ganlib.toy.training import ToyGAN, ToyGANConfig

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "02_toy_gan.ipynb"
MARK = "# Algorithm 1 of Goodfellow et al. (2014), in plain PyTorch"

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def notebook_loop(mutate: Callable[[str], str] | None = None) -> Callable[..., tuple[float, float]]:
    """``algorithm_1`` as the notebook's cell defines it (the cell is run with torch and F).

    ``mutate`` edits the cell's source first (a mutation test of the comparison).
    """
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    sources = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    found = [s for s in sources if s.startswith(MARK)]
    assert len(found) == 1, f"notebook 02 must have one code cell starting with {MARK!r}"
    source = found[0] if mutate is None else mutate(found[0])
    namespace: dict[str, object] = {"torch": torch, "F": F}
    exec(compile(source, f"{NOTEBOOK.name}: Algorithm 1", "exec"), namespace)
    return namespace["algorithm_1"]  # type: ignore[return-value]


def run_both(
    config: ToyGANConfig,
    steps: int,
    loop_k: int | None = None,
    mutate: Callable[[str], str] | None = None,
) -> tuple[ToyGAN, list]:
    """ToyGAN trained ``steps`` iterations, and the notebook's loop from the same start."""
    gan = ToyGAN(config)
    G, D = copy.deepcopy(gan.G), copy.deepcopy(gan.D)
    opt_d = torch.optim.Adam(D.parameters(), lr=config.lr_d, betas=config.betas_d, fused=True)
    opt_g = torch.optim.Adam(G.parameters(), lr=config.lr_g, betas=config.betas_g, fused=True)
    gen = make_generator(config.seed)
    dim = config.net.noise_dim
    notebook_loop(mutate)(
        G,
        D,
        opt_d,
        opt_g,
        lambda m: gan.target.sample(m, gen),
        lambda m: torch.rand(m, dim, generator=gen),
        steps,
        k=config.k if loop_k is None else loop_k,
        m=config.batch_size,
    )
    gan.train(steps, record_every=None)
    pairs = [
        *zip(G.parameters(), gan.G.parameters(), strict=True),
        *zip(D.parameters(), gan.D.parameters(), strict=True),
    ]
    return gan, pairs


@pytest.mark.parametrize("k", [1, 3])
def test_the_notebook_loop_and_toygan_give_identical_weights(k: int) -> None:
    config = ToyGANConfig(loss="non-saturating", lr_decay_steps=0, k=k, batch_size=256, seed=5)
    gan, pairs = run_both(config, steps=40)
    assert gan.step == 40
    assert all(torch.equal(ours, theirs) for ours, theirs in pairs)


def test_the_identity_holds_for_the_fifty_line_gans_nets() -> None:
    """The minibatch D on groups of 100 and raw units: still the same loop."""
    config = ToyGANConfig.reference(seed=2)
    _, pairs = run_both(config, steps=25)
    assert all(torch.equal(ours, theirs) for ours, theirs in pairs)


def test_the_moving_average_does_not_change_the_trained_weights() -> None:
    """The average of G is evaluated, never trained on: G and D are still the loop's."""
    config = ToyGANConfig(loss="non-saturating", lr_decay_steps=0, ema_decay=0.9, seed=1)
    gan, pairs = run_both(config, steps=20)
    assert gan.G_ema is not None
    assert all(torch.equal(ours, theirs) for ours, theirs in pairs)
    assert not all(
        torch.equal(a, b) for a, b in zip(gan.G_ema.parameters(), gan.G.parameters(), strict=True)
    )


@pytest.mark.parametrize(
    ("change", "loop_k"),
    [
        ({"k": 1}, 2),  # the loop takes two D steps where ToyGAN takes one
        ({"loss": "least-squares"}, None),  # ToyGAN's default loss is not the loop's BCE
        ({"lr_decay_steps": 100}, None),  # ToyGAN decays the rates, the loop does not
    ],
)
def test_a_different_loop_gives_different_weights(change: dict, loop_k: int | None) -> None:
    """The comparison can fail: each of these differences shows up in the weights."""
    settings = {"loss": "non-saturating", "lr_decay_steps": 0, "batch_size": 128, "seed": 4}
    config = ToyGANConfig(**{**settings, **change})
    _, pairs = run_both(config, steps=15, loop_k=loop_k)
    assert not all(torch.equal(ours, theirs) for ours, theirs in pairs)


def test_a_loop_without_zero_grad_for_g_gives_different_weights() -> None:
    """G's gradients would pile up over the iterations: the comparison sees it."""

    def drop_zero_grad(cell: str) -> str:
        assert cell.count("opt_g.zero_grad()") == 1
        return cell.replace("opt_g.zero_grad()", "pass")

    settings = {"loss": "non-saturating", "lr_decay_steps": 0, "batch_size": 128, "seed": 4}
    _, pairs = run_both(ToyGANConfig(**settings), steps=15, mutate=drop_zero_grad)
    assert not all(torch.equal(ours, theirs) for ours, theirs in pairs)


def test_the_loop_cell_is_about_25_lines_and_detaches_the_fakes() -> None:
    source = next(
        "".join(c["source"])
        for c in json.loads(NOTEBOOK.read_text())["cells"]
        if c["cell_type"] == "code" and "".join(c["source"]).startswith(MARK)
    )
    lines = [ln for ln in source.splitlines() if ln.strip()]
    assert len(lines) <= 30
    assert ".detach()" in source
    assert "for _ in range(k)" in source
    assert ToyNetConfig().noise_dim == 1  # the loop's noise sampler in the notebook is 1-D
