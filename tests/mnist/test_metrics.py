"""Tests for ganlib.mnist.metrics against independent answers (scipy, closed forms)."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
import scipy.linalg
import torch
from scipy.special import logsumexp
from scipy.stats import entropy, multivariate_normal
from torch import nn

from ganlib.mnist import metrics
from ganlib.mnist.data import load_offline_mnist, to_signed_unit
from ganlib.mnist.pretrained import load_pretrained_classifier

# --------------------------------------------------------------------------------------------
# Mode coverage


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


# --------------------------------------------------------------------------------------------
# Fréchet distance


def _scipy_frechet(a: np.ndarray, b: np.ndarray) -> float:
    """The textbook formula with scipy's general matrix square root."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = scipy.linalg.sqrtm(cov_a @ cov_b).real
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a + cov_b - 2 * covmean))


def test_frechet_matches_scipy_sqrtm() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(400, 6)) @ rng.normal(size=(6, 6))
    b = rng.normal(size=(300, 6)) * 2.0 + 0.5
    assert metrics.frechet_distance(a, b) == pytest.approx(_scipy_frechet(a, b), rel=1e-8)
    assert metrics.frechet_distance(a, b) == pytest.approx(metrics.frechet_distance(b, a))
    assert metrics.frechet_distance(torch.tensor(a), b) == pytest.approx(_scipy_frechet(a, b))


def test_frechet_closed_forms() -> None:
    rng = np.random.default_rng(1)
    feats = rng.normal(size=(500, 8)) @ rng.normal(size=(8, 8))
    assert abs(metrics.frechet_distance(feats, feats)) < 1e-8
    shift = rng.normal(size=8)  # same covariance, shifted mean: exactly |Δμ|²
    assert metrics.frechet_distance(feats, feats + shift) == pytest.approx(shift @ shift, rel=1e-8)
    # diagonal Gaussians: |Δμ|² + Σ (√a_i − √b_i)²
    var_a, var_b = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    mu_a, mu_b = np.zeros(3), np.array([1.0, -2.0, 0.0])
    expected = 5.0 + ((np.sqrt(var_a) - np.sqrt(var_b)) ** 2).sum()
    got = metrics.frechet_distance_from_statistics(mu_a, np.diag(var_a), mu_b, np.diag(var_b))
    assert got == pytest.approx(expected, rel=1e-12)


def test_frechet_of_samples_approaches_the_gaussian_value() -> None:
    rng = np.random.default_rng(2)
    cov = np.array([[2.0, 0.5], [0.5, 1.0]])
    a = rng.multivariate_normal([0.0, 0.0], cov, size=20_000)
    b = rng.multivariate_normal([3.0, 4.0], cov, size=20_000)
    assert metrics.frechet_distance(a, b) == pytest.approx(25.0, abs=0.2)


def test_frechet_rejects_mismatched_shapes() -> None:
    with pytest.raises(ValueError, match="shapes do not match"):
        metrics.frechet_distance(np.zeros((5, 3)), np.ones((5, 4)))
    with pytest.raises(ValueError, match="at least 2"):
        metrics.frechet_distance(np.zeros((1, 3)), np.ones((5, 3)))


# --------------------------------------------------------------------------------------------
# Parzen window


def _scipy_parzen(test: np.ndarray, samples: np.ndarray, sigma: float) -> np.ndarray:
    cov = sigma**2 * np.eye(test.shape[1])
    logpdf = np.array([[multivariate_normal(s, cov).logpdf(x) for s in samples] for x in test])
    return logsumexp(logpdf, axis=1) - np.log(len(samples))


def test_parzen_matches_scipy_multivariate_normal() -> None:
    rng = np.random.default_rng(0)
    test, samples = rng.uniform(size=(7, 5)), rng.uniform(size=(11, 5))
    sigmas = (0.05, 0.3, 1.0)
    got = metrics.parzen_log_likelihoods(test, samples, sigmas, batch_size=3)
    for row, sigma in zip(got, sigmas, strict=True):
        np.testing.assert_allclose(row, _scipy_parzen(test, samples, sigma), rtol=1e-10)
    est = metrics.parzen_log_likelihood(torch.tensor(test), torch.tensor(samples), 0.3)
    expected = _scipy_parzen(test, samples, 0.3)
    assert est.mean == pytest.approx(expected.mean(), rel=1e-10)
    assert est.stderr == pytest.approx(expected.std() / math.sqrt(7), rel=1e-10)
    assert (est.n_test, est.n_samples, est.sigma) == (7, 11, 0.3)


def test_parzen_accepts_images_and_checks_pixel_range() -> None:
    rng = np.random.default_rng(1)
    images = rng.uniform(size=(4, 1, 28, 28))
    flat = metrics.parzen_log_likelihoods(images.reshape(4, -1), images.reshape(4, -1), 0.2)
    np.testing.assert_allclose(metrics.parzen_log_likelihoods(images, images, 0.2), flat)
    with pytest.raises(ValueError, match=r"\(x \+ 1\) / 2"):
        metrics.parzen_log_likelihood(images * 2 - 1, images, 0.2)
    with pytest.raises(ValueError, match="positive"):
        metrics.parzen_log_likelihoods(images, images, 0.0)


@pytest.mark.parametrize("sigma", [0.0, -0.1, math.nan, math.inf, -math.inf])
def test_parzen_refuses_sigmas_that_are_no_width(sigma: float) -> None:
    """σ = inf used to give -inf nats, NaN gave "nan ± nan"."""
    x = np.full((3, 4), 0.5)
    for call in (
        lambda: metrics.parzen_log_likelihood(x, x, sigma),
        lambda: metrics.parzen_log_likelihoods(x, x, (0.2, sigma)),
        lambda: metrics.select_parzen_sigma(x, x, (0.2, sigma)),
    ):
        with pytest.raises(ValueError, match=r"^sigma must be finite and positive"):
            call()


def test_nan_images_are_refused_everywhere() -> None:
    x = np.full((3, 1, 28, 28), 0.5)
    x[1, 0, 3, 3] = np.nan
    with pytest.raises(ValueError, match=r"^test holds NaN or inf pixels"):
        metrics.parzen_log_likelihood(x, np.full((3, 1, 28, 28), 0.5), 0.2)
    with pytest.raises(ValueError, match=r"^samples holds NaN or inf pixels"):
        metrics.evaluate_samples(torch.tensor(x), nn.Identity(), torch.zeros(3, 1, 28, 28))
    with pytest.raises(ValueError, match=r"^feats_a holds NaN or inf"):
        metrics.frechet_distance(x.reshape(3, -1), np.zeros((3, 784)))


def test_sigma_selection_picks_the_analytic_maximiser() -> None:
    # One validation point at distance d from every centre in D dimensions:
    # ℓ(σ) = −d²/(2σ²) − D log σ + const, maximised at σ* = d / √D.
    dim = 4
    centre = np.full(dim, 0.5)
    samples = np.stack([centre + 0.2, centre - 0.2])  # both at distance d = 0.4
    grid = (0.05, 0.1, 0.2, 0.3, 0.4)
    sigma, scores = metrics.select_parzen_sigma(centre[None], samples, grid)
    assert sigma == pytest.approx(0.4 / math.sqrt(dim))
    expected = [_scipy_parzen(centre[None], samples, s).mean() for s in grid]
    np.testing.assert_allclose(scores, expected, rtol=1e-10)
    assert np.argmax(expected) == grid.index(sigma)


def test_paper_sigma_grid() -> None:
    np.testing.assert_allclose(metrics.PAPER_SIGMAS, np.logspace(-1, 0, 10))


# --------------------------------------------------------------------------------------------
# Whole evaluation on real digits and deliberately broken "generators"


class ReplayGenerator(nn.Module):
    """A fake generator returning stored real digits, picked by the noise (or always one)."""

    def __init__(self, images: torch.Tensor, collapse: bool = False) -> None:
        super().__init__()
        self.register_buffer("images", images)
        self.scale = nn.Parameter(torch.ones(()))  # gives the module a device
        self.latent_dim, self.collapse = 4, collapse

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if self.collapse:
            return self.images[:1].expand(len(z), -1, -1, -1) * self.scale
        idx = (z[:, 0].abs() * 1e4).long() % len(self.images)
        return self.images[idx] * self.scale


@pytest.fixture(scope="module")
def digits() -> dict[str, torch.Tensor]:
    train, test = load_offline_mnist("train"), load_offline_mnist("test")
    return {"train": to_signed_unit(train.images), "test": to_signed_unit(test.images)}


@pytest.fixture(scope="module")
def classifier() -> nn.Module:
    return load_pretrained_classifier()


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
    table = metrics.format_parzen_table(ref, data_note="the 1,000 offline test digits")
    for name, mean, _ in metrics.PAPER_TABLE_1:
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
    assert metrics.disagreement_rate(a, a) == 0.0
    assert metrics.disagreement_rate(a, np.array([0, 1, 2, 3, 4, 5, 7, 6])) == 0.25
    assert metrics.disagreement_rate(torch.tensor([1, 1]), np.array([2, 2])) == 1.0
    with pytest.raises(ValueError, match="labels_a and labels_b"):
        metrics.disagreement_rate(a, a[:3])


def test_judges_agreeing_with_themselves_disagree_on_nothing() -> None:
    real = _one_hot_images(np.arange(200) % 10)
    samples = _one_hot_images(np.random.default_rng(0).integers(0, 10, 500))
    judge = OneHotJudge()
    result = metrics.evaluate_with_judges(samples, {"a": judge, "b": judge}, real)
    assert result["disagreement"] == {"a vs b": {"generated": 0.0, "real": 0.0}}
    assert result["judges"]["a"] == result["judges"]["b"]


def test_two_judges_by_hand() -> None:
    real_classes = np.arange(300) % 10  # 30 of each digit
    gen_classes = np.repeat(np.arange(10), 50)  # 50 of each digit
    gen_classes[:10] = 5  # ten 0s become 5s: digit 0 at 8 %, digit 5 at 12 %
    judges = {"cnn": OneHotJudge(), "merger": OneHotJudge(merge={3: 5})}  # it calls 3s 5s
    result = metrics.evaluate_with_judges(
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
    fd = metrics.frechet_distance(one_hot[gen_classes], one_hot[real_classes])
    assert exact["frechet_distance"] == pytest.approx(fd, rel=1e-12)
    assert fd > 1e-3


def test_judges_fréchet_is_zero_for_the_same_histogram() -> None:
    classes = np.arange(400) % 10
    result = metrics.evaluate_with_judges(
        _one_hot_images(classes), {"a": OneHotJudge()}, _one_hot_images(classes[::-1].copy())
    )
    assert abs(result["judges"]["a"]["frechet_distance"]) < 1e-10
    assert result["disagreement"] == {}


def test_judges_on_real_digits(digits, classifier) -> None:
    result = metrics.evaluate_with_judges(
        digits["test"][:500], {"default": classifier}, digits["test"][500:], train=digits["train"]
    )
    judge = result["judges"]["default"]
    # real against real: small, and smaller with 4,000 training digits than with 500 (the
    # Fréchet distance of finite samples is biased upwards, roughly like 1/N)
    assert judge["frechet_real_baseline"] < judge["frechet_distance"] < 20
    assert result["n_samples"] == 500
    assert result["n_held_out"] == 500


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
        d, i = metrics.nearest_neighbours(queries, reference, batch_size=batch_size)
        np.testing.assert_allclose(d, expected_d, rtol=1e-9, atol=0)
        np.testing.assert_array_equal(i, expected_i)
    assert i[:5].tolist() == [7, 0, 299, 150, 7]


def test_copies_of_training_digits_are_flagged(digits) -> None:
    train, test = digits["train"], digits["test"]
    copies = train[:500]
    result = metrics.memorisation_check(copies, train, test)
    assert result["memorised"]
    assert result["fraction_closer"] == 1.0
    assert result["median_generated"] < 1e-6
    assert "reproduces" in result["verdict"]
    noise = 0.04 * torch.randn(copies.shape, generator=torch.Generator().manual_seed(0))
    near_copies = (copies + noise).clamp(-1, 1)
    assert metrics.memorisation_check(near_copies, train, test)["memorised"]


def test_new_digits_and_a_blank_image_are_not_flagged(digits) -> None:
    train, test = digits["train"], digits["test"]
    new = metrics.memorisation_check(test[:500], train, test[500:])
    assert not new["memorised"]
    assert new["fraction_closer"] < 0.1
    assert 0.04 <= new["held_out_fraction_closer"] <= 0.05
    assert abs(new["median_generated"] - new["median_held_out"]) < 0.5
    assert "no sign of copying" in new["verdict"]
    blank = metrics.memorisation_check(torch.full((20, 1, 28, 28), -1.0), train, test)
    assert not blank["memorised"]
    assert blank["fraction_closer"] == 0.0
    # a blank page is nearer a training digit than the median held-out digit is: this is why
    # the check looks at the closest 5 % and not at the medians
    assert blank["median_generated"] < blank["median_held_out"]


def test_nearest_neighbour_pairs_find_the_copies(digits) -> None:
    train = digits["train"]
    samples = digits["test"][:40].clone()
    samples[[3, 17, 29]] = train[[11, 2222, 3999]]
    pairs = metrics.nearest_neighbour_pairs(samples, train, k=8)
    assert pairs["sample_index"][:3].tolist() == [3, 17, 29]
    assert pairs["train_index"][:3].tolist() == [11, 2222, 3999]
    assert np.all(pairs["distance"][:3] < 1e-6)
    assert np.all(np.diff(pairs["distance"]) >= 0)
    assert pairs["distance"][3] > 1.0
    assert torch.equal(pairs["samples"][:3], pairs["neighbours"][:3])
    assert pairs["samples"].shape == pairs["neighbours"].shape == (8, 1, 28, 28)
    first = metrics.nearest_neighbour_pairs(samples, train, k=4, closest=False)
    assert first["sample_index"].tolist() == [0, 1, 2, 3]
    assert first["train_index"][3] == 11
    with pytest.raises(ValueError, match="k must be"):
        metrics.nearest_neighbour_pairs(samples, train, k=41)


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
    gap = metrics.discriminator_gap(LookupD(train), train, test, batch_size=64)
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
    gap = metrics.discriminator_gap(d, train, test, batch_size=128)
    assert d.training  # restored after an eval-mode (dropout off) pass
    assert gap["mean_logit_train"] == pytest.approx(lt.mean(), rel=1e-5)
    assert gap["logit_gap"] == pytest.approx(lt.mean() - lh.mean(), rel=1e-4, abs=1e-6)
    se = math.sqrt(lt.var(ddof=1) / len(lt) + lh.var(ddof=1) / len(lh))
    assert gap["logit_gap_stderr"] == pytest.approx(se, rel=1e-4)
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    assert gap["d_gap"] == pytest.approx(sig(lt).mean() - sig(lh).mean(), rel=1e-4, abs=1e-7)
