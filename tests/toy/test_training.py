"""Tests for ganlib.toy.training: validation, steps, mid-run updates, history, divergence."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch

from ganlib.toy.distributions import TARGETS
from ganlib.toy.models import ToyNetConfig
from ganlib.toy.training import Divergence, ToyGAN, ToyGANConfig, ToyHistory

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _params(module: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def _changed(before: list[torch.Tensor], module: torch.nn.Module) -> bool:
    return any(not torch.equal(a, b) for a, b in zip(before, module.parameters(), strict=True))


# ---- invalid settings ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("settings", "name", "valid"),
    [
        ({"lr_d": -1e-3}, "lr_d", "(0, 10]"),
        ({"lr_g": 0.0}, "lr_g", "(0, 10]"),
        ({"lr_d": 1e39}, "lr_d", "(0, 10]"),
        ({"lr_d": True}, "lr_d", "(0, 10]"),
        ({"lr_g": math.inf}, "lr_g", "finite"),
        ({"k": 0}, "k", "[1, 1000]"),
        ({"k": 2.5}, "k", "[1, 1000]"),
        ({"loss": "wasserstein"}, "loss", "minimax"),
        ({"batch_size": 0}, "batch_size", "[1, 100000]"),
        ({"target": "cauchy"}, "target", "bimodal"),
        ({"noise": "gumbel"}, "noise", "uniform"),
        ({"optimizer": "rmsprop"}, "optimizer", "sgd"),
        ({"betas_d": (1.0, 0.9)}, "betas_d", "[0, 1)"),
        ({"betas_g": (0.5, -0.1)}, "betas_g", "[0, 1)"),
        ({"seed": -1}, "seed", "[0,"),
        ({"r1_gamma": -1.0}, "r1_gamma", "[0,"),
        ({"lr_decay_steps": -5}, "lr_decay_steps", "[0,"),
        ({"net": ToyNetConfig(minibatch=True), "batch_size": 150}, "batch_size", "multiple"),
    ],
)
def test_invalid_settings_raise_naming_setting_and_range(settings, name, valid):
    with pytest.raises(ValueError, match=name) as info:
        ToyGANConfig(**settings).validate()
    assert valid in str(info.value)
    with pytest.raises(ValueError, match=name):
        ToyGAN(ToyGANConfig(**settings))


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        ({"lr_d": -1.0}, "lr_d"),
        ({"k": 0}, "k"),
        ({"loss": "hinge"}, "loss"),
        ({"batch_size": 0}, "batch_size"),
        ({"target": "bimodal"}, "cannot change mid-run"),
        ({"colour": 3}, "colour"),
    ],
)
def test_invalid_update_raises_and_keeps_config(settings, match):
    gan = ToyGAN(ToyGANConfig())
    before = gan.config
    with pytest.raises(ValueError, match=match):
        gan.update(**settings)
    assert gan.config == before


# ---- single steps -------------------------------------------------------------------------------
def test_step_d_moves_only_d_and_step_g_only_g():
    gan = ToyGAN(ToyGANConfig(batch_size=64))
    g0, d0 = _params(gan.G), _params(gan.D)
    gan.step_d()
    assert _changed(d0, gan.D)
    assert not _changed(g0, gan.G)
    assert gan.step == 0
    d1 = _params(gan.D)
    gan.step_g()
    assert _changed(g0, gan.G)
    assert not _changed(d1, gan.D)
    assert gan.step == 1


def test_d_loss_is_the_binary_cross_entropy_sum():
    """Recompute L_D = -mean log D(x) - mean log(1 - D(G(z))) with the same samples by hand."""
    gan = ToyGAN(ToyGANConfig(batch_size=32))
    d_before = copy.deepcopy(gan.D)
    rng = torch.Generator().set_state(gan._gen.get_state())
    x = TARGETS["gaussian"].sample(32, rng)
    z = torch.rand(32, gan.config.net.noise_dim, generator=rng)
    with torch.no_grad():
        d_real = torch.sigmoid(d_before(x))
        d_fake = torch.sigmoid(d_before(gan.G(z)))
    expected = -(torch.log(d_real).mean() + torch.log(1 - d_fake).mean())
    assert gan.step_d() == pytest.approx(float(expected), rel=1e-5)


@pytest.mark.parametrize("loss", ["non-saturating", "minimax"])
def test_g_loss_matches_its_formula(loss):
    gan = ToyGAN(ToyGANConfig(batch_size=32, loss=loss))
    rng = torch.Generator().set_state(gan._gen.get_state())
    z = torch.rand(32, gan.config.net.noise_dim, generator=rng)
    with torch.no_grad():
        d_fake = torch.sigmoid(gan.D(gan.G(z)))
    if loss == "non-saturating":  # -log D(G(z))
        expected = -torch.log(d_fake).mean()
    else:  # log(1 - D(G(z)))
        expected = torch.log(1 - d_fake).mean()
    assert gan.step_g() == pytest.approx(float(expected), rel=1e-5)


def test_generator_gradient_matches_finite_differences():
    """The gradient step_g hands to Adam equals a central finite difference of the G loss."""
    gan = ToyGAN(ToyGANConfig(batch_size=16, lr_decay_steps=0))
    gan.G.double()
    gan.D.double()
    z = torch.rand(16, gan.config.net.noise_dim, dtype=torch.float64)
    bias = gan.G.net[-1].bias

    def g_loss() -> float:
        with torch.no_grad():
            return float(torch.nn.functional.softplus(-gan.D(gan.G(z))).mean())

    eps = 1e-6
    with torch.no_grad():
        bias += eps
        up = g_loss()
        bias -= 2 * eps
        down = g_loss()
        bias += eps
    logits = gan.D(gan.G(z))
    loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
    (grad,) = torch.autograd.grad(loss, [bias])
    assert float(grad) == pytest.approx((up - down) / (2 * eps), rel=1e-5)


# ---- mid-run updates ----------------------------------------------------------------------------
def test_lr_update_takes_effect_at_the_next_step():
    """Adam's first step moves every weight by exactly lr (m / sqrt(v) = ±1)."""
    gan = ToyGAN(ToyGANConfig(lr_decay_steps=0, batch_size=64))
    gan.update(lr_g=0.05, lr_d=0.02)
    assert [g["lr"] for g in gan.opt_g.param_groups] == [0.05]
    g0, d0 = _params(gan.G), _params(gan.D)
    gan.step_d()
    gan.step_g()
    dg = max(
        float((a.detach() - b).abs().max()) for a, b in zip(gan.G.parameters(), g0, strict=True)
    )
    dd = max(
        float((a.detach() - b).abs().max()) for a, b in zip(gan.D.parameters(), d0, strict=True)
    )
    assert dg == pytest.approx(0.05, rel=1e-3)
    assert dd == pytest.approx(0.02, rel=1e-3)


def test_update_keeps_adam_state_and_sets_betas_in_place():
    gan = ToyGAN(ToyGANConfig())
    gan.train(3, record_every=None)
    state = gan.opt_g.state_dict()["state"]
    gan.update(betas=(0.0, 0.9))
    assert gan.opt_g.param_groups[0]["betas"] == (0.0, 0.9)
    assert gan.opt_d.param_groups[0]["betas"] == (0.0, 0.9)
    assert gan.config.betas_g == (0.0, 0.9)
    assert torch.equal(gan.opt_g.state_dict()["state"][0]["exp_avg"], state[0]["exp_avg"])


def test_k_update_counts_discriminator_steps():
    gan = ToyGAN(ToyGANConfig(batch_size=16))
    gan.update(k=3)
    gan.train(2, record_every=None)
    first_d = next(iter(gan.opt_d.state.values()))
    first_g = next(iter(gan.opt_g.state.values()))
    assert int(first_d["step"]) == 6
    assert int(first_g["step"]) == 2
    assert gan.step == 2


def test_batch_size_and_loss_updates_act_at_the_next_step():
    gan = ToyGAN(ToyGANConfig())
    gan.update(batch_size=7, loss="minimax")
    gan.step_d()
    assert gan._last_logits.shape == (14, 1)
    assert gan.step_g() < 0  # log(1 - D(G(z))) is negative; -log D(G(z)) would be positive


def test_optimizer_update_builds_sgd():
    gan = ToyGAN(ToyGANConfig())
    gan.update(optimizer="sgd", lr_g=0.1)
    assert isinstance(gan.opt_g, torch.optim.SGD)
    assert gan.opt_g.param_groups[0]["lr"] == pytest.approx(0.1)


def test_lr_decay_is_inverse_time():
    gan = ToyGAN(ToyGANConfig(lr_decay_steps=100, batch_size=16))
    gan.train(300, record_every=None)
    assert gan.opt_g.param_groups[0]["lr"] == pytest.approx(gan.config.lr_g * 100 / 400)
    assert gan.opt_d.param_groups[0]["lr"] == pytest.approx(gan.config.lr_d * 100 / 400)


# ---- Algorithm 1, pause/resume, reset ------------------------------------------------------------
def test_training_in_chunks_equals_one_run():
    a = ToyGAN(ToyGANConfig(batch_size=32))
    b = ToyGAN(ToyGANConfig(batch_size=32))
    a.train(40, record_every=None)
    b.train(15, record_every=None)
    b.train(25, record_every=None)
    for p, q in zip(a.G.parameters(), b.G.parameters(), strict=True):
        assert torch.equal(p, q)


def test_should_stop_pauses_training():
    gan = ToyGAN(ToyGANConfig(batch_size=16))
    calls = []

    def stop() -> bool:
        calls.append(1)
        return len(calls) > 5

    gan.train(100, record_every=None, should_stop=stop)
    assert gan.step == 5


def test_reset_gives_fresh_reproducible_state():
    gan = ToyGAN(ToyGANConfig(batch_size=16))
    start = _params(gan.G)
    gan.train(20, record_every=10)
    gan.reset()
    assert gan.step == 0
    assert len(gan.history) == 0
    assert gan.diverged is None
    assert all(torch.equal(a, b) for a, b in zip(start, gan.G.parameters(), strict=True))
    gan.reset(seed=3, target="bimodal", noise="normal")
    assert gan.config.seed == 3
    assert gan.target is TARGETS["bimodal"]
    assert _changed(start, gan.G)


def test_history_records_every_field():
    gan = ToyGAN(ToyGANConfig(batch_size=64))
    hist = gan.train(60, record_every=20)
    assert isinstance(hist, ToyHistory)
    assert hist.step == [0, 20, 40, 60]
    values = hist.as_dict()
    assert set(values) == {
        "step", "d_loss", "g_loss", "d_real", "d_fake", "mean", "std", "js", "d_star_gap",
    }  # fmt: skip
    for name, column in values.items():
        assert len(column) == 4, name
        assert np.all(np.isfinite(column)), name
    assert all(0 <= v <= math.log(2) for v in hist.js)
    assert all(0 < v < 1 for v in hist.d_real + hist.d_fake)
    assert hist.d_loss[0] > 0
    assert all(0 <= v <= 1 for v in hist.d_star_gap)


def test_snapshot_curves_match_their_definitions():
    gan = ToyGAN(ToyGANConfig(batch_size=64))
    gan.train(30, record_every=None)
    grid = np.linspace(-1.0, 9.0, 201)
    snap = gan.snapshot(grid)
    assert set(snap) == {"x", "p_data", "p_g", "d", "d_star"}
    np.testing.assert_allclose(snap["p_data"], TARGETS["gaussian"].pdf(grid))
    with torch.no_grad():
        d = torch.sigmoid(gan.D(torch.tensor(grid, dtype=torch.float32).reshape(-1, 1)))
    np.testing.assert_allclose(snap["d"], d.numpy().ravel(), rtol=1e-6)
    total = snap["p_data"] + snap["p_g"]
    mask = total > 1e-6
    np.testing.assert_allclose(snap["d_star"][mask], (snap["p_data"] / total)[mask])
    assert np.all((snap["d_star"] >= 0) & (snap["d_star"] <= 1))


def test_evaluate_reports_moments_of_samples():
    gan = ToyGAN(ToyGANConfig())
    ev = gan.evaluate(20_000)
    assert set(ev) == {"mean", "std", "js"}
    x = gan.sample(20_000)
    assert x.shape == (20_000,)
    assert ev["mean"] == pytest.approx(x.mean(), abs=5 * x.std() / np.sqrt(len(x)) + 1e-6)


def test_minibatch_reference_runs_and_reports_no_pointwise_d():
    gan = ToyGAN(ToyGANConfig.reference(minibatch=True))
    hist = gan.train(20, record_every=10)
    assert hist.step == [0, 10, 20]
    assert all(math.isnan(v) for v in hist.d_star_gap)
    assert np.all(np.isnan(gan.snapshot()["d"]))
    with pytest.raises(ValueError, match="multiple"):
        gan.update(batch_size=150)


# ---- divergence ---------------------------------------------------------------------------------
@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_huge_learning_rate_stops_cleanly(optimizer):
    gan = ToyGAN(ToyGANConfig(optimizer=optimizer, lr_d=10.0, lr_g=10.0))
    hist = gan.train(200, record_every=10)
    assert isinstance(gan.diverged, Divergence)
    msg = gan.diverged.message
    assert msg.startswith(f"diverged at step {gan.diverged.step}: ")
    assert msg.endswith("press Reset")
    assert "learning rate too high" in msg
    for name, column in hist.as_dict().items():
        assert np.all(np.isfinite(column)), name
    step = gan.step
    assert math.isnan(gan.step_d())
    assert math.isnan(gan.step_g())
    gan.train(10)
    assert gan.step == step  # frozen until reset
    gan.reset(lr_d=1e-3, lr_g=1e-3)
    assert gan.diverged is None


def test_cause_names_the_network_with_the_huge_lr():
    gan = ToyGAN(ToyGANConfig(lr_d=10.0, lr_g=1e-3))
    gan.train(100, record_every=None)
    assert gan.diverged is not None
    assert "too high for D" in gan.diverged.cause


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_extreme_dashboard_settings_never_raise(optimizer):
    gan = ToyGAN(ToyGANConfig(optimizer=optimizer, lr_d=1.0, lr_g=1.0, batch_size=1, k=20))
    hist = gan.train(50, record_every=5)
    assert gan.diverged is not None or gan.step == 50
    for name in ("mean", "std", "js"):
        assert np.all(np.isfinite(getattr(hist, name)))


def test_nan_loss_is_caught_and_not_recorded():
    gan = ToyGAN(ToyGANConfig(batch_size=16))
    gan.train(10, record_every=5)
    with torch.no_grad():
        gan.D.net[0].weight.fill_(float("nan"))
    gan.train(10, record_every=5)
    assert gan.diverged is not None
    assert gan.diverged.step == 10
    assert "NaN/inf D loss" in gan.diverged.cause
    assert gan.history.step == [0, 5, 10]


# ---- it learns ----------------------------------------------------------------------------------
def test_default_config_converges_on_seed_0():
    gan = ToyGAN(ToyGANConfig(seed=0))
    gan.train(1000, record_every=None)
    ev = gan.evaluate()
    assert abs(ev["mean"] - 4.0) <= 0.1
    assert abs(ev["std"] - 1.25) <= 0.1
    assert ev["js"] <= 0.01


# ---- the loss helpers ---------------------------------------------------------------------------
