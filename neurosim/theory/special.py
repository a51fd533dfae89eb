"""Gaussian tail function H and helpers shared by the theory modules.

``H(x) = int_x^inf Dt = erfc(x / sqrt 2) / 2`` (Eq. 16 and Eq. 64 of the paper,
arXiv 004), the probability that a standard Gaussian exceeds ``x``.
"""
import numpy as np
from scipy.special import erfc, log_ndtr

LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)


def H(x):
    """Gaussian tail ``H(x) = erfc(x/sqrt2)/2`` (Eq. 16).

    ``erfc`` keeps full relative precision for large positive ``x`` (down to
    ~1e-308, ``x`` ~ 37); beyond that use :func:`log_H`.
    """
    return 0.5 * erfc(np.asarray(x, dtype=float) / np.sqrt(2.0))


def log_H(x):
    """``log H(x)``, accurate for any real ``x`` (``~ -x^2/2 - log(x sqrt(2 pi))``
    for large ``x``, ``~ -H(-x)`` for large negative ``x``)."""
    return log_ndtr(-np.asarray(x, dtype=float))


def gaussian_pdf(x):
    """Standard normal density ``phi(x) = exp(-x^2/2)/sqrt(2 pi)``."""
    x = np.asarray(x, dtype=float)
    return np.exp(-0.5 * x * x - LOG_SQRT_2PI)


def mills_ratio(x):
    """``phi(x) / H(x)`` computed in log space (finite for every real ``x``;
    ``~ x`` for large ``x``)."""
    x = np.asarray(x, dtype=float)
    return np.exp(-0.5 * x * x - LOG_SQRT_2PI - log_H(x))


def gauss_hermite(n):
    """Nodes and weights of the ``n``-point Gauss-Hermite rule for the standard
    normal measure: ``sum_i w_i f(x_i) ~ E f(z)``, ``z ~ N(0, 1)``."""
    x, w = np.polynomial.hermite_e.hermegauss(int(n))
    return x, w / np.sqrt(2.0 * np.pi)
