r"""Figure-1 style plots of the 1-D toy GAN, its noise-to-data map and its curves (notebook 02).

Goodfellow et al. 2014 draw the game on one axis: the data density :math:`p_\text{data}`
(black, dotted), the generator's density :math:`p_g` (green, solid) and the discriminator
:math:`D(x)` (blue, dashed); below it, the line of the noise :math:`z` mapped to the line of
:math:`x` by arrows :math:`x = G(z)`, drawn at equal steps of probability, so that where the
arrows crowd together :math:`p_g` is high. Here :math:`D` gets its own right-hand axis, from 0
to 1, with the line :math:`D = 1/2` it should reach at the equilibrium, and the optimal
discriminator for the current generator,

.. math::
    D^*(x) = \frac{p_\text{data}(x)}{p_\text{data}(x) + p_g(x)},

as a thin purple line, so the learner sees how far the trained D is from the best one. Off the
data's support (where :math:`p_\text{data}` and :math:`p_g` both vanish) D is unconstrained: no
sample ever lands there, nothing trains it, and it drifts.

:func:`draw_stage` (densities and D), :func:`draw_arrows` (the paper's lower panel) and
:func:`draw_map` (:math:`G(z)` against the ideal map) return artists whose ``update`` moves the
same lines to new data; notebook 02's live dashboard (:mod:`ganlib.toy.dashboard`) uses them to
update one persistent figure in place. :func:`plot_stages` draws Figure 1 (snapshots side by
side, one density scale), :func:`plot_filmstrip` a run as a strip of panels, and
:func:`plot_traces` the curves of a :class:`ganlib.toy.training.ToyHistory`. Every figure is
made for a projector: :data:`PROJECTOR_RC` (fonts of 11 pt and more, 100 dpi).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ganlib.core.losses import EQUILIBRIUM, LOSSES
from ganlib.core.validation import check_choice
from ganlib.toy.distributions import Density, ideal_map, quantile

#: Line styles of Figure 1 (plus D*, the D = 1/2 line, the maps and the reference lines).
STYLE: dict[str, dict[str, Any]] = {
    "p_data": {"color": "black", "linestyle": ":", "linewidth": 2.2, "label": r"$p_{data}$"},
    "p_g": {"color": "green", "linestyle": "-", "linewidth": 2.2, "label": r"$p_g$"},
    "d": {"color": "blue", "linestyle": "--", "linewidth": 2.0, "label": r"$D(x)$"},
    "d_star": {"color": "#AA3377", "linestyle": "-", "linewidth": 1.0, "label": r"$D^*(x)$"},
    "half": {"color": "grey", "linestyle": ":", "linewidth": 1.0, "label": r"$D = 1/2$"},
    "g_z": {"color": "green", "linestyle": "-", "linewidth": 2.2, "label": "$G(z)$"},
    "ideal": {"color": "black", "linestyle": ":", "linewidth": 2.2, "label": "ideal map"},
    "mirror": {"color": "grey", "linestyle": ":", "linewidth": 1.2, "label": "its mirror"},
    "arrow": {"color": "green", "linewidth": 0.9, "alpha": 0.8},
    "reference": {"color": "grey", "linestyle": "--", "linewidth": 1.0},
}
#: Fonts and resolution for a projector (fonts of at least 11 pt, at least 100 dpi).
PROJECTOR_RC: dict[str, Any] = {
    "font.size": 12,
    "axes.titlesize": 13,
    "axes.labelsize": 12,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 11,
    "figure.dpi": 100,
    "savefig.dpi": 100,
}
SNAPSHOT_KEYS = ("x", "p_data", "p_g", "d", "d_star")
MAP_KEYS = ("z", "g_z", "ideal", "mirror", "z_arrows", "x_arrows")
OKABE_ITO_BLUE, OKABE_ITO_ORANGE = "#0072B2", "#E69F00"  # the loss panel's D and G
DENSITY_CLIP = 2.0  # the density axis shows at most this multiple of p_data's peak


@contextmanager
def projector_style() -> Iterator[None]:
    """Matplotlib settings of :data:`PROJECTOR_RC` for the figures made inside."""
    with plt.rc_context(PROJECTOR_RC):
        yield


def _arrays(snap: Mapping[str, np.ndarray], keys: Sequence[str]) -> dict[str, np.ndarray]:
    missing = [k for k in keys if k not in snap]
    if missing:
        raise ValueError(f"snapshot is missing {missing}; it needs the keys {tuple(keys)}")
    return {k: np.asarray(snap[k], dtype=np.float64).reshape(-1) for k in keys}


def _check_snapshot(snap: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    arrays = _arrays(snap, SNAPSHOT_KEYS)
    n = len(arrays["x"])
    if any(len(a) != n for a in arrays.values()):
        raise ValueError("snapshot arrays must all have the shape of snap['x'] (G,)")
    return arrays


def has_map(snap: Mapping[str, np.ndarray]) -> bool:
    """True when ``snap`` holds G's map of one-dimensional noise (:data:`MAP_KEYS`)."""
    return all(k in snap for k in MAP_KEYS)


def support_limits(x: np.ndarray, p_data: np.ndarray, rel: float = 1e-3) -> tuple[float, float]:
    """The x-range where ``p_data`` exceeds ``rel`` × its peak, widened by 15 % on each side."""
    inside = x[p_data > rel * np.max(p_data)]
    if inside.size == 0:
        return float(x[0]), float(x[-1])
    lo, hi = float(inside.min()), float(inside.max())
    pad = 0.15 * (hi - lo)
    return max(lo - pad, float(x[0])), min(hi + pad, float(x[-1]))


def density_top(snapshots: Sequence[Mapping[str, np.ndarray]]) -> float:
    """One density scale for several panels: the highest curve, at most 2 × p_data's peak."""
    peaks = [float(np.max(_check_snapshot(s)["p_data"])) for s in snapshots]
    tops = [float(np.nanmax(_check_snapshot(s)["p_g"])) for s in snapshots]
    peak = max(peaks)
    return 1.1 * min(max(peak, *tops), DENSITY_CLIP * peak) if peak > 0 else 1.0


@dataclass
class StageArtists:
    """The lines of one Figure-1 panel; :meth:`update` moves them to a new snapshot."""

    ax: Axes  # densities p_data, p_g (left axis)
    ax_d: Axes  # D(x), D*(x) and D = 1/2 (right axis, 0 to 1)
    p_data: Line2D
    p_g: Line2D
    d: Line2D
    d_star: Line2D
    half: Line2D

    def update(self, snap: Mapping[str, np.ndarray], rescale: bool = True) -> bool:
        """Show ``snap``; returns False (and changes nothing) if its densities hold NaN or inf.

        A snapshot of a minibatch-D run has no finite D(x): then D is hidden, not drawn as
        garbage. ``rescale`` fits the density axis to the curves (:func:`density_top`); a live
        plot or a row of panels with one scale keeps it fixed instead.
        """
        s = _check_snapshot(snap)
        if not all(np.isfinite(s[k]).all() for k in ("x", "p_data", "p_g")):
            return False
        for name in ("p_data", "p_g"):
            getattr(self, name).set_data(s["x"], s[name])
        d_ok = bool(np.isfinite(s["d"]).all())
        self.d.set_data(s["x"], s["d"] if d_ok else np.full_like(s["x"], np.nan))
        self.d.set_visible(d_ok)
        self.d_star.set_data(s["x"], np.nan_to_num(s["d_star"], nan=0.5))
        self.half.set_xdata([s["x"][0], s["x"][-1]])
        if rescale:
            self.ax.set_ylim(0.0, density_top([s]))
        return True

    @property
    def lines(self) -> list[Line2D]:
        """The five lines, in legend order."""
        return [self.p_data, self.p_g, self.d, self.d_star, self.half]


def draw_stage(
    ax: Axes,
    snap: Mapping[str, np.ndarray],
    title: str | None = None,
    legend: bool = True,
    xlim: tuple[float, float] | None = None,
    top: float | None = None,
) -> StageArtists:
    """Draw one Figure-1 panel of ``snap`` (from :meth:`ToyGAN.snapshot`) on ``ax``.

    Parameters
    ----------
    ax : Axes
        Gets the densities; a twin right-hand axis is added for D.
    snap : mapping
        ``x``, ``p_data``, ``p_g``, ``d``, ``d_star``, each of shape ``(G,)``.
    title : str, optional
    legend : bool
        Put one legend for all five lines on ``ax``.
    xlim : (float, float), optional
        Default: :func:`support_limits` of ``p_data``.
    top : float, optional
        Top of the density axis (default: fitted to this panel, :func:`density_top`).
    """
    s = _check_snapshot(snap)
    ax_d = ax.twinx()
    # D's axis is [0, 1]: a least-squares D is a regression output, not a probability, and may
    # leave it (off the data's support); the figure clips it there
    ax_d.set_ylim(-0.02, 1.02)
    ax_d.set_ylabel("D(x)", color=STYLE["d"]["color"])
    lines = {name: ax.plot(s["x"], s[name], **STYLE[name])[0] for name in ("p_data", "p_g")}
    for name in ("d", "d_star"):
        lines[name] = ax_d.plot(s["x"], s[name], **STYLE[name])[0]
    lines["half"] = ax_d.plot([s["x"][0], s["x"][-1]], [0.5, 0.5], **STYLE["half"])[0]
    artists = StageArtists(ax=ax, ax_d=ax_d, **lines)
    artists.update(s, rescale=top is None)
    if top is not None:
        ax.set_ylim(0.0, top)
    ax.set_xlim(*(xlim if xlim is not None else support_limits(s["x"], s["p_data"])))
    ax.set_ylabel("density")
    if title:
        ax.set_title(title)
    if legend:
        ax.legend(handles=artists.lines, loc="upper left")
    return artists


def noise_positions(z: np.ndarray, noise: str, xlim: tuple[float, float]) -> np.ndarray:
    """Where noise values sit on the drawn z line, which spans the panel's x-range.

    Uniform noise fills the line from z = 0 to z = 1; normal noise from -3 to 3.
    """
    lo, hi = (0.0, 1.0) if noise == "uniform" else (-3.0, 3.0)
    return xlim[0] + (np.asarray(z, dtype=np.float64) - lo) / (hi - lo) * (xlim[1] - xlim[0])


@dataclass
class ArrowArtists:
    """The paper's lower panel: arrows from the z line (bottom) to the x line (top)."""

    ax: Axes
    shafts: LineCollection
    heads: Line2D
    noise: str

    def update(self, snap: Mapping[str, np.ndarray]) -> bool:
        """Point the arrows at ``snap``'s ``x_arrows``; False (no change) if they are not finite."""
        m = _arrays(snap, ("z_arrows", "x_arrows"))
        if not np.isfinite(m["x_arrows"]).all():
            return False
        start = noise_positions(m["z_arrows"], self.noise, self.ax.get_xlim())
        segments = np.stack(
            [np.c_[start, np.zeros_like(start)], np.c_[m["x_arrows"], np.ones_like(start)]], 1
        )
        self.shafts.set_segments(segments)
        self.heads.set_data(m["x_arrows"], np.ones_like(start))
        return True


def draw_arrows(
    ax: Axes, snap: Mapping[str, np.ndarray], noise: str, xlim: tuple[float, float]
) -> ArrowArtists:
    """Draw the lower panel of Figure 1 on ``ax``: z line below, x line above, x = G(z) arrows.

    The arrows start at noise values of equal probability steps (``snap["z_arrows"]``) and end at
    their images ``snap["x_arrows"]``; the x line shares ``xlim`` with the density panel above.
    """
    ax.set_xlim(*xlim)
    ax.set_ylim(-0.1, 1.3)
    ax.axhline(1.0, color="black", linewidth=1.0)
    ax.axhline(0.0, color="black", linewidth=1.0)
    ax.text(xlim[0], 1.06, " x", va="bottom", ha="left")
    lo, hi = ("0", "1") if noise == "uniform" else ("−3", "3")
    ax.text(xlim[0], 0.06, f" z = {lo}", va="bottom", ha="left")
    ax.text(xlim[1], 0.06, f"z = {hi} ", va="bottom", ha="right")
    shafts = LineCollection([], **STYLE["arrow"])
    ax.add_collection(shafts)
    (heads,) = ax.plot([], [], linestyle="none", marker="^", markersize=5, color="green")
    ax.set_yticks([])
    ax.set_xlabel("x")
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    artists = ArrowArtists(ax=ax, shafts=shafts, heads=heads, noise=noise)
    artists.update(snap)
    return artists


@dataclass
class MapArtists:
    """:math:`G(z)` against the ideal map and its mirror."""

    ax: Axes
    g_z: Line2D
    ideal: Line2D
    mirror: Line2D

    def update(self, snap: Mapping[str, np.ndarray]) -> bool:
        """Show ``snap``'s map; False (no change) if G(z) is not finite."""
        m = _arrays(snap, MAP_KEYS)
        if not np.isfinite(m["g_z"]).all():
            return False
        for name in ("g_z", "ideal", "mirror"):
            getattr(self, name).set_data(m["z"], m[name])
        return True


def draw_map(
    ax: Axes, snap: Mapping[str, np.ndarray], ylim: tuple[float, float], legend: bool = True
) -> MapArtists:
    """Draw :math:`G(z)` (green) against the ideal map :math:`F^{-1}(F_z(z))` on ``ax``.

    For uniform noise and N(4, 1.25²) the ideal map is :math:`4 + 1.25\\,\\Phi^{-1}(z)`; its
    mirror :math:`4 + 1.25\\,\\Phi^{-1}(1 - z)` (grey) is as good an answer. ``ylim`` is the
    x-range of the density panel, so both show the same stretch of x.
    """
    m = _arrays(snap, MAP_KEYS)
    lines = {
        name: ax.plot(m["z"], m[name], **STYLE[name])[0] for name in ("ideal", "mirror", "g_z")
    }
    ax.set_xlim(float(m["z"][0]), float(m["z"][-1]))
    ax.set_ylim(*ylim)
    ax.set_xlabel("z")
    ax.set_ylabel("x = G(z)")
    if legend:
        ax.legend(handles=[lines["g_z"], lines["ideal"], lines["mirror"]], loc="upper left")
    artists = MapArtists(ax=ax, **lines)
    artists.update(snap)
    return artists


def _panel_axes(fig: Figure, spec: Any, with_arrows: bool) -> tuple[Axes, Axes | None]:
    """A density axis, and below it (sharing x) a short axis for the arrows."""
    if not with_arrows:
        return fig.add_subplot(spec), None
    inner = spec.subgridspec(2, 1, height_ratios=(3.0, 1.1), hspace=0.05)
    ax = fig.add_subplot(inner[0])
    ax_arrows = fig.add_subplot(inner[1], sharex=ax)
    ax.tick_params(labelbottom=False)
    return ax, ax_arrows


def _draw_panels(
    fig: Figure,
    specs: Sequence[Any],
    snapshots: Sequence[Mapping[str, np.ndarray]],
    titles: Sequence[str],
    noise: str,
) -> list[StageArtists]:
    first = _check_snapshot(snapshots[0])
    xlim = support_limits(first["x"], first["p_data"])
    top = density_top(snapshots)
    arrows = all(has_map(s) for s in snapshots)
    stages = []
    for spec, snap, title in zip(specs, snapshots, titles, strict=True):
        ax, ax_arrows = _panel_axes(fig, spec, arrows)
        stages.append(draw_stage(ax, snap, title=title, legend=False, xlim=xlim, top=top))
        if ax_arrows is not None:
            draw_arrows(ax_arrows, snap, noise, xlim)
        else:
            ax.set_xlabel("x")
    return stages


def plot_stages(
    snapshots: Sequence[Mapping[str, np.ndarray]],
    titles: Sequence[str] | None = None,
    noise: str = "uniform",
    figsize: tuple[float, float] | None = None,
    columns: int = 2,
) -> Figure:
    """Figure 1 of the paper: the snapshots in ``columns`` columns (2 x 2 for the four stages,
    about 10 in wide so that 11 pt still reads when a notebook shrinks it to its width), one
    x-range and one density scale.

    With one-dimensional noise (snapshots holding :data:`MAP_KEYS`) each panel has the paper's
    lower panel of arrows x = G(z) below it. ``titles`` defaults to ``(a)``, ``(b)``, ... One
    legend for all panels sits below them.
    """
    if not snapshots:
        raise ValueError("snapshots must hold at least one snapshot")
    if titles is not None and len(titles) != len(snapshots):
        raise ValueError(f"got {len(titles)} titles for {len(snapshots)} snapshots")
    n = len(snapshots)
    titles = titles if titles is not None else [f"({chr(ord('a') + i)})" for i in range(n)]
    columns = min(columns, n)
    rows = -(-n // columns)
    with projector_style():
        fig = plt.figure(figsize=figsize or (5.2 * columns, 4.4 * rows), layout="constrained")
        grid = fig.add_gridspec(rows, columns)
        specs = [grid[i // columns, i % columns] for i in range(n)]
        stages = _draw_panels(fig, specs, snapshots, titles, noise)
        fig.legend(handles=stages[-1].lines, loc="outside lower center", ncol=5, frameon=False)
    return fig


def plot_filmstrip(
    snapshots: Sequence[Mapping[str, np.ndarray]],
    steps: Sequence[int],
    noise: str = "uniform",
    columns: int = 4,
) -> Figure:
    """One seeded run as a strip of panels (Figure 1's view at each of ``steps``), ``columns``
    panels a row (about 11 in wide for 4).

    Each panel shows p_data, p_g, D and D* and, with one-dimensional noise, the arrows x = G(z)
    below; every panel has the same x-range and density scale, so the eye follows p_g.
    """
    if len(snapshots) != len(steps) or not snapshots:
        raise ValueError(f"got {len(snapshots)} snapshots for {len(steps)} steps (need >= 1)")
    rows = -(-len(snapshots) // columns)
    titles = [f"step {s:,}" for s in steps]
    with projector_style():
        fig = plt.figure(figsize=(2.7 * columns, 3.3 * rows), layout="constrained")
        grid = fig.add_gridspec(rows, columns)
        specs = [grid[i // columns, i % columns] for i in range(len(snapshots))]
        stages = _draw_panels(fig, specs, snapshots, titles, noise)
        last = len(stages) - 1
        for i, st in enumerate(stages):  # the axis labels on the outer panels of each row only
            if i % columns != 0:
                st.ax.set_ylabel("")
            if i % columns != columns - 1 and i != last:
                st.ax_d.set_ylabel("")
        fig.legend(handles=stages[-1].lines, loc="outside lower center", ncol=5, frameon=False)
    return fig


def plot_snapshot(
    snap: Mapping[str, np.ndarray],
    noise: str = "uniform",
    title: str | None = None,
    legend_loc: str = "upper left",
) -> Figure:
    """One state of a run: Figure 1's panel (with the arrows for 1-D noise) and G's map.

    ``legend_loc`` places the panel's legend (a matplotlib location), or ``"below"``: under the
    figure, where it covers nothing (for a target with mass on the left, such as the bimodal).
    """
    one_d = has_map(snap)
    with projector_style():
        fig = plt.figure(figsize=(11.0 if one_d else 6.0, 4.6), layout="constrained")
        grid = fig.add_gridspec(1, 2 if one_d else 1, width_ratios=(1.5, 1.0) if one_d else None)
        (stage,) = _draw_panels(fig, [grid[0, 0]], [snap], [title or ""], noise)
        if legend_loc == "below":
            fig.legend(handles=stage.lines, loc="outside lower center", ncol=5, frameon=False)
        else:
            stage.ax.legend(handles=stage.lines, loc=legend_loc)
        if one_d:
            ax_map = fig.add_subplot(grid[0, 1])
            draw_map(ax_map, snap, stage.ax.get_xlim())
            ax_map.set_title("G(z) and the ideal map")
    return fig


def plot_problem(target: Density, x: np.ndarray, z: np.ndarray) -> Figure:
    """The problem: samples of the data and of the (uniform) noise, and the map G has to learn.

    ``x`` and ``z`` are samples ``(n,)``; the ideal map :math:`F^{-1}(z)` and its mirror
    :math:`F^{-1}(1 - z)` come from :func:`ganlib.toy.distributions.ideal_map`.
    """
    grid = np.linspace(target.mean - 4 * target.std, target.mean + 4 * target.std, 400)
    with projector_style():
        fig, axes = plt.subplots(1, 3, figsize=(11.0, 3.6), layout="constrained")
        axes[0].hist(x, bins=60, density=True, color="0.8", label=f"{len(x):,} draws")
        axes[0].plot(grid, target.pdf(grid), **{**STYLE["p_data"], "label": r"$p_{data}$ exact"})
        axes[0].set_title(rf"the data: $\mathcal{{N}}({target.mean:g}, {target.std:g}^2)$")
        axes[0].legend()
        axes[1].hist(z, bins=40, density=True, color="0.8")
        axes[1].set_title(r"the noise: $z \sim U[0, 1)$")
        u = np.linspace(0.002, 0.998, 400)
        axes[2].plot(u, ideal_map(target, "uniform", u), **STYLE["ideal"])
        axes[2].plot(u, quantile(target, 1.0 - u), **STYLE["mirror"])
        axes[2].set_title(r"the ideal G: $4 + 1.25\,\Phi^{-1}(z)$")
        axes[2].set_xlabel("z")
        axes[2].set_ylabel("x")
        axes[2].legend()
    return fig


def _curves(history: Any) -> dict[str, np.ndarray]:
    """``history`` (a ToyHistory or a mapping of lists) as float arrays, step first."""
    data = history.as_dict() if hasattr(history, "as_dict") else dict(history)
    needed = ("step", "mean", "std", "js", "d_loss", "g_loss")
    missing = [k for k in needed if k not in data]
    if missing:
        raise ValueError(f"history is missing {missing}; it needs {needed}")
    return {k: np.asarray(v, dtype=np.float64) for k, v in data.items()}


def plot_traces(
    history: Any,
    target: Density,
    loss: str = "non-saturating",
    figsize: tuple[float, float] = (11.0, 4.0),
) -> Figure:
    r"""The training curves, in three panels, each with the values it should reach.

    1. generated mean and std against generator steps, with the target's exact mean and std;
    2. :math:`\mathrm{JS}(p_\text{data} \| p_g)` in nats on a log scale;
    3. D's and G's losses, with their values at the equilibrium for ``loss``
       (:data:`ganlib.core.losses.EQUILIBRIUM`: :math:`\ln 4` and :math:`\ln 2` for the
       non-saturating loss, :math:`\ln 4` and :math:`-\ln 2` for the minimax loss).
    """
    check_choice("loss", loss, LOSSES)
    c = _curves(history)
    with projector_style():
        fig, (ax_m, ax_js, ax_l) = plt.subplots(1, 3, figsize=figsize, layout="constrained")
        step = c["step"]
        ax_m.plot(step, c["mean"], color="C0", label="mean of G(z)")
        ax_m.plot(step, c["std"], color="C1", label="std of G(z)")
        ax_m.axhline(target.mean, color="C0", **reference_style(f"target mean {target.mean:.3g}"))
        ax_m.axhline(target.std, color="C1", **reference_style(f"target std {target.std:.3g}"))
        ax_m.set_title("generated mean and std")
        js = np.where(c["js"] > 0, c["js"], np.nan)  # a log axis cannot show 0
        ax_js.plot(step, js, color="purple", label="JS estimate")
        ax_js.set_yscale("log")
        ax_js.set_title(r"JS$(p_{data} \| p_g)$ (nats)")
        _loss_panel(ax_l, step, c, loss)
        for ax in (ax_m, ax_js, ax_l):
            ax.set_xlabel("generator step")
            ax.legend()
    return fig


def _loss_panel(ax: Axes, step: np.ndarray, c: dict[str, np.ndarray], loss: str) -> None:
    d_eq, g_eq = EQUILIBRIUM[loss]
    # Okabe-Ito blue and orange: a pair that colour-blind readers tell apart
    ax.plot(step, c["d_loss"], color=OKABE_ITO_BLUE, label="D loss")
    ax.plot(step, c["g_loss"], color=OKABE_ITO_ORANGE, label="G loss")
    ax.axhline(d_eq, color=OKABE_ITO_BLUE, **reference_style(f"D at equilibrium {d_eq:.3f}"))
    ax.axhline(g_eq, color=OKABE_ITO_ORANGE, **reference_style(f"G at equilibrium {g_eq:.3f}"))
    ax.set_title(f"losses ({loss})")


def reference_style(label: str | None = None) -> dict[str, Any]:
    """Keyword arguments of a reference line (``STYLE["reference"]`` without its colour).

    The caller picks the colour (that of the curve the line refers to); ``label`` is added when
    given, e.g. ``ax.axhline(4.0, color="C0", **reference_style("target mean 4"))``.
    """
    style = {k: v for k, v in STYLE["reference"].items() if k != "color"}
    return style if label is None else {**style, "label": label}
