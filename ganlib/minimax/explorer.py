r"""Notebook 01's interactive explorer: move p_g (and p_data) and watch D* and C(G) respond.

Two Gaussians, :math:`p_{data} = \mathcal N(\mu_d, \sigma_d^2)` and
:math:`p_g = \mathcal N(\mu_g, \sigma_g^2)`, are drawn in the colours of Figure 1 of Goodfellow
et al. (2014): black dashed :math:`p_{data}`, green :math:`p_g`, blue :math:`D^*`. A side panel
shows :math:`C(G) = -\log 4 + 2\,\mathrm{JSD}` as a bar standing on the :math:`-\log 4` floor.

One figure is built once; every slider move updates its artists in place (``set_ydata``,
``draw_idle``). In JupyterLab run ``%matplotlib widget`` first so the figure is an ipympl canvas;
with any other backend (e.g. Agg in tests) everything works the same, only not live.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from ganlib.core.densities import normal_pdf
from ganlib.live.presenter import presenter_layout, restyle_figure, screen_for
from ganlib.live.recording import Recorder, Recording, axes_limits
from ganlib.minimax.divergences import (
    js_divergence,
    optimal_discriminator,
    virtual_training_criterion,
)

# Figure 1 colours of the paper
COLOURS = {"p_data": "black", "p_g": "green", "d": "tab:blue"}
LOG4 = math.log(4.0)


@dataclass(frozen=True)
class ExplorerConfig:
    """Initial values and ranges of the explorer's sliders.

    The densities are evaluated on ``np.linspace(*grid)``, which must hold every Gaussian the
    sliders allow (mean ± 6 std); ``view`` is the visible x-range.
    """

    data_mean: float = 4.0
    data_std: float = 1.25
    g_mean: float = 0.5
    g_std: float = 0.6
    mean_range: tuple[float, float] = (-2.0, 10.0)
    std_range: tuple[float, float] = (0.3, 2.5)
    step: float = 0.05
    grid: tuple[float, float, int] = (-18.0, 26.0, 4401)
    view: tuple[float, float] = (-3.0, 11.0)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ValueError naming the setting that is out of range and how to fix it."""
        (m_lo, m_hi), (s_lo, s_hi), (g_lo, g_hi, n) = self.mean_range, self.std_range, self.grid
        if not (m_lo < m_hi and 0 < s_lo < s_hi):
            raise ValueError(
                f"mean_range {self.mean_range} and std_range {self.std_range} must be "
                "increasing (lo, hi) pairs with std_range[0] > 0"
            )
        for name, lo, hi in (
            ("data_mean", m_lo, m_hi),
            ("g_mean", m_lo, m_hi),
            ("data_std", s_lo, s_hi),
            ("g_std", s_lo, s_hi),
        ):
            if not lo <= getattr(self, name) <= hi:
                raise ValueError(
                    f"{name}={getattr(self, name)} is outside its slider range "
                    f"[{lo}, {hi}]; change it or widen the range"
                )
        if g_lo > m_lo - 6 * s_hi or g_hi < m_hi + 6 * s_hi or n < 200:
            raise ValueError(
                f"grid {self.grid} must span mean_range ± 6 * std_range[1] = "
                f"[{m_lo - 6 * s_hi}, {m_hi + 6 * s_hi}] with >= 200 points"
            )


def plot_figure1_panel(
    ax: Axes, x: np.ndarray, p_data: np.ndarray, p_g: np.ndarray
) -> tuple[Line2D, Line2D, Line2D, Axes]:
    r"""Draw p_data, p_g and D* on ``ax`` in the style of the paper's Figure 1.

    Black dashed :math:`p_{data}`, green :math:`p_g` (left axis, densities) and blue
    :math:`D^*(x) = p_{data}/(p_{data} + p_g)` on a twin axis from 0 to 1 with a dotted line at 1/2.
    ``x``, ``p_data`` and ``p_g`` have shape (N,). Used by notebook 01 and by
    :class:`MinimaxExplorer`.

    Returns
    -------
    (line_data, line_g, line_d, ax_d)
        The three lines (update them with ``set_ydata``) and the twin axis of D*.
    """
    (line_data,) = ax.plot(
        x, p_data, "--", color=COLOURS["p_data"], lw=2, label=r"$p_{data}$", zorder=3
    )
    (line_g,) = ax.plot(x, p_g, color=COLOURS["p_g"], lw=2, label=r"$p_g$")
    ax.set(xlabel="x", ylabel="density")
    ax_d = ax.twinx()
    (line_d,) = ax_d.plot(
        x, optimal_discriminator(p_data, p_g), color=COLOURS["d"], lw=2, label=r"$D^*(x)$"
    )
    ax_d.axhline(0.5, color=COLOURS["d"], lw=0.8, ls=":")
    ax_d.set_ylim(0.0, 1.05)
    ax_d.set_ylabel("D*(x)", color=COLOURS["d"])
    ax_d.tick_params(axis="y", colors=COLOURS["d"])
    ax.legend(handles=[line_data, line_g, line_d], loc="upper left", frameon=False)
    return line_data, line_g, line_d, ax_d


class MinimaxExplorer:
    """Sliders for both Gaussians, one persistent figure and a live JSD / C(G) label.

    Attributes
    ----------
    data_mean, data_std, g_mean, g_std : ipywidgets.FloatSlider
        Setting ``.value`` (by hand or in code) redraws through :meth:`update`.
    fig : matplotlib.figure.Figure
        Created once. ``ax`` holds the densities, ``ax_d`` (twin axis) holds D*, ``ax_c`` the
        C(G) bar.
    line_data, line_g, line_d : matplotlib.lines.Line2D
        p_data, p_g and D* on the grid ``x``.
    bar_c : matplotlib.patches.Rectangle
        Stands on the -log 4 floor with height 2 JSD, so its top is at C(G).
    label : ipywidgets.HTML
        The current JSD and C(G), 4 decimals.
    jsd, criterion : float
        The values from the last :meth:`update` (nats).

    Parameters
    ----------
    config : ExplorerConfig, optional
    size : str
        ``"laptop"`` (the notebook layout), ``"presenter"`` or ``"presenter-hd"`` (a projector
        at 1280 × 720 or 1920 × 1080, :mod:`ganlib.live.presenter`).
    """

    CSS_CLASS = "ganlib-explorer"

    def __init__(self, config: ExplorerConfig | None = None, size: str = "laptop") -> None:
        self.config = config or ExplorerConfig()
        self.screen = screen_for(size)
        self.x = np.linspace(*self.config.grid)
        self.data_mean = self._slider("p_data mean", self.config.data_mean, self.config.mean_range)
        self.data_std = self._slider("p_data std", self.config.data_std, self.config.std_range)
        self.g_mean = self._slider("p_g mean", self.config.g_mean, self.config.mean_range)
        self.g_std = self._slider("p_g std", self.config.g_std, self.config.std_range)
        self.label = widgets.HTML()
        self.label.add_class(f"{self.CSS_CLASS}-status")
        self.jsd, self.criterion = math.nan, math.nan
        self._recorder: Recorder | None = None
        self.updates = 0
        self._build_figure()
        self.update()
        for slider in self.sliders:
            slider.observe(self._on_change, names="value")

    @property
    def sliders(self) -> tuple[widgets.FloatSlider, ...]:
        """The four sliders: data mean, data std, p_g mean, p_g std."""
        return (self.data_mean, self.data_std, self.g_mean, self.g_std)

    def _slider(self, name: str, value: float, bounds: tuple[float, float]) -> widgets.FloatSlider:
        return widgets.FloatSlider(
            value=value,
            min=bounds[0],
            max=bounds[1],
            step=self.config.step,
            description=name,
            continuous_update=True,
            readout_format=".2f",
            style={"description_width": "90px"},
            layout=widgets.Layout(width="360px"),
        )

    def _build_figure(self) -> None:
        figsize = (9.5, 4.0) if self.screen is None else self.screen.figsize
        with plt.ioff():
            self.fig, (self.ax, self.ax_c) = plt.subplots(
                1, 2, figsize=figsize, width_ratios=(4, 1), layout="constrained", dpi=100
            )
        for attr in ("header_visible", "footer_visible"):
            if hasattr(self.fig.canvas, attr):  # ipympl canvas
                setattr(self.fig.canvas, attr, self.screen is None and attr == "footer_visible")
        self._draw_densities()
        self._draw_criterion_panel()
        if self.screen is not None:
            restyle_figure(self.fig, self.screen)

    def _draw_densities(self) -> None:
        zeros = np.zeros_like(self.x)  # placeholders until update() fills in the densities
        self.line_data, self.line_g, self.line_d, self.ax_d = plot_figure1_panel(
            self.ax, self.x, zeros, zeros
        )
        self.ax.set_xlim(self.config.view)

    def _draw_criterion_panel(self) -> None:
        ax = self.ax_c
        (self.bar_c,) = ax.bar([0.0], [0.0], bottom=-LOG4, width=0.6, color=COLOURS["p_g"])
        self.bar_c.set_alpha(0.6)
        ax.axhline(-LOG4, color="tab:red", lw=2)
        ax.axhline(0.0, color="grey", lw=1, ls="--")
        note = {"ha": "center", "fontsize": 8, "transform": ax.get_yaxis_transform()}
        ax.text(0.5, -LOG4 - 0.03, "−log 4\n(p_g = p_data)", va="top", color="tab:red", **note)
        ax.text(0.5, 0.03, "0 (disjoint)", va="bottom", color="grey", **note)
        self.text_c = ax.text(0.0, 0.0, "", ha="center", va="bottom", fontsize=9)
        ax.set(xlim=(-0.6, 0.6), ylim=(-LOG4 - 0.3, 0.2), xticks=[], ylabel="C(G)  [nats]")
        ax.set_title("C(G)", fontsize=10)

    def _on_change(self, _change: dict) -> None:
        self.update()

    def densities(self) -> tuple[np.ndarray, np.ndarray]:
        """p_data and p_g on the grid ``x`` for the current slider values, shape (N,) each."""
        p_data = normal_pdf(self.x, self.data_mean.value, self.data_std.value)
        return p_data, normal_pdf(self.x, self.g_mean.value, self.g_std.value)

    def update(self) -> tuple[float, float]:
        """Recompute D*, JSD and C(G) from the sliders and redraw in place.

        Returns
        -------
        (jsd, criterion) : tuple of float
            :math:`\\mathrm{JSD}(p_{data} \\| p_g)` and :math:`C(G)` in nats.
        """
        p_data, p_g = self.densities()
        self.jsd = js_divergence(p_data, p_g, self.x)
        self.criterion = virtual_training_criterion(p_data, p_g, self.x)
        self.line_data.set_ydata(p_data)
        self.line_g.set_ydata(p_g)
        self.line_d.set_ydata(optimal_discriminator(p_data, p_g))
        self.ax.set_ylim(0.0, 1.15 * max(p_data.max(), p_g.max()))
        self.bar_c.set_height(self.criterion + LOG4)
        self.text_c.set_position((0.0, self.criterion + 0.02))
        self.text_c.set_text(f"{self.criterion:.3f}")
        self.label.value = (
            f"JSD(p_data ‖ p_g) = <b>{self.jsd:.4f}</b> nats &nbsp;·&nbsp; "
            f"C(G) = −log 4 + 2·JSD = <b>{self.criterion:.4f}</b> "
            f"&nbsp;(floor −log 4 = {-LOG4:.4f})"
        )
        self.fig.canvas.draw_idle()
        self.updates += 1
        self._capture()
        return self.jsd, self.criterion

    def set_values(self, **values: float) -> tuple[float, float]:
        """Move several sliders at once (``g_mean=4.0, g_std=1.25``) and redraw once."""
        for slider in self.sliders:
            slider.unobserve(self._on_change, names="value")
        try:
            for name, value in values.items():
                if name not in ("data_mean", "data_std", "g_mean", "g_std"):
                    raise ValueError(
                        f"{name} is not a slider: use data_mean, data_std, g_mean, g_std"
                    )
                getattr(self, name).value = value
        finally:
            for slider in self.sliders:
                slider.observe(self._on_change, names="value")
        return self.update()

    # ---- recording (ganlib.live.recording, replayed by ganlib.minimax.replay) -----------------
    def start_recording(self, max_frames: int = 500) -> None:
        """Record every redraw from now on (and now): the slider values, JSD and C(G)."""
        settings = json.loads(json.dumps(dataclasses.asdict(self.config)))
        self._recorder = Recorder("explorer", settings, every=1, max_frames=max_frames)
        self._capture()

    @property
    def recording(self) -> Recording | None:
        """The redraws recorded so far (None before :meth:`start_recording`)."""
        if self._recorder is None or not self._recorder.frames:
            return None
        return self._recorder.recording()

    def _capture(self) -> None:
        rec = self._recorder
        if rec is not None and rec.due(self.updates):
            values = np.array([s.value for s in self.sliders], dtype=np.float64)
            frame = {
                "values": values,
                "jsd": np.float64(self.jsd),
                "criterion": np.float64(self.criterion),
            }
            rec.add(self.updates, frame, axes_limits(self.fig))

    @property
    def widget(self) -> widgets.Box:
        """Sliders, label and (with the ipympl backend) the live figure, in one box."""
        if self.screen is not None:
            canvas = self.fig.canvas
            view = canvas if isinstance(canvas, widgets.DOMWidget) else widgets.Output()
            controls = [*self.sliders, self.label]
            return presenter_layout(self.CSS_CLASS, self.screen, [], controls, view)
        rows = [
            widgets.HBox([self.data_mean, self.data_std]),
            widgets.HBox([self.g_mean, self.g_std]),
            self.label,
        ]
        if isinstance(self.fig.canvas, widgets.DOMWidget):
            rows.append(self.fig.canvas)
        return widgets.VBox(rows)

    def _ipython_display_(self) -> None:
        display(self.widget)
        if not isinstance(self.fig.canvas, widgets.DOMWidget):
            display(self.fig)
