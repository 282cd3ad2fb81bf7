"""The Parzen-window log-likelihood of Table 1 of Goodfellow et al. (2014) (notebook 04).

Put an isotropic Gaussian of width σ on each generated sample (pixels in [0, 1]), choose σ on a
validation set, report the mean log-density of test digits ± its standard error. Parzen windows
in 784 dimensions are a weak density estimate (Theis et al. 2016, arXiv 1511.01844): notebook 04
prints the number beside the paper's table and beside real digits standing in for samples.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

__all__ = [
    "PAPER_SIGMAS",
    "PAPER_TABLE_1",
    "ParzenEstimate",
    "format_parzen_table",
    "pairwise_squared_distances",
    "parzen_log_likelihood",
    "parzen_log_likelihoods",
    "select_parzen_sigma",
]

#: σ grid of the paper's ``parzen_ll.py``: ``numpy.logspace(-1, 0, 10)``.
PAPER_SIGMAS: tuple[float, ...] = tuple(float(s) for s in np.logspace(-1.0, 0.0, 10))
#: The widths σ the Parzen functions accept (σ² stays a normal float64).
SIGMA_RANGE = (1e-150, 1e150)
#: Goodfellow et al. 2014, Table 1: Parzen log-likelihood (nats) on the MNIST test set.
PAPER_TABLE_1: tuple[tuple[str, float, float], ...] = (
    ("DBN", 138.0, 2.0),
    ("Stacked CAE", 121.0, 1.6),
    ("Deep GSN", 214.0, 1.1),
    ("Adversarial nets", 225.0, 2.0),
)


@dataclass(frozen=True)
class ParzenEstimate:
    """Mean log-likelihood of test points under a Parzen window, with its standard error.

    Attributes
    ----------
    mean, stderr : float
        :math:`\\bar\\ell` and :math:`\\operatorname{std}(\\ell_i) / \\sqrt{n}` (nats per image).
    sigma : float
        Width of the Gaussian kernel (pixels in [0, 1]).
    n_test, n_samples : int
        Number of test points and of kernel centres.
    """

    mean: float
    stderr: float
    sigma: float
    n_test: int
    n_samples: int

    def __str__(self) -> str:
        return f"{self.mean:.1f} ± {self.stderr:.1f} nats (σ = {self.sigma:.3f})"


def _unit_pixels(x: np.ndarray | torch.Tensor, name: str) -> torch.Tensor:
    """(N, ...) pixels in [0, 1] -> float64 tensor (N, D); anything else is a scaling mistake."""
    t = torch.as_tensor(x).detach().cpu().to(torch.float64)
    if t.dim() == 0 or len(t) == 0:
        raise ValueError(
            f"{name} must hold at least one image (N, ...), got shape {tuple(t.shape)}"
        )
    t = t.reshape(len(t), -1) if t.dim() >= 2 else t.reshape(-1, 1)
    if not torch.isfinite(t).all():
        raise ValueError(f"{name} holds NaN or inf pixels; a diverged generator's images?")
    if t.numel() and (t.min() < -1e-6 or t.max() > 1 + 1e-6):
        raise ValueError(
            f"{name} must hold pixels in [0, 1] (the protocol of the paper), found "
            f"{float(t.min()):.3g}..{float(t.max()):.3g}; map [-1, 1] images with (x + 1) / 2"
        )
    return t


def pairwise_squared_distances(
    test: torch.Tensor, samples: torch.Tensor, batch_size: int
) -> Iterator[torch.Tensor]:
    """Yield :math:`\\lVert x_i - s_j \\rVert^2` for batches of test rows, each (B, M)."""
    s_norm = (samples * samples).sum(1)
    for batch in test.split(batch_size):
        d2 = (batch * batch).sum(1)[:, None] + s_norm[None, :] - 2.0 * batch @ samples.T
        yield d2.clamp_(min=0.0)


def _check_sigmas(sigmas: float | tuple[float, ...] | np.ndarray) -> np.ndarray:
    """σ as a 1-D float64 array of finite, positive widths, else ValueError naming sigma."""
    try:
        sig = np.atleast_1d(np.asarray(sigmas, dtype=np.float64))
    except (TypeError, ValueError, OverflowError):
        raise ValueError(
            f"sigma must be a positive number (or a list of them), got {sigmas!r}"
        ) from None
    if (
        sig.ndim != 1
        or sig.size == 0
        or not np.all((sig >= SIGMA_RANGE[0]) & (sig <= SIGMA_RANGE[1]))
    ):
        raise ValueError(
            f"sigma must be finite and positive (within [{SIGMA_RANGE[0]:g}, "
            f"{SIGMA_RANGE[1]:g}], where its square neither underflows nor overflows), got {sig}"
        )
    return sig


def parzen_log_likelihoods(
    test: np.ndarray | torch.Tensor,
    samples: np.ndarray | torch.Tensor,
    sigmas: float | tuple[float, ...] | np.ndarray,
    batch_size: int = 250,
) -> np.ndarray:
    """Per-point Parzen log-densities for one or several σ, sharing the distance computation.

    .. math::

        \\ell_i(\\sigma) = \\log \\frac{1}{M} \\sum_{j=1}^{M}
            \\mathcal{N}(x_i;\\, s_j,\\, \\sigma^2 I)
        = \\operatorname{logsumexp}_j\\Big(-\\frac{\\lVert x_i - s_j\\rVert^2}{2\\sigma^2}\\Big)
          - \\log M - \\frac{D}{2} \\log(2\\pi\\sigma^2)

    Parameters
    ----------
    test : (N, ...) pixels in [0, 1]
    samples : (M, ...) pixels in [0, 1], the kernel centres (generated images)
    sigmas : float or sequence of float
    batch_size : int
        Test rows per distance block, a (batch_size, M) float64 matrix.

    Returns
    -------
    np.ndarray
        Shape (len(sigmas), N) (or (1, N) for a single σ), float64.
    """
    sig = _check_sigmas(sigmas)
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}")
    x, s = _unit_pixels(test, "test"), _unit_pixels(samples, "samples")
    if x.shape[1] != s.shape[1] or len(s) == 0:
        raise ValueError(f"test {tuple(x.shape)} and samples {tuple(s.shape)} need the same D")
    dim, m = x.shape[1], len(s)
    out = []
    for d2 in pairwise_squared_distances(x, s, batch_size):
        lse = [torch.logsumexp(-d2 / (2.0 * sg**2), dim=1) for sg in sig]
        out.append(torch.stack(lse).numpy())
    norm = math.log(m) + 0.5 * dim * np.log(2.0 * math.pi * sig**2)
    return np.concatenate(out, axis=1) - norm[:, None]


def parzen_log_likelihood(
    test: np.ndarray | torch.Tensor,
    samples: np.ndarray | torch.Tensor,
    sigma: float,
    batch_size: int = 250,
) -> ParzenEstimate:
    """Mean ± standard error of the Parzen log-likelihood of ``test`` under ``samples``.

    See :func:`parzen_log_likelihoods` for the formula; the standard error is the paper's
    ``ll.std() / sqrt(n)`` (population standard deviation). Pixels must be in [0, 1].
    """
    sig = _check_sigmas(sigma)
    if sig.size != 1:
        raise ValueError(f"sigma must be one number, got {sig}")
    sigma = float(sig[0])
    ll = parzen_log_likelihoods(test, samples, sigma, batch_size)[0]
    return ParzenEstimate(
        mean=float(ll.mean()),
        stderr=float(ll.std() / math.sqrt(len(ll))),
        sigma=float(sigma),
        n_test=len(ll),
        n_samples=len(samples),
    )


def select_parzen_sigma(
    validation: np.ndarray | torch.Tensor,
    samples: np.ndarray | torch.Tensor,
    sigmas: tuple[float, ...] | np.ndarray = PAPER_SIGMAS,
    batch_size: int = 250,
) -> tuple[float, np.ndarray]:
    """Grid search for σ: the one maximising the mean validation log-likelihood.

    Returns
    -------
    (float, np.ndarray)
        The chosen σ and the mean validation log-likelihood for every σ of the grid, shape (S,).
        The default grid is the paper's ``logspace(-1, 0, 10)``.
    """
    sig = _check_sigmas(sigmas)
    scores = parzen_log_likelihoods(validation, samples, sig, batch_size).mean(axis=1)
    return float(sig[int(np.argmax(scores))]), scores


def format_parzen_table(result: dict, data_note: str | None = None) -> str:
    """Table 1 of Goodfellow et al. (2014) with this project's Parzen number appended.

    Parameters
    ----------
    result : dict from :func:`evaluate_generator`
    data_note : what the real digits were (e.g. ``"the 1,000 held-out digits of the offline
        5k MNIST subset"``); printed under the table.
    """
    rows = [f"{'model':<24} Parzen log-likelihood (nats)"]
    rows += [f"{name:<24} {mean:>6.0f} ± {se:g}" for name, mean, se in PAPER_TABLE_1]
    ours = f"{result['parzen_mean']:>6.0f} ± {result['parzen_stderr']:.1f}"
    rows.append(f"{'this project (ganlib)':<24} {ours}")
    what = data_note or f"{result['parzen_n_test']:,} held-out real digits"
    rows += [
        "",
        "Paper: the 10,000-digit MNIST test set, σ chosen on a validation set, 10,000 samples.",
        f"Here: {what}; σ = {result['parzen_sigma']:.3f} chosen from "
        f"{len(result['parzen_sigma_grid'])} values in "
        f"[{min(result['parzen_sigma_grid']):.2g}, {max(result['parzen_sigma_grid']):.2g}] on "
        f"{result['parzen_n_validation']:,} validation digits; {result['n_samples']:,} samples.",
    ]
    if result["parzen_n_test"] < 10_000 or result["n_samples"] < 10_000:
        rows.append(
            "With fewer test digits or samples than the paper the number is not directly "
            "comparable (the estimate grows with the number of samples; the ± shrinks with "
            "more test digits)."
        )
    return "\n".join(textwrap.fill(row, 92, subsequent_indent="  ") for row in rows)
