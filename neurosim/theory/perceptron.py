"""Binary perceptron with margin ``kappa``: replica-symmetric (Gardner-style)
entropy of the solutions and the capacity where it vanishes (paper 000,
Eqs. 1-2; Gardner & Derrida 1988, Krauth & Mezard 1989).

Weights ``w in {-1, +1}^N``, ``P = alpha N`` random patterns, constraint
``w . xi^mu / sqrt(N) >= kappa`` for all ``mu``.  With the replica-symmetric
overlap ``q`` and conjugate ``qhat`` the entropy per weight is

    phi(alpha, kappa) = extr_{q, qhat} [ -qhat (1 - q) / 2
                          + int Dz log(2 cosh(sqrt(qhat) z))
                          + alpha int Dz log H((kappa - sqrt(q) z) / sqrt(1 - q)) ].

Derivation (done here, not copied): the entropic term comes from
``sum_w exp(sum_{a<b} qhat w_a w_b)`` with a Hubbard-Stratonovich field, the
energetic one from ``P(h_a >= kappa for all a)`` with fields of covariance
``q``, written as ``int Dz prod_a H((kappa - sqrt(q) z)/sqrt(1 - q))``.
Stationarity (Gaussian integration by parts for the ``q`` derivative):

    q    = int Dz tanh^2(sqrt(qhat) z),
    qhat = alpha / (1 - q) int Dz R(u)^2,   u = (kappa - sqrt(q) z)/sqrt(1 - q),

with ``R = phi/H`` the inverse Mills ratio.  The capacity ``alpha_c(kappa)`` is
where the RS entropy vanishes, ``alpha_c(0) = 0.833`` (the value quoted in
paper 000).
"""
import numpy as np
from scipy.optimize import brentq

from ..validate import check_real
from .special import LOG_SQRT_2PI, log_H, mills_ratio

# Trapezoid rule for E f(z), z ~ N(0, 1): tanh^2 and log cosh have poles at
# sqrt(qhat) z = i pi/2, where Gauss-Hermite converges slowly (1e-7 with 161
# nodes at alpha_c); the uniform rule converges like exp(-pi^2 / (h sqrt(qhat))).
_STEP = 0.02
_NODES = np.arange(-12.0, 12.0 + _STEP / 2, _STEP)
_WEIGHTS = np.exp(-0.5 * _NODES ** 2 - LOG_SQRT_2PI) * _STEP
_WEIGHTS /= _WEIGHTS.sum()


def _log2cosh(x):
    ax = np.abs(x)
    return ax + np.log1p(np.exp(-2.0 * ax))


def _qhat_of_q(q, alpha, kappa):
    u = (kappa - np.sqrt(q) * _NODES) / np.sqrt(1.0 - q)
    return alpha / (1.0 - q) * float(_WEIGHTS @ mills_ratio(u) ** 2)


def _q_of_qhat(qhat):
    return float(_WEIGHTS @ np.tanh(np.sqrt(qhat) * _NODES) ** 2)


def perceptron_saddle_point(alpha, kappa=0.0):
    """RS order parameters ``(q, qhat)`` on the branch that starts at
    ``q = 0`` for ``alpha -> 0`` (smallest root of ``q = F(qhat(q))``)."""
    alpha = check_real("alpha", alpha, lo=0)
    kappa = check_real("kappa", kappa)
    if alpha == 0.0:
        return 0.0, 0.0

    def gap(q):
        return _q_of_qhat(_qhat_of_q(q, alpha, kappa)) - q

    grid = 1.0 - np.geomspace(1.0, 1e-9, 400)
    grid[0] = 0.0
    prev_q, prev_g = grid[0], gap(grid[0])
    for q in grid[1:]:
        g = gap(q)
        if prev_g > 0 >= g:
            q_star = brentq(gap, prev_q, q, xtol=1e-14, rtol=1e-13)
            return float(q_star), float(_qhat_of_q(q_star, alpha, kappa))
        prev_q, prev_g = q, g
    raise ValueError(f"alpha={alpha}, kappa={kappa}: no replica-symmetric solution with q < 1 "
                     "(alpha is far beyond the capacity)")


def perceptron_entropy(alpha, kappa=0.0):
    """RS entropy per weight ``phi(alpha, kappa)`` (nats) at the saddle point of
    :func:`perceptron_saddle_point`; ``log 2`` at ``alpha = 0``."""
    alpha = check_real("alpha", alpha, lo=0)
    kappa = check_real("kappa", kappa)
    q, qhat = perceptron_saddle_point(alpha, kappa)
    entropic = -0.5 * qhat * (1.0 - q) + float(_WEIGHTS @ _log2cosh(np.sqrt(qhat) * _NODES))
    if alpha == 0.0:
        return entropic
    u = (kappa - np.sqrt(q) * _NODES) / np.sqrt(1.0 - q)
    return entropic + alpha * float(_WEIGHTS @ log_H(u))


def perceptron_capacity(kappa=0.0):
    """Capacity ``alpha_c(kappa)``: the ``alpha`` where the RS entropy of
    :func:`perceptron_entropy` vanishes (``alpha_c(0) ~ 0.833``)."""
    kappa = check_real("kappa", kappa)
    lo, hi = 1e-3, 0.5
    while perceptron_entropy(hi, kappa) > 0:
        lo, hi = hi, 2.0 * hi
        if hi > 1e4:
            raise ValueError(f"kappa={kappa}: capacity above 1e4 not supported")
    while perceptron_entropy(lo, kappa) < 0:
        lo /= 10.0
        if lo < 1e-12:
            raise ValueError(f"kappa={kappa}: capacity below 1e-12 not supported")
    return float(brentq(lambda a: perceptron_entropy(a, kappa), lo, hi, xtol=1e-12, rtol=1e-12))
