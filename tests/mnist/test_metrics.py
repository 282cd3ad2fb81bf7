"""Tests for ganlib.mnist.metrics against independent answers (counters, scipy, broken
generators)."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
import torch
from scipy.stats import entropy
from torch import nn

from ganlib.mnist import frechet, metrics, parzen

# --------------------------------------------------------------------------------------------
# Mode coverage
from tests.mnist.conftest import ReplayGenerator


def test_label_histogram_and_entropy_match_counter_and_scipy() -> None:
    labels = np.random.default_rng(0).integers(0, 7, size=500)  # classes 7, 8, 9 never drawn
    h = metrics.label_histogram(labels)
    counts = Counter(labels.tolist())
    np.testing.assert_allclose(h, [counts.get(c, 0) / 500 for c in range(10)])
    assert metrics.histogram_entropy(h) == pytest.approx(entropy(h), rel=1e-12)
    assert metrics.histogram_entropy(np.full(10, 0.1)) == pytest.approx(math.log(10))
    one_class = metrics.histogram_entropy(np.eye(10)[3])
    assert one_class == 0.0
    assert math.copysign(1.0, one_class) == 1.0  # prints as 0.000, not -0.000
    np.testing.assert_allclose(metrics.label_histogram(torch.tensor([2, 2])), np.eye(10)[2])


def test_histogram_input_validation() -> None:
    with pytest.raises(ValueError, match=r"0\.\.9"):
        metrics.label_histogram(np.array([0, 10]))
    with pytest.raises(ValueError, match="empty"):
        metrics.label_histogram(np.array([], dtype=int))
    with pytest.raises(ValueError, match="summing to 1"):
        metrics.histogram_entropy(np.array([0.5, 0.2]))
    with pytest.raises(ValueError, match="summing to 1"):
        metrics.histogram_entropy(np.array([0.5, np.nan, 0.5]))


@pytest.mark.parametrize("labels", [[0.0, 1.5, 2.0], [1.0, 2.0], [True, False]])
def test_label_histogram_refuses_non_integer_labels(labels) -> None:
    """1.5 used to be floored to class 1; even whole floats are refused (no argmax made them)."""
    with pytest.raises(ValueError, match=r"^labels must be integers"):
        metrics.label_histogram(np.array(labels))
    with pytest.raises(ValueError, match=r"^labels must be integers"):
        metrics.label_histogram(torch.tensor(labels))


def test_nan_images_are_refused_everywhere() -> None:
    x = np.full((3, 1, 28, 28), 0.5)
    x[1, 0, 3, 3] = np.nan
    with pytest.raises(ValueError, match=r"^test holds NaN or inf pixels"):
        parzen.parzen_log_likelihood(x, np.full((3, 1, 28, 28), 0.5), 0.2)
    with pytest.raises(ValueError, match=r"^samples holds NaN or inf pixels"):
        metrics.evaluate_samples(torch.tensor(x), nn.Identity(), torch.zeros(3, 1, 28, 28))
    with pytest.raises(ValueError, match=r"^feats_a holds NaN or inf"):
        frechet.frechet_distance(x.reshape(3, -1), np.zeros((3, 784)))


# --------------------------------------------------------------------------------------------
# Whole evaluation on real digits and deliberately broken "generators"


def test_generate_samples_is_seeded_and_restores_mode(digits) -> None:
    gen = ReplayGenerator(digits["train"]).train()
    a = metrics.generate_samples(gen, 50, seed=3, batch_size=20)
    b = metrics.generate_samples(gen, 50, seed=3)
    assert a.shape == (50, 1, 28, 28)
    assert torch.equal(a, b)
    assert gen.training
    assert not torch.equal(a, metrics.generate_samples(gen, 50, seed=4))


def test_evaluation_detects_mode_collapse(digits, classifier) -> None:
    train, test = digits["train"], digits["test"]
    collapsed = ReplayGenerator(train[:1], collapse=True)  # always the first training digit
    healthy = ReplayGenerator(train[1000:])  # replays real digits not used for validation
    kw = {"train": train[:2500], "n_validation": 500}
    bad = metrics.evaluate_generator(collapsed, classifier, test, n=500, **kw)
    good = metrics.evaluate_generator(healthy, classifier, test, n=1000, **kw)

    only = int(classifier.predict(train[:1])[0])
    np.testing.assert_allclose(bad["label_fractions"], np.eye(10)[only])
    assert bad["entropy"] == 0.0
    assert not bad["coverage_ok"]
    assert good["coverage_ok"]
    assert good["entropy"] > 0.99 * math.log(10)
    assert bad["frechet_distance"] > 10 * good["frechet_distance"]
    assert good["frechet_distance"] < 3 * good["frechet_real_baseline"]
    assert good["parzen_mean"] > bad["parzen_mean"] + 100
    assert good["parzen_n_test"] == 1000
    assert good["parzen_n_validation"] == 500
    i = int(np.argmax(good["parzen_validation_scores"]))
    assert good["parzen_sigma"] == pytest.approx(good["parzen_sigma_grid"][i])


def test_real_reference_and_table(digits, classifier) -> None:
    ref = metrics.real_data_reference(classifier, digits["train"][:1500], digits["test"], 500)
    assert ref["coverage_ok"]
    assert ref["parzen_n_validation"] == 500
    assert ref["n_samples"] == 1000
    assert ref["frechet_baseline_kind"] == "halves of real"
    table = parzen.format_parzen_table(ref, data_note="the 1,000 offline test digits")
    for name, mean, _ in parzen.PAPER_TABLE_1:
        assert name in table
        assert f"{mean:.0f}" in table
    assert f"{ref['parzen_mean']:.0f} ± {ref['parzen_stderr']:.1f}" in table
    assert "not directly comparable" in table
    report = metrics.format_report(ref, reference=ref)
    assert f"{ref['frechet_distance']:.2f}" in report


def test_evaluation_input_checks(digits, classifier) -> None:
    gen = ReplayGenerator(digits["train"][:10])
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        metrics.evaluate_samples(digits["test"][:10] * 3, classifier, digits["test"])
    with pytest.raises(ValueError, match="n_validation"):
        metrics.evaluate_generator(gen, classifier, digits["test"], n=10, train=digits["train"][:5])
