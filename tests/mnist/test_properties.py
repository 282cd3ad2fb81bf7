"""Property-based tests (hypothesis) of the MNIST config, divergence and metric functions: any
input works or raises ``ValueError`` naming the setting, never another exception type."""

from __future__ import annotations

import math
from dataclasses import fields

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ganlib.mnist import frechet, metrics, parzen
from ganlib.mnist.training import MNISTGANConfig, divergence_cause

SETTINGS = settings(max_examples=200, deadline=None, derandomize=True, database=None)
VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**1000), max_value=10**1000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["keras_gan", "tutorial_mlp", "minimax", "keras_gan", "joint", "tutorial"]),
    st.lists(st.integers(), max_size=2),
    st.builds(np.float32, st.floats(width=32)),
)
NAMES = [f.name for f in fields(MNISTGANConfig)]


def _as_float(value) -> float:
    try:
        return float(value)
    except OverflowError:  # an int beyond float's range
        return math.inf


def _starts_with_one_of(err: ValueError, names) -> None:
    message = str(err)
    assert any(message.startswith(n) for n in names), message


@SETTINGS
@given(st.dictionaries(st.sampled_from(NAMES), VALUE, min_size=1, max_size=4))
def test_mnist_config_accepts_or_names_the_setting(changes: dict) -> None:
    try:
        config = MNISTGANConfig(**changes)
    except ValueError as err:
        _starts_with_one_of(err, changes)
        return
    assert MNISTGANConfig.from_dict(config.to_dict()) == config


@SETTINGS
@given(
    st.dictionaries(st.sampled_from(["d_loss", "g_loss", "d_real"]), VALUE, max_size=3),
    st.one_of(VALUE, st.floats(1e-3, 1e9)),
)
def test_divergence_cause_is_healthy_diverged_or_names_the_entry(values: dict, limit) -> None:
    try:
        cause = divergence_cause(values, limit)
    except ValueError as err:
        _starts_with_one_of(err, [*values, "limit"])
        return
    magnitudes = [abs(_as_float(v)) for v in values.values()]
    healthy = all(m <= float(limit) for m in magnitudes)  # False for NaN and inf too
    assert (cause is None) == healthy


ARRAYS = hnp.arrays(
    dtype=st.sampled_from([np.int64, np.int8, np.uint8, np.float64, np.float32, np.bool_]),
    shape=hnp.array_shapes(min_dims=0, max_dims=2, max_side=6),
)


@SETTINGS
@given(ARRAYS, st.one_of(st.integers(-3, 20), VALUE))
def test_label_histogram_counts_integer_classes_or_refuses(labels, num_classes) -> None:
    try:
        h = metrics.label_histogram(labels, num_classes)
    except ValueError as err:
        _starts_with_one_of(err, ["labels", "num_classes"])
        return
    flat = labels.reshape(-1)
    assert np.issubdtype(labels.dtype, np.integer)
    np.testing.assert_array_equal(h * flat.size, np.bincount(flat, minlength=num_classes))


@SETTINGS
@given(
    hnp.arrays(np.float64, hnp.array_shapes(max_dims=2, max_side=12), elements=st.floats(-2, 1e300))
)
def test_histogram_entropy_is_a_bounded_entropy_or_refuses(fractions) -> None:
    try:
        value = metrics.histogram_entropy(fractions)
    except ValueError as err:
        _starts_with_one_of(err, ["fractions"])
        return
    assert 0.0 <= value <= math.log(len(fractions)) + 1e-9


PIXELS = hnp.arrays(
    np.float64,
    st.tuples(st.integers(1, 4), st.integers(1, 5)),
    elements=st.one_of(st.floats(0, 1), st.just(math.nan), st.floats(-1, 2)),
)


@SETTINGS
@given(PIXELS, PIXELS, st.one_of(VALUE, st.floats(1e-3, 10)))
def test_parzen_gives_a_finite_estimate_or_names_the_input(test, samples, sigma) -> None:
    try:
        estimate = parzen.parzen_log_likelihood(test, samples, sigma)
    except ValueError as err:
        _starts_with_one_of(err, ["test", "samples", "sigma"])
        return
    assert np.isfinite(estimate.mean) or estimate.mean == -math.inf  # far points underflow
    assert estimate.sigma > 0


@SETTINGS
@given(
    hnp.arrays(np.float64, st.tuples(st.integers(0, 5), st.integers(1, 3)), elements=st.floats()),
    hnp.arrays(np.float64, st.tuples(st.integers(0, 5), st.integers(1, 3)), elements=st.floats()),
)
def test_frechet_distance_is_a_number_or_names_the_features(a, b) -> None:
    try:
        value = frechet.frechet_distance(a, b)
    except ValueError as err:
        _starts_with_one_of(err, ["feats_a", "feats_b", "need at least", "shapes do not match"])
        return
    assert not math.isnan(value)


def test_the_property_tests_can_fail() -> None:
    """The checker of these tests refuses a message that does not name the setting."""
    with pytest.raises(AssertionError):
        _starts_with_one_of(ValueError("something went wrong with lr_d"), ["lr_d"])
