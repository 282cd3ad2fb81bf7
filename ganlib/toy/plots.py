r"""Figure-1 style plots of the 1-D toy GAN and its training curves (notebook 02).

Goodfellow et al. 2014 draw the game on one axis: the data density :math:`p_\text{data}`
(black, dashed), the generator's density :math:`p_g` (green) and the discriminator
:math:`D(x)` (blue), in four stages (a)–(d). Here :math:`D` gets its own right-hand axis,
from 0 to 1, with the line :math:`D = 1/2` it should reach at the equilibrium, and the optimal
discriminator for the current generator,

.. math::
    D^*(x) = \frac{p_\text{data}(x)}{p_\text{data}(x) + p_g(x)},

as a thin dashed line, so the learner sees how far the trained D is from the best one.

:func:`draw_stage` returns a :class:`StageArtists` whose :meth:`StageArtists.update` moves the
same lines to new data; notebook 02's live dashboard (:mod:`ganlib.toy.dashboard`) uses it to update
one persistent figure in place. :func:`plot_stages` draws four snapshots side by side and
:func:`plot_traces` the curves of a :class:`ganlib.toy.training.ToyHistory`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

#: Line styles of Figure 1 (plus D*, the D = 1/2 line and the traces' reference lines).
STYLE: dict[str, dict[str, Any]] = {
    "p_data": {"color": "black", "linestyle": "--", "linewidth": 1.8, "label": r"$p_{data}$"},
    "p_g": {"color": "green", "linestyle": "-", "linewidth": 2.0, "label": r"$p_g$"},
    "d": {"color": "blue", "linestyle": "-", "linewidth": 1.8, "label": r"$D(x)$"},
    "d_star": {"color": "blue", "linestyle": "--", "linewidth": 0.8, "label": r"$D^*(x)$"},
    "half": {"color": "grey", "linestyle": ":", "linewidth": 1.0, "label": r"$D = 1/2$"},
    "reference": {"color": "grey", "linestyle": "--", "linewidth": 1.0},
}
SNAPSHOT_KEYS = ("x", "p_data", "p_g", "d", "d_star")
DENSITY_CLIP = 3.0  # the density axis shows at most this multiple of p_data's peak


def _check_snapshot(snap: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    missing = [k for k in SNAPSHOT_KEYS if k not in snap]
    if missing:
        raise ValueError(f"snapshot is missing {missing}; it needs the keys {SNAPSHOT_KEYS}")
    arrays = {k: np.asarray(snap[k], dtype=np.float64).reshape(-1) for k in SNAPSHOT_KEYS}
    n = len(arrays["x"])
    if any(len(a) != n for a in arrays.values()):
        raise ValueError("snapshot arrays must all have the shape of snap['x'] (G,)")
    return arrays


def support_limits(x: np.ndarray, p_data: np.ndarray, rel: float = 1e-3) -> tuple[float, float]:
    """The x-range where ``p_data`` exceeds ``rel`` × its peak, widened by 15 % on each side."""
    inside = x[p_data > rel * np.max(p_data)]
    if inside.size == 0:
        return float(x[0]), float(x[-1])
    lo, hi = float(inside.min()), float(inside.max())
    pad = 0.15 * (hi - lo)
    return max(lo - pad, float(x[0])), min(hi + pad, float(x[-1]))


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
        """Show ``snap``; returns False (and changes nothing) if it holds NaN or inf.

        A snapshot of a diverged or minibatch-D run has no finite D(x): then D is hidden, not
        drawn as garbage, and the densities are still shown if they are finite. ``rescale``
        fits the density axis to the curves (a live plot keeps it fixed instead).
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
        if not rescale:
            return True
        # a collapsed p_g is a tall spike: clip it at 3 x the peak of p_data so p_data stays visible
        peak = float(s["p_data"].max())
        top = min(max(peak, float(s["p_g"].max())), DENSITY_CLIP * peak) if peak > 0 else 1.0
        self.ax.set_ylim(0.0, 1.1 * top)
        return True


def draw_stage(
    ax: Axes,
    snap: Mapping[str, np.ndarray],
    title: str | None = None,
    legend: bool = True,
    xlim: tuple[float, float] | None = None,
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
    """
    s = _check_snapshot(snap)
    ax_d = ax.twinx()
    ax_d.set_ylim(-0.02, 1.02)
    ax_d.set_ylabel("D(x)", color=STYLE["d"]["color"])
    lines = {name: ax.plot(s["x"], s[name], **STYLE[name])[0] for name in ("p_data", "p_g")}
    for name in ("d", "d_star"):
        lines[name] = ax_d.plot(s["x"], s[name], **STYLE[name])[0]
    lines["half"] = ax_d.plot([s["x"][0], s["x"][-1]], [0.5, 0.5], **STYLE["half"])[0]
    artists = StageArtists(ax=ax, ax_d=ax_d, **lines)
    artists.update(s)
    ax.set_xlim(*(xlim if xlim is not None else support_limits(s["x"], s["p_data"])))
    ax.set_xlabel("x")
    ax.set_ylabel("density")
    if title:
        ax.set_title(title)
    if legend:
        ax.legend(handles=list(lines.values()), loc="upper left", fontsize="small")
    return artists


def plot_stages(
    snapshots: Sequence[Mapping[str, np.ndarray]],
    titles: Sequence[str] | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Figure 1 of the paper: the snapshots side by side, all with the same x-range.

    ``titles`` defaults to ``(a)``, ``(b)``, ... One legend for all panels sits below them.
    """
    if not snapshots:
        raise ValueError("snapshots must hold at least one snapshot")
    if titles is not None and len(titles) != len(snapshots):
        raise ValueError(f"got {len(titles)} titles for {len(snapshots)} snapshots")
    n = len(snapshots)
    titles = titles if titles is not None else [f"({chr(ord('a') + i)})" for i in range(n)]
    fig, axes = plt.subplots(1, n, figsize=figsize or (4.0 * n, 3.4), squeeze=False)
    first = _check_snapshot(snapshots[0])
    xlim = support_limits(first["x"], first["p_data"])
    for ax, snap, title in zip(axes[0], snapshots, titles, strict=True):
        art = draw_stage(ax, snap, title=title, legend=False, xlim=xlim)
    handles = [art.p_data, art.p_g, art.d, art.d_star, art.half]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), frameon=False)
    fig.tight_layout(rect=(0.0, 0.08, 1.0, 1.0))
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
    target_mean: float = 4.0,
    target_std: float = 1.25,
    figsize: tuple[float, float] = (13.0, 3.4),
) -> Figure:
    r"""The training curves the reference post shows, in three panels.

    1. generated mean and std against generator steps, with the target's 4.0 and 1.25;
    2. :math:`\mathrm{JS}(p_\text{data} \| p_g)` in nats on a log scale;
    3. D's loss (:math:`\ln 4 \approx 1.386` at the equilibrium) and G's loss (the
       non-saturating :math:`-\log D(G(z))` is :math:`\ln 2 \approx 0.693` there).
    """
    c = _curves(history)
    fig, (ax_m, ax_js, ax_l) = plt.subplots(1, 3, figsize=figsize)
    step = c["step"]
    ax_m.plot(step, c["mean"], color="C0", label="mean of G(z)")
    ax_m.plot(step, c["std"], color="C1", label="std of G(z)")
    ax_m.axhline(target_mean, color="C0", **reference_style(f"target mean {target_mean:g}"))
    ax_m.axhline(target_std, color="C1", **reference_style(f"target std {target_std:g}"))
    ax_m.set_title("generated mean and std")
    js = np.where(c["js"] > 0, c["js"], np.nan)  # a log axis cannot show 0
    ax_js.plot(step, js, color="purple", label="JS estimate")
    ax_js.set_yscale("log")
    ax_js.set_title(r"JS$(p_{data} \| p_g)$ (nats)")
    ax_l.plot(step, c["d_loss"], color="C3", label="D loss")
    ax_l.plot(step, c["g_loss"], color="C2", label="G loss")
    ax_l.axhline(math.log(4.0), color="C3", **reference_style("ln 4"))
    ax_l.axhline(math.log(2.0), color="C2", **reference_style("ln 2"))
    ax_l.set_title("losses")
    for ax in (ax_m, ax_js, ax_l):
        ax.set_xlabel("generator step")
        ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def reference_style(label: str | None = None) -> dict[str, Any]:
    """Keyword arguments of a reference line (``STYLE["reference"]`` without its colour).

    The caller picks the colour (that of the curve the line refers to); ``label`` is added when
    given, e.g. ``ax.axhline(4.0, color="C0", **reference_style("target mean 4"))``.
    """
    style = {k: v for k, v in STYLE["reference"].items() if k != "color"}
    return style if label is None else {**style, "label": label}
