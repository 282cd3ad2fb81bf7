"""Quality numbers for generated digits: mode coverage, Fréchet distance, Parzen likelihood.

Notebook 04 measures its generators instead of eyeballing them:

* **Mode coverage.** The classifier of :mod:`ganlib.mnist.classifier` labels every sample; the
  histogram of predicted digits shows whether all ten classes are drawn (a collapsed generator
  piles into a few bins) and its entropy summarises it (``log 10 ≈ 2.303`` nats is uniform).
* **Fréchet distance.** Gaussians fitted to the classifier's penultimate-layer features of
  generated and of held-out real digits, compared with the closed-form distance between two
  Gaussians (the recipe of the FID, with a small MNIST network instead of Inception).
* **Parzen-window log-likelihood.** The protocol of Table 1 of Goodfellow et al. (2014): put an
  isotropic Gaussian of width σ on each generated sample (pixels in [0, 1]), choose σ on a
  validation set, report the mean log-density of test digits ± its standard error.
"""

from __future__ import annotations

import math
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from scipy import stats
from torch import nn

from ganlib.core.device import make_generator
from ganlib.core.validation import check_int
from ganlib.mnist.data import NUM_CLASSES, to_signed_unit

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


# ---------------------------------------------------------------------------------------------
# Mode coverage


def label_histogram(
    labels: np.ndarray | torch.Tensor, num_classes: int = NUM_CLASSES
) -> np.ndarray:
    """Fraction of samples per predicted class.

    Parameters
    ----------
    labels : array of int, shape (N,)
        Predicted classes in ``0 .. num_classes - 1``.

    Returns
    -------
    np.ndarray
        Shape (num_classes,), float64, summing to 1: :math:`h_c = \\#\\{i: y_i = c\\} / N`.
    """
    num_classes = check_int("num_classes", num_classes, 1, 100_000)
    try:
        labels = np.asarray(torch.as_tensor(labels).cpu()).reshape(-1)
    except (TypeError, ValueError, RuntimeError) as err:
        raise ValueError(f"labels must be an array of class indices, got {err}") from None
    if labels.size == 0:
        raise ValueError("labels is empty; pass the predicted class of at least one sample")
    if labels.dtype == np.bool_ or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"labels must be integers (class indices, e.g. logits.argmax(1)), got dtype "
            f"{labels.dtype}; a value such as 1.5 is no class"
        )
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(
            f"labels must lie in 0..{num_classes - 1}, got {labels.min()}..{labels.max()}"
        )
    return np.bincount(labels.astype(np.int64), minlength=num_classes) / labels.size


def histogram_entropy(fractions: np.ndarray) -> float:
    """Entropy of a class histogram in nats.

    .. math:: H(h) = -\\sum_c h_c \\log h_c, \\qquad 0 \\le H \\le \\log K,

    with :math:`0 \\log 0 = 0`; :math:`\\log 10 \\approx 2.303` means every digit equally often,
    0 means a single digit (complete mode collapse).
    """
    try:
        h = np.asarray(fractions, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"fractions must be a 1-D histogram of numbers ({err})") from None
    ok = h.ndim == 1 and h.size > 0 and bool(np.all(np.isfinite(h))) and not np.any(h < 0)
    if not ok or not math.isclose(h.sum(), 1.0, rel_tol=1e-6):
        raise ValueError("fractions must be a 1-D histogram of non-negative values summing to 1")
    return max(0.0, float(stats.entropy(h)))  # natural log; max: no "-0.0" for a single class


# ---------------------------------------------------------------------------------------------
# Fréchet distance


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


# ---------------------------------------------------------------------------------------------
# Parzen-window log-likelihood


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


def _squared_distances(
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
    for d2 in _squared_distances(x, s, batch_size):
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


# ---------------------------------------------------------------------------------------------
# Evaluating a generator


def _as_images(x: torch.Tensor | np.ndarray, name: str) -> torch.Tensor:
    """uint8 (N, 28, 28) or float (N, 1, 28, 28) in [-1, 1] -> float32 CPU tensor in [-1, 1]."""
    t = torch.as_tensor(x).detach()
    if t.dim() == 3:
        t = t[:, None]
    if t.dim() != 4 or tuple(t.shape[1:]) != (1, 28, 28):
        raise ValueError(f"{name} must have shape (N, 1, 28, 28) in [-1, 1], got {tuple(t.shape)}")
    if isinstance(x, np.ndarray) and x.dtype == np.uint8:
        return to_signed_unit(x)
    t = t.to("cpu", torch.float32)
    if not torch.isfinite(t).all():
        raise ValueError(f"{name} holds NaN or inf pixels; a diverged generator's images?")
    if t.numel() and (t.min() < -1.0 - 1e-4 or t.max() > 1.0 + 1e-4):
        raise ValueError(
            f"{name} must be scaled to [-1, 1] like the generator's tanh output "
            f"(ganlib.mnist.data.to_signed_unit); found {float(t.min()):.3g}..{float(t.max()):.3g}"
        )
    return t


@torch.no_grad()
def generate_samples(
    generator: nn.Module,
    n: int = 10_000,
    seed: int = 0,
    batch_size: int = 1000,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Draw ``n`` images :math:`G(z)`, :math:`z \\sim \\mathcal{N}(0, I)`, in eval mode.

    Returns a float32 CPU tensor (n, 1, 28, 28) clamped to [-1, 1]. The noise comes from
    ``make_generator(seed, device)``, so the samples are the same on every call; the module's
    train/eval mode is restored afterwards.
    """
    if n < 2:
        raise ValueError(f"n={n} is too small; draw at least 2 samples (the protocol uses 10,000)")
    if device is None:
        device = next(generator.parameters()).device
    rng = make_generator(seed, device)
    was_training = generator.training
    generator.eval()
    try:
        chunks = [
            generator(torch.randn(len(b), generator.latent_dim, generator=rng, device=device))
            for b in torch.arange(n).split(batch_size)
        ]
    finally:
        generator.train(was_training)
    return torch.cat(chunks).float().clamp(-1.0, 1.0).cpu().reshape(n, 1, 28, 28)


@torch.no_grad()
def classify(
    classifier: nn.Module, images: torch.Tensor, batch_size: int = 1000
) -> tuple[np.ndarray, np.ndarray]:
    """Predicted digits (N,) and features (N, F) of images (N, 1, 28, 28) in [-1, 1]."""
    device = next(classifier.parameters()).device
    labels, feats = [], []
    for batch in images.split(batch_size):
        f = classifier.features(batch.to(device))
        logits = classifier.head(f) if hasattr(classifier, "head") else classifier(batch.to(device))
        labels.append(logits.argmax(1).cpu())
        feats.append(f.double().cpu())
    return torch.cat(labels).numpy(), torch.cat(feats).numpy()


def _halves(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A seeded random split of ``range(n)`` into two disjoint halves."""
    perm = np.random.default_rng(seed).permutation(n)
    return perm[: n // 2], perm[n // 2 :]


def evaluate_samples(
    samples: torch.Tensor | np.ndarray,
    classifier: nn.Module,
    real: torch.Tensor | np.ndarray,
    *,
    validation: torch.Tensor | np.ndarray | None = None,
    baseline: torch.Tensor | np.ndarray | None = None,
    sigmas: tuple[float, ...] | np.ndarray = PAPER_SIGMAS,
    seed: int = 0,
) -> dict:
    """All quality numbers of a set of images (N, 1, 28, 28) in [-1, 1] against real digits.

    Parameters
    ----------
    samples : the images to judge (generated, or real ones as a reference)
    classifier : an :class:`~ganlib.mnist.classifier.MNISTClassifier` (or any module with
        ``.features`` and logits from ``forward``)
    real : held-out real digits (N_r, 1, 28, 28) in [-1, 1] (or uint8 (N_r, 28, 28)): the
        Fréchet reference and the Parzen test points
    validation : real digits on which σ is chosen; ``None`` splits ``real`` into two seeded
        halves, the first choosing σ and the second scored (fewer test points)
    baseline : real digits disjoint from ``real`` (e.g. the training digits): the real-vs-real
        Fréchet baseline is the distance from them to ``real``. ``None`` uses two disjoint
        seeded halves of ``real``, a larger number because each half is small (the Fréchet
        distance of finite samples is biased upwards, roughly like 1/N).
    sigmas : the σ grid (default the paper's ``logspace(-1, 0, 10)``)
    seed : seeds the random halves of ``real``

    Returns
    -------
    dict
        See :func:`evaluate_generator`.
    """
    samples, real = _as_images(samples, "samples"), _as_images(real, "real")
    timings, start = {}, time.perf_counter()
    labels, feats = classify(classifier, samples)
    _, real_feats = classify(classifier, real)
    fractions = label_histogram(labels)
    half_a, half_b = _halves(len(real), seed)
    if baseline is None:
        base_a, base_b = real_feats[half_a], real_feats[half_b]
    else:
        base_a, base_b = classify(classifier, _as_images(baseline, "baseline"))[1], real_feats
    timings["classify_and_frechet"] = time.perf_counter() - start
    start = time.perf_counter()
    if validation is None:
        validation, test = real[half_a], real[half_b]
    else:
        validation, test = _as_images(validation, "validation"), real
    pixels = (samples.double() + 1.0) / 2.0  # the protocol's [0, 1] pixels
    sigma, scores = select_parzen_sigma((validation.double() + 1.0) / 2.0, pixels, sigmas)
    parzen = parzen_log_likelihood((test.double() + 1.0) / 2.0, pixels, sigma)
    timings["parzen"] = time.perf_counter() - start
    return {
        "n_samples": len(samples),
        "label_fractions": fractions.tolist(),
        "entropy": histogram_entropy(fractions),
        "max_entropy": math.log(NUM_CLASSES),
        "min_fraction": float(fractions.min()),
        "max_fraction": float(fractions.max()),
        "coverage_ok": bool(np.all((fractions >= 0.05) & (fractions <= 0.15))),
        "frechet_distance": frechet_distance(feats, real_feats),
        "frechet_real_baseline": frechet_distance(base_a, base_b),
        "frechet_sizes": {"samples": len(samples), "real": len(real), "baseline": len(base_a)},
        "frechet_baseline_kind": "halves of real" if baseline is None else "baseline vs real",
        "parzen_mean": parzen.mean,
        "parzen_stderr": parzen.stderr,
        "parzen_sigma": parzen.sigma,
        "parzen_sigma_grid": [float(s) for s in np.asarray(sigmas)],
        "parzen_validation_scores": scores.tolist(),
        "parzen_n_test": parzen.n_test,
        "parzen_n_validation": len(validation),
        "seconds": timings,
    }


def evaluate_generator(
    generator: nn.Module,
    classifier: nn.Module,
    real: torch.Tensor | np.ndarray,
    n: int = 10_000,
    seed: int = 0,
    *,
    train: torch.Tensor | np.ndarray | None = None,
    n_validation: int = 1000,
    sigmas: tuple[float, ...] | np.ndarray = PAPER_SIGMAS,
    device: torch.device | str | None = None,
) -> dict:
    """Draw ``n`` samples of ``generator`` and measure them (notebook 04).

    Parameters
    ----------
    generator : module mapping z (N, latent_dim) to images (N, 1, 28, 28) in [-1, 1], with a
        ``latent_dim`` attribute
    classifier : the judge, e.g. :func:`ganlib.mnist.pretrained.load_pretrained_classifier`
    real : held-out real digits (the test split), (N_r, 1, 28, 28) in [-1, 1]
    n, seed : number of samples (the protocol's 10,000) and the seed of their noise
    train : the real training digits, disjoint from ``real``. The first ``n_validation`` of
        them choose σ, and all of them give the real-vs-real Fréchet baseline (their distance
        to ``real``). ``None``: both come from two halves of ``real`` (see
        :func:`evaluate_samples`), which halves the Parzen test set.
    n_validation : how many training digits choose σ (the paper's script uses 1,000)
    sigmas, device : the σ grid; where the generator runs (default: where its weights are)

    Returns
    -------
    dict
        ``label_fractions`` (10 floats), ``entropy`` and ``max_entropy`` (nats), ``min_fraction``,
        ``max_fraction``, ``coverage_ok`` (every class within 5-15 %), ``frechet_distance`` (to
        ``real``), ``frechet_real_baseline`` (``train`` to ``real``), ``frechet_sizes``,
        ``frechet_baseline_kind``, ``parzen_mean`` ± ``parzen_stderr`` (nats) at
        ``parzen_sigma``, ``parzen_sigma_grid`` with ``parzen_validation_scores``,
        ``parzen_n_test``, ``parzen_n_validation``, ``n_samples``, ``seed``, ``seconds`` per step.
    """
    start = time.perf_counter()
    samples = generate_samples(generator, n, seed, device=device)
    sampling = time.perf_counter() - start
    validation = None
    if train is not None:
        train = _as_images(train, "train")
        if not 0 < n_validation <= len(train):
            raise ValueError(f"n_validation={n_validation} must be in 1..{len(train)}")
        validation = train[:n_validation]
    result = evaluate_samples(
        samples, classifier, real, validation=validation, baseline=train, sigmas=sigmas, seed=seed
    )
    result["seed"] = seed
    result["seconds"] = {"sampling": sampling, **result["seconds"]}
    return result


def real_data_reference(
    classifier: nn.Module,
    train: torch.Tensor | np.ndarray,
    test: torch.Tensor | np.ndarray,
    n_validation: int = 1000,
    sigmas: tuple[float, ...] | np.ndarray = PAPER_SIGMAS,
) -> dict:
    """The same numbers with real training digits standing in for the generator's samples.

    The first ``n_validation`` training digits choose σ and the others are the Parzen kernel
    centres (a digit must not be its own centre). A generator that reproduced its training
    digits exactly would score about this; it is the sanity reference printed beside a
    generator's numbers.
    """
    train = _as_images(train, "train")
    if not 0 < n_validation < len(train) - 1:
        raise ValueError(f"n_validation={n_validation} must be in 1..{len(train) - 2}")
    return evaluate_samples(
        train[n_validation:], classifier, test, validation=train[:n_validation], sigmas=sigmas
    )


# ---------------------------------------------------------------------------------------------
# Reporting


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


def format_report(result: dict, reference: dict | None = None) -> str:
    """A few lines: digit histogram, entropy, Fréchet distance beside its real-vs-real baseline."""
    pct = " ".join(f"{d}:{100 * f:4.1f}%" for d, f in enumerate(result["label_fractions"]))
    sizes = result["frechet_sizes"]
    baseline = (
        f"two disjoint halves of {sizes['baseline']:,} digits"
        if result["frechet_baseline_kind"] == "halves of real"
        else f"{sizes['baseline']:,} training digits"
    )
    lines = [
        f"predicted digits of {result['n_samples']:,} samples: {pct}",
        f"entropy {result['entropy']:.3f} nats (uniform: {result['max_entropy']:.3f}); every "
        f"class within 5-15 %: {'yes' if result['coverage_ok'] else 'no'}",
        f"Fréchet distance to {sizes['real']:,} held-out real digits "
        f"{result['frechet_distance']:.2f} (real vs real: {result['frechet_real_baseline']:.2f}, "
        f"{baseline})",
        f"Parzen log-likelihood {result['parzen_mean']:.1f} ± {result['parzen_stderr']:.1f} "
        f"nats (σ = {result['parzen_sigma']:.3f})",
    ]
    if reference is not None:
        lines.append(
            f"real training digits as samples: Fréchet {reference['frechet_distance']:.2f}, "
            f"Parzen {reference['parzen_mean']:.1f} ± {reference['parzen_stderr']:.1f} nats"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# More than one judge (notebook 04: "don't trust one judge")

#: Every digit class must take between 7 % and 13 % of the samples, by every judge.
COVERAGE_BAND: tuple[float, float] = (0.07, 0.13)


def coverage_in_band(
    fractions: np.ndarray | list[float], band: tuple[float, float] = COVERAGE_BAND
) -> bool:
    """Whether every class fraction lies in ``band`` (ends included): :math:`a \\le h_c \\le b`."""
    h = np.asarray(fractions, dtype=np.float64)
    low, high = band
    if not 0.0 <= low <= high <= 1.0:
        raise ValueError(f"band must be (low, high) with 0 <= low <= high <= 1, got {band}")
    return bool(np.all((h >= low) & (h <= high)))


def disagreement_rate(
    labels_a: np.ndarray | torch.Tensor, labels_b: np.ndarray | torch.Tensor
) -> float:
    """Fraction of images that two judges label differently.

    .. math:: r = \\frac{1}{N} \\sum_{i=1}^{N} \\mathbf{1}[a_i \\ne b_i]

    Parameters
    ----------
    labels_a, labels_b : array of int, shape (N,)
        The two judges' predicted classes of the same N images.
    """
    a = np.asarray(torch.as_tensor(labels_a).cpu()).reshape(-1)
    b = np.asarray(torch.as_tensor(labels_b).cpu()).reshape(-1)
    if a.shape != b.shape or a.size == 0:
        raise ValueError(
            f"labels_a and labels_b must be two non-empty (N,) arrays, got {a.shape} and {b.shape}"
        )
    return float(np.mean(a != b))


def evaluate_with_judges(
    samples: torch.Tensor | np.ndarray,
    judges: dict[str, nn.Module],
    held_out: torch.Tensor | np.ndarray,
    *,
    train: torch.Tensor | np.ndarray | None = None,
    band: tuple[float, float] = COVERAGE_BAND,
    seed: int = 0,
) -> dict:
    """Class histogram, coverage and Fréchet distance by every judge, and how often they differ.

    For each judge :math:`j` (a classifier with ``.features`` and ``.head``, e.g. the shipped
    ``"default"`` CNN and ``"mlp"``): the histogram :math:`h^{(j)}` of its predicted digits on
    ``samples``, whether it lies in ``band``, and the Fréchet distance between Gaussians fitted to
    its features of ``samples`` and of ``held_out`` (:func:`frechet_distance`), beside the
    real-vs-real baseline in the same space. For each pair of judges, the disagreement rate
    (:func:`disagreement_rate`) on ``samples`` and on ``held_out``: real digits set the scale
    (two good judges differ on a few per cent of real digits); a much higher rate on generated
    digits means the samples are ambiguous, and one judge's histogram is not to be trusted alone.

    Parameters
    ----------
    samples : (N, 1, 28, 28) images in [-1, 1], the generated digits
    judges : dict
        Name -> classifier module.
    held_out : (N_r, 1, 28, 28) real digits in [-1, 1] none of the judges was trained on
    train : real digits disjoint from ``held_out``: the baseline is their distance to
        ``held_out``; ``None`` uses two seeded halves of ``held_out`` (see :func:`evaluate_samples`)
    band : (low, high), the coverage band (default :data:`COVERAGE_BAND`)
    seed : seeds the halves

    Returns
    -------
    dict
        ``judges``: name -> ``label_fractions``, ``min_fraction``, ``max_fraction``,
        ``coverage_ok``, ``frechet_distance``, ``frechet_real_baseline``;
        ``disagreement``: ``"a vs b"`` -> ``{"generated": r, "real": r}``; ``coverage_ok``
        (every judge in the band); ``band``; ``n_samples``; ``n_held_out``.
    """
    if len(judges) < 1:
        raise ValueError("judges is empty; pass e.g. {'default': cnn, 'mlp': mlp}")
    samples, held_out = _as_images(samples, "samples"), _as_images(held_out, "held_out")
    base = None if train is None else _as_images(train, "train")
    half_a, half_b = _halves(len(held_out), seed)
    per_judge, labels = {}, {}
    for name, judge in judges.items():
        gen_labels, gen_feats = classify(judge, samples)
        real_labels, real_feats = classify(judge, held_out)
        base_feats = real_feats[half_a] if base is None else classify(judge, base)[1]
        fractions = label_histogram(gen_labels)
        labels[name] = (gen_labels, real_labels)
        per_judge[name] = {
            "label_fractions": fractions.tolist(),
            "min_fraction": float(fractions.min()),
            "max_fraction": float(fractions.max()),
            "coverage_ok": coverage_in_band(fractions, band),
            "frechet_distance": frechet_distance(gen_feats, real_feats),
            "frechet_real_baseline": frechet_distance(
                base_feats, real_feats if base is not None else real_feats[half_b]
            ),
        }
    names = list(judges)
    pairs = {
        f"{a} vs {b}": {
            "generated": disagreement_rate(labels[a][0], labels[b][0]),
            "real": disagreement_rate(labels[a][1], labels[b][1]),
        }
        for i, a in enumerate(names)
        for b in names[i + 1 :]
    }
    return {
        "judges": per_judge,
        "disagreement": pairs,
        "coverage_ok": all(j["coverage_ok"] for j in per_judge.values()),
        "band": list(band),
        "n_samples": len(samples),
        "n_held_out": len(held_out),
    }


# ---------------------------------------------------------------------------------------------
# Memorisation (Theis et al. 2016, arXiv 1511.01844: a Parzen score can be high for a copier)


def nearest_neighbours(
    queries: torch.Tensor | np.ndarray,
    reference: torch.Tensor | np.ndarray,
    batch_size: int = 500,
) -> tuple[np.ndarray, np.ndarray]:
    """Euclidean distance from each query image to its nearest reference image, and its index.

    .. math::
        d_i = \\min_j \\lVert q_i - r_j \\rVert_2, \\qquad
        \\lVert q - r \\rVert^2 = \\lVert q \\rVert^2 + \\lVert r \\rVert^2 - 2\\, q \\cdot r,

    in pixels on the [0, 1] scale (an image in [-1, 1] is mapped by :math:`(x + 1) / 2`), so
    two 28x28 images are at most 28 apart. The nearest reference is found in float64 blocks of
    ``batch_size`` queries against all references (one matrix product per block, the expansion
    on the right); its distance is then computed directly as :math:`\\lVert q_i - r_j \\rVert`.

    Parameters
    ----------
    queries : (N, 1, 28, 28) images in [-1, 1] (or uint8 (N, 28, 28))
    reference : (M, 1, 28, 28) images in [-1, 1], e.g. the training digits

    Returns
    -------
    (np.ndarray, np.ndarray)
        Distances (N,) float64 and indices into ``reference`` (N,) int64.
    """
    q = (_as_images(queries, "queries").double().flatten(1) + 1.0) / 2.0
    r = (_as_images(reference, "reference").double().flatten(1) + 1.0) / 2.0
    if len(r) == 0 or batch_size < 1:
        raise ValueError(
            f"reference must hold at least one image and batch_size >= 1; got {len(r)} images "
            f"and batch_size={batch_size}"
        )
    index = torch.cat([d2.argmin(dim=1) for d2 in _squared_distances(q, r, batch_size)])
    # the expansion above loses ~1e-6 to cancellation; the winners' distances are recomputed
    # directly, so that a copy is at distance 0 exactly
    return (q - r[index]).norm(dim=1).numpy(), index.numpy()


def memorisation_check(
    samples: torch.Tensor | np.ndarray,
    train: torch.Tensor | np.ndarray,
    held_out: torch.Tensor | np.ndarray,
    *,
    quantile: float = 0.05,
    max_ratio: float = 2.0,
    batch_size: int = 500,
) -> dict:
    """Are the samples closer to the training digits than new real digits are?

    A generator that reproduced training digits would score well on sample quality and on the
    Parzen likelihood (Theis et al. 2016). The check compares two sets of nearest-neighbour
    distances to the training set :math:`T` (:func:`nearest_neighbours`): :math:`d_g` for the
    generated samples and :math:`d_h` for held-out real digits, which are by construction new
    draws from :math:`p_{data}`. With :math:`\\tau` the ``quantile`` (5 %) point of :math:`d_h`,

    .. math::
        f = \\frac{1}{N} \\sum_{i=1}^{N} \\mathbf{1}[d_{g,i} < \\tau],

    is about ``quantile`` for a generator whose samples are as novel as real digits, and 1 for
    a copier. The samples are flagged as memorised when :math:`f > ` ``max_ratio`` x
    ``quantile`` (10 % by default; with 10,000 samples the standard error of :math:`f` near 5 %
    is 0.2 %, so this margin is far beyond sampling noise).

    Parameters
    ----------
    samples : (N, 1, 28, 28) generated images in [-1, 1]
    train : (M, 1, 28, 28) the generator's training digits
    held_out : (K, 1, 28, 28) real digits not in ``train``
    quantile, max_ratio : the threshold's quantile of :math:`d_h` and the flagging ratio

    Returns
    -------
    dict
        ``median_generated`` and ``median_held_out`` (medians of :math:`d_g`, :math:`d_h`),
        ``threshold`` (:math:`\\tau`), ``quantile``, ``fraction_closer`` (:math:`f`),
        ``held_out_fraction_closer`` (the same fraction for :math:`d_h`, about ``quantile``),
        ``ratio`` (:math:`f` / quantile), ``memorised`` (bool), ``verdict`` (a sentence),
        ``distances_generated``, ``distances_held_out``, ``nearest_train_index`` (arrays).
    """
    check_quantile = 0.0 < quantile < 1.0 and max_ratio >= 1.0
    if not check_quantile:
        raise ValueError(
            f"quantile must be in (0, 1) and max_ratio >= 1, got {quantile}, {max_ratio}"
        )
    d_gen, index = nearest_neighbours(samples, train, batch_size)
    d_held, _ = nearest_neighbours(held_out, train, batch_size)
    tau = float(np.quantile(d_held, quantile))
    fraction = float(np.mean(d_gen < tau))
    memorised = fraction > max_ratio * quantile
    verdict = (
        f"{100 * fraction:.1f} % of the samples are closer to a training digit than "
        f"{100 * (1 - quantile):.0f} % of held-out real digits are (expected "
        f"{100 * quantile:.0f} % for new digits): "
        + ("the generator reproduces training digits." if memorised else "no sign of copying.")
    )
    return {
        "median_generated": float(np.median(d_gen)),
        "median_held_out": float(np.median(d_held)),
        "threshold": tau,
        "quantile": quantile,
        "fraction_closer": fraction,
        "held_out_fraction_closer": float(np.mean(d_held < tau)),
        "ratio": fraction / quantile,
        "memorised": bool(memorised),
        "verdict": verdict,
        "distances_generated": d_gen,
        "distances_held_out": d_held,
        "nearest_train_index": index,
    }


def nearest_neighbour_pairs(
    samples: torch.Tensor | np.ndarray,
    train: torch.Tensor | np.ndarray,
    k: int = 8,
    *,
    closest: bool = True,
    batch_size: int = 500,
) -> dict:
    """``k`` generated samples beside their nearest training digits, for drawing.

    Parameters
    ----------
    samples, train : images in [-1, 1] (see :func:`nearest_neighbours`)
    k : number of pairs (notebook 04 draws 8)
    closest : ``True`` takes the ``k`` samples nearest to any training digit, the strictest
        view (if any sample is a copy, it is among them); ``False`` the first ``k`` samples,
        a fair random draw since samples are i.i.d.

    Returns
    -------
    dict
        ``sample_index`` and ``train_index`` (k,) int64, ``distance`` (k,) float64 (ascending
        when ``closest``), ``samples`` and ``neighbours`` (k, 1, 28, 28) float32 tensors.
    """
    samples, train = _as_images(samples, "samples"), _as_images(train, "train")
    if not 1 <= k <= len(samples):
        raise ValueError(f"k must be in 1..{len(samples)}, got {k}")
    dist, index = nearest_neighbours(samples, train, batch_size)
    chosen = np.argsort(dist, kind="stable")[:k] if closest else np.arange(k)
    return {
        "sample_index": chosen,
        "train_index": index[chosen],
        "distance": dist[chosen],
        "samples": samples[torch.as_tensor(chosen)],
        "neighbours": train[torch.as_tensor(index[chosen])],
    }


# ---------------------------------------------------------------------------------------------
# Does D memorise its training digits?


@torch.no_grad()
def discriminator_gap(
    discriminator: nn.Module,
    train: torch.Tensor | np.ndarray,
    held_out: torch.Tensor | np.ndarray,
    batch_size: int = 1000,
) -> dict:
    """D's mean score on its training digits minus its mean score on held-out real digits.

    Both sets are real digits from the same distribution, so a discriminator that judges
    *digits* scores them alike; one that has learnt its training set by heart calls its
    training digits real and new digits fake. With logits :math:`\\ell = \\operatorname{logit} D`,

    .. math::
        \\Delta_\\ell = \\frac{1}{|T|} \\sum_{x \\in T} \\ell(x)
            - \\frac{1}{|H|} \\sum_{x \\in H} \\ell(x),
        \\qquad
        \\operatorname{se}(\\Delta_\\ell) = \\sqrt{s_T^2 / |T| + s_H^2 / |H|},

    and :math:`\\Delta_D` the same difference of :math:`D(x) = \\sigma(\\ell(x))`. D runs in
    eval mode (dropout off), and its mode is restored afterwards.

    Parameters
    ----------
    discriminator : module mapping (N, 1, 28, 28) images in [-1, 1] to logits (N,)
    train : the digits D was trained on (a few thousand suffice), (N_t, 1, 28, 28)
    held_out : real digits D never saw, (N_h, 1, 28, 28)

    Returns
    -------
    dict
        ``mean_logit_train``, ``mean_logit_held_out``, ``logit_gap`` (:math:`\\Delta_\\ell`) with
        ``logit_gap_stderr``, ``mean_d_train``, ``mean_d_held_out``, ``d_gap``
        (:math:`\\Delta_D`), ``n_train``, ``n_held_out``.
    """
    device = next(discriminator.parameters()).device
    was_training = discriminator.training
    discriminator.eval()
    try:
        logits = [
            torch.cat(
                [
                    discriminator(b.to(device)).double().cpu().reshape(-1)
                    for b in x.split(batch_size)
                ]
            )
            for x in (_as_images(train, "train"), _as_images(held_out, "held_out"))
        ]
    finally:
        discriminator.train(was_training)
    (lt, lh), (dt, dh) = logits, [torch.sigmoid(t) for t in logits]
    if len(lt) < 2 or len(lh) < 2:
        raise ValueError("train and held_out need at least 2 images each for a standard error")
    stderr = math.sqrt(lt.var().item() / len(lt) + lh.var().item() / len(lh))
    return {
        "mean_logit_train": lt.mean().item(),
        "mean_logit_held_out": lh.mean().item(),
        "logit_gap": (lt.mean() - lh.mean()).item(),
        "logit_gap_stderr": stderr,
        "mean_d_train": dt.mean().item(),
        "mean_d_held_out": dh.mean().item(),
        "d_gap": (dt.mean() - dh.mean()).item(),
        "n_train": len(lt),
        "n_held_out": len(lh),
    }
