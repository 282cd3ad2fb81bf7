"""Tests for ganlib.toy.dashboard, driven headless (Agg) the way the widgets drive it."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator

import numpy as np
import pytest
import torch

from ganlib.toy.dashboard import STAGE_TITLE, DashboardSettings, ToyDashboard
from ganlib.toy.distributions import TARGETS
from ganlib.toy.training import ToyGANConfig, ToyHistory

FAST = DashboardSettings(chunk_seconds=0.02, yield_seconds=0.0, snapshot_samples=500)


pytestmark = pytest.mark.usefixtures("agg_backend", "one_torch_thread")


@pytest.fixture
def dash() -> Iterator[ToyDashboard]:
    d = ToyDashboard(ToyGANConfig(seed=1, batch_size=64), settings=FAST)
    yield d
    d.close()


def poison(d: ToyDashboard) -> None:
    """Make the next step produce NaN, as an overflow would."""
    with torch.no_grad():
        for p in d.gan.G.parameters():
            p.fill_(math.nan)


def test_widgets_start_at_the_config_and_the_figure_shows_step_0(dash: ToyDashboard) -> None:
    c = dash.gan.config
    assert dash.lr_d.value == pytest.approx(c.lr_d)
    assert dash.lr_g.value == pytest.approx(c.lr_g)
    assert (dash.k.value, dash.batch_size.value) == (c.k, c.batch_size)
    assert (dash.loss.value, dash.noise.value, dash.target.value) == (c.loss, c.noise, c.target)
    assert dash.noise_dim.value == c.net.noise_dim == 1
    assert dash.status_text.startswith("step 0 · JS ")
    assert dash.stage.ax.get_title() == STAGE_TITLE
    assert dash.live.full_draws >= 1  # Agg draws at once; ipympl when the browser asks
    assert len(dash.gan.history) == 1
    assert dash.play_button.description == "Play"


def test_a_chunk_trains_records_and_moves_the_same_lines(dash: ToyDashboard) -> None:
    line = dash.stage.p_g
    before = line.get_ydata().copy()
    steps = dash.run_chunk()
    assert steps >= 1
    assert dash.gan.step == steps
    assert dash.gan.history.step[-1] == steps
    assert dash.stage.p_g is line  # updated in place, not re-created
    assert not np.array_equal(line.get_ydata(), before)
    assert dash.status_text.startswith(f"step {steps} · JS ")
    assert f"mean {dash.gan.history.mean[-1]:.3f}" in dash.status_text
    np.testing.assert_array_equal(dash.live.mean_line.get_xdata(), dash.gan.history.step)
    assert dash.redraws == 2


def test_frames_are_blitted_and_full_draws_happen_only_when_axes_change(
    dash: ToyDashboard,
) -> None:
    canvas = dash.figure.canvas
    dash.run_chunk()
    full, blits = dash.live.full_draws, dash.live.blits
    before = np.asarray(canvas.buffer_rgba()).copy()
    dash.run_chunk()
    dash.run_chunk()
    assert dash.live.full_draws == full  # the axes did not change: no full draw
    assert dash.live.blits == blits + 2
    assert not np.array_equal(np.asarray(canvas.buffer_rgba()), before)  # the lines moved
    dash.live.show(None, _far_history(), None)  # a trace leaving its axes forces a full draw
    assert dash.live.full_draws == full + 1
    assert dash.live.ax_ms.get_xlim()[1] >= 1.25 * 5000
    assert dash.live.ax_ms.get_ylim()[1] >= 40.0


def _far_history() -> ToyHistory:
    return ToyHistory(step=[0, 5000], mean=[0.0, 40.0], std=[0.1, 1.0], js=[0.5, 0.6])


def test_sliders_change_the_running_gan_through_update(dash: ToyDashboard) -> None:
    dash.run_chunk()
    step = dash.gan.step
    dash.lr_g.value = 1e-2
    dash.lr_d.value = 3e-4
    dash.k.value = 3
    dash.batch_size.value = 16
    dash.loss.value = "minimax"
    c = dash.gan.config
    assert (c.lr_g, c.lr_d, c.k, c.batch_size, c.loss) == (
        pytest.approx(1e-2),
        pytest.approx(3e-4),
        3,
        16,
        "minimax",
    )
    # the optimiser runs at the new rate times the library's decay factor at this step
    expected = 1e-2 * dash.gan.lr_factor()
    assert [g["lr"] for g in dash.gan.opt_g.param_groups] == [pytest.approx(expected)]
    assert dash.gan.step == step  # mid-run: no reset


def test_target_and_noise_reset_the_game(dash: ToyDashboard) -> None:
    dash.run_chunk()
    dash.target.value = "bimodal"
    assert dash.gan.step == 0
    assert dash.gan.config.target == "bimodal"
    mix = TARGETS["bimodal"]  # moments by hand from the mixture's parameters
    mean = sum(w * m for w, m in zip(mix.weights, mix.means, strict=True))
    second = sum(
        w * (s**2 + m**2) for w, m, s in zip(mix.weights, mix.means, mix.stds, strict=True)
    )
    assert dash.live.mean_ref.get_ydata()[0] == pytest.approx(mean)
    assert dash.live.std_ref.get_ydata()[0] == pytest.approx(math.sqrt(second - mean**2))
    dash.noise.value = "normal"
    assert (dash.gan.config.noise, dash.gan.config.target) == ("normal", "bimodal")


def test_a_refused_value_is_reported_and_the_widget_snaps_back(dash: ToyDashboard) -> None:
    assert not dash.apply(batch_size=0)
    assert "not applied: batch_size must be an int in [1, " in dash.status_text
    assert dash.batch_size.value == dash.gan.config.batch_size == 64
    assert not dash.apply(k=0)
    assert dash.k.value == 1


@pytest.mark.parametrize(
    "extreme", [{"batch_size": 1}, {"k": 20}, {"batch_size": 1, "k": 20}], ids=str
)
def test_the_slowest_slider_values_still_train_and_redraw(
    dash: ToyDashboard, extreme: dict[str, float]
) -> None:
    for name, value in extreme.items():
        getattr(dash, name).value = value
    for _ in range(4):
        dash.run_chunk()
    assert dash.gan.diverged is None
    assert dash.gan.step >= 4
    h = dash.gan.history
    assert all(math.isfinite(v) for v in (h.mean[-1], h.std[-1], h.js[-1]))
    assert dash.status_text.startswith(f"step {dash.gan.step} · JS ")


def test_the_top_learning_rates_stop_with_the_divergence_message(dash: ToyDashboard) -> None:
    dash.lr_d.value = 1.0
    dash.lr_g.value = 1.0
    for _ in range(4):
        dash.run_chunk()
    assert dash.gan.diverged is not None
    assert dash.status_text.startswith(f"diverged at step {dash.gan.diverged.step}: ")
    assert "learning rates too high for both" in dash.status_text
    assert dash.status_text.endswith("press Reset")


def test_divergence_stops_training_keeps_the_plot_and_reset_recovers(dash: ToyDashboard) -> None:
    dash.run_chunk()
    good = dash.stage.p_g.get_ydata().copy()
    step = dash.gan.step
    poison(dash)
    dash.run_chunk()
    assert dash.gan.diverged is not None
    assert dash.status_text == dash.gan.diverged.message
    assert dash.status_text.startswith(f"diverged at step {step}: ")
    assert dash.status_text.endswith("press Reset")
    np.testing.assert_array_equal(dash.stage.p_g.get_ydata(), good)  # no garbage plotted
    assert dash.stage.ax.get_title() == f"diverged at step {step}"
    assert math.isnan(dash.step_d())  # buttons do nothing harmful
    assert math.isnan(dash.step_g())
    assert dash.run_chunk() == 0
    asyncio.run(dash.run())  # Play returns at once
    assert dash.status_text.startswith("diverged at step")
    dash.reset()
    assert dash.gan.diverged is None
    assert dash.gan.step == 0
    assert dash.status_text.startswith("step 0 · JS ")


def test_step_buttons_move_one_player_each(dash: ToyDashboard) -> None:
    d_weights = [p.detach().clone() for p in dash.gan.D.parameters()]
    g_weights = [p.detach().clone() for p in dash.gan.G.parameters()]
    dash.step_d_button.click()
    assert dash.gan.step == 0
    assert any(
        not torch.equal(a, p) for a, p in zip(d_weights, dash.gan.D.parameters(), strict=True)
    )
    assert all(torch.equal(a, p) for a, p in zip(g_weights, dash.gan.G.parameters(), strict=True))
    assert "D step, D loss" in dash.status_text
    dash.step_g_button.click()
    assert dash.gan.step == 1
    assert dash.gan.history.step[-1] == 1
    assert "G step, G loss" in dash.status_text


def test_play_runs_on_the_event_loop_and_pause_stops_it(dash: ToyDashboard) -> None:
    seen: dict[str, object] = {}

    async def session() -> None:
        dash.play_button.click()  # Play, as the browser's click would
        assert dash.playing
        assert dash.play_button.description == "Pause"
        await asyncio.sleep(0.2)
        dash.lr_g.value = 5e-3  # a slider move between chunks
        await asyncio.sleep(0.2)
        seen["lr_g"] = dash.gan.config.lr_g
        seen["step"] = dash.gan.step
        dash.play_button.click()  # Pause
        assert dash._task is not None
        await dash._task

    asyncio.run(session())
    assert seen["lr_g"] == pytest.approx(5e-3)
    assert isinstance(seen["step"], int)
    assert seen["step"] >= 2
    assert not dash.playing
    assert dash.play_button.description == "Play"
    assert dash.last_error is None
    assert dash.redraws >= 3


def test_play_outside_an_event_loop_says_what_to_do(dash: ToyDashboard) -> None:
    with pytest.raises(RuntimeError, match="run_chunk"):
        dash.play()
    asyncio.run(dash.run(max_chunks=2))
    assert dash.gan.step >= 2


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("chunk_seconds", 0.0),
        ("yield_seconds", -1.0),
        ("snapshot_samples", 10),
        ("lr_exponents", (0.0, -5.0)),
        ("max_k", 0),
    ],
)
def test_bad_dashboard_settings_raise_naming_the_setting(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        DashboardSettings(**{field: value})


# ---- feedback, ranges and close (ganlib.live.dashboard, through the toy) ------------------------
def test_a_setting_moved_while_paused_is_shown_as_pending_until_the_next_step(
    dash: ToyDashboard,
) -> None:
    dash.lr_d.value = 1.6e-3
    assert dash.status_text.endswith("lr_D 1.6e-3, applies at the next step")
    assert dash.gan.config.lr_d == pytest.approx(1.6e-3)
    dash.k.value = 2
    assert dash.status_text.endswith("k 2, applies at the next step")
    dash.run_chunk()
    assert "applies at the next step" not in dash.status_text
    assert dash.gan.opt_d.param_groups[0]["lr"] == pytest.approx(1.6e-3 * dash.gan.lr_factor())


def test_a_reset_setting_says_it_started_afresh(dash: ToyDashboard) -> None:
    dash.run_chunk()
    dash.target.value = "skewed"
    assert dash.gan.step == 0
    assert "target skewed: new networks, step 0" in dash.status_text
    dash.reset_button.click()
    assert "reset: new networks (seed 1)" in dash.status_text


def test_a_refused_value_stays_in_the_status_line_until_the_next_step(dash: ToyDashboard) -> None:
    assert not dash.apply(lr_d=50.0)
    assert "not applied: lr_d must be a finite number in (0, 10]" in dash.status_text
    dash.redraw()
    assert "not applied" in dash.status_text
    dash.step_g()
    assert "not applied" not in dash.status_text


def test_a_config_outside_the_sliders_widens_them(dash: ToyDashboard) -> None:
    """k = 50 on a slider up to 20, lr_d = 5 beyond 10^0: the sliders show the real values."""
    wide = ToyDashboard(ToyGANConfig(k=50, lr_d=5.0, batch_size=96), settings=FAST)
    try:
        assert wide.k.value == 50
        assert wide.k.max >= 50
        assert wide.lr_d.value == pytest.approx(5.0)
        assert wide.lr_d.max >= np.log10(5.0)
        assert wide.batch_size.value == 96  # an option the slider lacked is added, in order
        assert list(wide.batch_size.options) == sorted(wide.batch_size.options)
        assert wide.gan.config.k == 50
    finally:
        wide.close()
    assert dash.apply(k=300)
    assert (dash.k.value, dash.gan.config.k) == (300, 300)
    assert dash.apply(lr_g=3e-6)
    assert dash.lr_g.value == pytest.approx(3e-6)
    assert dash.lr_g.min <= np.log10(3e-6)


def test_wider_noise_resets_and_hides_the_one_dimensional_map(dash: ToyDashboard) -> None:
    assert dash.live.map.g_z.get_visible()
    dash.noise_dim.value = 4
    assert dash.gan.config.net.noise_dim == 4
    assert "noise dim 4: new networks, step 0" in dash.status_text
    assert not dash.live.map.g_z.get_visible()
    assert not dash.live.arrows.shafts.get_visible()
    dash.run_chunk()  # draws without a map
    dash.noise_dim.value = 1
    assert dash.live.map.g_z.get_visible()
    np.testing.assert_allclose(
        dash.live.arrows.heads.get_xdata(), dash.gan.generator_map()["x_arrows"], rtol=1e-6
    )


def test_the_arrows_and_the_map_follow_the_averaged_g(dash: ToyDashboard) -> None:
    dash.run_chunk()
    m = dash.gan.generator_map()
    np.testing.assert_allclose(dash.live.map.g_z.get_ydata(), m["g_z"], rtol=1e-6)
    np.testing.assert_allclose(dash.live.map.ideal.get_ydata(), m["ideal"])


def test_after_close_every_method_says_to_make_a_new_dashboard() -> None:
    d = ToyDashboard(ToyGANConfig(batch_size=64), settings=FAST)
    d.close()
    d.close()  # a second close is harmless
    for call in (d.run_chunk, d.redraw, d.step_d, d.step_g, d.reset, d.toggle, d.play):
        with pytest.raises(RuntimeError, match=r"was closed.*ToyDashboard\(\)"):
            call()
    with pytest.raises(RuntimeError, match="was closed"):
        d.apply(k=2)
    with pytest.raises(RuntimeError, match="was closed"):
        d._repr_mimebundle_()
    with pytest.raises(RuntimeError, match="was closed"):
        asyncio.run(d.run(max_chunks=1))
    assert d.gan.step == 0  # the game itself is still there


def test_pause_says_where_it_stopped(dash: ToyDashboard) -> None:
    async def session() -> None:
        dash.play_button.click()
        await asyncio.sleep(0.1)
        dash.lr_g.value = 2e-3  # moved while playing: applied at once
        seen["applied"] = dash.status_text
        dash.play_button.click()
        await dash._task

    seen: dict[str, str] = {}
    asyncio.run(session())
    assert "lr_G 2.0e-3, applied at step" in seen["applied"]
    assert f"paused at step {dash.gan.step}" in dash.status_text
