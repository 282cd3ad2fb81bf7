r"""Notebook 02's live dashboard: train the toy GAN, watch :math:`p_g` chase :math:`p_\text{data}`.

One persistent ipympl figure is updated in place while :class:`ganlib.toy.training.ToyGAN`
trains: the Figure-1 panel (:math:`p_\text{data}`, :math:`p_g`, D and D*) with, for
one-dimensional noise, the paper's lower panel below it (arrows from the z line to the x line,
x = G(z)); beside it :math:`G(z)` against the ideal map :math:`4 + 1.25\,\Phi^{-1}(z)`; then the
generated mean and std and JS. ipywidgets set the learning rates, k, the batch size, the
generator loss, the noise, its dimension and the target, and Play/Pause, Step D, Step G and
Reset drive the game. The playing, the settings, the status line's feedback and the widget
ranges are the series' dashboard framework, :mod:`ganlib.live.dashboard` (how it trains without
freezing the page is explained there); this module adds the toy's controls and figure.
"""

from __future__ import annotations

import math
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch

from ganlib.live.dashboard import Dashboard, DashboardSettings
from ganlib.live.figure import BlitFigure
from ganlib.toy.distributions import NOISE_KINDS, TARGETS, Density
from ganlib.toy.plots import (
    ArrowArtists,
    MapArtists,
    StageArtists,
    draw_arrows,
    draw_map,
    draw_stage,
    has_map,
    projector_style,
    reference_style,
    support_limits,
)
from ganlib.toy.training import LOSSES, ToyGAN, ToyGANConfig

BATCH_SIZES: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
NOISE_DIMS: tuple[int, ...] = (1, 2, 4, 8)
RESET_SETTINGS = ("target", "noise", "noise_dim")  # these need new networks: ToyGAN.reset
MID_RUN_SETTINGS = ("lr_d", "lr_g", "k", "batch_size", "loss")  # ToyGAN.update
STAGE_TITLE = "densities and D(x)"
MAP_TITLE = "G(z) and the ideal map"
LIVE_DENSITY_TOP = 2.2  # the live density axis shows up to this multiple of p_data's peak
TRACE_STEPS = 500  # initial width of the trace panels, in generator steps (doubles as needed)
JS_LIMITS = (1e-4, 1.0)  # y-range of the live JS panel (the estimator's floor is about 5e-4)
FIGSIZE = (9.8, 5.0)
PRESENTER_RATIOS = (1.4, 0.95, 1.25)  # stage : map : traces columns at a presenter size


class LiveFigure(BlitFigure):
    """The toy dashboard's one figure: Figure 1 with its arrows, G's map, mean/std and JS.

    The moving artists (:math:`p_g`, D, D*, the arrows, :math:`G(z)` and the three traces) are
    blitted (:class:`ganlib.live.figure.BlitFigure`); a full draw happens only when the static
    part changes: a new target or noise, a trace outgrowing its axes (the step axis doubles), or
    a divergence.

    Parameters
    ----------
    snap : dict
        A :meth:`ToyGAN.snapshot` to start from.
    target : Density
        The data distribution (its mean and std give the reference lines).
    noise : str
        The noise kind (where the z line starts and ends).
    figsize : (float, float)
    """

    def __init__(
        self, snap: dict[str, np.ndarray], target: Density, noise: str, figsize: tuple[float, float]
    ):
        with plt.ioff(), projector_style():  # ipympl would otherwise display the figure twice
            fig = plt.figure(figsize=figsize, layout="constrained")
            self._build_axes(fig, snap, noise)
        s, a, m = self.stage, self.arrows, self.map
        moving = [s.p_g, s.d, s.d_star, a.shafts, a.heads, m.g_z]
        super().__init__(fig, [*moving, self.mean_line, self.std_line, self.js_line])
        self.set_target(snap, target, noise)

    def _build_axes(self, fig: plt.Figure, snap: dict[str, np.ndarray], noise: str) -> None:
        outer = fig.add_gridspec(1, 3, width_ratios=(1.55, 1.0, 1.0))
        left = outer[0].subgridspec(2, 1, height_ratios=(3.0, 1.1), hspace=0.02)
        right = outer[2].subgridspec(2, 1)
        ax_stage = fig.add_subplot(left[0])
        self.ax_arrows = fig.add_subplot(left[1], sharex=ax_stage)
        ax_stage.tick_params(labelbottom=False)
        xlim = support_limits(snap["x"], snap["p_data"])
        self.stage: StageArtists = draw_stage(ax_stage, snap, title=STAGE_TITLE, xlim=xlim)
        self.stage.ax.legend(handles=self.stage.lines, loc="upper left", fontsize=11)
        self.arrows: ArrowArtists = draw_arrows(self.ax_arrows, _with_map(snap), noise, xlim)
        self.ax_map = fig.add_subplot(outer[1])
        self.map: MapArtists = draw_map(self.ax_map, _with_map(snap), xlim)
        self.ax_map.set_title(MAP_TITLE)
        self.ax_ms, self.ax_js = fig.add_subplot(right[0]), fig.add_subplot(right[1])
        (self.mean_line,) = self.ax_ms.plot([], [], color="C0", label="mean")
        (self.std_line,) = self.ax_ms.plot([], [], color="C1", label="std")
        self.mean_ref = self.ax_ms.axhline(0.0, color="C0", **reference_style())
        self.std_ref = self.ax_ms.axhline(0.0, color="C1", **reference_style())
        self.ax_ms.set_title("mean and std of G(z)")
        self.ax_ms.legend(loc="lower right")
        (self.js_line,) = self.ax_js.plot([], [], color="purple")
        self.ax_js.set_yscale("log")
        self.ax_js.set_ylim(*JS_LIMITS)  # fixed, so the fall towards 0 is visible at a glance
        self.ax_js.axhline(math.log(2.0), color="purple", **reference_style())  # JS <= ln 2
        self.ax_js.set_title("JS (nats)")
        self.ax_js.set_xlabel("generator step")
        self.ax_ms.tick_params(labelbottom=False)
        self._no_map = self.ax_map.text(
            0.5, 0.5, "", transform=self.ax_map.transAxes, ha="center", va="center", wrap=True
        )

    def set_target(self, snap: dict[str, np.ndarray], target: Density, noise: str) -> None:
        """Fixed axes for a (new) target or noise: ranges, reference lines, ideal map, traces."""
        xlim = support_limits(snap["x"], snap["p_data"])
        self.stage.update(snap, rescale=False)
        self.stage.ax.set_xlim(*xlim)
        self.stage.ax.set_ylim(0.0, LIVE_DENSITY_TOP * float(np.max(snap["p_data"])))
        self.arrows.noise = noise
        one_d = has_map(snap)
        for artist in (self.arrows.shafts, self.arrows.heads, *self._map_lines()):
            artist.set_visible(one_d)
        self._no_map.set_text(
            "" if one_d else "noise of more than one dimension:\nno map z → x to draw"
        )
        if one_d:
            self.map.update(snap)
            self.arrows.update(snap)
            self.ax_map.set_xlim(float(snap["z"][0]), float(snap["z"][-1]))
        self.ax_map.set_ylim(*xlim)
        self.mean_ref.set_ydata([target.mean, target.mean])
        self.std_ref.set_ydata([target.std, target.std])
        self.ax_ms.set_ylim(min(0.0, target.mean - 3 * target.std), target.mean + 3 * target.std)
        for ax in (self.ax_ms, self.ax_js):
            ax.set_xlim(0, TRACE_STEPS)
        self.stage.ax.set_title(STAGE_TITLE, color="black")
        self.invalidate()

    def _map_lines(self) -> tuple[Any, ...]:
        return (self.map.g_z, self.map.ideal, self.map.mirror)

    def put(
        self, snap: dict[str, np.ndarray] | None, history: Any, diverged_at: int | None
    ) -> None:
        """Move the artists to ``snap`` and the history's curves (``snap=None`` keeps the panel)."""
        if snap is not None:
            self.stage.update(snap, rescale=False)
            if has_map(snap):
                self.map.update(snap)
                self.arrows.update(snap)
        self.mean_line.set_data(history.step, history.mean)
        self.std_line.set_data(history.step, history.std)
        js = np.asarray(history.js, dtype=np.float64)
        self.js_line.set_data(history.step, np.where(js > 0, js, np.nan))
        if diverged_at is not None:
            title = f"diverged at step {diverged_at}"
            if self.stage.ax.get_title() != title:
                self.stage.ax.set_title(title, color="red")
                self.invalidate()
        if self._grow_limits(history):
            self.invalidate()

    def show(
        self, snap: dict[str, np.ndarray] | None, history: Any, diverged_at: int | None
    ) -> None:
        """:meth:`put`, then render the frame."""
        self.put(snap, history, diverged_at)
        self.render()

    def _grow_limits(self, history: Any) -> bool:
        """Widen the trace axes when the curves leave them; True if anything changed."""
        if len(history.step) == 0:
            return False
        changed = False
        last, (_, right) = history.step[-1], self.ax_ms.get_xlim()
        if last > right:
            for ax in (self.ax_ms, self.ax_js):
                ax.set_xlim(0, max(2 * right, 1.25 * last))
            changed = True
        ys = np.asarray([*history.mean, *history.std], dtype=np.float64)
        ys = ys[np.isfinite(ys)]
        lo, hi = self.ax_ms.get_ylim()
        if ys.size and (ys.min() < lo or ys.max() > hi):
            pad = 0.1 * (max(hi, ys.max()) - min(lo, ys.min()))
            self.ax_ms.set_ylim(min(lo, ys.min() - pad), max(hi, ys.max() + pad))
            changed = True
        return changed


def _with_map(snap: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``snap``, with an empty map for noise of more than one dimension (drawn hidden)."""
    if has_map(snap):
        return snap
    z = np.linspace(0.0, 1.0, 2)
    empty = np.full(2, np.nan)
    return {**snap, "z": z, "g_z": empty, "ideal": empty, "mirror": empty,
            "z_arrows": z, "x_arrows": np.zeros(2)}  # fmt: skip


class ToyDashboard(Dashboard):
    """Sliders, buttons, a status line and one live figure over a :class:`ToyGAN`.

    Parameters
    ----------
    config : ToyGANConfig, optional
        The GAN's starting settings (default: ``ToyGANConfig()``, the reference problem).
    settings : DashboardSettings, optional
        Default: ``DashboardSettings(figsize=FIGSIZE)``.
    device : str or torch.device
        Where the toy nets live (the CPU is fastest for them).

    Attributes
    ----------
    gan : ToyGAN
    lr_d, lr_g, k, batch_size, loss, noise, noise_dim, target : ipywidgets
        The controls; setting ``.value`` from code has the same effect as moving them.
    play_button, step_d_button, step_g_button, reset_button : ipywidgets.Button
    status : ipywidgets.HTML
        The status line; :attr:`status_text` is its plain text.
    figure : matplotlib.figure.Figure
    widget : ipywidgets.VBox
        The whole dashboard; a notebook cell ending in the dashboard displays it.
    last_error : Exception or None
        An unexpected error that stopped :meth:`run` (shown in the status line).

    Notes
    -----
    Introduced in notebook 02. Use it inside ``%matplotlib widget`` for a live figure; under a
    non-interactive backend (Agg, in tests) the figure is drawn off-screen.
    """

    MID_RUN_SETTINGS = MID_RUN_SETTINGS
    RESET_SETTINGS = RESET_SETTINGS
    RECORDING_KIND = "toy"

    def __init__(
        self,
        config: ToyGANConfig | None = None,
        settings: DashboardSettings | None = None,
        device: str | torch.device = "cpu",
    ) -> None:
        game = ToyGAN(config if config is not None else ToyGANConfig(), device=device)
        super().__init__(
            game, settings if settings is not None else DashboardSettings(figsize=FIGSIZE)
        )

    # ---- widgets --------------------------------------------------------------------------
    def _build_setting_controls(self) -> None:
        c, s = self.gan.config, self.settings
        lo, hi = s.lr_exponents
        log = {"base": 10, "min": lo, "max": hi, "step": 0.1, "readout_format": ".1e"}
        common: dict[str, Any] = {
            "continuous_update": False,
            "style": {"description_width": "70px"},
        }
        self.lr_d = widgets.FloatLogSlider(value=c.lr_d, description="lr_D", **log, **common)
        self.lr_g = widgets.FloatLogSlider(value=c.lr_g, description="lr_G", **log, **common)
        self.k = widgets.IntSlider(value=1, min=1, max=s.max_k, description="k", **common)
        self.batch_size = widgets.SelectionSlider(
            options=BATCH_SIZES, value=BATCH_SIZES[0], description="batch", **common
        )
        box = {"style": {"description_width": "90px"}, "layout": widgets.Layout(width="240px")}
        self.loss = widgets.Dropdown(options=LOSSES, value=c.loss, description="G loss", **box)
        self.noise = widgets.Dropdown(
            options=NOISE_KINDS, value=c.noise, description="noise z", **box
        )
        self.noise_dim = widgets.Dropdown(
            options=NOISE_DIMS, value=NOISE_DIMS[0], description="noise dim", **box
        )
        self.target = widgets.Dropdown(
            options=tuple(TARGETS), value=c.target, description="target", **box
        )

    def _control_rows(self) -> list[widgets.Widget]:
        return [
            widgets.HBox([self.lr_d, self.lr_g, self.k, self.batch_size]),
            widgets.HBox([self.loss, self.noise, self.noise_dim, self.target]),
        ]

    # ---- the figure -----------------------------------------------------------------------
    def _snapshot(self) -> dict[str, np.ndarray]:
        return self.gan.snapshot(n=self.settings.snapshot_samples)

    def _build_figure(self) -> LiveFigure:
        return LiveFigure(
            self._snapshot(), self.gan.target, self.gan.config.noise, self.settings.figure_inches
        )

    @property
    def stage(self) -> StageArtists:
        """The lines of the Figure-1 panel."""
        return self.live.stage

    def _show(self) -> None:
        snap = self._snapshot() if self.gan.diverged is None else None
        diverged_at = None if self.gan.diverged is None else self.gan.diverged.step
        self.live.put(snap, self.gan.history, diverged_at)
        self._drawn = snap

    def _recorded_frame(self) -> dict[str, np.ndarray]:
        """The snapshot the last frame drew (for :mod:`ganlib.toy.replay`)."""
        return dict(self._drawn) if self._drawn is not None else {}

    def _restyle(self) -> None:
        """At a presenter size the trace column widens for its bigger titles."""
        if self.settings.screen is not None:
            outer = self.live.ax_map.get_subplotspec().get_gridspec()
            outer.set_width_ratios(PRESENTER_RATIOS)
        super()._restyle()

    def _after_reset(self) -> None:
        self.live.set_target(self._snapshot(), self.gan.target, self.gan.config.noise)

    def describe(self) -> str:
        """The GAN's current settings on one line (for notebooks and logs)."""
        c = self.gan.config
        return (
            f"lr_D {c.lr_d:.1e} · lr_G {c.lr_g:.1e} · k {c.k} · batch {c.batch_size} · "
            f"loss {c.loss} · noise {c.noise} · noise dim {c.noise_dim} · target {c.target} · "
            f"seed {c.seed}"
        )

    def _status_body(self) -> str:
        gan, h = self.gan, self.gan.history
        if len(h) == 0:
            return f"step {gan.step}"
        return (
            f"step {gan.step} · JS {h.js[-1]:.4f} nats · mean {h.mean[-1]:.3f}"
            f" · std {h.std[-1]:.3f}"
        )
