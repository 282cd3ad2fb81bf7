"""ganlib.plane.dashboard, driven headless (Agg) the way the widgets drive it."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator

import numpy as np
import pytest
import torch

from ganlib.live.dashboard import DashboardSettings
from ganlib.plane.dashboard import FIGSIZE, PlaneDashboard, ViewSettings
from ganlib.plane.models import PlaneNetConfig
from ganlib.plane.plots import LAYERS
from ganlib.plane.training import PlaneGANConfig, PlaneHistory

FAST = DashboardSettings(chunk_seconds=0.02, yield_seconds=0.0, figsize=FIGSIZE)
SMALL = PlaneNetConfig(g_hidden=(32, 32), d_hidden=(32, 32))

pytestmark = pytest.mark.usefixtures("agg_backend", "one_torch_thread")


@pytest.fixture
def dash() -> Iterator[PlaneDashboard]:
    config = PlaneGANConfig(seed=1, batch_size=64, net=SMALL)
    d = PlaneDashboard(config, settings=FAST, view=ViewSettings(lattice=32, samples=128))
    yield d
    d.close()


def test_widgets_start_at_the_config_and_the_status_shows_step_0(dash: PlaneDashboard) -> None:
    c = dash.gan.config
    assert (dash.lr_d.value, dash.lr_g.value) == (pytest.approx(c.lr_d), pytest.approx(c.lr_g))
    assert (dash.k.value, dash.batch_size.value, dash.loss.value) == (c.k, c.batch_size, c.loss)
    assert (dash.optimizer.value, dash.r1_gamma.value) == (c.optimizer, c.r1_gamma)
    assert (dash.target.value, dash.noise.value, dash.d_kind.value) == ("ring", "uniform",
                                                                         "per-sample")  # fmt: skip
    assert dash.status_text.startswith("step 0 · modes 0/8 · high quality ")
    assert set(dash.layers) == set(LAYERS)
    assert len(dash.gan.history) == 1


def test_a_chunk_moves_the_same_artists_and_blits(dash: PlaneDashboard) -> None:
    land = dash.live.landscape
    heat, fake = land.heat, land.fake
    d_before = np.array(heat.get_array()).copy()
    fake_before = fake.get_offsets().copy()
    dash.run_chunk()
    full, blits = dash.live.full_draws, dash.live.blits
    pixels = np.asarray(dash.figure.canvas.buffer_rgba()).copy()
    steps = dash.run_chunk()
    assert steps >= 1
    assert dash.gan.history.step[-1] == dash.gan.step
    assert land.heat is heat
    assert land.fake is fake
    assert not np.array_equal(np.array(heat.get_array()), d_before)
    assert not np.array_equal(fake.get_offsets(), fake_before)
    assert dash.live.full_draws == full
    assert dash.live.blits == blits + 1
    assert not np.array_equal(np.asarray(dash.figure.canvas.buffer_rgba()), pixels)
    np.testing.assert_array_equal(dash.live.lines["modes"].get_xdata(), dash.gan.history.step)


def test_each_layer_can_be_switched_off_and_on(dash: PlaneDashboard) -> None:
    while dash.gan.step < 150:  # until p_g overlaps p_data somewhere: D* has contours
        dash.run_chunk()
    assert np.isfinite(dash.live.landscape.d_star.get_xdata()).any()
    for name in LAYERS:
        before = np.asarray(dash.figure.canvas.buffer_rgba()).copy()
        dash.layers[name].value = False
        artist = dash.live.landscape.layers[name]
        assert not artist.get_visible()
        after = np.asarray(dash.figure.canvas.buffer_rgba())
        assert not np.array_equal(after, before), f"hiding {name!r} changed nothing on screen"
        dash.layers[name].value = True
        assert artist.get_visible()
    dash.layers["arrows"].value = False
    dash.reset()  # a reset keeps the switches as they are
    assert not dash.live.landscape.arrows.get_visible()


def test_sliders_reach_the_running_game(dash: PlaneDashboard) -> None:
    dash.run_chunk()
    step = dash.gan.step
    dash.lr_g.value = 3e-4
    dash.k.value = 2
    dash.batch_size.value = 128
    dash.loss.value = "least-squares"
    dash.optimizer.value = "sgd"
    dash.r1_gamma.value = 0.1
    c = dash.gan.config
    assert (c.lr_g, c.k, c.batch_size, c.loss, c.optimizer, c.r1_gamma) == (
        pytest.approx(3e-4), 2, 128, "least-squares", "sgd", 0.1)  # fmt: skip
    assert isinstance(dash.gan.opt_g, torch.optim.SGD)
    assert dash.gan.step == step  # mid-run: no reset
    dash.run_chunk()
    assert dash.gan.step > step
    assert dash.gan.diverged is None


def test_target_noise_and_d_kind_reset_the_game(dash: PlaneDashboard) -> None:
    dash.run_chunk()
    dash.target.value = "grid"
    assert dash.gan.step == 0
    assert dash.gan.target.n_modes == 25
    assert dash.live.landscape.ax.get_xlim() == (-5.0, 5.0)
    assert dash.status_text.startswith("step 0 · modes ")
    assert "/25 · " in dash.status_text
    dash.d_kind.value = "minibatch-std"
    assert dash.gan.config.net.d_kind == "minibatch-std"
    assert dash.gan.config.target == "grid"
    dash.run_chunk()
    assert dash.gan.diverged is None


def test_a_refused_value_is_reported_and_the_widget_snaps_back(dash: PlaneDashboard) -> None:
    dash.d_kind.value = "minibatch-std"  # groups of 8
    assert not dash.apply(batch_size=4)
    assert "not applied: batch_size must be a multiple of net.group=8" in dash.status_text
    assert dash.batch_size.value == dash.gan.config.batch_size == 64


def test_extreme_settings_end_in_the_divergence_message(dash: PlaneDashboard) -> None:
    dash.apply(lr_d=1.0, lr_g=1.0, batch_size=1, k=20)
    for _ in range(40):
        dash.run_chunk()
        if dash.gan.diverged is not None:
            break
    assert dash.gan.diverged is not None
    assert dash.status_text.startswith(f"diverged at step {dash.gan.diverged.step}: ")
    assert dash.status_text.endswith("press Reset")
    assert dash.live.landscape.ax.get_title().startswith("diverged at step")
    assert all(math.isfinite(v) for v in dash.gan.history.js)
    dash.apply(lr_d=1e-3, lr_g=1e-3, batch_size=64, k=1)
    dash.reset()
    assert dash.gan.diverged is None
    assert dash.status_text.startswith("step 0")


def test_step_buttons_move_one_player_each(dash: PlaneDashboard) -> None:
    g_weights = [p.detach().clone() for p in dash.gan.G.parameters()]
    dash.step_d_button.click()
    assert dash.gan.step == 0
    assert all(torch.equal(a, p) for a, p in zip(g_weights, dash.gan.G.parameters(), strict=True))
    assert "D step, D loss" in dash.status_text
    dash.step_g_button.click()
    assert dash.gan.step == 1
    assert "G step, G loss" in dash.status_text


def test_play_runs_on_the_event_loop_and_pause_stops_it(dash: PlaneDashboard) -> None:
    async def session() -> None:
        dash.play_button.click()
        await asyncio.sleep(0.3)
        dash.lr_d.value = 2e-3
        await asyncio.sleep(0.2)
        dash.play_button.click()
        assert dash._task is not None
        await dash._task

    asyncio.run(session())
    assert dash.gan.config.lr_d == pytest.approx(2e-3)
    assert dash.gan.step >= 2
    assert not dash.playing
    assert dash.last_error is None


def test_trace_axes_grow_with_the_run(dash: PlaneDashboard) -> None:
    full = dash.live.full_draws
    far = PlaneHistory(step=[0, 5000], d_loss=[1.0, 1.0], g_loss=[1.0, 1.0], d_real=[0.5] * 2,
                       d_fake=[0.5] * 2, modes=[0, 8], hq=[0, 1], js=[0.6, 0.01])  # fmt: skip
    dash.live.put(None, far, None)
    dash.live.render()
    assert dash.live.trace_axes[0].get_xlim()[1] >= 5000
    assert dash.live.full_draws == full + 1


def test_the_figure_fits_a_1280_pixel_screen(dash: PlaneDashboard) -> None:
    # 840 px: the output area beside JupyterLab's open file browser, in a 1280 px window
    assert dash.figure.get_size_inches()[0] * dash.figure.dpi <= 850
    assert dash.gan.record_samples == 4_000  # live records are cheaper than the notebook's
