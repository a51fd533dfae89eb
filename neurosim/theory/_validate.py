"""Argument checks shared by the theory functions: each failure raises
``ValueError`` naming the argument and the expected form."""
import math
import numbers


def real(name, value, *, minimum=None, maximum=None, min_open=False, max_open=False):
    """``value`` as a finite float in the given (closed or open) range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    lo_ok = minimum is None or (v > minimum if min_open else v >= minimum)
    hi_ok = maximum is None or (v < maximum if max_open else v <= maximum)
    if not (lo_ok and hi_ok):
        lo = "" if minimum is None else ("(" if min_open else "[") + f"{minimum:g}"
        hi = "" if maximum is None else f"{maximum:g}" + (")" if max_open else "]")
        if minimum is not None and maximum is not None:
            expect = f"in {lo}, {hi}"
        elif minimum is not None:
            expect = f"{'>' if min_open else '>='} {minimum:g}"
        else:
            expect = f"{'<' if max_open else '<='} {maximum:g}"
        raise ValueError(f"{name} must be a real number {expect}, got {value!r}")
    return v


def non_negative(name, value):
    return real(name, value, minimum=0.0)


def integer(name, value, *, minimum=None, maximum=None):
    """``value`` as an int (floats with an integral value are accepted)."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if isinstance(value, numbers.Integral):
        v = int(value)
    elif isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer():
        v = int(value)
    else:
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if minimum is not None and v < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if maximum is not None and v > maximum:
        raise ValueError(f"{name} must be an integer <= {maximum}, got {value!r}")
    return v


def distance(name, value):
    """Normalized Hamming distance ``d`` in (0, 0.5]."""
    return real(name, value, minimum=0.0, maximum=0.5, min_open=True)
