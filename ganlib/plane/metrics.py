r"""How much of the target a generator covers, measured on samples (notebook 03).

The measures of the mode-collapse literature (Metz et al. 2016; Srivastava et al. 2017,
VEEGAN; Lin et al. 2018, PacGAN), for a target of :math:`K` Gaussians of common std
:math:`\sigma` (:class:`ganlib.plane.targets.PlaneMixture`):

* a sample is **high quality** when it lies within :math:`3\sigma` of some mode centre
  :math:`\mu_k` (a real sample does with probability :math:`1 - e^{-9/2} = 98.9\%`: the
  radius of a 2-D Gaussian is Rayleigh-distributed);
* a mode is **covered** when at least :math:`1/(4K)` of the samples are high-quality samples of
  *that* mode (a quarter of its fair share :math:`1/K`);
* the **Jensen-Shannon divergence**, estimated with the 2-D KDE of :mod:`ganlib.plane.kde`.

The first two see only where samples land, not how they are spread inside a mode; JS sees both,
so a run is judged on all three (their independence is what the tests exercise).
"""

from __future__ import annotations

import math

import numpy as np

from ganlib.plane.kde import js_from_samples
from ganlib.plane.targets import PlaneMixture

QUALITY_RADIUS = 3.0  # in units of σ
COVERED_FRACTION = 0.25  # of a mode's fair share 1/K


def nearest_modes(samples: np.ndarray, target: PlaneMixture) -> tuple[np.ndarray, np.ndarray]:
    """For each sample ``(n, 2)``: the index of the nearest mode and its distance, ``(n,)`` each.

    Non-finite samples get index -1 and distance inf.
    """
    xy = np.asarray(samples, dtype=np.float64).reshape(-1, 2)
    index = np.full(len(xy), -1, dtype=np.int64)
    dist = np.full(len(xy), np.inf)
    ok = np.isfinite(xy).all(axis=1)
    if ok.any():
        d2 = ((xy[ok, None, :] - target.means[None, :, :]) ** 2).sum(axis=-1)  # (n_ok, K)
        index[ok] = d2.argmin(axis=1)
        dist[ok] = np.sqrt(d2[np.arange(len(d2)), index[ok]])
    return index, dist


def mode_counts(samples: np.ndarray, target: PlaneMixture) -> np.ndarray:
    r"""How many samples are high-quality samples of each mode: ``(K,)`` integers.

    A sample counts for its nearest mode when it lies within :data:`QUALITY_RADIUS` σ of it.
    """
    index, dist = nearest_modes(samples, target)
    good = dist <= QUALITY_RADIUS * target.std
    return np.bincount(index[good], minlength=target.n_modes)


def mode_metrics(samples: np.ndarray, target: PlaneMixture) -> dict[str, float]:
    r"""``modes``: modes covered (0 to K); ``hq``: the share of high-quality samples (0 to 1).

    .. math::
        \text{modes} = \#\{k : c_k \ge n / (4K)\}, \qquad \text{hq} = \tfrac1n \sum_k c_k,

    with :math:`c_k` = :func:`mode_counts`, :math:`n` the number of samples.
    """
    counts = mode_counts(samples, target)
    n = len(np.asarray(samples).reshape(-1, 2))
    if n == 0:
        raise ValueError("samples must not be empty")
    covered = int(np.sum(counts >= COVERED_FRACTION * n / target.n_modes))
    return {"modes": float(covered), "hq": float(counts.sum() / n)}


def evaluate_samples(samples: np.ndarray, target: PlaneMixture) -> dict[str, float]:
    """Modes covered, high-quality share and estimated JS (nats) of generator samples ``(n, 2)``.

    Non-finite samples are never high quality; if any is present JS is NaN (nothing to smooth).
    """
    out = mode_metrics(samples, target)
    finite = bool(np.isfinite(samples).all())
    out["js"] = js_from_samples(samples, target) if finite else math.nan
    return out


def dominant_mode(samples: np.ndarray, target: PlaneMixture) -> tuple[int, float]:
    """The mode nearest to the most samples, and the share of samples nearest to it.

    Unlike :func:`mode_counts` this ignores the 3σ radius: a collapsed generator whose samples
    sit in a streak *beside* a mode still has a dominant mode, which shows where it is and
    when it hops (notebook 03). Returns ``(-1, 0.0)`` if no sample is finite.
    """
    index, _ = nearest_modes(samples, target)
    index = index[index >= 0]
    if index.size == 0:
        return -1, 0.0
    counts = np.bincount(index, minlength=target.n_modes)
    top = int(counts.argmax())
    return top, float(counts[top] / len(np.asarray(samples).reshape(-1, 2)))


def mode_widths(samples: np.ndarray, target: PlaneMixture) -> np.ndarray:
    r"""The widths of the modes as G draws them: ``(K, 2)`` standard deviations, in units of σ.

    For each mode, the standard deviations of its high-quality samples along their two
    principal axes (smaller first); NaN for a mode with fewer than 3 such samples. Samples of
    the target itself give about 0.97 on both axes (a 2-D Gaussian cut at 3σ:
    :math:`E[x_1^2] = \sigma^2 (1 - 5.5 e^{-4.5}) / (1 - e^{-4.5})`). A generator that squeezes
    each mode into a smaller blob or a streak has every sample "high quality" and still
    differs from the data: JS sees it, the high-quality share does not (notebook 03).
    """
    index, dist = nearest_modes(samples, target)
    xy = np.asarray(samples, dtype=np.float64).reshape(-1, 2)
    good = dist <= QUALITY_RADIUS * target.std
    widths = np.full((target.n_modes, 2), np.nan)
    for k in range(target.n_modes):
        pts = xy[good & (index == k)]
        if len(pts) >= 3:
            cov = np.cov((pts - target.means[k]).T)
            widths[k] = np.sqrt(np.clip(np.linalg.eigvalsh(cov), 0.0, None)) / target.std
    return widths
