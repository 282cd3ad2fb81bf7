"""ganlib.plane.training: PlaneGAN runs Algorithm 1 as written by hand, and draws what it says."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from ganlib.core.device import make_generator
from ganlib.core.losses import generator_loss
from ganlib.plane.models import PlaneNetConfig
from ganlib.plane.targets import TARGETS, noise_quantiles, sample_noise
from ganlib.plane.training import PlaneGAN, PlaneGANConfig

pytestmark = pytest.mark.usefixtures("one_torch_thread")
SMALL = PlaneNetConfig(g_hidden=(16, 16), d_hidden=(16, 16))


def _config(**kw: object) -> PlaneGANConfig:
    return PlaneGANConfig(**{"batch_size": 32, "net": SMALL, **kw})  # type: ignore[arg-type]


def test_the_library_runs_the_loop_written_by_hand() -> None:
    """Notebook 03 writes Algorithm 1 out in plain PyTorch; PlaneGAN.train must be that loop."""
    config = _config(seed=3)
    gan = PlaneGAN(config)
    G, D = PlaneGAN(config).G, PlaneGAN(config).D  # the same seeded initial weights
    # fused Adam, as ganlib's: the same rounding, so the weights can be compared bit for bit
    opt_d = torch.optim.Adam(D.parameters(), lr=config.lr_d, betas=config.betas_d, fused=True)
    opt_g = torch.optim.Adam(G.parameters(), lr=config.lr_g, betas=config.betas_g, fused=True)
    tau = config.lr_decay_steps
    gen, m, target = make_generator(config.seed), config.batch_size, TARGETS["ring"]
    ones, zeros = torch.ones(m, 1), torch.zeros(m, 1)
    for t in range(20):
        # (1) D: ascend log D(x) + log(1 - D(G(z))), i.e. descend the two cross-entropies
        x = target.sample(m, gen)
        with torch.no_grad():
            fake = G(sample_noise(config.noise, m, gen))
        logits = D(torch.cat([x, fake]))
        d_loss = F.binary_cross_entropy_with_logits(logits[:m], ones)
        d_loss = d_loss + F.binary_cross_entropy_with_logits(logits[m:], zeros)
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        # (2) G: descend the non-saturating loss -log D(G(z)) on fresh noise
        g_loss = F.binary_cross_entropy_with_logits(D(G(sample_noise(config.noise, m, gen))), ones)
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        for opt, lr in ((opt_d, config.lr_d), (opt_g, config.lr_g)):  # inverse-time decay
            for group in opt.param_groups:
                group["lr"] = lr * (tau / (tau + t + 1))
    gan.train(20, record_every=None)
    assert tau == 1000
    mine, theirs = [*G.parameters(), *D.parameters()], [*gan.G.parameters(), *gan.D.parameters()]
    assert all(torch.equal(a, b) for a, b in zip(mine, theirs, strict=True))


def test_history_records_the_metrics_and_runs_are_reproducible() -> None:
    a, b = PlaneGAN(_config(seed=1)), PlaneGAN(_config(seed=1))
    torch.manual_seed(0)
    ha = a.train(40, record_every=20)
    torch.manual_seed(99)  # the global RNG plays no part
    hb = b.train(40, record_every=20)
    assert ha.step == [0, 20, 40]
    assert ha.as_dict() == hb.as_dict()
    assert ha.js[0] == pytest.approx(math.log(2), abs=0.02)  # G starts far from the ring
    assert all(0 <= q <= 1 for q in ha.hq)
    assert all(0 <= k <= 8 for k in ha.modes)
    assert ha.d_loss[0] == pytest.approx(math.log(4), abs=0.2)


def test_discriminator_map_is_d_at_the_lattice_points_rows_are_y() -> None:
    gan = PlaneGAN(_config())
    x = gan.view_lattice(9)
    d = gan.discriminator_map(x)
    assert d.shape == (9, 9)
    point = torch.tensor([[x[2], x[6]]], dtype=torch.float32)  # x = x[2], y = x[6]
    with torch.no_grad():
        expected = float(torch.sigmoid(gan.D(point)))
    assert d[6, 2] == pytest.approx(expected, rel=1e-6)


def test_minibatch_std_map_holds_the_statistic_at_a_real_batchs() -> None:
    gan = PlaneGAN(_config(net=PlaneNetConfig(g_hidden=(16,), d_hidden=(16, 16),
                                               d_kind="minibatch-std")))  # fmt: skip
    x = gan.view_lattice(5)
    d = gan.discriminator_map(x)
    real = gan._real_tensor()
    with torch.no_grad():
        stat = gan.D.statistic(real).mean()
        expected = torch.sigmoid(gan.D.score(torch.tensor([[x[1], x[3]]]).float(), stat))
    assert d[3, 1] == pytest.approx(float(expected), rel=1e-6)


@pytest.mark.parametrize("loss", ["non-saturating", "minimax", "least-squares"])
def test_arrows_point_where_the_generator_loss_falls(loss: str) -> None:
    gan = PlaneGAN(_config(loss=loss))
    for _ in range(30):
        gan.step_d()  # a D with some opinion
    z = sample_noise("normal", 16, make_generator(5))
    pts, arrows = gan.generator_arrows(z)

    d64 = copy.deepcopy(gan.D).double()  # finite differences in double precision

    def sample_loss(p: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            logits = d64(torch.as_tensor(p, dtype=torch.float64))
            return np.array([float(generator_loss(lg, loss)) for lg in logits])

    # central finite differences of each sample's own loss term: arrow = -gradient
    eps = 1e-6
    for axis in range(2):
        step = np.zeros_like(pts)
        step[:, axis] = eps
        fd = (sample_loss(pts + step) - sample_loss(pts - step)) / (2 * eps)
        np.testing.assert_allclose(arrows[:, axis], -fd, rtol=1e-3, atol=1e-5)


def test_warped_grid_is_g_at_the_noise_quantiles() -> None:
    gan = PlaneGAN(_config(noise="uniform"))
    grid = gan.warped_noise_grid(n_lines=4, n_points=7)
    assert grid.shape == (8, 7, 2)
    q, t = noise_quantiles("uniform", 4), noise_quantiles("uniform", 7)
    with torch.no_grad():
        expected = gan.G(torch.tensor([[q[1], t[3]], [t[3], q[2]]], dtype=torch.float32))
    np.testing.assert_allclose(grid[1, 3], expected[0].numpy(), rtol=1e-5)  # vertical line 1
    np.testing.assert_allclose(grid[4 + 2, 3], expected[1].numpy(), rtol=1e-5)  # horizontal 2


def test_d_star_is_one_half_where_g_matches_the_data_and_nan_far_away() -> None:
    gan = PlaneGAN(_config())
    x = gan.view_lattice(64)
    real = gan.target.sample(20_000, make_generator(7)).double().numpy()
    d_star = gan.d_star_map(x, real)
    on_modes = gan.target.smoothed(x[1] - x[0]).pdf_on_lattice(x, x) > 1.0
    assert np.nanmax(np.abs(d_star[on_modes] - 0.5)) < 0.1
    assert np.isnan(d_star[0, 0])  # the corner is far from data and samples: not estimated
    only_half = real[np.arctan2(real[:, 1], real[:, 0]) > 0]  # G misses the lower modes
    low = gan.d_star_map(x, only_half)
    lower_mode = (np.abs(x - 0.0).argmin(), np.abs(x + 2.0).argmin())  # (x, y) = (0, -2)
    assert low[lower_mode[1], lower_mode[0]] > 0.99  # D* says "real" where G puts nothing


def test_view_keeps_its_real_points_and_noise_fixed() -> None:
    gan = PlaneGAN(_config())
    v1 = gan.view(lattice=16, n_samples=40, n_lines=5)
    gan.train(5, record_every=None)
    v2 = gan.view(lattice=16, n_samples=40, n_lines=5)
    np.testing.assert_array_equal(v1["real"], v2["real"])
    assert not np.array_equal(v1["fake"], v2["fake"])  # the same z, moved by training
    assert v1["d"].shape == (16, 16)
    assert v1["grid"].shape == (10, 60, 2)
    assert v1["fake"].shape == v1["arrows"].shape == (40, 2)


def test_reset_changes_what_d_sees_and_mid_run_updates_act() -> None:
    gan = PlaneGAN(_config())
    gan.reset(d_kind="minibatch-std")
    assert gan.config.net.d_kind == "minibatch-std"
    assert gan.config.d_kind == "minibatch-std"
    gan.train(3, record_every=None)
    gan.update(lr_g=5e-4, r1_gamma=0.1)
    assert gan.opt_g.param_groups[0]["lr"] == pytest.approx(5e-4 * gan.lr_factor())
    gan.train(3, record_every=None)
    assert gan.diverged is None
    assert gan.step == 6
    with pytest.raises(ValueError, match="cannot change mid-run"):
        gan.update(d_kind="per-sample")


def test_bad_settings_are_refused_with_their_names() -> None:
    with pytest.raises(ValueError, match="target"):
        PlaneGANConfig(target="moons")
    with pytest.raises(ValueError, match="noise"):
        PlaneGANConfig(noise="cauchy")
    with pytest.raises(ValueError, match=r"batch_size must be a multiple of net\.group=8"):
        PlaneGANConfig(batch_size=12, net=PlaneNetConfig(d_kind="minibatch-std"))


def test_extreme_settings_end_in_a_divergence_not_an_exception() -> None:
    gan = PlaneGAN(_config(lr_d=1.0, lr_g=1.0, batch_size=1, k=20, seed=0))
    gan.train(300, record_every=10)
    assert gan.diverged is not None
    assert "press Reset" in gan.diverged.message
    assert all(np.isfinite(gan.history.js))  # nothing non-finite was recorded


def test_the_evaluated_generator_is_the_moving_average_and_the_view_draws_g() -> None:
    """The defaults average G's weights: samples, records and the benchmark see the average."""
    gan = PlaneGAN(_config(seed=4))
    assert gan.config.ema_decay == 0.99
    assert gan.G_ema is not None
    initial = copy.deepcopy(gan.G.state_dict())
    history = []  # G's weights after every step, to recompute the average by hand
    for _ in range(30):
        gan.train(1, record_every=None)
        history.append({k: v.clone() for k, v in gan.G.state_dict().items()})
    for name, mine in gan.G_ema.state_dict().items():
        expected = initial[name]
        for weights in history:
            expected = 0.99 * expected + 0.01 * weights[name]
        torch.testing.assert_close(mine, expected, rtol=1e-5, atol=1e-6)
    z = sample_noise(gan.config.noise, 500, make_generator(4 + 1))  # the evaluation stream, fresh
    with torch.no_grad():
        averaged, trained = gan.G_ema(z).double().numpy(), gan.G(z).double().numpy()
    assert not np.allclose(averaged, trained)
    np.testing.assert_allclose(gan.sample(500), averaged, rtol=1e-6)
    view = gan.view(lattice=8, n_samples=40, n_lines=3, line_points=5)
    with torch.no_grad():
        np.testing.assert_allclose(view["fake"], gan.G(gan._view_noise(40)).double().numpy())


def test_the_moving_average_does_not_change_training() -> None:
    averaged, alone = PlaneGAN(_config(seed=2)), PlaneGAN(_config(seed=2, ema_decay=0.0))
    assert alone.G_ema is None
    averaged.train(40, record_every=None)
    alone.train(40, record_every=None)
    for a, b in zip(averaged.G.parameters(), alone.G.parameters(), strict=True):
        assert torch.equal(a, b)
    assert not torch.equal(next(averaged.G_ema.parameters()), next(averaged.G.parameters()))


def test_drawing_the_view_does_not_change_the_records() -> None:
    """A dashboard redraws as often as it can: the records must not depend on how often."""
    quiet, drawn = PlaneGAN(_config(seed=5)), PlaneGAN(_config(seed=5))
    quiet.train(20, record_every=10)
    for _ in range(2):
        drawn.train(10, record_every=10)
        drawn.view(lattice=8, n_samples=40, n_lines=3, line_points=5, d_star_samples=200)
    assert quiet.history.as_dict() == drawn.history.as_dict()
