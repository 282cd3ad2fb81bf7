"""Tests for ganlib.toy.exercises: the helpers behind notebook 02's exercises."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from ganlib.core.device import make_generator
from ganlib.toy import exercises as ex
from ganlib.toy.js_estimate import JS_SAMPLES, js_from_samples
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


def test_run_measuring_g_trains_as_run_all_and_measures_g_itself() -> None:
    config = ToyGANConfig(batch_size=32, seed=2)
    gan, itself = ex.run_measuring_g(config, steps=25, record_every=10)
    same = ex.run_all({"same": config}, steps=25, record_every=10)["same"]
    for a, b in zip(gan.G.parameters(), same.G.parameters(), strict=True):
        assert torch.equal(a, b)
    assert gan.history.as_dict() == same.history.as_dict()  # measuring G took nothing from it
    assert gan.step == 25
    assert itself.step == [0, 10, 20, 25]
    assert gan.history.step == [0, 10, 20]
    # the last record: G itself on its fixed noise, measured by hand
    z = gan.noise(JS_SAMPLES, make_generator(config.seed + 4))  # its own stream: seed + 4
    with torch.no_grad():
        x = gan.G(z).reshape(-1).double().numpy()
    assert itself.mean[-1] == pytest.approx(float(x.mean()), rel=1e-9)
    assert itself.std[-1] == pytest.approx(float(x.std()), rel=1e-9)
    assert itself.js[-1] == pytest.approx(js_from_samples(x, gan.target), abs=1e-12)
    with torch.no_grad():  # G itself, not the moving average that the run's history measures
        averaged = gan.G_eval(z).reshape(-1).double().numpy()
    assert abs(float(averaged.mean()) - itself.mean[-1]) > 1e-4
    # and what it measures is what a run without the average trains: the very same G
    alone = ex.run_all({"alone": dataclasses.replace(config, ema_decay=0.0)}, 25, 10)["alone"]
    for a, b in zip(gan.G.parameters(), alone.G.parameters(), strict=True):
        assert torch.equal(a, b)


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
    history = ToyHistory(step=[0, 5, 10], js=[0.5, 0.1, 0.05])  # a history draws as a run does
    fig = ex.plot_runs({"run": runs["a"], "history": history}, [("js", "JS", True)])
    np.testing.assert_allclose(fig.axes[0].get_lines()[1].get_ydata(), history.js)
    fig = ex.plot_gradient_norms({"minimax": 1e-4, "non-saturating": 0.1})
    assert [p.get_height() for p in fig.axes[0].patches] == [1e-4, 0.1]
