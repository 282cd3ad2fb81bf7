r"""The short seeded experiments behind notebook 02's exercises, and their figures.

Each exercise of notebook 02 runs one of these, commits its figure and asserts its observation,
so that a reader without a kernel sees the evidence, and the live dashboard is left alone:

1. a discriminator that learns much faster than G (only ``lr_d`` changes): :func:`run_all`;
2. the saturating (minimax) loss from a bad start: :func:`bad_start`,
   :func:`generator_gradient_norm`;
3. five D steps per G step (:math:`k = 5`) against :math:`k = 1` for a slow D: :func:`run_all`;
4. a two-bump target: :func:`mass_shares`.

:func:`plot_runs` draws the curves of several runs side by side; :func:`median_between` reads a
curve over a window of steps. :func:`run_measuring_g` measures G itself beside its moving average
on one run (the ablation of notebook 02's section 3).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from ganlib.core.device import make_generator
from ganlib.core.losses import generator_loss
from ganlib.toy.plots import projector_style, reference_style
from ganlib.toy.training import ToyGAN, ToyGANConfig, ToyHistory


def run_all(
    configs: Mapping[str, ToyGANConfig], steps: int, record_every: int = 25
) -> dict[str, ToyGAN]:
    """Train one :class:`ToyGAN` per named config for ``steps`` generator steps."""
    runs = {}
    for name, config in configs.items():
        gan = ToyGAN(config)
        gan.train(steps, record_every=record_every)
        runs[name] = gan
    return runs


def run_measuring_g(
    config: ToyGANConfig, steps: int, record_every: int = 100
) -> tuple[ToyGAN, ToyHistory]:
    """Train ``config`` as :func:`run_all` does, and measure G itself beside its moving average.

    The moving average of G's weights changes nothing in training (``ema_decay=0`` trains
    exactly the same G), so one run gives both: the trained :class:`ToyGAN`, whose history
    measures the average (:attr:`ToyGAN.G_eval`), and a :class:`ToyHistory` of G itself at the
    same steps, its ``mean``, ``std`` and ``js`` on :data:`JS_SAMPLES` draws of one fixed noise
    sample (its own seeded stream, so the training is untouched; the other fields stay empty).
    Notebook 02's ablation uses it for "no moving average".
    """
    gan = ToyGAN(config)
    itself = ToyHistory()

    def measure() -> None:
        # the same noise every time: a fresh stream of its own seed, not the history's
        measured = gan.evaluate(generator=make_generator(config.seed + 4), net=gan.G)
        itself.step.append(gan.step)
        for field in ("mean", "std", "js"):
            getattr(itself, field).append(measured[field])

    measure()
    while gan.step < steps and gan.diverged is None:
        gan.train(min(record_every, steps - gan.step), record_every=record_every)
        measure()
    return gan, itself


def median_between(history: ToyHistory, field: str, first: int, last: int) -> float:
    """The median of ``history.<field>`` over the records with ``first <= step <= last``."""
    steps = np.asarray(history.step)
    values = np.asarray(getattr(history, field), dtype=np.float64)
    window = values[(steps >= first) & (steps <= last)]
    if window.size == 0:
        raise ValueError(f"no record of {field} between steps {first} and {last}")
    return float(np.median(window))


def bad_start(config: ToyGANConfig, d_steps: int) -> ToyGAN:
    """A bad start: a fresh game whose D has taken ``d_steps`` steps alone against G's samples."""
    gan = ToyGAN(config)
    for _ in range(d_steps):
        gan.step_d()
    return gan


def generator_gradient_norm(gan: ToyGAN, loss: str, z: torch.Tensor) -> float:
    r""":math:`\lVert \nabla_{\theta_G} L_G \rVert` for ``loss`` on the noise ``z`` (no step)."""
    value = generator_loss(gan.D(gan.G(z)), loss)
    grads = torch.autograd.grad(value, list(gan.G.parameters()))
    return float(torch.sqrt(sum((g**2).sum() for g in grads)))


def mass_shares(samples: np.ndarray, edges: Sequence[float]) -> np.ndarray:
    """The share of ``samples`` in each interval between consecutive ``edges`` (and beyond).

    ``edges = (a, b)`` gives the shares below a, in [a, b], and above b.
    """
    x = np.asarray(samples, dtype=np.float64).reshape(-1)
    bins = np.searchsorted(np.asarray(edges, dtype=np.float64), x, side="right")
    return np.bincount(bins, minlength=len(edges) + 1) / max(len(x), 1)


def plot_runs(
    runs: Mapping[str, ToyGAN | ToyHistory],
    fields: Sequence[tuple[str, str, bool]],
    references: Mapping[str, float] | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """The curves of several runs, one panel per ``(field, title, log_scale)`` of the history.

    Each run is a :class:`ToyGAN` or a history (e.g. the G-itself history of
    :func:`run_measuring_g`).

    ``references`` draws a dashed line per field (e.g. the target's mean, a loss's value at the
    equilibrium).
    """
    references = dict(references or {})
    with projector_style():
        size = figsize or (4.6 * len(fields), 3.6)
        fig, axes = plt.subplots(1, len(fields), figsize=size, layout="constrained", squeeze=False)
        for ax, (field, title, log) in zip(axes[0], fields, strict=True):
            for i, (name, run) in enumerate(runs.items()):
                history = run.history if isinstance(run, ToyGAN) else run
                _plot_field(ax, history, field, f"C{i}", name, log)
            if field in references:
                ax.axhline(references[field], color="grey", **reference_style("equilibrium"))
            ax.set_title(title)
            ax.set_xlabel("generator step")
            ax.legend()
    return fig


def _plot_field(
    ax: Any, history: ToyHistory, field: str, colour: str, label: str, log: bool
) -> None:
    y = np.asarray(getattr(history, field), dtype=np.float64)
    if log:
        y = np.where(y > 0, y, np.nan)
        ax.set_yscale("log")
    ax.plot(history.step, y, color=colour, label=label)


def plot_gradient_norms(norms: Mapping[str, float]) -> Figure:
    """A bar per loss: the norm of G's gradient, on a log scale."""
    with projector_style():
        fig, ax = plt.subplots(figsize=(4.6, 3.6), layout="constrained")
        ax.bar(list(norms), list(norms.values()), color=["C3", "C0"][: len(norms)])
        ax.set_yscale("log")
        ax.set_ylabel(r"$\|\nabla_{\theta_G} L_G\|$")
        ax.set_title("G's gradient at the bad start")
    return fig
