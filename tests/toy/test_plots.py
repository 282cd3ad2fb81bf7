"""Tests for ganlib.toy.plots: the plotted data is the snapshot's, in Figure 1's styles, with
reference lines that follow the target and the loss, readable on a projector."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.text import Text
from scipy import stats

from ganlib.toy.distributions import TARGETS
from ganlib.toy.plots import (
    STYLE,
    draw_arrows,
    draw_map,
    draw_stage,
    noise_positions,
    plot_filmstrip,
    plot_problem,
    plot_snapshot,
    plot_stages,
    plot_traces,
    reference_style,
    support_limits,
)
from ganlib.toy.training import ToyGAN, ToyGANConfig

LN2, LN4 = 0.6931471805599453, 1.3862943611198906  # ln 2 and ln 4, written out

pytestmark = pytest.mark.usefixtures("agg_backend")


def snapshot(g_mean: float = 3.0, g_std: float = 0.5, arrows: bool = True) -> dict:
    """A Figure-1 snapshot built with scipy: N(4, 1.25) data, N(g_mean, g_std) generator."""
    x = np.linspace(-5.0, 13.0, 301)
    p_data = stats.norm(4.0, 1.25).pdf(x)
    p_g = stats.norm(g_mean, g_std).pdf(x)
    d = stats.logistic(3.5, 0.6).cdf(x)
    snap = {"x": x, "p_data": p_data, "p_g": p_g, "d": d, "d_star": p_data / (p_data + p_g)}
    if arrows:
        z = np.linspace(0.01, 0.99, 50)
        za = (np.arange(11) + 0.5) / 11
        snap |= {
            "z": z,
            "g_z": g_mean + g_std * stats.norm.ppf(z),
            "ideal": 4 + 1.25 * stats.norm.ppf(z),
            "mirror": 4 + 1.25 * stats.norm.ppf(1 - z),
            "z_arrows": za,
            "x_arrows": g_mean + g_std * stats.norm.ppf(za),
        }
    return snap


def history(n: int = 40) -> dict[str, list[float]]:
    rng = np.random.default_rng(0)
    step = np.arange(n) * 50
    return {
        "step": step.tolist(),
        "mean": (4.0 + np.exp(-step / 500.0) + 0.01 * rng.standard_normal(n)).tolist(),
        "std": (1.25 - np.exp(-step / 400.0)).tolist(),
        "js": (0.5 * np.exp(-step / 300.0) + 1e-3).tolist(),
        "d_loss": (LN4 + 0.1 * rng.standard_normal(n)).tolist(),
        "g_loss": (LN2 + 0.1 * rng.standard_normal(n)).tolist(),
    }


def same_colour(line, colour: str) -> bool:
    return to_rgba(line.get_color()) == to_rgba(colour)


def _line(ax, label: str):
    found = [ln for ln in ax.get_lines() if ln.get_label() == label]
    assert len(found) == 1, f"no single line labelled {label!r}"
    return found[0]


def test_stage_lines_hold_the_snapshot_in_figure_1_styles() -> None:
    """p_data black dotted, p_g green solid, D blue dashed (the paper); D* thin, another colour."""
    snap = snapshot(g_std=1.0)
    _fig, ax = plt.subplots()
    art = draw_stage(ax, snap)
    for name in ("p_data", "p_g", "d", "d_star"):
        x, y = getattr(art, name).get_data()
        np.testing.assert_array_equal(x, snap["x"])
        np.testing.assert_array_equal(y, snap[name])
    assert same_colour(art.p_data, "black")
    assert art.p_data.get_linestyle() == ":"
    assert same_colour(art.p_g, "green")
    assert art.p_g.get_linestyle() == "-"
    assert same_colour(art.d, "blue")
    assert art.d.get_linestyle() == "--"
    assert art.d_star.get_linewidth() < 0.6 * art.d.get_linewidth()
    assert not same_colour(art.d_star, "blue")
    assert not same_colour(art.d_star, "green")
    np.testing.assert_array_equal(art.half.get_ydata(), [0.5, 0.5])
    assert art.half.axes is art.ax_d
    assert art.d.axes is art.ax_d
    assert art.p_g.axes is ax
    lo, hi = art.ax_d.get_ylim()
    assert lo <= 0.0
    assert hi >= 1.0
    assert ax.get_ylim()[1] >= max(snap["p_data"].max(), snap["p_g"].max())  # 0.40 < 2 x 0.32


def test_a_collapsed_generator_is_clipped_so_p_data_stays_visible() -> None:
    snap = snapshot(g_mean=3.0, g_std=0.05)  # a spike 25 times taller than p_data's peak
    _fig, ax = plt.subplots()
    draw_stage(ax, snap)
    peak = stats.norm(4.0, 1.25).pdf(4.0)
    assert 2.0 * peak <= ax.get_ylim()[1] <= 2.5 * peak


def test_support_limits_cover_the_target_and_cut_its_empty_tails() -> None:
    snap = snapshot()
    lo, hi = support_limits(snap["x"], snap["p_data"])
    # N(4, 1.25) has density above 1e-3 of its peak within 4 ± 3.72 std
    assert lo < 4.0 - 3.7 * 1.25
    assert hi > 4.0 + 3.7 * 1.25
    assert lo > snap["x"][0]
    assert hi < snap["x"][-1]


def test_update_moves_the_same_lines_and_refuses_garbage() -> None:
    _fig, ax = plt.subplots()
    art = draw_stage(ax, snapshot())
    new = snapshot(g_mean=4.2, g_std=1.1)
    assert art.update(new)
    np.testing.assert_array_equal(art.p_g.get_ydata(), new["p_g"])
    np.testing.assert_array_equal(art.d_star.get_ydata(), new["d_star"])
    bad = dict(new, p_g=np.full_like(new["p_g"], np.nan))
    assert not art.update(bad)
    np.testing.assert_array_equal(art.p_g.get_ydata(), new["p_g"])  # unchanged
    no_d = dict(new, d=np.full_like(new["d"], np.nan))  # the minibatch D has no D(x)
    assert art.update(no_d)
    assert not art.d.get_visible()


def test_arrows_go_from_the_z_line_to_g_of_z_on_the_x_line() -> None:
    snap = snapshot()
    _fig, ax = plt.subplots()
    xlim = (-2.0, 10.0)
    art = draw_arrows(ax, snap, "uniform", xlim)
    segments = np.asarray(art.shafts.get_segments())
    # a uniform z of 0 sits at the left end of the x-range, 1 at the right end
    np.testing.assert_allclose(segments[:, 0, 0], -2.0 + 12.0 * snap["z_arrows"])
    np.testing.assert_allclose(segments[:, 0, 1], 0.0)
    np.testing.assert_allclose(segments[:, 1, 0], snap["x_arrows"])
    np.testing.assert_allclose(segments[:, 1, 1], 1.0)
    np.testing.assert_allclose(art.heads.get_xdata(), snap["x_arrows"])
    np.testing.assert_allclose(noise_positions([-3.0, 3.0], "normal", xlim), [-2.0, 10.0])
    assert not art.update(dict(snap, x_arrows=np.full(11, np.nan)))


def test_the_map_panel_draws_g_against_the_inverse_cdf() -> None:
    snap = snapshot(g_mean=4.0, g_std=1.0)
    _fig, ax = plt.subplots()
    art = draw_map(ax, snap, (-2.0, 10.0))
    np.testing.assert_array_equal(art.g_z.get_xdata(), snap["z"])
    np.testing.assert_array_equal(art.g_z.get_ydata(), snap["g_z"])
    np.testing.assert_allclose(art.ideal.get_ydata(), 4 + 1.25 * stats.norm.ppf(snap["z"]))
    assert same_colour(art.g_z, "green")
    assert same_colour(art.ideal, "black")
    assert ax.get_ylim() == (-2.0, 10.0)


def test_four_stages_share_x_range_and_density_scale_and_are_titled_a_to_d() -> None:
    snaps = [snapshot(m, s) for m, s in ((1.0, 0.4), (2.5, 0.7), (3.6, 1.0), (4.0, 1.25))]
    fig = plot_stages(snaps)
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in panels] == ["(a)", "(b)", "(c)", "(d)"]
    assert len({ax.get_xlim() for ax in panels}) == 1
    assert len({ax.get_ylim() for ax in panels}) == 1  # one density scale
    # the tallest p_g (std 0.4: peak 1.0) is clipped at 2 x p_data's peak
    assert panels[0].get_ylim()[1] == pytest.approx(1.1 * 2 * stats.norm(4, 1.25).pdf(4))
    for ax, snap in zip(panels, snaps, strict=True):
        p_g = [ln for ln in ax.get_lines() if same_colour(ln, "green")]
        assert len(p_g) == 1
        np.testing.assert_array_equal(p_g[0].get_ydata(), snap["p_g"])
    arrows = [ax for ax in fig.axes if ax.collections]
    assert len(arrows) == 4  # the paper's lower panel under each stage
    assert all(ax.get_legend() is None for ax in panels)
    assert len(fig.legends) == 1  # one legend for the whole figure
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["$p_{data}$", "$p_g$", "$D(x)$", "$D^*(x)$", "$D = 1/2$"]


def test_stages_without_a_map_have_no_arrow_panel() -> None:
    fig = plot_stages([snapshot(arrows=False), snapshot(4.0, 1.2, arrows=False)])
    assert not [ax for ax in fig.axes if ax.collections]


def test_stages_reject_bad_input() -> None:
    with pytest.raises(ValueError, match="at least one"):
        plot_stages([])
    with pytest.raises(ValueError, match="titles"):
        plot_stages([snapshot()], titles=["a", "b"])
    _fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="d_star"):
        draw_stage(ax, {k: v for k, v in snapshot().items() if k != "d_star"})
    with pytest.raises(ValueError, match="shape"):
        draw_stage(ax, dict(snapshot(), d=np.zeros(3)))
    with pytest.raises(ValueError, match="steps"):
        plot_filmstrip([snapshot()], [0, 1])


def test_the_filmstrip_has_one_titled_panel_per_step_on_one_scale() -> None:
    steps = [0, 10, 100, 200, 500, 1000, 2000, 3000]
    snaps = [snapshot(1.0 + 3.0 * i / 7, 0.3 + 0.95 * i / 7) for i in range(8)]
    fig = plot_filmstrip(snaps, steps, columns=4)
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in panels] == [f"step {s:,}" for s in steps]
    assert len({ax.get_ylim() for ax in panels}) == 1
    assert len([ax for ax in fig.axes if ax.collections]) == 8


def _texts(fig) -> list[Text]:
    return [t for t in fig.findobj(Text) if t.get_text().strip() and t.get_visible()]


def test_figures_read_on_a_projector() -> None:
    """Every text is at least 11 pt, at 100 dpi, on figures at most 11 in wide.

    A notebook shows a wider figure shrunk to its column (about 1,000 px in JupyterLab), and
    11 pt on a 17 in figure then reads as 7 pt: so the size test needs the width test.
    """
    gan = ToyGAN(ToyGANConfig(batch_size=64))
    gan.train(4, record_every=2)
    snap = gan.snapshot(n=500)
    x = np.random.default_rng(0).normal(4, 1.25, 500)
    figures = [
        plot_stages([snap] * 4),
        plot_filmstrip([snap] * 10, list(range(10))),
        plot_traces(gan.history, gan.target, loss=gan.config.loss),
        plot_snapshot(snap),
        plot_snapshot(snap, legend_loc="below"),
        plot_problem(gan.target, x, np.random.default_rng(1).random(500)),
    ]
    for fig in figures:
        assert fig.dpi >= 100
        assert fig.get_figwidth() <= 11.0, fig.get_figwidth()
        sizes = [t.get_fontsize() for t in _texts(fig)]
        assert sizes
        assert min(sizes) >= 11, sorted(set(sizes))


def test_traces_plot_the_history_with_the_targets_and_the_losss_reference_lines() -> None:
    h = history()
    fig = plot_traces(h, TARGETS["gaussian"], loss="non-saturating")
    ax_m, ax_js, ax_l = fig.axes
    np.testing.assert_array_equal(_line(ax_m, "mean of G(z)").get_xydata()[:, 1], h["mean"])
    np.testing.assert_array_equal(_line(ax_m, "std of G(z)").get_xydata()[:, 0], h["step"])
    np.testing.assert_allclose(_line(ax_m, "target mean 4").get_ydata(), [4.0, 4.0])
    np.testing.assert_allclose(_line(ax_m, "target std 1.25").get_ydata(), [1.25, 1.25])
    assert ax_js.get_yscale() == "log"
    np.testing.assert_array_equal(_line(ax_js, "JS estimate").get_ydata(), h["js"])
    np.testing.assert_allclose(_line(ax_l, "D at equilibrium 1.386").get_ydata(), [LN4] * 2)
    np.testing.assert_allclose(_line(ax_l, "G at equilibrium 0.693").get_ydata(), [LN2] * 2)
    np.testing.assert_array_equal(_line(ax_l, "D loss").get_ydata(), h["d_loss"])


def test_the_minimax_g_line_is_minus_ln_2_and_the_bimodal_lines_are_its_moments() -> None:
    mix = TARGETS["bimodal"]
    # exact moments by hand: two equal bumps at 2.5 and 5.5 with std 0.5
    mean, std = 4.0, np.sqrt(0.5**2 + 1.5**2)
    fig = plot_traces(history(), mix, loss="minimax")
    ax_m, _ax_js, ax_l = fig.axes
    np.testing.assert_allclose(_line(ax_m, f"target mean {mean:.3g}").get_ydata(), [mean] * 2)
    np.testing.assert_allclose(_line(ax_m, f"target std {std:.3g}").get_ydata(), [std] * 2)
    np.testing.assert_allclose(_line(ax_l, "G at equilibrium -0.693").get_ydata(), [-LN2] * 2)
    fig = plot_traces(history(), TARGETS["gaussian"], loss="least-squares")
    np.testing.assert_allclose(_line(fig.axes[2], "D at equilibrium 0.250").get_ydata(), [0.25] * 2)
    with pytest.raises(ValueError, match="loss"):
        plot_traces(history(), mix, loss="hinge")


def test_traces_hide_zero_js_and_reject_incomplete_history() -> None:
    h = history(5)
    h["js"][2] = 0.0  # a log axis cannot show it: the point is left out, not plotted at -inf
    fig = plot_traces(h, TARGETS["gaussian"])
    assert np.isnan(_line(fig.axes[1], "JS estimate").get_ydata()[2])
    with pytest.raises(ValueError, match="js"):
        plot_traces({k: v for k, v in h.items() if k != "js"}, TARGETS["gaussian"])


def test_a_real_toy_gan_snapshot_and_history_plot() -> None:
    gan = ToyGAN(ToyGANConfig(seed=3, batch_size=32))
    gan.train(4, record_every=2)
    snap = gan.snapshot()
    fig = plot_stages([snap], titles=["start"])
    ax = next(a for a in fig.axes if a.get_title() == "start")
    np.testing.assert_array_equal(ax.get_lines()[1].get_ydata(), snap["p_g"])
    fig = plot_traces(gan.history, gan.target, gan.config.loss)
    np.testing.assert_array_equal(fig.axes[0].get_lines()[0].get_xdata(), gan.history.step)


def test_reference_style_leaves_the_colour_to_the_caller() -> None:
    plain = reference_style()
    assert "color" not in plain
    assert "label" not in plain
    assert plain == {k: v for k, v in STYLE["reference"].items() if k != "color"}
    assert reference_style("ln 4") == {**plain, "label": "ln 4"}
