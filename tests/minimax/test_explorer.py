"""ganlib.minimax.explorer driven headless (Agg): slider moves redraw one figure in place, and the
label
shows the JSD and C(G) of the current Gaussians, computed here independently by quadrature."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

import matplotlib.pyplot as plt
import numpy as np
import pytest
from scipy import integrate, special, stats

from ganlib.minimax.explorer import ExplorerConfig, MinimaxExplorer


@pytest.fixture
def explorer() -> Iterator[MinimaxExplorer]:
    plt.switch_backend("agg")
    ex = MinimaxExplorer()
    yield ex
    plt.close(ex.fig)


def _quad_jsd(m1: float, s1: float, m2: float, s2: float) -> float:
    """JSD of two Gaussians in nats by adaptive quadrature on the real line."""

    def integrand(z: float) -> float:
        p, q = stats.norm.pdf(z, m1, s1), stats.norm.pdf(z, m2, s2)
        m = 0.5 * (p + q)
        return 0.5 * (special.xlogy(p, p / m) + special.xlogy(q, q / m)) if m > 0 else 0.0

    lo, hi = min(m1 - 15 * s1, m2 - 15 * s2), max(m1 + 15 * s1, m2 + 15 * s2)
    return integrate.quad(integrand, lo, hi, points=sorted({m1, m2}), limit=200)[0]


def _label_numbers(ex: MinimaxExplorer) -> tuple[float, float]:
    jsd, c = re.findall(r"<b>(-?\d+\.\d+)</b>", ex.label.value)
    return float(jsd), float(c)


def _state(ex: MinimaxExplorer) -> tuple[float, float, float, float]:
    return ex.data_mean.value, ex.data_std.value, ex.g_mean.value, ex.g_std.value


def test_initial_label_matches_quadrature(explorer: MinimaxExplorer) -> None:
    jsd = _quad_jsd(*_state(explorer))
    shown_jsd, shown_c = _label_numbers(explorer)
    assert shown_jsd == pytest.approx(jsd, abs=1e-4)
    assert shown_c == pytest.approx(-math.log(4) + 2 * jsd, abs=1e-4)
    assert explorer.jsd == pytest.approx(jsd, abs=1e-6)


def test_moving_a_slider_updates_the_same_figure(explorer: MinimaxExplorer) -> None:
    fig, lines = explorer.fig, (explorer.line_data, explorer.line_g, explorer.line_d)
    figures_before = plt.get_fignums()
    old_g, old_label = explorer.line_g.get_ydata().copy(), explorer.label.value
    explorer.g_mean.value = 2.5  # observe() fires update()
    explorer.g_std.value = 1.0
    assert explorer.fig is fig
    assert (explorer.line_data, explorer.line_g, explorer.line_d) == lines
    assert plt.get_fignums() == figures_before, "a slider move must not create a figure"
    x = explorer.line_g.get_xdata()
    p_data, p_g = stats.norm.pdf(x, 4.0, 1.25), stats.norm.pdf(x, 2.5, 1.0)
    assert not np.allclose(explorer.line_g.get_ydata(), old_g)
    np.testing.assert_allclose(explorer.line_g.get_ydata(), p_g, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(explorer.line_data.get_ydata(), p_data, rtol=1e-12, atol=1e-300)
    view = (x > -3) & (x < 11)
    d = np.asarray(explorer.line_d.get_ydata())[view]
    np.testing.assert_allclose(d, (p_data / (p_data + p_g))[view], rtol=1e-12)
    assert explorer.label.value != old_label
    jsd = _quad_jsd(4.0, 1.25, 2.5, 1.0)
    assert _label_numbers(explorer)[0] == pytest.approx(jsd, abs=1e-4)
    assert explorer.bar_c.get_height() == pytest.approx(2 * jsd, abs=1e-5)


def test_matching_p_data_reaches_the_floor(explorer: MinimaxExplorer) -> None:
    explorer.g_mean.value = explorer.data_mean.value
    explorer.g_std.value = explorer.data_std.value
    assert _label_numbers(explorer) == (0.0, round(-math.log(4), 4))
    assert explorer.bar_c.get_height() == pytest.approx(0.0, abs=1e-9)
    d = np.asarray(explorer.line_d.get_ydata())
    np.testing.assert_allclose(d[np.isfinite(d)], 0.5)


def test_data_sliders_move_p_data(explorer: MinimaxExplorer) -> None:
    explorer.data_mean.value = 0.0
    explorer.data_std.value = 0.5
    x = explorer.line_data.get_xdata()
    np.testing.assert_allclose(
        explorer.line_data.get_ydata(), stats.norm.pdf(x, 0.0, 0.5), rtol=1e-12, atol=1e-300
    )
    assert _label_numbers(explorer)[0] == pytest.approx(_quad_jsd(*_state(explorer)), abs=1e-4)


def test_widget_holds_sliders_and_label(explorer: MinimaxExplorer) -> None:
    box = explorer.widget
    children = [w for row in box.children for w in getattr(row, "children", (row,))]
    assert all(s in children for s in explorer.sliders)
    assert explorer.label in children


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"g_mean": 20.0}, "g_mean=20.0 is outside its slider range"),
        ({"std_range": (0.0, 2.0)}, "std_range"),
        ({"grid": (-5.0, 5.0, 1000)}, "grid .* must span"),
    ],
)
def test_config_validation(settings: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ExplorerConfig(**settings).validate()
