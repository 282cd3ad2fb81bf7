"""ganlib.core.validation: every check names the setting, rejects what it must, keeps the rest."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ganlib.core.validation import (
    check_bool,
    check_choice,
    check_float,
    check_instance,
    check_int,
    check_sequence,
)


@pytest.mark.parametrize("bad", [True, 2.0, "3", None, np.float64(2.0), 0, 11])
def test_check_int_rejects_non_ints_and_out_of_range(bad: object) -> None:
    with pytest.raises(ValueError, match=r"^k must be an int in \[1, 10\], got "):
        check_int("k", bad, 1, 10)


def test_check_int_accepts_numpy_ints_and_open_bounds() -> None:
    assert check_int("k", np.int64(3), 1, 10) == 3
    assert type(check_int("k", np.int64(3), 1, 10)) is int
    assert check_int("seed", 10**12, 0) == 10**12
    with pytest.raises(ValueError, match=r"\[0, inf\)"):
        check_int("seed", -1, 0)


@pytest.mark.parametrize("bad", [0.0, -1e-3, 10.5, math.nan, math.inf, 1e39, True, "1e-3", None])
def test_check_float_rejects_what_no_learning_rate_can_be(bad: object) -> None:
    with pytest.raises(ValueError, match=r"^lr_d must be a finite number in \(0, 10\], got "):
        check_float("lr_d", bad, 0.0, 10.0, low_open=True)


def test_check_float_bounds_and_types() -> None:
    assert check_float("lr_d", 10, 0.0, 10.0, low_open=True) == 10.0
    assert check_float("beta1", np.float32(0.5), 0.0, 1.0, high_open=True) == 0.5
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        check_float("beta1", 1.0, 0.0, 1.0, high_open=True)
    assert check_float("x", -1e300) == -1e300  # no bounds: any finite number


def test_check_choice_lists_the_options() -> None:
    assert check_choice("loss", "minimax", ("minimax", "least-squares")) == "minimax"
    with pytest.raises(ValueError, match=r"loss='hinge' is not known; valid: \('minimax',\)"):
        check_choice("loss", "hinge", ("minimax",))
    with pytest.raises(ValueError, match="loss=\\[\\] is not known"):
        check_choice("loss", [], ("minimax",))  # unhashable input: still a ValueError


def test_check_bool_sequence_and_instance() -> None:
    assert check_bool("minibatch", False) is False
    with pytest.raises(ValueError, match="minibatch must be True or False, got 1"):
        check_bool("minibatch", 1)
    assert check_sequence("betas", [0.5, 0.9], 2) == (0.5, 0.9)
    with pytest.raises(ValueError, match="betas must hold 2 values"):
        check_sequence("betas", (0.5,), 2)
    with pytest.raises(ValueError, match="betas must be a tuple or list"):
        check_sequence("betas", "0.5,0.9", 2)
    with pytest.raises(ValueError, match="net must be a dict, got list"):
        check_instance("net", [], dict)


def test_a_huge_int_gets_the_setting_s_message_not_python_s_digit_limit() -> None:
    huge = 10**5000  # repr() of it raises ValueError("Exceeds the limit (4300 digits) ...")
    for check in (
        lambda: check_int("k", huge, 1, 10),
        lambda: check_float("lr_d", huge, 0.0, 10.0),
        lambda: check_choice("loss", huge, ("minimax",)),
        lambda: check_sequence("betas", huge, 2),
    ):
        with pytest.raises(ValueError, match=r"^(k|lr_d|loss|betas)\b"):
            check()
