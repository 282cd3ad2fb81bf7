"""Presenter sizes: validation, the restyling, and colours checked against independent models.

The colour checks do not trust the palette's reputation: every line of the three restyled
figures must have a WCAG contrast of at least 3:1 on white (a washed-out projector loses
contrast first), and the line colours that share a panel must stay apart (CIE76 ΔE) after
simulating protanopia, deuteranopia and tritanopia with the matrices of Machado, Oliveira and
Fernandes (2009, severity 1).
"""

from __future__ import annotations

import itertools

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_rgb
from matplotlib.lines import Line2D

from ganlib.live.dashboard import DashboardSettings
from ganlib.live.presenter import (
    OKABE_ITO,
    SCREENS,
    check_size,
    restyle_figure,
    size_from_query,
)

MACHADO = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                   [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                     [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                   [0.004733, 0.691367, 0.303900]],
}  # fmt: skip
#: CIE76; about 2.3 is a just-noticeable difference. The presenter colours come closest for a
#: tritanope, blue against bluish green at 17.0 (and those lines differ in style too); the
#: laptop colours fall to 10.8 (grey against D*'s #AA3377 for a deuteranope), and their orange
#: lines have a contrast of 2.3-2.5.
MIN_DELTA_E = 15.0
MIN_CONTRAST = 3.0  # WCAG's minimum for graphics


def _linear(rgb: np.ndarray) -> np.ndarray:
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def _lab(linear_rgb: np.ndarray) -> np.ndarray:
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ linear_rgb  # fmt: skip
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def delta_e(a: str, b: str, deficiency: str | None = None) -> float:
    """CIE76 distance of two colours, as seen with ``deficiency`` (None: normal vision)."""
    la, lb = (_linear(np.array(to_rgb(c))) for c in (a, b))
    if deficiency is not None:
        m = np.array(MACHADO[deficiency])
        la, lb = np.clip(m @ la, 0, 1), np.clip(m @ lb, 0, 1)
    return float(np.linalg.norm(_lab(la) - _lab(lb)))


def contrast_on_white(colour: str) -> float:
    """WCAG 2 contrast ratio of ``colour`` on white."""
    luminance = float(np.array([0.2126, 0.7152, 0.0722]) @ _linear(np.array(to_rgb(colour))))
    return 1.05 / (luminance + 0.05)


def test_the_colour_models_against_known_values() -> None:
    assert contrast_on_white("black") == pytest.approx(21.0)
    assert contrast_on_white("#767676") == pytest.approx(4.54, abs=0.02)  # WCAG's AA grey
    assert delta_e("white", "black") == pytest.approx(100.0, abs=0.1)
    # red and green collapse for a deuteranope, not for normal vision
    assert delta_e("#d62728", "#2ca02c") > 60
    assert delta_e("#d62728", "#2ca02c", "deuteranopia") < 25


def test_an_unknown_size_is_refused_with_the_valid_ones() -> None:
    with pytest.raises(ValueError, match=r"^size='projector' is not known.*'presenter-hd'"):
        check_size("projector")
    with pytest.raises(ValueError, match=r"^size="):
        DashboardSettings(size="big")
    assert DashboardSettings(size="presenter").screen is SCREENS["presenter"]
    assert DashboardSettings().screen is None


def test_the_size_comes_from_the_page_address(monkeypatch: pytest.MonkeyPatch) -> None:
    assert size_from_query(query="token=abc&size=presenter-hd") == "presenter-hd"
    assert size_from_query(query="token=abc") == "presenter"
    monkeypatch.setenv("QUERY_STRING", "size=laptop")
    assert size_from_query() == "laptop"
    with pytest.raises(ValueError, match=r"^size='huge'"):
        size_from_query(query="size=huge")


@pytest.mark.parametrize("name", list(SCREENS))
def test_sidebar_and_figure_fit_the_screen(name: str) -> None:
    screen = SCREENS[name]
    width_px, height_px = (100 * v for v in screen.figsize)
    assert screen.sidebar_px + width_px <= screen.width - 24
    assert height_px <= screen.height - 16
    assert width_px >= 0.6 * screen.width, "the figure should fill most of the screen"


def test_restyle_recolours_thickens_and_is_idempotent() -> None:
    screen = SCREENS["presenter"]
    fig, ax = plt.subplots()
    (thick,) = ax.plot([0, 1], color="green", lw=2.0)
    (thin,) = ax.plot([0, 1], color="C1", lw=1.0)
    dots = ax.scatter([0], [0], s=4, color="purple")
    label = ax.text(0, 0, "note", fontsize=8)
    restyle_figure(fig, screen)
    assert thick.get_color() == OKABE_ITO["bluish green"]
    assert thin.get_color() == OKABE_ITO["vermillion"]
    assert (thick.get_linewidth(), thin.get_linewidth()) == (pytest.approx(3.2), 2.0)
    assert dots.get_sizes()[0] == pytest.approx(12.0)
    assert label.get_fontsize() == screen.font_pt
    assert ax.xaxis.get_major_ticks()[0].label1.get_fontsize() == screen.font_pt
    restyle_figure(fig, screen)  # after a reset: nothing restyled twice
    assert (thick.get_linewidth(), dots.get_sizes()[0]) == (pytest.approx(3.2), pytest.approx(12))
    plt.close(fig)


def _figures(size: str) -> dict[str, matplotlib.figure.Figure]:
    from ganlib.minimax.explorer import MinimaxExplorer
    from ganlib.plane.dashboard import PlaneDashboard, ViewSettings
    from ganlib.toy.dashboard import ToyDashboard

    settings = DashboardSettings(size=size, snapshot_samples=500)
    view = ViewSettings(lattice=16, samples=64, d_star_samples=64)
    toy = ToyDashboard(settings=settings)
    plane = PlaneDashboard(settings=settings, view=view)
    toy.reset(target="bimodal")  # a reset sets new titles, in matplotlib's default font size
    plane.reset(target="grid")
    return {"explorer": MinimaxExplorer(size=size).fig, "toy": toy.figure,
            "plane": plane.figure}  # fmt: skip


def _lines_by_panel(fig: matplotlib.figure.Figure) -> dict[tuple[float, ...], list[Line2D]]:
    """The visible lines of each panel (a twin axis shares its panel's position)."""
    panels: dict[tuple[float, ...], list[Line2D]] = {}
    for ax in fig.axes:
        key = tuple(round(v, 3) for v in ax.get_position().bounds)
        panels.setdefault(key, []).extend(ln for ln in ax.get_lines() if ln.get_visible())
    return panels


def _labels(fig: matplotlib.figure.Figure) -> list[matplotlib.text.Text]:
    """The visible, non-empty texts a layout must keep on the figure (tick labels excepted)."""
    texts = []
    for ax in fig.axes:
        legend = ax.get_legend()
        texts += [ax.title, ax.xaxis.label, ax.yaxis.label, *ax.texts]
        texts += legend.get_texts() if legend is not None else []
    return [t for t in texts if t.get_text().strip() and t.get_visible()]


@pytest.mark.parametrize("size", list(SCREENS))
def test_presenter_figures_are_readable_on_a_projector_and_for_colour_blind_viewers(
    size: str,
) -> None:
    screen = SCREENS[size]
    for name, fig in _figures(size).items():
        assert tuple(fig.get_size_inches()) == pytest.approx(screen.figsize), name
        fig.canvas.draw()
        renderer, inside = fig.canvas.get_renderer(), fig.bbox.padded(1.0)
        for text in fig.findobj(matplotlib.text.Text):
            if text.get_text() and text.get_visible():
                assert text.get_fontsize() >= screen.font_pt, (name, text.get_text())
        for text in _labels(fig):  # titles, axis labels, notes, legends: all on the figure
            box = text.get_window_extent(renderer)
            assert inside.contains(box.x0, box.y0), (name, text.get_text(), "cut off")
            assert inside.contains(box.x1, box.y1), (name, text.get_text(), "cut off")
        for panel, lines in _lines_by_panel(fig).items():
            colours = sorted({matplotlib.colors.to_hex(ln.get_color()) for ln in lines})
            for colour in colours:
                assert contrast_on_white(colour) >= MIN_CONTRAST, (name, colour)
            for a, b in itertools.combinations(colours, 2):
                for deficiency in (None, *MACHADO):
                    gap = delta_e(a, b, deficiency)
                    assert gap >= MIN_DELTA_E, (name, panel, a, b, deficiency, gap)
        plt.close(fig)
