"""Property-based tests (hypothesis) of ganlib.core.validation: any input is accepted or refused
with a ``ValueError`` whose message starts with the setting's name, never another exception."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ganlib.core.validation import (
    check_bool,
    check_choice,
    check_file_stem,
    check_float,
    check_instance,
    check_int,
    check_sequence,
)

#: Anything a user could pass: numbers of every kind, strings, containers, numpy scalars.
ANYTHING = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**1000), max_value=10**1000),  # beyond float's range
    st.floats(allow_nan=True, allow_infinity=True),
    st.complex_numbers(),
    st.fractions(),
    st.decimals(),
    st.text(),
    st.binary(),
    st.lists(st.integers(), max_size=3),
    st.tuples(st.floats(), st.floats()),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.builds(np.float64, st.floats()),
    st.builds(np.int64, st.integers(min_value=-(2**63), max_value=2**63 - 1)),
    st.builds(np.bool_, st.booleans()),
    st.builds(np.array, st.lists(st.integers(), max_size=3)),
    st.just(object()),
)
BOUND = st.one_of(st.none(), st.integers(-1000, 1000))
FLOAT_BOUND = st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False))
SETTINGS = settings(max_examples=200, deadline=None, derandomize=True, database=None)


def _refused_by_name(call, name: str):
    """``(result, None)``, or ``(None, error)`` for a ValueError that starts with ``name``."""
    try:
        return call(), None
    except ValueError as err:
        error = err
    assert str(error).startswith(name), str(error)
    return None, error


@SETTINGS
@given(ANYTHING, BOUND, BOUND)
def test_check_int(value, low, high) -> None:
    result, err = _refused_by_name(lambda: check_int("k", value, low, high), "k")
    if err is None:
        assert type(result) is int
        assert not isinstance(value, bool | np.bool_)
        assert low is None or result >= low
        assert high is None or result <= high


@SETTINGS
@given(ANYTHING, FLOAT_BOUND, FLOAT_BOUND, st.booleans(), st.booleans())
def test_check_float(value, low, high, low_open, high_open) -> None:
    result, err = _refused_by_name(
        lambda: check_float("lr_d", value, low, high, low_open=low_open, high_open=high_open),
        "lr_d",
    )
    if err is None:
        assert type(result) is float
        assert math.isfinite(result)
        assert not isinstance(value, bool | np.bool_ | str | Fraction)
        assert low is None or (result > low if low_open else result >= low)
        assert high is None or (result < high if high_open else result <= high)


@SETTINGS
@given(ANYTHING)
def test_check_choice_bool_sequence_instance_and_file_stem(value) -> None:
    _refused_by_name(lambda: check_choice("loss", value, ("minimax", "least-squares")), "loss")
    result, err = _refused_by_name(lambda: check_bool("minibatch", value), "minibatch")
    assert (err is None) == isinstance(value, bool)
    _refused_by_name(lambda: check_sequence("betas", value, 2), "betas")
    _refused_by_name(lambda: check_instance("net", value, (dict, list)), "net")
    result, err = _refused_by_name(lambda: check_file_stem("--export-name", value), "--export-name")
    if err is None:
        assert "/" not in result
        assert ".." not in result
        assert not result.startswith(".")


@SETTINGS
@given(st.text())
def test_a_file_stem_never_leaves_its_folder(name: str) -> None:
    from pathlib import Path

    _, err = _refused_by_name(lambda: check_file_stem("name", name), "name")
    if err is None:
        folder = Path("/weights")
        assert (folder / f"generator_{name}.pt").resolve().parent == folder
