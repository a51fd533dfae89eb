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
