"""Argument checks shared by the frontend, the engine and the I/O: each raises a
ValueError that names the argument and the expected form."""
import numbers

import numpy as np


def check_positive_int(name, value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_nonneg_int(name, value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def check_int(name, value, lo=None, hi=None):
    """An integer (not a bool) in [lo, hi] (either bound may be None)."""
    if (isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral)
            or (lo is not None and value < lo) or (hi is not None and value > hi)):
        raise ValueError(f"{name} must be an integer{bounds_text(lo, hi)}, got {value!r}")
    return int(value)


def check_real(name, value, lo=None, hi=None, above=None):
    """A finite real number (not a bool) in [lo, hi], or > ``above``."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)) and np.isfinite(value)
    if not ok or (lo is not None and value < lo) or (hi is not None and value > hi) or (
            above is not None and value <= above):
        bounds = f" > {above}" if above is not None else bounds_text(lo, hi)
        raise ValueError(f"{name} must be a finite number{bounds}, got {value!r}")
    return float(value)


def check_seed(name, value):
    """A seed the engine's counter-based draws take: an integer in [0, 2**63)."""
    return check_int(name, value, 0, MAX_SEED)


def check_bool(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be true or false, got {value!r}")
    return bool(value)


MAX_SEED = 2 ** 63 - 1


def bounds_text(lo, hi):
    """" in [lo, hi]", " >= lo", " <= hi" or "" (for messages)."""
    if lo is not None and hi is not None:
        return f" in [{lo}, {hi}]"
    return f" >= {lo}" if lo is not None else f" <= {hi}" if hi is not None else ""


def check_finite(name, value):
    """No NaN or inf anywhere (min and max propagate both: no full-size temporary;
    a contiguous array is reduced as a flat view, which also spares numpy's
    reduction buffer)."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.flags.c_contiguous:
        arr = arr.ravel()
    if arr.size and not (np.isfinite(arr.min()) and np.isfinite(arr.max())):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return value


def check_nonneg(name, value):
    if not isinstance(value, numbers.Real) or not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def check_unit(name, value):
    """A probability or density: a number in [0, 1]."""
    if not isinstance(value, numbers.Real) or not (0.0 <= value <= 1.0):
        raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")
    return float(value)


def check_mask(name, value, size):
    """A 0/1 mask of length ``size`` (a bool means all or none)."""
    if isinstance(value, (bool, np.bool_)):
        return np.full(size, bool(value))
    arr = np.asarray(value)
    if arr.shape != (size,) or not np.isin(arr, (0, 1)).all():
        raise ValueError(f"{name} must be a bool or a 0/1 array of length {size}")
    return arr.astype(bool)
