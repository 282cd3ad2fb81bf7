"""Tests for ganlib.mnist.judges with hand-made judges and the shipped ones."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from ganlib.mnist import frechet, metrics
from ganlib.mnist.judges import disagreement_rate, evaluate_with_judges

# --------------------------------------------------------------------------------------------
# Several judges


class OneHotJudge(nn.Module):
    """A judge that reads an image's class from its first ten pixels (1 = ink, -1 = none).

    Its features are those pixels on a [0, 1] scale, and its head sends feature k to class
    ``merge[k]`` (identity: the pixel's own class), so what it predicts is known by hand.
    """

    def __init__(self, merge: dict[int, int] | None = None) -> None:
        super().__init__()
        self.head = nn.Linear(10, 10, bias=False)
        weight = torch.eye(10)
        for k, j in (merge or {}).items():
            weight[k, k], weight[j, k] = 0.0, 1.0
        self.head.weight.data.copy_(weight)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return (x.flatten(1)[:, :10] + 1.0) / 2.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def _one_hot_images(classes: np.ndarray) -> torch.Tensor:
    images = -torch.ones(len(classes), 1, 28, 28)
    images.view(len(classes), -1)[torch.arange(len(classes)), torch.as_tensor(classes)] = 1.0
    return images


def test_coverage_band_includes_its_ends() -> None:
    assert metrics.coverage_in_band(np.full(10, 0.1))
    assert metrics.coverage_in_band([0.07, 0.13, *[0.1] * 8])
    assert not metrics.coverage_in_band([0.069, 0.131, *[0.1] * 8])
    assert metrics.coverage_in_band([0.06, 0.14, *[0.1] * 8], band=(0.05, 0.15))
    with pytest.raises(ValueError, match="band"):
        metrics.coverage_in_band(np.full(10, 0.1), band=(0.2, 0.1))


def test_disagreement_rate_by_hand() -> None:
    a = np.array([0, 1, 2, 3, 4, 5, 6, 7])
    assert disagreement_rate(a, a) == 0.0
    assert disagreement_rate(a, np.array([0, 1, 2, 3, 4, 5, 7, 6])) == 0.25
    assert disagreement_rate(torch.tensor([1, 1]), np.array([2, 2])) == 1.0
    with pytest.raises(ValueError, match="labels_a and labels_b"):
        disagreement_rate(a, a[:3])


def test_judges_agreeing_with_themselves_disagree_on_nothing() -> None:
    real = _one_hot_images(np.arange(200) % 10)
    samples = _one_hot_images(np.random.default_rng(0).integers(0, 10, 500))
    judge = OneHotJudge()
    result = evaluate_with_judges(samples, {"a": judge, "b": judge}, real)
    assert result["disagreement"] == {"a vs b": {"generated": 0.0, "real": 0.0}}
    assert result["judges"]["a"] == result["judges"]["b"]


def test_two_judges_by_hand() -> None:
    real_classes = np.arange(300) % 10  # 30 of each digit
    gen_classes = np.repeat(np.arange(10), 50)  # 50 of each digit
    gen_classes[:10] = 5  # ten 0s become 5s: digit 0 at 8 %, digit 5 at 12 %
    judges = {"cnn": OneHotJudge(), "merger": OneHotJudge(merge={3: 5})}  # it calls 3s 5s
    result = evaluate_with_judges(
        _one_hot_images(gen_classes), judges, _one_hot_images(real_classes)
    )
    exact = result["judges"]["cnn"]
    expected = np.bincount(gen_classes, minlength=10) / 500
    np.testing.assert_allclose(exact["label_fractions"], expected)
    assert exact["coverage_ok"]  # 8 % .. 12 %
    merged = result["judges"]["merger"]
    assert merged["label_fractions"][3] == 0.0
    assert merged["label_fractions"][5] == pytest.approx(0.22)
    assert not merged["coverage_ok"]
    assert not result["coverage_ok"]
    # they differ exactly on the 3s: 50 of 500 samples, 30 of 300 real digits
    assert result["disagreement"]["cnn vs merger"] == {"generated": 0.1, "real": 0.1}
    # the exact judge's features are the one-hot class vectors, built here without the judge
    one_hot = np.eye(10)
    fd = frechet.frechet_distance(one_hot[gen_classes], one_hot[real_classes])
    assert exact["frechet_distance"] == pytest.approx(fd, rel=1e-12)
    assert fd > 1e-3


def test_judges_fréchet_is_zero_for_the_same_histogram() -> None:
    classes = np.arange(400) % 10
    result = evaluate_with_judges(
        _one_hot_images(classes), {"a": OneHotJudge()}, _one_hot_images(classes[::-1].copy())
    )
    assert abs(result["judges"]["a"]["frechet_distance"]) < 1e-10
    assert result["disagreement"] == {}


def test_judges_on_real_digits(digits, classifier) -> None:
    result = evaluate_with_judges(
        digits["test"][:500], {"default": classifier}, digits["test"][500:], train=digits["train"]
    )
    judge = result["judges"]["default"]
    # real against real: small, and smaller with 4,000 training digits than with 500 (the
    # Fréchet distance of finite samples is biased upwards, roughly like 1/N)
    assert judge["frechet_real_baseline"] < judge["frechet_distance"] < 20
    assert result["n_samples"] == 500
    assert result["n_held_out"] == 500
