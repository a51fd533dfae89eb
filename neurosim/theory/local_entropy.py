"""Local-entropy (large-deviation) analysis of the fixed points: End Matter
and supplementary section B of the paper (Eqs. 7-9, 73-81), for the core
module (``layers=1``) and the two-layer chain (``layers=2``, ``lam_L = lam_R``).

Definitions (Eqs. 7-8): ``Z(d, y) = sum_s~ N(s~, d)^y``,
``Phi(d, y) = -lim log Z / (N y)``, internal entropy
``S_I = -d(y Phi)/dy``, external entropy ``S_E = -y (Phi + S_I)``.  With the
1-RSB reading of ref. [33] (Parisi parameter ``m = y``, intra-block overlap
``q1 = 1 - 2 d``, ``q0 = qhat0 = 0`` by the global flip symmetry) the
free entropy per neuron of an ``L``-layer module, summed over layers, is

    phi(d, y) = -(L/2) qhat + (L/2) (1 - y) qhat q1 + (1/y) log I,
    I = E_{z,t} zeta^y,

with ``zeta = sum_s e^{s t sqrt(qhat)} H(-(J_D + s z sqrt(q1))/sqrt(1 - q1))``
for ``L = 1`` (Eq. 77) and

    zeta = sum_{s,s'} e^{sqrt(qhat)(s t + s' t')}
           H((-J_D - lam s s' - s sqrt(q1) z)/sqrt(1-q1))
           H((-J_D - lam s s' - s' sqrt(q1) z')/sqrt(1-q1))

for ``L = 2`` (Eqs. 79, 81).  ``qhat`` solves ``d phi / d qhat = 0``, which after
a Gaussian integration by parts in ``t`` reads ``q1 = <tanh^2>_y``, i.e.
``q1 = E[zeta^(y-2) zeta_t^2] / E[zeta^y]`` (Eqs. 78, 80).  Then (envelope
theorem)

    S_I = d(y phi)/dy = -(L/2) qhat + (L/2)(1 - 2y) qhat q1 + E[zeta^y log zeta]/E[zeta^y],
    S_E = y (phi - S_I).

Every returned entropy and ``Phi`` is divided by ``L`` (per neuron per layer,
as in Fig. 4).

Differences with the printed formulas, settled by the checks in the tests:

* Eqs. 9, 73, 77 and 79 label their right-hand side ``-y Phi``.  It is the
  1-RSB free entropy ``(1/(n N)) log E N^n = (1/(y N)) log Z = -Phi``; with
  the ``-y Phi`` label ``S_I`` and ``S_E`` would not reduce to the internal
  entropy and complexity, and at ``y = 1`` ``phi`` would not equal the total
  entropy ``log 2H(-J_D)`` (it does, for every ``d``, with our reading).
* Eq. 78 has ``sqrt(qhat1)`` inside ``H``; the derivative of Eq. 77 gives
  ``sqrt(q1)`` there.
* Eqs. 79/81 write ``+lam s s'`` where the fixed-point condition (Eq. 12)
  gives ``-lam s s'``; the free energy is even in ``lam`` (flip layer 2 and
  ``z', t'``), so nothing changes.

Numerics: trapezoid rules on adapted grids (``_grids``); ``L = 1`` is a 2-d
integral over ``(z, t)``.  For ``L = 2`` the ``t'`` integral is done in closed
form on a spline table: for fixed ``(z, t, z')``, ``zeta = 2 sqrt(P M)
cosh(a t' + c)``, so only ``E cosh(a t' + c)^y`` and two moments of it are
needed, leaving a 3-d integral over ``(z, t, z')``.
"""
import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.optimize import brentq
from scipy.special import logsumexp

from . import _validate as V
from ._grids import half_line_t_grid, step_adapted_z_grid
from .annealed import annealed_entropy
from .special import log_H

LOG2 = math.log(2.0)


@dataclass(frozen=True)
class LocalEntropy:
    """One point of the local-entropy analysis (entropies per neuron per layer)."""
    d: float
    y: float
    j_d: float
    lam: float
    layers: int
    q1: float
    qhat: float
    free_energy: float      # Phi(d, y)
    s_internal: float       # S_I(d, y)
    s_external: float       # S_E(d, y)

    def as_dict(self):
        return asdict(self)


def _check(d, y, j_d, lam, layers):
    d = V.distance("d", d)
    y = None if y is None else V.real("y", y, minimum=0.0, min_open=True)
    j_d = V.non_negative("j_d", j_d)
    lam = V.non_negative("lam", lam)
    layers = V.integer("layers", layers, minimum=1, maximum=2)
    if layers == 1 and lam != 0.0:
        raise ValueError(f"lam must be 0 for layers=1 (a single core module has no chain coupling), got {lam!r}")
    return d, y, j_d, lam, layers


# ----------------------------------------------------------------------------- L = 1

def _core_moments(qhat, q1, y, j_d):
    """``(log I, <tanh^2>, <log zeta>)`` for the core module (Eq. 77)."""
    a = math.sqrt(qhat)
    sq, sr = math.sqrt(q1), math.sqrt(1.0 - q1)
    z, lwz = step_adapted_z_grid([-j_d / sq, j_d / sq], sr / sq)
    t, lwt = half_line_t_grid(a, y)
    lA = log_H(-(j_d + sq * z) / sr)[:, None]
    lB = log_H(-(j_d - sq * z) / sr)[:, None]
    at = a * t[None, :]
    u, v = at + lA, -at + lB
    log_zeta = np.logaddexp(u, v)
    tanh = np.tanh(0.5 * (u - v))
    lw = y * log_zeta + lwz[:, None] + lwt[None, :]
    log_i = logsumexp(lw)
    p = np.exp(lw - log_i)
    return float(log_i), float(np.sum(p * tanh * tanh)), float(np.sum(p * log_zeta))


# ----------------------------------------------------------------------------- L = 2

class _CoshTables:
    """Splines in ``c >= 0`` of, for ``t ~ N(0, 1)`` and ``x = a t + c``:

    * ``eps(c)  = log E cosh(x)^y - (y c + y^2 a^2 / 2 - y log 2)``
    * ``sech(c) = E[cosh^y sech^2] / E[cosh^y]``     (``= 1 - <tanh^2>``)
    * ``lc(c)   = E[cosh^y log cosh] / E[cosh^y] - (c + y a^2 - log 2)``

    all three vanishing as ``c -> inf`` (set to 0 beyond the table)."""

    def __init__(self, a, y, step=0.02):
        self.c_max = max(5.0, 0.5 * (math.log(max(y, 1.0)) + 2 * a * a + 36.0))
        c = np.arange(0.0, self.c_max + step, step)
        t_half, lw_half = half_line_t_grid(a, y)
        # full line, weights of the half-line rule split back over +-t
        t = np.concatenate([-t_half[:0:-1], t_half])
        lw = np.concatenate([lw_half[:0:-1], lw_half]) - np.where(np.concatenate([t_half[:0:-1], t_half]) > 0,
                                                                  LOG2, 0.0)
        x = a * t[None, :] + c[:, None]
        ax = np.abs(x)
        log_cosh = ax - LOG2 + np.log1p(np.exp(-2 * ax))
        lwt = lw[None, :] + y * log_cosh
        log_k = logsumexp(lwt, axis=1)
        p = np.exp(lwt - log_k[:, None])
        sech2 = np.exp(2 * (LOG2 - ax - np.log1p(np.exp(-2 * ax))))
        eps = log_k - (y * c + 0.5 * y * y * a * a - y * LOG2)
        sech = np.sum(p * sech2, axis=1)
        lc = np.sum(p * log_cosh, axis=1) - (c + y * a * a - LOG2)
        # one cubic spline per table; coefficients as contiguous rows (3 tables, 4 powers, intervals)
        self._step = step
        self._coef = np.ascontiguousarray(np.stack([CubicSpline(c, v).c for v in (eps, sech, lc)]))
        self._n = len(c) - 1

    def __call__(self, c):
        """``(eps, sech, lc)`` at the points ``c >= 0`` (zero beyond the table)."""
        pos = c / self._step
        idx = np.minimum(pos.astype(np.intp), self._n - 1)
        u = (pos - idx) * self._step
        outside = c >= self.c_max
        out = []
        for k in self._coef:
            v = ((k[0].take(idx) * u + k[1].take(idx)) * u + k[2].take(idx)) * u + k[3].take(idx)
            v[outside] = 0.0
            out.append(v)
        return tuple(out)


def _chain2_moments(qhat, q1, y, j_d, lam):
    """``(log I, <tanh^2>, <log zeta>)`` for the two-layer chain (Eq. 79)."""
    a = math.sqrt(qhat)
    sq, sr = math.sqrt(q1), math.sqrt(1.0 - q1)
    kinks = [s * (j_d + sig * lam) / sq for s in (-1, 1) for sig in (-1, 1)]
    z, lwz = step_adapted_z_grid(kinks, sr / sq, spread=2.5, fine=0.2)
    t, lwt = half_line_t_grid(a, y)
    tables = _CoshTables(a, y)

    def lg(sig, x):
        return log_H((-j_d - lam * sig - sq * x) / sr)

    gp_z, gp_mz = lg(1, z), lg(1, -z)
    gm_z, gm_mz = lg(-1, z), lg(-1, -z)
    # P = e^{at} g+(z) g+(z') + e^{-at} g-(-z) g-(z'),  M = e^{at} g-(z) g-(-z') + e^{-at} g+(-z) g+(-z')
    zz_w = lwz[:, None] + lwz[None, :]
    p_plus = gp_z[:, None] + gp_z[None, :]
    p_minus = gm_mz[:, None] + gm_z[None, :]
    m_plus = gm_z[:, None] + gm_mz[None, :]
    m_minus = gp_mz[:, None] + gp_mz[None, :]
    ref = -np.inf
    s0 = s1 = s2 = 0.0
    for ti, lwti in zip(t, lwt):
        at = a * ti
        lP = np.logaddexp(at + p_plus, -at + p_minus)
        lM = np.logaddexp(at + m_plus, -at + m_minus)
        mx = np.maximum(lP, lM)
        c = 0.5 * np.abs(lP - lM)
        eps, sech, lc = tables(c)
        lw = y * mx + eps + zz_w + lwti
        top = lw.max()
        if top > ref:
            scale = math.exp(ref - top) if np.isfinite(ref) else 0.0
            s0, s1, s2, ref = s0 * scale, s1 * scale, s2 * scale, top
        e = np.exp(lw - ref)
        s0 += e.sum()
        s1 += (e * sech).sum()
        s2 += (e * (mx + lc)).sum()
    log_i = ref + math.log(s0) + 0.5 * y * y * a * a
    return float(log_i), float(1.0 - s1 / s0), float(s2 / s0 + y * a * a)


# ----------------------------------------------------------------------------- common

def _moments(qhat, q1, y, j_d, lam, layers):
    if layers == 1:
        return _core_moments(qhat, q1, y, j_d)
    return _chain2_moments(qhat, q1, y, j_d, lam)


def _solve_qhat(q1, y, j_d, lam, layers, guess=None):
    """Root of ``<tanh^2>_y(qhat) = q1`` (increasing in ``qhat``), bracketed
    geometrically from ``guess`` and refined by Brent's method in ``log qhat``.
    Returns ``(qhat, (log I, <tanh^2>, <log zeta>))``."""
    cache = {}

    def gap(log_qhat):
        if log_qhat not in cache:
            cache[log_qhat] = _moments(math.exp(log_qhat), q1, y, j_d, lam, layers)
        return cache[log_qhat][1] - q1

    x0 = math.log(guess) if guess and guess > 0 else 0.0
    f0 = gap(x0)
    step = 0.7 if guess else 1.5
    lo = hi = x0
    if f0 < 0:
        while gap(hi) < 0:
            lo, hi = hi, hi + step
            step *= 1.6
            if hi > 40:
                raise ValueError(f"no qhat solves the saddle-point equation (d={(1 - q1) / 2}, y={y})")
    else:
        while gap(lo) > 0:
            lo, hi = lo - step, lo
            step *= 1.6
            if lo < -60:
                raise ValueError(f"no qhat > 0 solves the saddle-point equation (d={(1 - q1) / 2}, y={y}); "
                                 "the replica-symmetric local-entropy solution does not exist here")
    x = brentq(gap, lo, hi, xtol=1e-11, rtol=1e-12)
    return math.exp(x), cache.get(x) or _moments(math.exp(x), q1, y, j_d, lam, layers)


def _point(d, y, j_d, lam, layers, guess=None):
    q1 = 1.0 - 2.0 * d
    L = layers
    if d == 0.5:     # q1 = 0: qhat = 0, zeta is constant, S_I = annealed entropy, S_E = 0
        s_a = annealed_entropy(j_d, lam, lam, L)
        return LocalEntropy(d, y, j_d, lam, L, 0.0, 0.0, -s_a, s_a, 0.0)
    qhat, (log_i, _, mean_log_zeta) = _solve_qhat(q1, y, j_d, lam, L, guess)
    phi = -0.5 * L * qhat + 0.5 * L * (1.0 - y) * qhat * q1 + log_i / y
    s_i = -0.5 * L * qhat + 0.5 * L * (1.0 - 2.0 * y) * qhat * q1 + mean_log_zeta
    s_e = y * (phi - s_i)
    return LocalEntropy(d, y, j_d, lam, L, q1, qhat, -phi / L, s_i / L, s_e / L)


def local_entropy(d, y, j_d, lam=0.0, layers=1):
    """``Phi(d, y)``, ``S_I(d, y)``, ``S_E(d, y)`` and the saddle point ``qhat``
    (Eqs. 77-81) as a :class:`LocalEntropy`; per neuron per layer.

    ``d`` in (0, 0.5] is the normalized Hamming distance inside a cluster
    (``q1 = 1 - 2d``), ``y > 0`` the reweighting exponent, ``layers`` 1 (core
    module) or 2 (two-layer chain with coupling ``lam``).
    At ``y = 1``, ``-Phi`` is the annealed entropy for every ``d``.
    """
    d, y, j_d, lam, layers = _check(d, y, j_d, lam, layers)
    return _point(d, y, j_d, lam, layers)


def local_free_energy(d, y, j_d, lam=0.0, layers=1):
    """``Phi(d, y)`` of Eq. 8 (per neuron per layer)."""
    return local_entropy(d, y, j_d, lam, layers).free_energy


def internal_entropy(d, y, j_d, lam=0.0, layers=1):
    """``S_I(d, y) = -d(y Phi)/dy`` (per neuron per layer)."""
    return local_entropy(d, y, j_d, lam, layers).s_internal


def external_entropy(d, y, j_d, lam=0.0, layers=1):
    """``S_E(d, y) = -y (Phi + S_I)`` (per neuron per layer)."""
    return local_entropy(d, y, j_d, lam, layers).s_external


def _y_star_point(d, j_d, lam, layers, y_guess=None, qhat_guess=None):
    if d == 0.5:
        pt = _point(d, 1.0, j_d, lam, layers)
        return LocalEntropy(d, math.inf, j_d, lam, layers, pt.q1, pt.qhat, pt.free_energy, pt.s_internal, 0.0)
    state = {"qhat": qhat_guess}
    points = {}

    def s_e(log_y):
        if log_y not in points:
            pt = _point(d, math.exp(log_y), j_d, lam, layers, state["qhat"])
            state["qhat"] = pt.qhat
            points[log_y] = pt
        return points[log_y].s_external

    x0 = math.log(y_guess) if y_guess and y_guess > 0 else 0.0
    step = 0.25 if y_guess else 0.7
    lo = hi = x0
    if s_e(x0) > 0:
        while s_e(hi) > 0:
            lo, hi = hi, hi + step
            step *= 1.5
            if hi > math.log(1e7):
                raise ValueError(f"S_E(d={d}, y) stays positive up to y = 1e7")
    else:
        while s_e(lo) < 0:
            lo, hi = lo - step, lo
            step *= 1.5
            if lo < math.log(1e-4):
                raise ValueError(f"S_E(d={d}, y) stays negative down to y = 1e-4")
    x = brentq(s_e, lo, hi, xtol=1e-9, rtol=1e-10)
    return points.get(x) or _point(d, math.exp(x), j_d, lam, layers, state["qhat"])


def y_star(d, j_d, lam=0.0, layers=1):
    """``y*(d)``: the ``y`` where the external entropy vanishes,
    ``S_E(d, y*) = 0`` (``inf`` at ``d = 0.5``, where ``S_E = 0`` for all ``y``)."""
    d, _, j_d, lam, layers = _check(d, None, j_d, lam, layers)
    return _y_star_point(d, j_d, lam, layers).y


def local_entropy_at_y_star(d, j_d, lam=0.0, layers=1):
    """:class:`LocalEntropy` at ``y = y*(d)``; its ``s_internal`` is the curve of
    Fig. 4."""
    d, _, j_d, lam, layers = _check(d, None, j_d, lam, layers)
    return _y_star_point(d, j_d, lam, layers)


DEFAULT_DISTANCES = tuple(float(x) for x in np.geomspace(2e-4, 0.45, 34))


def internal_entropy_curve(j_d, lam=0.0, layers=1, d=DEFAULT_DISTANCES):
    """``S_I(d, y*(d))`` on the distances ``d`` (Fig. 4): a dict of numpy arrays
    ``d``, ``y_star``, ``s_internal``, ``s_external`` (~0), ``qhat``,
    ``free_energy``.  Solved in increasing ``d`` with warm starts."""
    ds = [V.distance("d", x) for x in np.atleast_1d(np.asarray(d, dtype=float))]
    _, _, j_d, lam, layers = _check(0.25, None, j_d, lam, layers)
    order = np.argsort(ds)
    rows = [None] * len(ds)
    y_g = q_g = None
    for i in order:
        pt = _y_star_point(ds[i], j_d, lam, layers, y_g, q_g)
        rows[i] = pt
        if math.isfinite(pt.y):
            y_g, q_g = pt.y, pt.qhat
    return {
        "d": np.array(ds), "y_star": np.array([r.y for r in rows]),
        "s_internal": np.array([r.s_internal for r in rows]),
        "s_external": np.array([r.s_external for r in rows]),
        "qhat": np.array([r.qhat for r in rows]),
        "free_energy": np.array([r.free_energy for r in rows]),
    }
