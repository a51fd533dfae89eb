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

from ..validate import check_int, check_real
from ._grids import half_line_t_grid, step_adapted_z_grid
from .annealed import annealed_entropy
from .special import log_H

LOG2 = math.log(2.0)
Y_MAX = 1e7          # largest y searched for y*(d)
MAX_CHAIN_WORK = 2e8  # integrand evaluations allowed for one two-layer moment
COLD_START = (4.0, 0.3)  # (y, qhat) first guess: typical of y*(d) at the small J_D, lam of interest


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
    d = check_real("d", d, above=0, hi=0.5)
    y = None if y is None else check_real("y", y, above=0)
    j_d = check_real("j_d", j_d, lo=0)
    lam = check_real("lam", lam, lo=0)
    layers = check_int("layers", layers, lo=1, hi=2)
    if layers == 1 and lam != 0.0:
        raise ValueError(f"lam must be 0 for layers=1 (a single core module has no chain coupling), got {lam!r}")
    return d, y, j_d, lam, layers


# ----------------------------------------------------------------------------- L = 1

def _core_moments(qhat, q1, y, j_d, chunk=2048):
    """``(log I, <tanh^2>, <log zeta>)`` for the core module (Eq. 77); the
    ``t`` nodes are processed in chunks so memory stays bounded at large ``y``."""
    a = math.sqrt(qhat)
    sq, sr = math.sqrt(q1), math.sqrt(1.0 - q1)
    z, lwz = step_adapted_z_grid([-j_d / sq, j_d / sq], sr / sq)
    t, lwt = half_line_t_grid(a, y)
    lA = log_H(-(j_d + sq * z) / sr)[:, None]
    lB = log_H(-(j_d - sq * z) / sr)[:, None]
    ref = -np.inf
    s0 = s1 = s2 = 0.0
    for k in range(0, len(t), chunk):
        at = a * t[None, k:k + chunk]
        u, v = at + lA, -at + lB
        log_zeta = np.logaddexp(u, v)
        tanh = np.tanh(0.5 * (u - v))
        lw = y * log_zeta + lwz[:, None] + lwt[None, k:k + chunk]
        top = lw.max()
        if top > ref:
            scale = math.exp(ref - top) if np.isfinite(ref) else 0.0
            s0, s1, s2, ref = s0 * scale, s1 * scale, s2 * scale, top
        e = np.exp(lw - ref)
        s0 += e.sum()
        s1 += (e * tanh * tanh).sum()
        s2 += (e * log_zeta).sum()
    return float(ref + math.log(s0)), float(s1 / s0), float(s2 / s0)


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
        # full line: mirror the positive nodes, splitting their (doubled) weights back over +-t
        pos = t_half > 0
        t = np.concatenate([-t_half[pos][::-1], t_half])
        lw = np.concatenate([lw_half[pos][::-1], lw_half])
        lw = lw - np.where(t != 0, LOG2, 0.0)
        rows = max(1, int(2_000_000 // len(t)))          # bound the memory of the (c, t) blocks
        log_k, sech, lc = (np.empty(len(c)) for _ in range(3))
        for k in range(0, len(c), rows):
            x = a * t[None, :] + c[k:k + rows, None]
            ax = np.abs(x)
            log_cosh = ax - LOG2 + np.log1p(np.exp(-2 * ax))
            lwt = lw[None, :] + y * log_cosh
            log_k[k:k + rows] = logsumexp(lwt, axis=1)
            p = np.exp(lwt - log_k[k:k + rows, None])
            sech2 = np.exp(2 * (LOG2 - ax - np.log1p(np.exp(-2 * ax))))
            sech[k:k + rows] = np.sum(p * sech2, axis=1)
            lc[k:k + rows] = np.sum(p * log_cosh, axis=1)
        eps = log_k - (y * c + 0.5 * y * y * a * a - y * LOG2)
        lc -= c + y * a * a - LOG2
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
    z, lwz = step_adapted_z_grid(kinks, sr / sq, coarse=0.35, fine=0.25, spread=2.0)
    t, lwt = half_line_t_grid(a, y)
    if len(t) * len(z) ** 2 > MAX_CHAIN_WORK:
        raise ValueError(f"y = {y:.3g}, qhat = {qhat:.3g}: the two-layer integral needs "
                         f"{len(t) * len(z) ** 2:.2g} evaluations (at most {MAX_CHAIN_WORK:.0g})")
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

    log_sech = math.log(1.0 - q1)

    def gap(log_qhat):
        # log(1 - q1) - log(1 - <tanh^2>): same root, much better conditioned near q1 = 1
        if log_qhat not in cache:
            cache[log_qhat] = _moments(math.exp(log_qhat), q1, y, j_d, lam, layers)
        return log_sech - math.log(max(1.0 - cache[log_qhat][1], 1e-300))

    # y qhat stays O(1) at the solutions of interest; start there when no guess is given
    x0 = math.log(guess) if guess and guess > 0 else math.log(2.0 / max(y, 0.2))
    x_max = math.log(1e3 / y)          # y qhat <= 1e3
    f0 = gap(min(x0, x_max))
    x0 = min(x0, x_max)
    step = 0.7 if guess else 1.5
    lo = hi = x0
    if f0 < 0:
        while gap(hi) < 0:
            if hi >= x_max:
                raise ValueError(f"no qhat with y*qhat <= 1e3 solves the saddle-point equation "
                                 f"(d={(1 - q1) / 2:g}, y={y:g})")
            lo, hi = hi, min(hi + step, x_max)
            step *= 1.6
    else:
        while gap(lo) > 0:
            lo, hi = lo - step, lo
            step *= 1.6
            if lo < -60:
                raise ValueError(f"no qhat > 0 solves the saddle-point equation (d={(1 - q1) / 2:g}, y={y:g}); "
                                 "the replica-symmetric local-entropy solution does not exist here")
    x = brentq(gap, lo, hi, xtol=1e-11, rtol=1e-11)
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


def local_entropy_point(d, y, j_d, lam=0.0, layers=1):
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
    return local_entropy_point(d, y, j_d, lam, layers).free_energy


def internal_entropy(d, y, j_d, lam=0.0, layers=1):
    """``S_I(d, y) = -d(y Phi)/dy`` (per neuron per layer)."""
    return local_entropy_point(d, y, j_d, lam, layers).s_internal


def external_entropy(d, y, j_d, lam=0.0, layers=1):
    """``S_E(d, y) = -y (Phi + S_I)`` (per neuron per layer)."""
    return local_entropy_point(d, y, j_d, lam, layers).s_external


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

    x0 = math.log(y_guess) if y_guess and y_guess > 0 else math.log(COLD_START[0])
    step = 0.25 if y_guess else 0.5
    lo = hi = x0
    if s_e(x0) > 0:
        while s_e(hi) > 0:
            lo, hi = hi, hi + step
            step *= 1.5
            if hi > math.log(Y_MAX):
                raise ValueError(f"S_E(d={d:g}, y) > 0 for every y <= {Y_MAX:g}: no finite y*(d) "
                                 f"(happens at large J_D and small d, j_d={j_d:g})")
    else:
        while s_e(lo) < 0:
            lo, hi = lo - step, lo
            step *= 1.5
            if lo < math.log(1e-4):
                raise ValueError(f"S_E(d={d}, y) stays negative down to y = 1e-4")
    x = brentq(s_e, lo, hi, xtol=1e-9, rtol=1e-10)
    return points.get(x) or _point(d, math.exp(x), j_d, lam, layers, state["qhat"])


def _y_star_joint(d, j_d, lam, layers, y_guess, qhat_guess):
    """Solve ``<tanh^2> = q1`` and ``S_E = 0`` together for ``(log qhat, log y)``
    by MINPACK's hybrid Powell method from a nearby solution (continuation
    along a curve): ~10 evaluations instead of ~50 for the nested solve.  A
    result far from the start is rejected (from a poor start the Broyden
    updates wander off).  Returns ``None`` when it does not converge cleanly."""
    from scipy.optimize import root
    q1 = 1.0 - 2.0 * d
    L = layers
    cache = {}

    def point(x):
        key = (float(x[0]), float(x[1]))
        if key not in cache:
            qhat, y = math.exp(key[0]), math.exp(key[1])
            if not (0.5 <= y <= Y_MAX and y * qhat <= 1e3):
                raise ValueError("step left the supported range")      # -> nested solve
            log_i, tanh2, mlz = _moments(qhat, q1, y, j_d, lam, L)
            phi = -0.5 * L * qhat + 0.5 * L * (1.0 - y) * qhat * q1 + log_i / y
            s_i = -0.5 * L * qhat + 0.5 * L * (1.0 - 2.0 * y) * qhat * q1 + mlz
            cache[key] = (tanh2, phi, s_i, y * (phi - s_i), qhat, y)
        return cache[key]

    def residual(x):
        tanh2, _, s_i, s_e, _, _ = point(x)
        gap = math.log(max(1.0 - tanh2, 1e-300)) - math.log(1.0 - q1)
        return [gap, s_e / (abs(s_i) + 1e-3)]

    try:
        sol = root(residual, [math.log(qhat_guess), math.log(y_guess)], method="hybr",
                   options={"xtol": 1e-10, "maxfev": 60})
    except (ValueError, FloatingPointError, OverflowError):
        return None
    if not sol.success:
        return None
    tanh2, phi, s_i, s_e, qhat, y = point(sol.x)
    if abs(math.log(1.0 - tanh2) - math.log(1.0 - q1)) > 1e-8 or abs(s_e) > 1e-9 * (abs(s_i) + 1e-3) \
            or y < 1.0 or abs(math.log(y / y_guess)) > 1.0:
        return None
    return LocalEntropy(d, y, j_d, lam, L, q1, qhat, -phi / L, s_i / L, s_e / L)


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

#: The curves of Fig. 4 as ``(label, layers, j_d, lam)``; draw each with
#: ``internal_entropy_curve(j_d, lam, layers)`` and plot ``s_internal`` vs ``d``
#: (about 1 s per core-module curve, 20-40 s per two-layer curve).
FIG4_CASES = (
    ("core J_D=0.05", 1, 0.05, 0.0), ("core J_D=0.07", 1, 0.07, 0.0), ("core J_D=0.1", 1, 0.1, 0.0),
    ("L=2 J_D=0.05 lam=0.2", 2, 0.05, 0.2), ("L=2 J_D=0.05 lam=0.3", 2, 0.05, 0.3),
    ("L=2 J_D=0.05 lam=0.4", 2, 0.05, 0.4),
    ("L=2 J_D=0 lam=0.4", 2, 0.0, 0.4), ("L=2 J_D=0 lam=0.45", 2, 0.0, 0.45), ("L=2 J_D=0 lam=0.5", 2, 0.0, 0.5),
)


def internal_entropy_curve(j_d, lam=0.0, layers=1, d=DEFAULT_DISTANCES):
    """``S_I(d, y*(d))`` on the distances ``d`` (Fig. 4): a dict of numpy arrays
    ``d``, ``y_star``, ``s_internal``, ``s_external`` (~0), ``qhat``,
    ``free_energy``.  Solved in increasing ``d`` with warm starts (extrapolated
    in ``log d``).  ``y_star`` is ``inf`` at ``d = 0.5``; entries are NaN where
    ``S_E(d, y) > 0`` for all ``y <= 1e7`` (large ``J_D`` at small ``d``)."""
    ds = [check_real("d", x, above=0, hi=0.5) for x in np.atleast_1d(np.asarray(d, dtype=float))]
    _, _, j_d, lam, layers = _check(0.25, None, j_d, lam, layers)
    order = np.argsort(ds)
    rows = [None] * len(ds)
    done = []          # (log d, log y*, log qhat) of solved points, for extrapolated starts
    for i in order:
        pt = None
        if done and ds[i] < 0.5:
            if len(done) >= 2 and done[-1][0] > done[-2][0]:
                (x0, y0, q0), (x1, y1, q1) = done[-2], done[-1]
                f = (math.log(ds[i]) - x1) / (x1 - x0)
                y_g, q_g = math.exp(y1 + f * (y1 - y0)), math.exp(q1 + f * (q1 - q0))
            else:
                y_g, q_g = math.exp(done[-1][1]), math.exp(done[-1][2])
            pt = _y_star_joint(ds[i], j_d, lam, layers, max(y_g, 1.0), q_g)
        if pt is None:
            guess = (math.exp(done[-1][1]), math.exp(done[-1][2])) if done else (None, None)
            try:
                pt = _y_star_point(ds[i], j_d, lam, layers, *guess)
            except ValueError:          # no finite y*(d) (or no RS solution): leave NaN
                nan = float("nan")
                pt = LocalEntropy(ds[i], nan, j_d, lam, layers, 1.0 - 2.0 * ds[i], nan, nan, nan, nan)
        rows[i] = pt
        if math.isfinite(pt.y) and math.isfinite(pt.qhat) and pt.qhat > 0:
            done.append((math.log(ds[i]), math.log(pt.y), math.log(pt.qhat)))
    return {
        "d": np.array(ds), "y_star": np.array([r.y for r in rows]),
        "s_internal": np.array([r.s_internal for r in rows]),
        "s_external": np.array([r.s_external for r in rows]),
        "qhat": np.array([r.qhat for r in rows]),
        "free_energy": np.array([r.free_energy for r in rows]),
    }


# ----------------------------------------------------------------------------- criticality

def internal_entropy_min_slope(j_d, lam=0.0, layers=1, d_min=1e-3, d_max=0.3, n=24, refine=True):
    """Smallest slope ``dS_I(d, y*(d)) / d log d`` over ``d in [d_min, d_max]``
    and where it occurs, as ``(slope, d)``.  Negative: ``S_I`` is not
    monotonic in ``d`` (no accessible dense region, End Matter); positive:
    monotonic.  A log-spaced scan of ``n`` distances locates the minimum of
    the finite-difference slope; ``refine`` then re-evaluates it on 9 points
    spaced 0.04 in ``log d`` around it and takes the vertex of a parabola."""
    d_min = check_real("d_min", d_min, above=0, hi=0.5)
    d_max = check_real("d_max", d_max, above=0, hi=0.5)
    if not d_min < d_max:
        raise ValueError(f"d_min must be < d_max, got d_min={d_min!r}, d_max={d_max!r}")
    n = check_int("n", n, lo=4)
    x = np.linspace(math.log(d_min), math.log(d_max), n)
    s = internal_entropy_curve(j_d, lam, layers, np.exp(x))["s_internal"]
    if not np.all(np.isfinite(s)):
        raise ValueError(f"S_I(d, y*(d)) is undefined for some d in [{d_min:g}, {d_max:g}] (no finite y*)")
    slope = np.diff(s) / np.diff(x)
    i = int(np.argmin(slope))
    x_best, m_best = 0.5 * (x[i] + x[i + 1]), float(slope[i])
    if refine:
        xf = x_best + 0.04 * np.arange(-4, 5)
        xf = xf[(xf > math.log(1e-6)) & (xf <= math.log(0.5))]
        sf = internal_entropy_curve(j_d, lam, layers, np.exp(xf))["s_internal"]
        if not np.all(np.isfinite(sf)):
            raise ValueError("S_I(d, y*(d)) is undefined near its steepest descent (no finite y*)")
        mid = 0.5 * (xf[1:] + xf[:-1])
        sl = np.diff(sf) / np.diff(xf)
        k = int(np.argmin(sl))
        if 0 < k < len(sl) - 1:
            c2, c1, c0 = np.polyfit(mid[k - 1:k + 2], sl[k - 1:k + 2], 2)
            if c2 > 0:
                xv = -c1 / (2 * c2)
                x_best, m_best = xv, float(c0 - c1 * c1 / (4 * c2))
            else:
                x_best, m_best = mid[k], float(sl[k])
        else:
            x_best, m_best = mid[k], float(sl[k])
    return m_best, float(math.exp(x_best))


def _critical(fun, lo, hi, xtol, name):
    f_lo, f_hi = fun(lo), fun(hi)
    if f_lo * f_hi > 0:
        raise ValueError(f"{name}: the monotonicity margin has the same sign at both ends of the bracket "
                         f"[{lo}, {hi}] ({f_lo:.3g}, {f_hi:.3g}); widen the bracket")
    return float(brentq(fun, lo, hi, xtol=xtol, rtol=1e-8))


def critical_self_coupling(layers=1, lam=0.0, bracket=(0.05, 0.1), xtol=5e-4, d_min=1e-3, d_max=0.3, n=24):
    """``J_Dc``: the self-coupling above which ``S_I(d, y*(d))`` is monotonic in
    ``d`` (root in ``J_D`` of :func:`internal_entropy_min_slope`).  The paper
    quotes ``J_Dc ~ 0.07`` for the core module; this computation gives 0.0731
    (steepest descent at ``d ~ 0.006``), in ~3 s."""
    _, _, _, lam, layers = _check(0.25, None, 0.0, lam, layers)
    return _critical(lambda j: internal_entropy_min_slope(j, lam, layers, d_min, d_max, n)[0],
                     *bracket, xtol, "critical_self_coupling")


def critical_lambda(j_d=0.0, bracket=(0.4, 0.5), xtol=1e-3, d_min=2e-3, d_max=0.3, n=14):
    """Critical chain coupling of the two-layer chain: the ``lam`` above which
    ``S_I(d, y*(d))`` is monotonic in ``d`` at self-coupling ``j_d``.  The paper
    says ``lam_c <~ 0.45`` at ``J_D = 0``; this computation gives 0.4524
    (steepest descent at ``d ~ 0.006``), in a few minutes (each two-layer
    evaluation is ~0.05-0.3 s)."""
    j_d = check_real("j_d", j_d, lo=0)
    return _critical(lambda l: internal_entropy_min_slope(j_d, l, 2, d_min, d_max, n)[0],
                     *bracket, xtol, "critical_lambda")
