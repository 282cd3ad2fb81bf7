"""Does anything copy its training digits? The generator's samples, and the discriminator.

Theis et al. (2016, arXiv 1511.01844) warn that a Parzen score can be high for a generator that
reproduces its training set. :func:`memorisation_check` compares the distance from each sample
to its nearest training digit with the same distance for held-out real digits, and
:func:`nearest_neighbour_pairs` draws the closest pairs. :func:`discriminator_gap` asks the same
of D: with 4,000 training digits it can learn them by heart, and then scores its training
digits higher than new real digits (notebook 04's section on little data).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ganlib.mnist.metrics import as_images
from ganlib.mnist.parzen import pairwise_squared_distances

__all__ = [
    "discriminator_gap",
    "memorisation_check",
    "nearest_neighbour_pairs",
    "nearest_neighbours",
]


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
    q = (as_images(queries, "queries").double().flatten(1) + 1.0) / 2.0
    r = (as_images(reference, "reference").double().flatten(1) + 1.0) / 2.0
    if len(r) == 0 or batch_size < 1:
        raise ValueError(
            f"reference must hold at least one image and batch_size >= 1; got {len(r)} images "
            f"and batch_size={batch_size}"
        )
    index = torch.cat([d2.argmin(dim=1) for d2 in pairwise_squared_distances(q, r, batch_size)])
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
    samples, train = as_images(samples, "samples"), as_images(train, "train")
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
            for x in (as_images(train, "train"), as_images(held_out, "held_out"))
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
