"""The Fréchet distance between two sets of features (notebook 04; the recipe of the FID).

Fit a Gaussian to each set and compare them with the closed-form 2-Wasserstein distance between
Gaussians. The FID of the literature (Heusel et al. 2017) is this distance on Inception
features; notebook 04 uses the features of its own MNIST judges (:mod:`ganlib.mnist.classifier`),
so the numbers are not comparable with published FIDs.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["frechet_distance", "frechet_distance_from_statistics", "gaussian_statistics"]


def _as_matrix(x: np.ndarray | torch.Tensor, name: str) -> np.ndarray:
    """(N, ...) array or tensor -> float64 (N, D) numpy matrix."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    x = np.asarray(x, dtype=np.float64)
    if x.ndim < 2 or x.shape[0] == 0:
        raise ValueError(f"{name} must have shape (N, D) (one row per sample), got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} holds NaN or inf; the features (or the images) are broken")
    return x.reshape(len(x), -1)


def gaussian_statistics(feats: np.ndarray | torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Mean (D,) and unbiased covariance (D, D) of features (N, D), in float64."""
    x = _as_matrix(feats, "feats")
    if len(x) < 2:
        raise ValueError(f"need at least 2 feature vectors for a covariance, got {len(x)}")
    return x.mean(axis=0), np.cov(x, rowvar=False).reshape(x.shape[1], x.shape[1])


def _psd_sqrt(cov: np.ndarray) -> np.ndarray:
    """Symmetric square root of a positive semi-definite matrix via ``eigh``."""
    w, v = np.linalg.eigh(cov)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def frechet_distance_from_statistics(
    mu_a: np.ndarray, cov_a: np.ndarray, mu_b: np.ndarray, cov_b: np.ndarray
) -> float:
    """Fréchet (2-Wasserstein squared) distance between two Gaussians.

    .. math::

        d^2 = \\lVert \\mu_a - \\mu_b \\rVert^2
              + \\operatorname{tr}\\big(\\Sigma_a + \\Sigma_b - 2 (\\Sigma_a \\Sigma_b)^{1/2}\\big)

    The trace of :math:`(\\Sigma_a \\Sigma_b)^{1/2}` equals the sum of the square roots of the
    eigenvalues of the symmetric PSD matrix :math:`\\Sigma_a^{1/2} \\Sigma_b \\Sigma_a^{1/2}`,
    which ``eigh`` computes stably (no complex parts, unlike a general ``sqrtm``).
    """
    mu_a, mu_b = np.asarray(mu_a, np.float64), np.asarray(mu_b, np.float64)
    cov_a, cov_b = np.atleast_2d(cov_a).astype(np.float64), np.atleast_2d(cov_b).astype(np.float64)
    if mu_a.shape != mu_b.shape or cov_a.shape != cov_b.shape or cov_a.shape != mu_a.shape * 2:
        raise ValueError(
            f"shapes do not match: mu {mu_a.shape} vs {mu_b.shape}, cov {cov_a.shape} vs "
            f"{cov_b.shape}; expected (D,) means and (D, D) covariances"
        )
    root_a = _psd_sqrt(cov_a)
    middle = root_a @ cov_b @ root_a
    trace_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0.0, None)).sum()
    diff = mu_a - mu_b
    return float(diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2.0 * trace_sqrt)


def frechet_distance(
    feats_a: np.ndarray | torch.Tensor, feats_b: np.ndarray | torch.Tensor
) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (N_a, D) and (N_b, D).

    See :func:`frechet_distance_from_statistics`. It is 0 only when both sets have the same
    mean and covariance; like the FID it is biased upwards for small N (two independent
    samples of one distribution give a positive value, shrinking roughly like 1/N).
    """
    a, b = _as_matrix(feats_a, "feats_a"), _as_matrix(feats_b, "feats_b")
    try:
        with np.errstate(over="raise", invalid="raise"):
            return frechet_distance_from_statistics(
                *gaussian_statistics(a), *gaussian_statistics(b)
            )
    except FloatingPointError as err:
        raise ValueError(
            f"feats_a and feats_b: their statistics overflow float64 ({err}); features of "
            "this size are not a network's activations"
        ) from None
