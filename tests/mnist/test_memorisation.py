"""Tests for ganlib.mnist.memorisation: brute-force neighbours, copies, a blank page, a
memorising D."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from ganlib.mnist import memorisation

# --------------------------------------------------------------------------------------------
# Memorisation


def _brute_force_neighbours(queries: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, ...]:
    q = (queries.reshape(len(queries), -1) + 1.0) / 2.0
    r = (reference.reshape(len(reference), -1) + 1.0) / 2.0
    dist = np.array([np.linalg.norm(r - row, axis=1).min() for row in q])
    index = np.array([np.linalg.norm(r - row, axis=1).argmin() for row in q])
    return dist, index


def test_nearest_neighbours_match_brute_force() -> None:
    gen = torch.Generator().manual_seed(0)
    reference = torch.rand(300, 1, 28, 28, generator=gen) * 2 - 1
    queries = torch.rand(70, 1, 28, 28, generator=gen) * 2 - 1
    queries[:5] = reference[[7, 0, 299, 150, 7]]  # exact copies: distance 0
    expected_d, expected_i = _brute_force_neighbours(queries.double().numpy(), reference.numpy())
    for batch_size in (1, 16, 1000):
        d, i = memorisation.nearest_neighbours(queries, reference, batch_size=batch_size)
        np.testing.assert_allclose(d, expected_d, rtol=1e-9, atol=0)
        np.testing.assert_array_equal(i, expected_i)
    assert i[:5].tolist() == [7, 0, 299, 150, 7]


def test_copies_of_training_digits_are_flagged(digits) -> None:
    train, test = digits["train"], digits["test"]
    copies = train[:500]
    result = memorisation.memorisation_check(copies, train, test)
    assert result["memorised"]
    assert result["fraction_closer"] == 1.0
    assert result["median_generated"] < 1e-6
    assert "reproduces" in result["verdict"]
    noise = 0.04 * torch.randn(copies.shape, generator=torch.Generator().manual_seed(0))
    near_copies = (copies + noise).clamp(-1, 1)
    assert memorisation.memorisation_check(near_copies, train, test)["memorised"]


def test_new_digits_and_a_blank_image_are_not_flagged(digits) -> None:
    train, test = digits["train"], digits["test"]
    new = memorisation.memorisation_check(test[:500], train, test[500:])
    assert not new["memorised"]
    assert new["fraction_closer"] < 0.1
    assert 0.04 <= new["held_out_fraction_closer"] <= 0.05
    assert abs(new["median_generated"] - new["median_held_out"]) < 0.5
    assert "no sign of copying" in new["verdict"]
    blank = memorisation.memorisation_check(torch.full((20, 1, 28, 28), -1.0), train, test)
    assert not blank["memorised"]
    assert blank["fraction_closer"] == 0.0
    # a blank page is nearer a training digit than the median held-out digit is: this is why
    # the check looks at the closest 5 % and not at the medians
    assert blank["median_generated"] < blank["median_held_out"]


def test_nearest_neighbour_pairs_find_the_copies(digits) -> None:
    train = digits["train"]
    samples = digits["test"][:40].clone()
    samples[[3, 17, 29]] = train[[11, 2222, 3999]]
    pairs = memorisation.nearest_neighbour_pairs(samples, train, k=8)
    assert pairs["sample_index"][:3].tolist() == [3, 17, 29]
    assert pairs["train_index"][:3].tolist() == [11, 2222, 3999]
    assert np.all(pairs["distance"][:3] < 1e-6)
    assert np.all(np.diff(pairs["distance"]) >= 0)
    assert pairs["distance"][3] > 1.0
    assert torch.equal(pairs["samples"][:3], pairs["neighbours"][:3])
    assert pairs["samples"].shape == pairs["neighbours"].shape == (8, 1, 28, 28)
    first = memorisation.nearest_neighbour_pairs(samples, train, k=4, closest=False)
    assert first["sample_index"].tolist() == [0, 1, 2, 3]
    assert first["train_index"][3] == 11
    with pytest.raises(ValueError, match="k must be"):
        memorisation.nearest_neighbour_pairs(samples, train, k=41)


# --------------------------------------------------------------------------------------------
# The D(x) gap


class LookupD(nn.Module):
    """A discriminator that has memorised a set of images: logit +3 on them, -2 elsewhere."""

    def __init__(self, memorised: torch.Tensor) -> None:
        super().__init__()
        self.memorised = memorised.flatten(1)
        self.unused = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        seen = (x.flatten(1)[:, None, :] == self.memorised[None]).all(-1).any(1)
        return torch.where(seen, 3.0, -2.0)


def test_a_memorising_discriminator_shows_the_gap(digits) -> None:
    train, test = digits["train"][:300], digits["test"][:200]
    gap = memorisation.discriminator_gap(LookupD(train), train, test, batch_size=64)
    assert gap["logit_gap"] == pytest.approx(5.0)
    assert gap["logit_gap_stderr"] == pytest.approx(0.0)
    sigmoid = lambda v: 1 / (1 + math.exp(-v))  # noqa: E731
    assert gap["d_gap"] == pytest.approx(sigmoid(3.0) - sigmoid(-2.0))
    assert (gap["n_train"], gap["n_held_out"]) == (300, 200)


def test_discriminator_gap_of_a_linear_d_by_hand(digits) -> None:
    train, test = digits["train"][:400], digits["test"][:300]
    d = nn.Sequential(nn.Flatten(), nn.Linear(784, 1), nn.Dropout(0.5)).train()
    w = d[1].weight.detach().double().numpy()[0]
    b = d[1].bias.item()
    lt = train.flatten(1).double().numpy() @ w + b
    lh = test.flatten(1).double().numpy() @ w + b
    gap = memorisation.discriminator_gap(d, train, test, batch_size=128)
    assert d.training  # restored after an eval-mode (dropout off) pass
    assert gap["mean_logit_train"] == pytest.approx(lt.mean(), rel=1e-5)
    assert gap["logit_gap"] == pytest.approx(lt.mean() - lh.mean(), rel=1e-4, abs=1e-6)
    se = math.sqrt(lt.var(ddof=1) / len(lt) + lh.var(ddof=1) / len(lh))
    assert gap["logit_gap_stderr"] == pytest.approx(se, rel=1e-4)
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    assert gap["d_gap"] == pytest.approx(sig(lt).mean() - sig(lh).mean(), rel=1e-4, abs=1e-7)
