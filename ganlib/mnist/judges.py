"""Don't trust one judge: class coverage and Fréchet distance by several classifiers (notebook 04).

A histogram of predicted digits depends on the classifier that predicts them: an ambiguous
sample is a 4 to one judge and a 9 to another. Notebook 04 therefore judges every generator
with two independent classifiers (a CNN and an MLP, different architectures and seeds, both
trained on the training digits only), asks both histograms to lie in the coverage band, and
reports how often the judges disagree on generated digits next to how often they disagree on
real held-out digits.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ganlib.mnist.frechet import frechet_distance
from ganlib.mnist.metrics import (
    COVERAGE_BAND,
    as_images,
    classify,
    coverage_in_band,
    halves,
    label_histogram,
)

__all__ = ["disagreement_rate", "evaluate_with_judges"]


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
    samples, held_out = as_images(samples, "samples"), as_images(held_out, "held_out")
    base = None if train is None else as_images(train, "train")
    half_a, half_b = halves(len(held_out), seed)
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
