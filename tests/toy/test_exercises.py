"""Tests for ganlib.toy.exercises: the helpers behind notebook 02's exercises."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganlib.toy import exercises as ex
from ganlib.toy.training import ToyGAN, ToyGANConfig, ToyHistory

pytestmark = pytest.mark.usefixtures("agg_backend", "one_torch_thread")


def test_mass_shares_count_each_interval() -> None:
    x = np.array([0.0, 1.0, 3.5, 4.0, 4.5, 5.0, 9.0, 9.5])
    np.testing.assert_allclose(ex.mass_shares(x, (3.5, 4.5)), [2 / 8, 2 / 8, 4 / 8])


def test_median_between_reads_the_window() -> None:
    h = ToyHistory(step=[0, 10, 20, 30], js=[0.5, 0.1, 0.3, 0.2])
    assert ex.median_between(h, "js", 10, 30) == pytest.approx(0.2)
    with pytest.raises(ValueError, match="between steps 40 and 50"):
        ex.median_between(h, "js", 40, 50)


def test_bad_start_trains_d_alone() -> None:
    config = ToyGANConfig(batch_size=32)
    fresh, bad = ToyGAN(config), ex.bad_start(config, d_steps=5)
    assert bad.step == 0
    assert all(
        torch.equal(a, b) for a, b in zip(fresh.G.parameters(), bad.G.parameters(), strict=True)
    )
    assert not torch.equal(fresh.D.net[0].weight, bad.D.net[0].weight)
    assert int(next(iter(bad.opt_d.state.values()))["step"]) == 5


def test_generator_gradient_norm_is_the_norm_of_autograds_gradient() -> None:
    gan = ToyGAN(ToyGANConfig(batch_size=32))
    z = torch.rand(64, 1, generator=torch.Generator().manual_seed(0))
    logits = gan.D(gan.G(z))
    loss = torch.nn.functional.softplus(-logits).mean()  # -log D(G(z)), written by hand
    grads = torch.autograd.grad(loss, list(gan.G.parameters()))
    expected = float(torch.sqrt(sum((g**2).sum() for g in grads)))
    assert ex.generator_gradient_norm(gan, "non-saturating", z) == pytest.approx(expected, rel=1e-5)


def test_plot_runs_draws_each_runs_curve() -> None:
    runs = ex.run_all({"a": ToyGANConfig(batch_size=32), "b": ToyGANConfig(batch_size=32, seed=1)},
                      steps=10, record_every=5)  # fmt: skip
    fig = ex.plot_runs(runs, [("js", "JS", True), ("d_loss", "D loss", False)], {"d_loss": 0.25})
    ax_js, ax_d = fig.axes
    assert ax_js.get_yscale() == "log"
    for line, run in zip(ax_js.get_lines(), runs.values(), strict=True):
        np.testing.assert_array_equal(line.get_xdata(), run.history.step)
        np.testing.assert_allclose(line.get_ydata(), run.history.js)
    assert [ln.get_label() for ln in ax_d.get_lines()] == ["a", "b", "equilibrium"]
    fig = ex.plot_gradient_norms({"minimax": 1e-4, "non-saturating": 0.1})
    assert [p.get_height() for p in fig.axes[0].patches] == [1e-4, 0.1]
