"""ganlib.plane.plots: the landscape's layers hold the view, the figures draw what they say."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from ganlib.plane.bilinear import alternating_steps, simultaneous_steps
from ganlib.plane.models import PlaneNetConfig
from ganlib.plane.plots import (
    ARROW_LENGTH,
    D_CMAP,
    LAYERS,
    draw_landscape,
    plot_filmstrip,
    plot_landscape,
    plot_mode_traces,
    plot_phase_portrait,
    plot_traces,
    polylines,
    scaled_arrows,
)
from ganlib.plane.targets import TARGETS
from ganlib.plane.training import PlaneGAN, PlaneGANConfig

pytestmark = pytest.mark.usefixtures("agg_backend", "one_torch_thread")


@pytest.fixture(scope="module")
def gan() -> PlaneGAN:
    g = PlaneGAN(PlaneGANConfig(batch_size=64, net=PlaneNetConfig(g_hidden=(16,), d_hidden=(16,))))
    g.train(60, record_every=20)
    return g


def test_landscape_layers_hold_the_view(gan: PlaneGAN) -> None:
    view = gan.view(lattice=24, n_samples=50, n_lines=6)
    fig = Figure()
    art = draw_landscape(fig.add_subplot(), view)
    assert list(art.layers) == list(LAYERS)
    np.testing.assert_array_equal(np.asarray(art.heat.get_array()), view["d"])
    assert art.heat.get_cmap().name == D_CMAP
    assert art.heat.origin == "lower"
    np.testing.assert_array_equal(art.fake.get_offsets(), view["fake"])
    # one line of n segments (start, end, NaN), from each fake point on
    segments = np.stack([art.arrows.get_xdata(), art.arrows.get_ydata()], 1).reshape(-1, 3, 2)
    assert np.isnan(segments[:, 2]).all()
    np.testing.assert_allclose(segments[:, 0], view["fake"])
    assert np.isnan(art.grid.get_xdata()).sum() == 12  # 6 + 6 noise-grid lines
    # arrows keep their directions; only the length is rescaled for display
    uv = segments[:, 1] - segments[:, 0]
    cos = (uv * view["arrows"]).sum(1) / (np.hypot(*uv.T) * np.hypot(*view["arrows"].T))
    assert np.all(cos > 1 - 1e-9)
    assert art.ax.get_xlim() == (view["x"][0], view["x"][-1])


def test_arrow_scaling_sets_the_90th_percentile_length() -> None:
    a = np.stack([np.arange(1.0, 11.0), np.zeros(10)], axis=1)
    out = scaled_arrows(a, width=6.0)
    assert np.percentile(out[:, 0], 90) == pytest.approx(ARROW_LENGTH * 6.0)
    assert not scaled_arrows(np.zeros((4, 2)), 6.0).any()


def test_static_figures_draw(gan: PlaneGAN) -> None:
    target = TARGETS["ring"]
    assert len(plot_landscape(gan.view(lattice=16, n_samples=40)).axes) == 2  # with a colour bar
    frames = [gan.sample(100), gan.sample(100)]
    fig = plot_filmstrip(frames, target, ["a", "b"], real=target.means)
    assert [ax.get_title() for ax in fig.axes] == ["a", "b"]
    assert len(fig.axes[0].patches) == 8  # a 3σ circle around every mode
    fig = plot_mode_traces({"plain": [gan.history, gan.history]}, n_modes=8)
    assert len(fig.axes[0].lines) == 2 + 1 + 1  # two seeds, their median, the "all modes" line
    assert len(plot_traces(gan.history, 8).axes) == 4
    paths = {"simultaneous": simultaneous_steps(1, 0, 0.1, 50),
             "alternating": alternating_steps(1, 0, 0.1, 50)}  # fmt: skip
    assert len(plot_phase_portrait(paths).axes[0].lines) == 2 * 2 + 1


def test_polylines_join_pieces_with_gaps() -> None:
    x, y = polylines([np.zeros((2, 2)), np.ones((3, 2))])
    assert len(x) == len(y) == 2 + 1 + 3 + 1
    assert np.isnan(x[[2, 6]]).all()
    assert np.isnan(polylines([])[0]).all()


def test_bad_figure_input_is_refused(gan: PlaneGAN) -> None:
    with pytest.raises(ValueError, match="one each"):
        plot_filmstrip([gan.sample(10)], TARGETS["ring"], ["a", "b"])
    with pytest.raises(ValueError, match="history needs"):
        plot_mode_traces({"x": [{"step": [0]}]}, n_modes=8)
