"""Quality numbers for generated digits: mode coverage, Fréchet distance, Parzen likelihood.

Notebook 04 measures its generators instead of eyeballing them:

* **Mode coverage.** A judge (:mod:`ganlib.mnist.classifier`) labels every sample; the
  histogram of predicted digits shows whether all ten classes are drawn (a collapsed generator
  piles into a few bins), the coverage band asks every class to take 7-13 % of the samples, and
  the entropy summarises it (``log 10 ≈ 2.303`` nats is uniform).
* **Fréchet distance** (:mod:`ganlib.mnist.frechet`): Gaussians fitted to the judge's
  penultimate-layer features of generated and of held-out real digits.
* **Parzen-window log-likelihood** (:mod:`ganlib.mnist.parzen`), the protocol of Table 1 of
  Goodfellow et al. (2014).

More than one judge, and whether the samples copy training digits, are
:mod:`ganlib.mnist.judges` and :mod:`ganlib.mnist.memorisation`.
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
from scipy import stats
from torch import nn

from ganlib.core.device import make_generator
from ganlib.core.validation import check_int
from ganlib.mnist.data import NUM_CLASSES, to_signed_unit
from ganlib.mnist.frechet import frechet_distance
from ganlib.mnist.parzen import PAPER_SIGMAS, parzen_log_likelihood, select_parzen_sigma

__all__ = [
    "COVERAGE_BAND",
    "as_images",
    "classify",
    "coverage_in_band",
    "evaluate_generator",
    "evaluate_samples",
    "format_report",
    "generate_samples",
    "histogram_entropy",
    "label_histogram",
    "real_data_reference",
]

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


def as_images(x: torch.Tensor | np.ndarray, name: str) -> torch.Tensor:
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


def halves(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
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
    samples, real = as_images(samples, "samples"), as_images(real, "real")
    timings, start = {}, time.perf_counter()
    labels, feats = classify(classifier, samples)
    _, real_feats = classify(classifier, real)
    fractions = label_histogram(labels)
    half_a, half_b = halves(len(real), seed)
    if baseline is None:
        base_a, base_b = real_feats[half_a], real_feats[half_b]
    else:
        base_a, base_b = classify(classifier, as_images(baseline, "baseline"))[1], real_feats
    timings["classify_and_frechet"] = time.perf_counter() - start
    start = time.perf_counter()
    if validation is None:
        validation, test = real[half_a], real[half_b]
    else:
        validation, test = as_images(validation, "validation"), real
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
        "coverage_ok": coverage_in_band(fractions),
        "coverage_band": list(COVERAGE_BAND),
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
        ``max_fraction``, ``coverage_ok`` (every class within :data:`COVERAGE_BAND`, 7-13 %),
        ``coverage_band``, ``frechet_distance`` (to
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
        train = as_images(train, "train")
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
    train = as_images(train, "train")
    if not 0 < n_validation < len(train) - 1:
        raise ValueError(f"n_validation={n_validation} must be in 1..{len(train) - 2}")
    return evaluate_samples(
        train[n_validation:], classifier, test, validation=train[:n_validation], sigmas=sigmas
    )


# ---------------------------------------------------------------------------------------------
# Reporting


def format_report(result: dict, reference: dict | None = None) -> str:
    """A few lines: digit histogram, entropy, Fréchet distance beside its real-vs-real baseline."""
    pct = " ".join(f"{d}:{100 * f:4.1f}%" for d, f in enumerate(result["label_fractions"]))
    low, high = result.get("coverage_band", COVERAGE_BAND)
    sizes = result["frechet_sizes"]
    baseline = (
        f"two disjoint halves of {sizes['baseline']:,} digits"
        if result["frechet_baseline_kind"] == "halves of real"
        else f"{sizes['baseline']:,} training digits"
    )
    lines = [
        f"predicted digits of {result['n_samples']:,} samples: {pct}",
        f"entropy {result['entropy']:.3f} nats (uniform: {result['max_entropy']:.3f}); every "
        f"class within {100 * low:.0f}-{100 * high:.0f} %: "
        f"{'yes' if result['coverage_ok'] else 'no'}",
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
