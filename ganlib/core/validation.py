"""One set of checks for settings, shared by every configuration of the series.

Every config dataclass in ganlib validates itself the same way: ``__post_init__`` calls
``validate()``, which returns ``None`` or raises ``ValueError`` whose message starts with the
setting's name, says what was given and what is allowed, e.g.
``"lr_d must be a finite number in (0, 10], got 1e+39"``. The helpers below are that message,
written once.

Booleans are rejected where a number is asked for (``True`` is an ``int`` in Python, and
``lr=True`` is always a mistake), and NaN or infinity never pass a range check.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np


def _short_repr(value: Any) -> str:
    """``repr(value)``, shortened to 73 characters; never raises."""
    try:
        text = repr(value)
    except Exception:  # e.g. an int too long for repr (sys.int_info.str_digits_check_threshold)
        text = f"<unprintable {type(value).__name__}>"
    return text if len(text) <= 80 else text[:60] + "..." + text[-10:]


def _describe(value: Any) -> str:
    text = _short_repr(value)
    return text if isinstance(value, int | float) else f"{text} ({type(value).__name__})"


def is_real(value: Any) -> bool:
    """True for ``int`` and ``float`` values (and numpy scalars), never for ``bool``."""
    if isinstance(value, bool | np.bool_):
        return False
    return isinstance(value, int | float | np.integer | np.floating)


def _is_integer(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def check_int(name: str, value: Any, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` if it is an ``int`` (not ``bool``) in ``[low, high]``, else ValueError.

    ``None`` bounds are open. Numpy integers are accepted and returned as ``int``.
    """
    ok = _is_integer(value)
    if ok:
        value = int(value)
        ok = (low is None or value >= low) and (high is None or value <= high)
    if not ok:
        span = _span(low, high, "[", "]")
        raise ValueError(f"{name} must be an int in {span}, got {_describe(value)}")
    return value


def check_float(
    name: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``float(value)`` if it is a finite real number in the interval, else ValueError.

    The interval is ``[low, high]``; ``low_open`` / ``high_open`` exclude an end, e.g. a learning
    rate is ``check_float("lr_d", lr, 0, 10, low_open=True)``: ``(0, 10]``.
    """
    try:
        ok = is_real(value) and math.isfinite(float(value))
    except OverflowError:  # an int beyond float's range, e.g. 10**400
        ok = False
    if ok:
        v = float(value)
        if low is not None:
            ok = v > low if low_open else v >= low
        if ok and high is not None:
            ok = v < high if high_open else v <= high
    if not ok:
        span = _span(low, high, "(" if low_open else "[", ")" if high_open else "]")
        raise ValueError(f"{name} must be a finite number in {span}, got {_describe(value)}")
    return float(value)


def check_choice(name: str, value: Any, choices: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``choices``, else ValueError listing them."""
    options = tuple(choices)
    try:
        known = bool(value in options)
    except Exception:  # an unhashable or incomparable value, or an array's ambiguous truth
        known = False
    if not known:
        raise ValueError(f"{name}={_short_repr(value)} is not known; valid: {options}")
    return value


def check_bool(name: str, value: Any) -> bool:
    """Return ``value`` if it is a ``bool``, else ValueError (``0``/``1`` are not booleans)."""
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {_describe(value)}")
    return value


def check_sequence(
    name: str, value: Any, length: int | None = None, *, min_length: int = 0
) -> tuple[Any, ...]:
    """Return ``tuple(value)`` for a list or tuple of the given length, else ValueError."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise ValueError(f"{name} must be a tuple or list, got {_describe(value)}")
    items = tuple(value)
    if (length is not None and len(items) != length) or len(items) < min_length:
        want = f"{length}" if length is not None else f"at least {min_length}"
        raise ValueError(f"{name} must hold {want} values, got {len(items)}: {items!r}")
    return items


def check_instance(name: str, value: Any, kind: type | tuple[type, ...]) -> Any:
    """Return ``value`` if it is an instance of ``kind``, else ValueError naming both types."""
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ValueError(f"{name} must be a {names}, got {type(value).__name__}")
    return value


_STEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def check_file_stem(name: str, value: Any) -> str:
    """Return ``value`` if it can be part of a file name inside a folder, else ValueError.

    Allowed: 1-64 letters, digits, ``-`` and ``_``, starting with a letter or digit. No ``/``,
    ``..``, spaces or dots, so ``f"generator_{value}.pt"`` cannot leave its folder.
    """
    if not isinstance(value, str) or not _STEM.fullmatch(value):
        raise ValueError(
            f"{name} must be 1-64 letters, digits, '-' or '_' starting with a letter or digit "
            f"(it becomes part of a file name), got {_describe(value)}"
        )
    return value


def _span(low: float | None, high: float | None, left: str, right: str) -> str:
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
    return f"{'(' if low is None else left}{lo}, {hi}{')' if high is None else right}"
