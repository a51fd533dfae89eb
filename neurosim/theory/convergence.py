"""Convergence threshold of the plain update dynamics (supplementary section A,
Eqs. 29-31) and the exact extreme-value statistics it approximates.

The bound asks that none of ``N`` i.i.d. standard Gaussian local fields exceed
the self-coupling.  The union bound and the Gaussian tail bound give
``P(max_i |h_i| > J_D) <= 2 N exp(-J_D^2 / 2)`` (Eq. 29), which is ``O(1)`` at
``J_D = sqrt(2 ln N)`` (Eqs. 30-31).
"""
import numpy as np
from scipy import integrate
from scipy.special import log_ndtr

from ..validate import check_real
from .special import log_H


def convergence_threshold(n):
    """``J_D = sqrt(2 ln N)`` (Eq. 31): self-coupling above which, by Eqs. 29-30,
    no local field of ``N`` neurons is likely to overturn a neuron."""
    n = check_real("n", n, lo=1)
    return float(np.sqrt(2.0 * np.log(n)))


def union_bound(j_d, n):
    """Right-hand side of Eq. 29, ``2 N exp(-J_D^2/2)``, an upper bound on
    ``P(max_i |h_i| > J_D)`` (not capped at 1).  Valid because
    ``P(|h| > J) = 2 H(J) <= exp(-J^2/2)`` for ``J >= 0``."""
    j_d = check_real("j_d", j_d, lo=0)
    n = check_real("n", n, lo=1)
    return float(2.0 * n * np.exp(-0.5 * j_d * j_d))


def exceedance_probability(j_d, n):
    """Exact ``P(max_i |h_i| > J_D) = 1 - (1 - 2 H(J_D))^N`` for ``N`` i.i.d.
    N(0, 1) fields (left-hand side of Eq. 29)."""
    j_d = check_real("j_d", j_d, lo=0)
    n = check_real("n", n, lo=1)
    log_two_h = np.log(2.0) + log_H(j_d)
    return float(-np.expm1(n * np.log1p(-np.exp(log_two_h)))) if j_d > 0 else 1.0


def expected_max_gaussian(n, absolute=False):
    """Exact ``E max_i h_i`` (or ``E max_i |h_i|`` with ``absolute=True``) of ``N``
    i.i.d. standard Gaussians, by numerical integration of the CDF:
    ``E M = int_0^inf (1 - F(x)^N) dx - int_{-inf}^0 F(x)^N dx`` with
    ``F = Phi`` (or ``F = 1 - 2 H`` on ``x >= 0`` for ``|h|``).  Stable for any
    ``N >= 1`` (``F^N`` is evaluated as ``exp(N log F)``).

    Upper bounds: ``E max h <= sqrt(2 ln N)`` (Jensen on ``E exp(t max h)``)
    and ``E max |h| <= sqrt(2 ln 2N)``.
    """
    n = check_real("n", n, lo=1)
    if absolute:
        def log_cdf(x):
            return np.log1p(-2.0 * np.exp(log_H(x))) if x > 0 else -np.inf
    else:
        def log_cdf(x):
            return float(log_ndtr(x))
    scale = np.sqrt(2.0 * np.log(2.0 * n)) + 1.0
    upper = scale + 12.0

    def tail(x):
        return -np.expm1(n * log_cdf(x)) if x > 0 else 1.0

    pts = [scale - 1.0, scale, scale + 1.0] if scale > 1.0 else None
    pos, _ = integrate.quad(tail, 0.0, upper, points=pts, limit=200, epsabs=1e-13, epsrel=1e-11)
    neg = 0.0
    if not absolute:
        neg, _ = integrate.quad(lambda x: np.exp(n * log_cdf(x)), -40.0, 0.0, limit=200,
                                epsabs=1e-13, epsrel=1e-11)
    return float(pos - neg)


def expected_max_bound(n, absolute=False):
    """The bound that sits beside :func:`expected_max_gaussian`:
    ``sqrt(2 ln N)`` (Eq. 31) for the signed maximum, ``sqrt(2 ln 2N)`` for
    the maximum of ``|h_i|`` (the quantity of Eq. 29)."""
    n = check_real("n", n, lo=1)
    return float(np.sqrt(2.0 * np.log(2.0 * n if absolute else n)))
