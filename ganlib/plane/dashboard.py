r"""Notebook 03's live dashboard: D's landscape, G's gradients and the modes, while it trains.

One persistent ipympl figure: on the left the *landscape* (:mod:`ganlib.plane.plots`: D's heat
map, real and fake points, each fake point's gradient arrow, the noise grid warped by G, D*'s
contours), each layer switched on and off by a checkbox; on the right the traces of the modes
covered, the high-quality share, JS (with :math:`\ln 2`) and the losses (with :math:`\ln 4` and
:math:`\ln 2`). The controls are notebook 02's (learning rates, k, batch, loss, optimiser,
target, noise) plus the remedies of the lesson (R1's :math:`\gamma`, the minibatch-std D),
and Play / Pause / Step D / Step G / Reset drive the game.

The playing, the settings and the status line are the series' dashboard framework,
:mod:`ganlib.live.dashboard` (how it trains without freezing the page is explained there); the
figure is a :class:`ganlib.live.figure.BlitFigure` whose moving artists are updated with
``set_data`` / ``set_offsets`` / ``set_UVC`` / ``set_segments`` and blitted.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.ticker import FuncFormatter

from ganlib.core.losses import LOSSES
from ganlib.core.validation import check_int
from ganlib.live.dashboard import Dashboard, DashboardSettings
from ganlib.live.figure import BlitFigure
from ganlib.plane.models import D_KINDS
from ganlib.plane.plots import LAYERS, LandscapeArtists, draw_landscape, draw_traces
from ganlib.plane.targets import NOISE_KINDS, TARGETS, PlaneMixture
from ganlib.plane.training import PlaneGAN, PlaneGANConfig

BATCH_SIZES: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
R1_GAMMAS: tuple[float, ...] = (0.0, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
OPTIMIZER_NAMES: tuple[str, ...] = ("adam", "sgd")
TRACE_STEPS = 1000  # initial width of the trace panels (doubles as needed)
#: Samples behind each live record (the notebook's records use 10,000): a record per frame
#: must be cheap. With 4,000 samples JS's floor is about 0.01 nats instead of 0.005.
RECORD_SAMPLES = 4_000
#: Inches at 100 dpi: 840 x 400 px, which fits beside JupyterLab's open file browser in a
#: 1280 px wide window (the output area is then about 850 px wide).
FIGSIZE = (8.4, 4.0)
PRESENTER_RATIOS = (2.0, 1.0, 1.0)  # landscape : trace : trace columns at a presenter size
FONTS = {"font.size": 11, "axes.titlesize": 11, "legend.fontsize": 10}  # a projector's minimum


@dataclass(frozen=True)
class ViewSettings:
    """How much the landscape shows (the browser test measures the redraw rate at these).

    Attributes
    ----------
    lattice : int
        The heat map is ``lattice`` × ``lattice`` cells.
    samples : int
        Real points, fake points and arrows drawn.
    grid_lines : int
        Noise-grid lines per axis.
    line_points : int
        Points along each noise-grid line (through G every frame).
    d_star_samples : int
        Fresh samples behind the KDE of :math:`p_g` for D*'s contours.
    """

    lattice: int = 64
    samples: int = 512
    grid_lines: int = 20
    line_points: int = 30
    d_star_samples: int = 1024

    def __post_init__(self) -> None:
        check_int("lattice", self.lattice, 8, 512)
        check_int("samples", self.samples, 8, 100_000)
        check_int("grid_lines", self.grid_lines, 2, 200)
        check_int("line_points", self.line_points, 2, 1000)
        check_int("d_star_samples", self.d_star_samples, 16, 10**6)


def _steps_label(value: float, _: object) -> str:
    """Step ticks that stay short as the run grows: 500, 1k, 1.5k, 20k."""
    return f"{value / 1000:g}k" if value >= 1000 else f"{value:g}"


class PlaneFigure(BlitFigure):
    """The dashboard's one figure: the landscape and four trace panels, blitted.

    Parameters
    ----------
    view : dict
        A :meth:`PlaneGAN.view` to start from.
    target : PlaneMixture
    figsize : (float, float)
    """

    def __init__(
        self, view: dict[str, np.ndarray], target: PlaneMixture, figsize: tuple[float, float]
    ):
        with plt.ioff(), plt.rc_context(FONTS):  # ioff: ipympl would show the figure twice
            fig = plt.figure(figsize=figsize, dpi=100)
            grid = fig.add_gridspec(2, 3, width_ratios=(1.25, 1.0, 1.0))
            self.landscape: LandscapeArtists = draw_landscape(fig.add_subplot(grid[:, 0]), view)
            self.trace_axes = [fig.add_subplot(grid[r, c]) for r in (0, 1) for c in (1, 2)]
            self.lines = draw_traces(self.trace_axes, target.n_modes)
            for ax in self.trace_axes:
                ax.set_xlim(0, TRACE_STEPS)
                ax.xaxis.set_major_formatter(FuncFormatter(_steps_label))
            for ax in self.trace_axes[2:]:
                ax.set_xlabel("generator step")
            fig.tight_layout(pad=0.5, w_pad=0.6, h_pad=0.4)
        super().__init__(fig, [*self.landscape.artists, *self.lines.values()])
        self.set_target(view, target)

    def set_target(self, view: dict[str, np.ndarray], target: PlaneMixture) -> None:
        """Fixed axes for a (new) target: the view's square, the modes line, fresh traces."""
        x = view["x"]
        lo, hi = float(x[0]), float(x[-1])
        ax = self.landscape.ax
        self.landscape.heat.set_extent((lo, hi, lo, hi))
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
        ax.set_title(f"{target.name}: D(x) and G's gradients", color="black")
        ax_m = self.trace_axes[0]
        ax_m.lines[1].set_ydata([target.n_modes, target.n_modes])  # the "all modes" line
        ax_m.set_ylim(-0.3, target.n_modes + 0.5)
        for trace_ax in self.trace_axes:
            trace_ax.set_xlim(0, TRACE_STEPS)
        self.landscape.update(view)
        self.invalidate()

    def set_layer(self, name: str, visible: bool) -> None:
        """Show or hide one layer of :data:`ganlib.plane.plots.LAYERS` (next frame)."""
        self.landscape.layers[name].set_visible(visible)

    def put(
        self, view: dict[str, np.ndarray] | None, history: Any, diverged_at: int | None
    ) -> None:
        """Move the artists to ``view`` and the history's curves (``None`` keeps the panel)."""
        if view is not None:
            self.landscape.update(view)
        step = np.asarray(history.step, dtype=float)
        for name, line in self.lines.items():
            value = np.asarray(getattr(history, name), dtype=float)
            line.set_data(step, np.where(value > 0, value, np.nan) if name == "js" else value)
        if diverged_at is not None:
            title = f"diverged at step {diverged_at}"
            if self.landscape.ax.get_title() != title:
                self.landscape.ax.set_title(title, color="#b00020")
                self.invalidate()
        if len(step) and step[-1] > self.trace_axes[0].get_xlim()[1]:
            right = max(2 * self.trace_axes[0].get_xlim()[1], 1.25 * step[-1])
            for ax in self.trace_axes:
                ax.set_xlim(0, right)
            self.invalidate()


class PlaneDashboard(Dashboard):
    """Sliders, layer switches, buttons, a status line and one live figure over a PlaneGAN.

    Parameters
    ----------
    config : PlaneGANConfig, optional
        The game's starting settings (default: ``PlaneGANConfig()``, two time scales, a
        spread-out G and an EMA of G on the ring; notebook 03 starts from
        ``PlaneGANConfig.plain()``).
    settings : DashboardSettings, optional
        Chunk length and the learning-rate slider range (``figsize`` defaults to
        :data:`FIGSIZE`).
    view : ViewSettings, optional
        Heat-map resolution, points drawn, noise-grid lines.
    device : str or torch.device

    Attributes
    ----------
    gan : PlaneGAN
    lr_d, lr_g, k, batch_size, loss, optimizer, r1_gamma, target, noise, d_kind : ipywidgets
        The controls; setting ``.value`` from code has the same effect as moving them.
    layers : dict of ipywidgets.Checkbox
        One switch per layer of the landscape.

    Notes
    -----
    Introduced in notebook 03. Use it inside ``%matplotlib widget`` for a live figure; under a
    non-interactive backend (Agg, in tests) the figure is drawn off-screen.
    """

    MID_RUN_SETTINGS = ("lr_d", "lr_g", "k", "batch_size", "loss", "optimizer", "r1_gamma")
    RESET_SETTINGS = ("target", "noise", "d_kind")
    CSS_CLASS = "ganlib-dashboard"
    RECORDING_KIND = "plane"

    def __init__(
        self,
        config: PlaneGANConfig | None = None,
        settings: DashboardSettings | None = None,
        view: ViewSettings | None = None,
        device: str | torch.device = "cpu",
    ) -> None:
        self.view_settings = view if view is not None else ViewSettings()
        if settings is None:
            settings = DashboardSettings(figsize=FIGSIZE)
        config = config if config is not None else PlaneGANConfig()
        game = PlaneGAN(config, device=device, record_samples=RECORD_SAMPLES)
        super().__init__(game, settings)

    # ---- widgets --------------------------------------------------------------------------
    def _build_setting_controls(self) -> None:
        c, s = self.gan.config, self.settings
        lo, hi = s.lr_exponents
        narrow = {"style": {"description_width": "64px"}}
        slider = {**narrow, "continuous_update": False, "layout": widgets.Layout(width="300px")}
        log = {"base": 10, "min": lo, "max": hi, "step": 0.1, "readout_format": ".1e"}
        self.lr_d = widgets.FloatLogSlider(value=c.lr_d, description="lr_D", **log, **slider)
        self.lr_g = widgets.FloatLogSlider(value=c.lr_g, description="lr_G", **log, **slider)
        self.k = widgets.IntSlider(value=min(c.k, s.max_k), min=1, max=s.max_k, description="k",
                                   **slider)  # fmt: skip
        self.batch_size = widgets.SelectionSlider(options=BATCH_SIZES, value=BATCH_SIZES[0],
                                                  description="batch", **slider)  # fmt: skip
        box = {**narrow, "layout": widgets.Layout(width="230px")}
        self.loss = widgets.Dropdown(options=LOSSES, value=c.loss, description="loss", **box)
        self.optimizer = widgets.Dropdown(options=OPTIMIZER_NAMES, value=c.optimizer,
                                          description="optimiser", **box)  # fmt: skip
        self.r1_gamma = widgets.Dropdown(options=R1_GAMMAS, value=R1_GAMMAS[0], description="R1 γ",
                                         **box)  # fmt: skip
        self.target = widgets.Dropdown(options=tuple(TARGETS), value=c.target,
                                       description="target", **box)  # fmt: skip
        self.noise = widgets.Dropdown(options=NOISE_KINDS, value=c.noise, description="noise z",
                                      **box)  # fmt: skip
        self.d_kind = widgets.Dropdown(options=D_KINDS, value=c.net.d_kind, description="D sees",
                                       **box)  # fmt: skip
        self.layers = {
            name: widgets.Checkbox(value=True, description=name, indent=False,
                                   layout=widgets.Layout(width="auto", margin="0 12px 0 0"))
            for name in LAYERS
        }  # fmt: skip
        for name, box_widget in self.layers.items():
            box_widget.observe(lambda ch, n=name: self._on_layer(n, ch["new"]), names="value")

    def _control_rows(self) -> list[widgets.Widget]:
        return [
            widgets.HBox([self.lr_d, self.lr_g, self.k]),
            widgets.HBox([self.batch_size, self.loss, self.optimizer, self.r1_gamma]),
            widgets.HBox([self.target, self.noise, self.d_kind]),
            widgets.HBox(list(self.layers.values())),
        ]

    def _set_widget(self, name: str, value: Any) -> None:
        widget = getattr(self, name)
        if name in ("batch_size", "r1_gamma") and value not in widget.options:
            widget.options = sorted({*widget.options, value})
        super()._set_widget(name, value)

    def _on_layer(self, name: str, visible: bool) -> None:
        self.live.set_layer(name, visible)
        self.live.render()

    # ---- the figure -----------------------------------------------------------------------
    def _view(self) -> dict[str, np.ndarray]:
        v = self.view_settings
        return self.gan.view(v.lattice, v.samples, v.grid_lines, v.line_points, v.d_star_samples)

    def _build_figure(self) -> PlaneFigure:
        return PlaneFigure(self._view(), self.gan.target, self.settings.figure_inches)

    def _show(self) -> None:
        view = self._view() if self.gan.diverged is None else None
        diverged_at = None if self.gan.diverged is None else self.gan.diverged.step
        self.live.put(view, self.gan.history, diverged_at)
        self._drawn = view

    def _recorded_frame(self) -> dict[str, np.ndarray]:
        """The view the last frame drew (for :mod:`ganlib.plane.replay`)."""
        return dict(self._drawn) if self._drawn is not None else {}

    def recording_settings(self) -> dict[str, Any]:
        """As the framework's, plus the view's sizes and the layers shown."""
        layers = {name: box.value for name, box in self.layers.items()}
        return {**super().recording_settings(), "view": dataclasses.asdict(self.view_settings),
                "layers": layers}  # fmt: skip

    def _restyle(self) -> None:
        """At a presenter size the landscape, the lesson's main view, gets twice the width."""
        if self.settings.screen is not None:
            self.live.landscape.ax.get_subplotspec().get_gridspec().set_width_ratios(
                PRESENTER_RATIOS
            )
        super()._restyle()

    def _after_reset(self) -> None:
        self.live.set_target(self._view(), self.gan.target)
        for name, box in self.layers.items():
            self.live.set_layer(name, box.value)

    def describe(self) -> str:
        """The game's current settings on one line (for notebooks and logs)."""
        c = self.gan.config
        return (
            f"lr_D {c.lr_d:.1e} · lr_G {c.lr_g:.1e} · k {c.k} · batch {c.batch_size} · "
            f"loss {c.loss} · optimiser {c.optimizer} · R1 γ {c.r1_gamma:g} · target {c.target}"
            f" · noise {c.noise} · D {c.net.d_kind} · seed {c.seed}"
        )

    def _status_body(self) -> str:
        gan, h = self.gan, self.gan.history
        if len(h) == 0:
            return f"step {gan.step}"
        return (
            f"step {gan.step} · modes {h.modes[-1]:.0f}/{gan.target.n_modes} · high quality "
            f"{100 * h.hq[-1]:.0f} % · JS {h.js[-1]:.3f} nats"
        )
