r"""Figures of the game in the plane (notebook 03): the landscape, filmstrips, traces, the xy game.

The **landscape** panel draws, in the order of GAN Lab's layers (Kahng et al. 2019):

* D's heat map :math:`D(x)` (ColorBrewer's BrBG, colour-blind safe: teal where D says "real",
  brown where it says "fake", white at 1/2);
* the noise grid warped by G (equal-probability cells of :math:`p_z`);
* the contours 0.25 / 0.5 / 0.75 of :math:`D^* = p_\text{data} / (p_\text{data} + p_g)` where
  :math:`p_g` is estimated;
* real points (black) and fake points (purple);
* each fake point's gradient (vermillion): a short line from the point in the direction the
  generator loss moves it (GAN Lab's "generator gradients").

:func:`draw_landscape` returns :class:`LandscapeArtists`, whose :meth:`~LandscapeArtists.update`
moves the same artists to a new :meth:`ganlib.plane.training.PlaneGAN.view` (``set_data``,
``set_offsets``; each kind of line is ONE ``Line2D`` with NaN between its pieces): the live
dashboard blits them (:mod:`ganlib.plane.dashboard`), the static figures draw them once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import contourpy
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.lines import Line2D

from ganlib.plane.targets import PlaneMixture

#: Colours (Okabe & Ito's colour-blind-safe palette, and ColorBrewer's BrBG for D).
COLOURS: dict[str, str] = {
    "real": "black",
    "fake": "#6a3d9a",  # purple
    "arrow": "#D55E00",  # vermillion
    "grid": "#555555",
    "d_star": "#0072B2",  # blue
    "plain": "#E69F00",  # orange
    "remedy": "#0072B2",  # blue
    "other": "#009E73",  # bluish green
}
D_CMAP = "BrBG"
D_STAR_LEVELS = (0.25, 0.5, 0.75)
ARROW_LENGTH = 0.04  # the 90th-percentile arrow spans this share of the view's width
LAYERS: tuple[str, ...] = ("D heat map", "real", "fake", "arrows", "noise grid", "D* contours")


def polylines(lines: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Many polylines ``(P_i, 2)`` as the x and y of ONE line, NaN between them.

    One ``Line2D`` draws and moves far faster than a collection of hundreds of paths, which is
    what keeps the live figure at ten frames a second.
    """
    if len(lines) == 0:
        return np.array([np.nan]), np.array([np.nan])
    gap = np.full((1, 2), np.nan)
    xy = np.concatenate([part for line in lines for part in (np.asarray(line), gap)])
    return xy[:, 0], xy[:, 1]


def contour_lines(x: np.ndarray, d_star: np.ndarray) -> list[np.ndarray]:
    """D*'s contour lines at :data:`D_STAR_LEVELS` (contourpy, matplotlib's own engine)."""
    z = np.ma.masked_invalid(d_star)
    gen = contourpy.contour_generator(x, x, z, line_type=contourpy.LineType.Separate)
    return [seg for level in D_STAR_LEVELS for seg in gen.lines(level) if len(seg) > 1]


def scaled_arrows(arrows: np.ndarray, width: float) -> np.ndarray:
    """Arrows rescaled for display: the 90th-percentile length becomes ``ARROW_LENGTH * width``.

    Only the directions and relative lengths are meaningful; all-zero arrows stay zero.
    """
    a = np.nan_to_num(np.asarray(arrows, dtype=np.float64))
    ref = float(np.percentile(np.hypot(a[:, 0], a[:, 1]), 90)) if len(a) else 0.0
    return a * (ARROW_LENGTH * width / ref) if ref > 0 else a


@dataclass
class LandscapeArtists:
    """The layers of one landscape panel; :meth:`update` moves them to a new view."""

    ax: Axes
    heat: AxesImage
    grid: Line2D
    d_star: Line2D
    real: PathCollection
    fake: PathCollection
    arrows: Line2D

    @property
    def layers(self) -> dict[str, Any]:
        """The artists by layer name (:data:`LAYERS`), for toggling."""
        return dict(zip(LAYERS, self.artists, strict=True))

    @property
    def artists(self) -> list[Any]:
        """All moving artists, in drawing order."""
        return [self.heat, self.real, self.fake, self.arrows, self.grid, self.d_star]

    def update(self, view: Mapping[str, np.ndarray]) -> None:
        """Show ``view`` (:meth:`PlaneGAN.view`); the point counts must not change."""
        self.heat.set_data(view["d"])
        self.real.set_offsets(view["real"])
        self.fake.set_offsets(view["fake"])
        width = float(view["x"][-1] - view["x"][0])
        start = np.asarray(view["fake"], dtype=np.float64)
        end = start + scaled_arrows(view["arrows"], width)
        self.arrows.set_data(*polylines(np.stack([start, end], axis=1)))  # n segments
        self.grid.set_data(*polylines(np.asarray(view["grid"])))
        self.d_star.set_data(*polylines(contour_lines(view["x"], view["d_star"])))


def draw_landscape(
    ax: Axes, view: Mapping[str, np.ndarray], title: str | None = None
) -> LandscapeArtists:
    """Draw every layer of ``view`` on ``ax`` (limits: the view's lattice, a square)."""
    x = np.asarray(view["x"])
    lo, hi = float(x[0]), float(x[-1])
    heat = ax.imshow(view["d"], extent=(lo, hi, lo, hi), origin="lower", cmap=D_CMAP,
                     vmin=0.0, vmax=1.0, interpolation="nearest", alpha=0.75)  # fmt: skip
    (grid,) = ax.plot([], [], color=COLOURS["grid"], lw=0.5, alpha=0.6)
    (d_star,) = ax.plot([], [], color=COLOURS["d_star"], lw=1.2, ls="--")
    real = ax.scatter(*np.asarray(view["real"]).T, s=4, color=COLOURS["real"], linewidths=0)
    fake = ax.scatter(*np.asarray(view["fake"]).T, s=6, color=COLOURS["fake"], linewidths=0)
    (arrows,) = ax.plot([], [], color=COLOURS["arrow"], lw=1.0)
    art = LandscapeArtists(ax, heat, grid, d_star, real, fake, arrows)
    art.update(view)
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_aspect("equal")
    if title:
        ax.set_title(title)
    return art


def plot_landscape(view: Mapping[str, np.ndarray], title: str | None = None) -> Figure:
    """One landscape panel with a colour bar for D(x) and a legend of its layers."""
    fig, ax = plt.subplots(figsize=(6.4, 5.4))
    art = draw_landscape(ax, view, title=title)
    fig.colorbar(art.heat, ax=ax, label="D(x)", fraction=0.046, pad=0.04)
    handles = [art.real, art.fake, art.arrows, art.grid, art.d_star]
    labels = ["real", "fake G(z)", "G's gradient", "noise grid through G", "D* = .25/.5/.75"]
    ax.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.5, -0.28), ncol=3,
              fontsize="small", frameon=False)  # fmt: skip
    fig.tight_layout()
    return fig


def plot_filmstrip(
    frames: Sequence[np.ndarray],
    target: PlaneMixture,
    titles: Sequence[str],
    real: np.ndarray | None = None,
) -> Figure:
    """Fake points at several moments of a run, one panel each, modes circled at 3σ."""
    if len(frames) != len(titles) or not frames:
        raise ValueError(f"got {len(frames)} frames and {len(titles)} titles; give one each")
    n = len(frames)
    fig, axes = plt.subplots(1, n, figsize=(2.6 * n, 2.9), squeeze=False)
    lo, hi = target.limits
    for ax, pts, title in zip(axes[0], frames, titles, strict=True):
        for mu in target.means:
            ax.add_patch(plt.Circle(mu, 3 * target.std, fill=False, color="0.4", lw=0.8))
        if real is not None:
            ax.scatter(*real.T, s=2, color=COLOURS["real"], alpha=0.3, linewidths=0)
        ax.scatter(*np.asarray(pts).T, s=3, color=COLOURS["fake"], alpha=0.5, linewidths=0)
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(title)
    fig.tight_layout()
    return fig


def _curve(history: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    data = history.as_dict() if hasattr(history, "as_dict") else dict(history)
    if "step" not in data or name not in data:
        raise ValueError(f"history needs 'step' and {name!r}; it has {sorted(data)}")
    return np.asarray(data["step"], dtype=float), np.asarray(data[name], dtype=float)


def plot_mode_traces(
    runs: Mapping[str, Sequence[Any]],
    n_modes: int,
    metric: str = "modes",
    colours: Mapping[str, str] | None = None,
    ax: Axes | None = None,
) -> Figure:
    """``metric`` against generator steps for every run, one colour per setup (thin: each seed).

    ``runs`` maps a setup's label to its histories (one per seed); the thick line is their
    median. ``metric="modes"`` draws the modes covered with the line at ``n_modes``.
    """
    fig = ax.figure if ax is not None else plt.figure(figsize=(7.0, 3.6))
    ax = ax if ax is not None else fig.add_subplot()
    palette = [COLOURS["plain"], COLOURS["remedy"], COLOURS["other"], "#CC79A7"]
    for i, (label, histories) in enumerate(runs.items()):
        colour = (colours or {}).get(label, palette[i % len(palette)])
        curves = [_curve(h, metric) for h in histories]
        for step, value in curves:
            ax.plot(step, value, color=colour, lw=0.7, alpha=0.45)
        length = min(len(s) for s, _ in curves)
        median = np.median([v[:length] for _, v in curves], axis=0)
        ax.plot(curves[0][0][:length], median, color=colour, lw=2.4, label=f"{label} (median)")
    if metric == "modes":
        ax.axhline(n_modes, color="0.3", ls=":", lw=1.0)
        ax.set_ylim(-0.3, n_modes + 0.5)
        ax.set_ylabel("modes covered")
    else:
        ax.set_ylabel({"hq": "high-quality share", "js": "JS (nats)"}.get(metric, metric))
    ax.set_xlabel("generator step")
    ax.legend(fontsize="small", loc="lower right")
    fig.tight_layout()
    return fig


def draw_traces(axes: Sequence[Axes], n_modes: int) -> dict[str, Any]:
    """The dashboard's four trace panels, empty: modes, high-quality share, JS, losses.

    Returns the lines by name (``modes``, ``hq``, ``js``, ``d_loss``, ``g_loss``) for
    ``set_data``. JS has its maximum :math:`\\ln 2` marked, the D loss its equilibrium
    :math:`\\ln 4` and the G loss :math:`\\ln 2`.
    """
    ax_m, ax_q, ax_js, ax_l = axes
    ref = {"ls": "--", "lw": 1.0}
    lines = {"modes": ax_m.plot([], [], color=COLOURS["remedy"], lw=1.6)[0]}
    ax_m.axhline(n_modes, color="0.4", ls=":", lw=1.0)
    ax_m.set_ylim(-0.3, n_modes + 0.5)
    ax_m.set_title("modes covered")
    lines["hq"] = ax_q.plot([], [], color=COLOURS["other"], lw=1.6)[0]
    ax_q.set_ylim(0.0, 1.02)
    ax_q.set_title("high quality")
    lines["js"] = ax_js.plot([], [], color=COLOURS["fake"], lw=1.6)[0]
    ax_js.axhline(math.log(2.0), color=COLOURS["fake"], **ref)
    ax_js.set_yscale("log")
    ax_js.set_ylim(1e-3, 1.0)
    ax_js.set_title("JS, nats (-- ln 2)")
    lines["d_loss"] = ax_l.plot([], [], color=COLOURS["plain"], lw=1.4, label="D")[0]
    lines["g_loss"] = ax_l.plot([], [], color=COLOURS["remedy"], lw=1.4, label="G")[0]
    ax_l.axhline(math.log(4.0), color=COLOURS["plain"], **ref)
    ax_l.axhline(math.log(2.0), color=COLOURS["remedy"], **ref)
    ax_l.set_ylim(0.0, 3.0)
    ax_l.set_title("loss (-- ln 4, ln 2)")
    ax_l.legend(fontsize="small", loc="upper right")
    return lines


def plot_traces(history: Any, n_modes: int, figsize: tuple[float, float] = (12.0, 3.0)) -> Figure:
    """The four trace panels of one run (modes, high-quality share, JS, losses)."""
    fig, axes = plt.subplots(1, 4, figsize=figsize)
    lines = draw_traces(axes, n_modes)
    for name, line in lines.items():
        step, value = _curve(history, name)
        line.set_data(step, np.where(value > 0, value, np.nan) if name == "js" else value)
    for ax in axes:
        ax.set_xlabel("generator step")
        ax.relim()
        ax.autoscale_view(scaley=False)
    fig.tight_layout()
    return fig


def plot_phase_portrait(
    paths: Mapping[str, np.ndarray], extent: float = 2.0, figsize: tuple[float, float] = (6.0, 5.6)
) -> Figure:
    """The field :math:`(-y, x)` of :math:`\\min_x\\max_y xy` and iterate paths on top of it."""
    fig, ax = plt.subplots(figsize=figsize)
    g = np.linspace(-extent, extent, 15)
    gx, gy = np.meshgrid(g, g)
    ax.quiver(gx, gy, -gy, gx, color="0.75", angles="xy", width=0.003)
    palette = [COLOURS["arrow"], COLOURS["remedy"], COLOURS["other"], COLOURS["fake"]]
    for (label, path), colour in zip(paths.items(), palette, strict=False):
        path = np.asarray(path)
        ax.plot(path[:, 0], path[:, 1], color=colour, lw=1.4, label=label)
        ax.plot(*path[-1], "o", color=colour, ms=5)
    ax.plot(0, 0, "k*", ms=11, label="equilibrium (0, 0)")
    ax.set_xlim(-extent, extent)
    ax.set_ylim(-extent, extent)
    ax.set_aspect("equal")
    ax.set_xlabel("x (the generator: descends xy)")
    ax.set_ylabel("y (the discriminator: ascends xy)")
    ax.legend(fontsize="small", loc="upper left")
    fig.tight_layout()
    return fig
