"""Local stability of the replica-symmetric saddle point ``q = qhat = 0`` of the
fixed-point entropy (supplementary section A, Eqs. 42-57).

The RS free entropy per neuron of an ``L``-layer chain, with the same overlap
``q`` and conjugate ``qhat`` in every layer, is (Eqs. 42-44)

    S_rs(q, qhat) = (1/L) [ (L/2) qhat (q - 1) + E_{t,z} log zeta ],
    zeta = sum_{s^1..s^L} exp(sqrt(qhat) sum_l t_l s^l)
           prod_l H((-v_l(s) - s^l z_l sqrt(q)) / sqrt(1 - q)),

``v_l(s) = J_D + lam_L s^{l-1} s^l + lam_R s^l s^{l+1}``.  At ``q = qhat = 0`` it
equals the annealed entropy.  Expanding to second order, then making it
stationary in ``qhat``, leaves ``S_a + C q^2``; ``C > 0`` is the paper's
criterion for the saddle point to be stable (Fig. 6).

Derivation used by :func:`rs_stability_coefficient` (any depth): write each
``H`` with Mehler's formula, ``H((-v - s b z)/sqrt(1-b^2)) = sum_m b^m s^m
gamma_m(v) He_m(z)/m!`` with ``gamma_1 = phi(v)``, ``gamma_2 = -v phi(v)``, and
``exp(a s t) = exp(a^2/2) sum_k a^k s^k He_k(t)/k!``.  The global flip
symmetry kills every odd Hermite order, so
``E log zeta = log z0 + L qhat/2 - E[U_2^2]/2 + O(q^3)`` with

    E[U_2^2] = qhat^2 p / 2 + q^2 m / 2 + qhat q r,
    p = sum_{ll'} <s_l s_l'>^2,
    m = sum_{l != l'} <s_l s_l' g_l g_l'>^2 + sum_l <g2_l>^2,
    r = sum_{ll'} <s_l s_l' g_l'>^2,

``<.>`` the annealed Gibbs average over columns (weights ``prod_l H(-v_l)``),
``g = phi(v)/H(-v)``, ``g2 = -v phi(v)/H(-v)``.  Stationarity in ``qhat`` gives

    C = [(L - r)^2 - m p] / (4 L p).

For ``L = 1`` this is Eq. 51 (whose printed form omits the factor ``q^2``):
``C = 1/4 + e^{-2J^2}/(16 pi^2 H^4) - (2 + J^2) e^{-J^2}/(8 pi H^2)``, ``H =
H(-J_D)``, and the intermediate Eq. 49 is reproduced term by term.  For ``L = 2``
and ``lam_L = lam_R`` it agrees with the printed ``A/B`` of Eqs. 56-57 to
rounding (checked in the tests, as is a brute-force quadrature of ``S_rs``).

Printing slips met on the way (none changes a result): Eqs. 36 and 44 run
the product over layers to ``L-1`` instead of ``L``; Eqs. 45-46 carry a stray
``sqrt(q + Delta)`` and Eq. 46 a ``-J_D/lam_R`` for ``-J_D + lam_R``; the text
after Eq. 49 calls the (concave) function's extremum in ``qhat`` a minimum -
it is a maximum, and ``S_rs^(2)`` of Eq. 51 lacks its factor ``q^2``.
"""
import itertools

import numpy as np

from ..validate import check_int, check_real
from .annealed import annealed_entropy
from .special import gauss_hermite, log_H, gaussian_pdf


def rs_stability_l1(j_d):
    """Coefficient of ``q^2`` in Eq. 51 (core module):
    ``1/4 + e^{-2 J_D^2}/(16 pi^2 H(-J_D)^4) - (2 + J_D^2) e^{-J_D^2}/(8 pi H(-J_D)^2)``.

    Equivalently ``[(1 - g^2)^2 - J_D^2 g^2] / 4`` with ``g = phi(J_D)/H(-J_D)``.
    Unlike the other functions it accepts negative ``j_d`` (the paper quotes
    the stability limit ``J_D >= -0.178``).
    """
    j = check_real("j_d", j_d)
    h = np.exp(log_H(-j))
    return float(0.25 + np.exp(-2 * j * j) / (16 * np.pi ** 2 * h ** 4)
                 - (2 + j * j) * np.exp(-j * j) / (8 * np.pi * h ** 2))


def rs_stability_l2(j_d, lam):
    """``A(J_D, lam) / B(J_D, lam)``, the coefficient of ``q^2`` in Eq. 55 for two
    layers with ``lam_L = lam_R = lam``, transcribed from Eqs. 56-57."""
    J = check_real("j_d", j_d, lo=0)
    l = check_real("lam", lam, lo=0)
    pi = np.pi
    a = np.exp(log_H(-J - l))       # H(-J_D - lam)
    c = np.exp(log_H(l - J))        # H(lam - J_D)
    s = (J + l) ** 2
    e_m = np.exp(-s)
    e_m2 = np.exp(-2 * s)
    e_3 = np.exp(3 * J ** 2 + 8 * l * J + 3 * l ** 2 - 4 * s)
    e_4 = np.exp(4 * J * l - s)
    e_42 = np.exp(4 * J * l - 2 * s)
    e_82 = np.exp(8 * J * l - 2 * s)
    e_2 = np.exp(2 * (J ** 2 + 4 * l * J + l ** 2) - 4 * s)
    e_6 = np.exp(J ** 2 + 6 * l * J + l ** 2 - 2 * s)
    A = (2 * pi ** 2 * a ** 8 + 8 * pi ** 2 * c ** 2 * a ** 6
         - 4 * e_m * pi * a ** 6 - 2 * e_m * J ** 2 * pi * a ** 6
         - 2 * e_m * l ** 2 * pi * a ** 6 - 4 * e_m * J * l * pi * a ** 6
         - 4 * e_3 * J ** 2 * pi * c * a ** 5 + 4 * e_3 * l ** 2 * pi * c * a ** 5
         + e_m2 * a ** 4 + 2 * e_42 * a ** 4 - e_82 * a ** 4 + 12 * pi ** 2 * c ** 4 * a ** 4
         - 8 * e_m * pi * c ** 2 * a ** 4 - 4 * e_4 * pi * c ** 2 * a ** 4
         - 2 * e_4 * J ** 2 * pi * c ** 2 * a ** 4 - 2 * e_4 * l ** 2 * pi * c ** 2 * a ** 4
         + 4 * e_4 * J * l * pi * c ** 2 * a ** 4 + 8 * pi ** 2 * c ** 6 * a ** 2
         - 4 * e_m * pi * c ** 4 * a ** 2 - 8 * e_4 * pi * c ** 4 * a ** 2
         - 2 * e_m * J ** 2 * pi * c ** 4 * a ** 2 - 2 * e_m * l ** 2 * pi * c ** 4 * a ** 2
         - 4 * e_m * J * l * pi * c ** 4 * a ** 2 + 4 * e_2 * c ** 2 * a ** 2
         - 4 * e_3 * J ** 2 * pi * c ** 5 * a + 4 * e_3 * l ** 2 * pi * c ** 5 * a
         + 2 * pi ** 2 * c ** 8 - 4 * e_6 * pi * c ** 6 - 2 * e_6 * J ** 2 * pi * c ** 6
         - 2 * e_6 * l ** 2 * pi * c ** 6 + 4 * e_6 * J * l * pi * c ** 6
         - e_m2 * c ** 4 + 2 * e_42 * c ** 4 + e_82 * c ** 4)
    B = 16 * pi ** 2 * (a ** 2 + c ** 2) ** 2 * (a ** 4 + c ** 4)
    return float(A / B)


def _columns(j_d, lam_l, lam_r, layers):
    s = np.array(list(itertools.product((-1.0, 1.0), repeat=layers)))
    v = np.full(s.shape, j_d)
    if layers > 1:
        bond = s[:, :-1] * s[:, 1:]
        v[:, 1:] += lam_l * bond
        v[:, :-1] += lam_r * bond
    return s, v


def rs_quadratic_form(j_d, lam_l=0.0, lam_r=None, layers=1):
    """Coefficients ``(c_qq, c_qqhat, c_qhatqhat)`` of the second-order expansion
    ``S_rs = S_a + c_qhatqhat qhat^2 + c_qqhat q qhat + c_qq q^2`` (per neuron,
    same ``q``, ``qhat`` in every layer), from the derivation in the module
    docstring.  For ``L = 1`` these are ``-J^2 g^2/4``, ``1/2 - g^2/2`` and
    ``-1/4`` of Eq. 49.  Enumerates the ``2^L`` columns (``layers <= 16``)."""
    j_d = check_real("j_d", j_d, lo=0)
    lam_l = check_real("lam_l", lam_l, lo=0)
    lam_r = lam_l if lam_r is None else check_real("lam_r", lam_r, lo=0)
    L = check_int("layers", layers, lo=1, hi=16)
    s, v = _columns(j_d, lam_l, lam_r, L)
    log_w = log_H(-v).sum(axis=1)
    w = np.exp(log_w - log_w.max())
    w /= w.sum()
    g1 = gaussian_pdf(v) * np.exp(-log_H(-v))
    g2 = -v * g1
    P = np.einsum("k,ki,kj->ij", w, s, s)
    M = np.einsum("k,ki,kj->ij", w, s * g1, s * g1)
    np.fill_diagonal(M, w @ g2)
    R = np.einsum("k,ki,kj->ij", w, s, s * g1)
    p, m, r = (P ** 2).sum(), (M ** 2).sum(), (R ** 2).sum()
    return float(-m / (4 * L)), float((L - r) / (2 * L)), float(-p / (4 * L))


def rs_stability_coefficient(j_d, lam_l=0.0, lam_r=None, layers=1):
    """Coefficient ``C`` of ``q^2`` in ``S_rs`` after eliminating ``qhat``
    (``C = c_qq - c_qqhat^2 / (4 c_qhatqhat)``), for any depth ``L <= 16`` and
    unequal ``lam_L``, ``lam_R``.  Equals :func:`rs_stability_l1` for ``L = 1``
    and :func:`rs_stability_l2` for ``L = 2``, ``lam_L = lam_R``; ``C > 0``
    means the annealed saddle point is locally stable."""
    c_qq, c_qx, c_xx = rs_quadratic_form(j_d, lam_l, lam_r, layers)
    return float(c_qq - c_qx ** 2 / (4 * c_xx))


def rs_free_entropy(q, qhat, j_d, lam_l=0.0, lam_r=None, layers=1, n_nodes=32):
    """``S_rs(q, qhat)`` per neuron (Eqs. 47-48 for ``L = 1``, Eqs. 53-54 for
    ``L = 2``; general ``L <= 3`` via Eq. 44) by tensor Gauss-Hermite quadrature
    over the ``2L`` Gaussian variables.  A brute-force reference for the
    expansion above; meant for small ``q``, ``qhat``."""
    q = check_real("q", q, lo=0, below=1)
    qhat = check_real("qhat", qhat, lo=0)
    j_d = check_real("j_d", j_d, lo=0)
    lam_l = check_real("lam_l", lam_l, lo=0)
    lam_r = lam_l if lam_r is None else check_real("lam_r", lam_r, lo=0)
    L = check_int("layers", layers, lo=1, hi=3)
    x, w = gauss_hermite(n_nodes)
    cols, v = _columns(j_d, lam_l, lam_r, L)
    # grids: axes (t_1..t_L, z_1..z_L)
    grids = np.meshgrid(*([x] * (2 * L)), indexing="ij")
    weight = np.ones_like(grids[0])
    for g in np.meshgrid(*([w] * (2 * L)), indexing="ij"):
        weight = weight * g
    t, z = grids[:L], grids[L:]
    a, b, sr = np.sqrt(qhat), np.sqrt(q), np.sqrt(1.0 - q)
    terms = []
    for s, vs in zip(cols, v):
        lt = 0.0
        for l in range(L):
            lt = lt + a * t[l] * s[l] + log_H((-vs[l] - s[l] * b * z[l]) / sr)
        terms.append(lt)
    log_zeta = np.logaddexp.reduce(np.stack(terms), axis=0)
    e_log = float(np.sum(weight * log_zeta))
    return (0.5 * L * qhat * (q - 1.0) + e_log) / L


def rs_quadratic_form_numeric(j_d, lam_l=0.0, lam_r=None, layers=1, delta=0.004, n_nodes=None):
    """``(c_qq, c_qqhat, c_qhatqhat)`` measured on :func:`rs_free_entropy` alone:
    second differences at steps ``delta`` and ``2 delta`` from ``q = qhat = 0``,
    combined as ``(8 f(delta) - f(2 delta)) / (4 delta^2)`` to cancel the cubic
    terms (the remaining error is O(delta^2), ~2e-4 relative at the default
    step).  Brute-force check of :func:`rs_quadratic_form`."""
    L = check_int("layers", layers, lo=1, hi=3)
    if n_nodes is None:
        n_nodes = {1: 40, 2: 20, 3: 10}[L]
    s_a = annealed_entropy(j_d, lam_l, lam_r, L)

    def f(q, x):
        return rs_free_entropy(q, x, j_d, lam_l, lam_r, L, n_nodes) - s_a

    d = float(delta)
    c_qq = (8 * f(d, 0) - f(2 * d, 0)) / (4 * d * d)
    c_xx = (8 * f(0, d) - f(0, 2 * d)) / (4 * d * d)
    g1 = f(d, d) - f(d, 0) - f(0, d)
    g2 = f(2 * d, 2 * d) - f(2 * d, 0) - f(0, 2 * d)
    c_qx = (8 * g1 - g2) / (4 * d * d)
    return float(c_qq), float(c_qx), float(c_xx)


def rs_stability_numeric(j_d, lam_l=0.0, lam_r=None, layers=1, delta=0.004, n_nodes=None):
    """``C`` from :func:`rs_quadratic_form_numeric` (brute-force counterpart of
    :func:`rs_stability_coefficient`)."""
    c_qq, c_qx, c_xx = rs_quadratic_form_numeric(j_d, lam_l, lam_r, layers, delta, n_nodes)
    return float(c_qq - c_qx ** 2 / (4 * c_xx))
