"""Landscape analysis of SM-G: stable states, attractor displacement under
spin-flip noise (Fig. 12b) and interpolation paths between attractors with their
curvature and trajectory distances (Eqs. 95-99, Figs. 12a and 13).

Distances are the normalised Hamming distance d of :mod:`.hamming`.

Stable states (Eq. 95). The stable state of input x^mu is reached by iterating

    s_i <- sgn( sum_{j != i} J_ij s_j + J_D s_i + b_i^mu )                 (95)

from the neutral start (s = 0, the convention of inference in Algorithm 1)
until convergence, with the input field alone (no right field). The paper
writes b_i^mu = lambda_x x_i^mu (input of dimension N); in neurosim the input
goes through the input map, b^mu = lambda_x a_in * (W_in x^mu) (Eq. 82), which is
Eq. 95 when W_in is the identity. Fixed couplings K (chains) are included.

Interpolated inputs (Eq. 96). Between inputs x^mu and x^nu (distance m = D
d(x^mu, x^nu) in flipped positions) the intermediate input x_tau has
d(x_tau, x^mu) / d(x^mu, x^nu) = tau. Taken literally, Eq. 96 is the Hamming
sphere of radius tau m around x^mu, which does not involve x^nu beyond m (at
tau = 1 it is almost never x^nu). Here the default (``geodesic=True``) draws
x_tau uniformly from the part of that sphere lying on a shortest path to x^nu,

    { x : d(x, x^mu) = tau d(x^mu, x^nu),  d(x, x^nu) = (1 - tau) d(x^mu, x^nu) },

i.e. x^mu with a uniformly random subset of round(tau m) of the m differing
positions switched to x^nu (x_0 = x^mu, x_1 = x^nu); ``geodesic=False`` draws
from the literal sphere (round(tau m) positions among all D). One resample is
one random ordering of the candidate positions, switched in order as tau grows,
so a resample is a monotone path and its marginal at each tau is uniform.

Curvature and trajectory distances, with s^mu = s*(x^mu), s_tau = s*(x_tau):

    C(tau)            = [d(s^mu, s_tau) + d(s_tau, s^nu)] / d(s^mu, s^nu)     (97)
    kappa             = max_{tau in (0, 1)} E[C(tau)]                       (98)
    D(tau_1, tau_2)   = d(s_tau1, s_tau2) / d(s^mu, s^nu)                    (99)

C >= 1 by the triangle inequality, = 1 exactly when s_tau lies on a shortest
Hamming path between the endpoints. E is the mean over resamples of x_tau.

Attractor displacement (Fig. 12b). s_noise = s* (.) xi with xi_i = -1 with
probability p_noise (else +1); s_noise relaxes under Eq. 95 to s~*, and
Delta = d(s*, s~*).
"""
from dataclasses import dataclass

import numpy as np

from ..engine import relax
from .hamming import hamming


def _field(cn, x=None, field=None, lam_x=None, batch=None):
    """The constant field b [B, N]: ``field`` as given, else the input field of x
    (no right field), else zero."""
    if field is not None:
        b = np.atleast_2d(np.asarray(field, dtype=np.float64))
    elif x is not None:
        b = cn.field(x=np.atleast_2d(np.asarray(x, dtype=np.float64)), lam_x=lam_x)
    else:
        b = np.zeros((1, cn.n))
    if batch is not None and b.shape[0] == 1 and batch > 1:
        b = np.repeat(b, batch, axis=0)
    return np.ascontiguousarray(b)


def stable_states(cn, x=None, field=None, lam_x=None, s0=None, mode="sync", p=1.0, max_steps=100, seed=0):
    """Eq. 95: the states reached by iterating the dynamics under the input field
    of ``x`` [B, D] (or the given ``field`` [B, N]) from ``s0`` (default: the
    neutral start), without right field. Returns the :class:`RelaxResult` (its
    ``converged`` says which are fixed points)."""
    b = _field(cn, x, field, lam_x)
    if s0 is None:
        s0 = np.zeros((b.shape[0], cn.n), dtype=np.int8)
    return relax(cn, s0=s0, field=b, mode=mode, p=p, max_steps=max_steps, seed=seed)


# --------------------------------------------------------------- displacement
def flip_noise(states, p_noise, rng, exact=False):
    """s (.) xi: each entry of ``states`` flipped independently with probability
    ``p_noise`` (xi_i ~ Rademacher(p_noise) of SM-G), or, with ``exact=True``,
    exactly round(p_noise N) uniformly chosen entries of every row."""
    s = np.array(np.atleast_2d(states), dtype=np.int8)
    if not 0.0 <= p_noise <= 1.0:
        raise ValueError(f"p_noise must be in [0, 1], got {p_noise}")
    if exact:
        k = int(round(p_noise * s.shape[1]))
        idx = np.argsort(rng.random(s.shape), axis=1)[:, :k]
        np.put_along_axis(s, idx, -np.take_along_axis(s, idx, axis=1), axis=1)
    else:
        s[rng.random(s.shape) < p_noise] *= -1
    return s


@dataclass
class Displacement:
    """Result of :func:`attractor_displacement`: ``displacement`` [K, B, S] is
    d(s*, s~*) for noise level ``p_noise[k]``, state b and noise sample s;
    ``converged`` [K, B, S] says whether s~* is a fixed point."""

    p_noise: np.ndarray
    displacement: np.ndarray
    converged: np.ndarray

    def summary(self, percentiles=(25, 50, 75)):
        """[K, len(percentiles)] percentiles of the displacement over states and
        samples at each noise level (Fig. 12b: median and 25th-75th range)."""
        flat = self.displacement.reshape(len(self.p_noise), -1)
        return np.percentile(flat, percentiles, axis=1).T


def attractor_displacement(cn, s_star, p_noise, x=None, field=None, lam_x=None, n_samples=1, seed=0,
                           mode="sync", p=1.0, max_steps=100, exact=False):
    """Fig. 12b: displacement Delta = d(s*, s~*) of the stable states ``s_star``
    [B, N] under spin-flip noise of every level in ``p_noise``.

    Each s* is flipped (:func:`flip_noise`, ``n_samples`` times per level) and
    relaxed under the same field as s* (that of ``x`` or ``field``, see
    :func:`stable_states`) to s~*. If s* is a fixed point of that field, level
    0 gives Delta = 0 exactly."""
    s_star = np.atleast_2d(np.asarray(s_star, dtype=np.int8))
    n_b = s_star.shape[0]
    levels = np.atleast_1d(np.asarray(p_noise, dtype=np.float64))
    n_samples = int(n_samples)
    b = _field(cn, x, field, lam_x, batch=n_b)
    if b.shape[0] != n_b:
        raise ValueError(f"the field has batch {b.shape[0]} but s_star has {n_b}")
    b_rep = np.ascontiguousarray(np.tile(b, (n_samples, 1)))
    rng = np.random.default_rng(seed)
    disp = np.empty((levels.size, n_b, n_samples))
    conv = np.empty((levels.size, n_b, n_samples), dtype=bool)
    start = np.tile(s_star, (n_samples, 1))                 # [S * B, N], sample-major
    for k, level in enumerate(levels):
        noisy = flip_noise(start, level, rng, exact)
        res = relax(cn, s0=noisy, field=b_rep, mode=mode, p=p, max_steps=max_steps, seed=int(seed) + k)
        d = hamming(res.states, start).reshape(n_samples, n_b)
        disp[k] = d.T
        conv[k] = res.converged.reshape(n_samples, n_b).T
    return Displacement(levels, disp, conv)


# ---------------------------------------------------------- interpolation paths
def interpolated_inputs(x_mu, x_nu, taus, n_resamples=1, seed=0, geodesic=True):
    """Eq. 96: inputs x_tau [R, T, D] between +-1 inputs ``x_mu`` and ``x_nu``
    for every tau in ``taus`` (see the module docstring: x_mu with round(tau m)
    positions switched, m the number of positions where they differ; with
    ``geodesic=False``, flipped among all D positions)."""
    x_mu, x_nu = np.asarray(x_mu).ravel(), np.asarray(x_nu).ravel()
    if x_mu.shape != x_nu.shape:
        raise ValueError(f"x_mu and x_nu differ in size: {x_mu.size} and {x_nu.size}")
    taus = np.asarray(taus, dtype=np.float64).ravel()
    if np.any((taus < 0) | (taus > 1)):
        raise ValueError("every tau must be in [0, 1]")
    diff = np.flatnonzero(x_mu != x_nu)
    m = diff.size
    pool = diff if geodesic else np.arange(x_mu.size)
    ks = np.rint(taus * m).astype(np.int64)
    rng = np.random.default_rng(seed)
    out = np.empty((int(n_resamples), taus.size, x_mu.size), dtype=x_mu.dtype)
    for r in range(int(n_resamples)):
        order = rng.permutation(pool)
        for t, k in enumerate(ks):
            x = x_mu.copy()
            x[order[:k]] = -x[order[:k]]
            out[r, t] = x
    return out


def path_curvature(s_mu, s_nu, s_tau):
    """Eq. 97: C = [d(s_mu, s_tau) + d(s_tau, s_nu)] / d(s_mu, s_nu) for states
    ``s_tau`` [..., N] (NaN when s_mu = s_nu)."""
    base = hamming(s_mu, s_nu)
    if base == 0:
        return np.full(np.asarray(s_tau).shape[:-1], np.nan)
    return (hamming(s_tau, s_mu) + hamming(s_tau, s_nu)) / base


def trajectory_distances(path, s_mu, s_nu):
    """Eq. 99: D[..., t1, t2] = d(s_t1, s_t2) / d(s_mu, s_nu) for a path of states
    [..., T, N] (NaN when s_mu = s_nu)."""
    path = np.asarray(path)
    base = hamming(s_mu, s_nu)
    d = np.mean(path[..., :, None, :] != path[..., None, :, :], axis=-1)
    return d / base if base > 0 else np.full(d.shape, np.nan)


@dataclass
class InterpolationPath:
    """One pair (mu, nu) of :func:`interpolation_path`.

    taus [T], s_mu / s_nu [N] the endpoint attractors, states [R, T, N] the
    attractors s_tau of every resample, converged [R, T], curvature [R, T]
    (Eq. 97), mean_curvature [T] (its mean over resamples) and kappa (Eq. 98:
    the maximum of mean_curvature over 0 < tau < 1)."""

    taus: np.ndarray
    s_mu: np.ndarray
    s_nu: np.ndarray
    states: np.ndarray
    converged: np.ndarray
    curvature: np.ndarray
    mean_curvature: np.ndarray
    kappa: float

    def distances(self):
        """Eq. 99 for every resample: D [R, T, T] (Fig. 13)."""
        return trajectory_distances(self.states, self.s_mu, self.s_nu)


def interpolation_path(cn, x_mu, x_nu, taus=None, n_resamples=8, seed=0, geodesic=True, lam_x=None,
                       mode="sync", p=1.0, max_steps=100):
    """Attractors along inputs interpolated from ``x_mu`` to ``x_nu`` (Eqs. 96-99).

    s_mu, s_nu and every s_tau are stable states (Eq. 95, :func:`stable_states`)
    of their inputs; ``taus`` defaults to 21 points in [0, 1]. Returns an
    :class:`InterpolationPath` (kappa is NaN when s_mu = s_nu or no tau is
    strictly inside (0, 1))."""
    taus = np.linspace(0.0, 1.0, 21) if taus is None else np.asarray(taus, dtype=np.float64).ravel()
    xs = interpolated_inputs(x_mu, x_nu, taus, n_resamples, seed, geodesic)
    r, t, dim = xs.shape
    batch = np.concatenate([np.asarray(x_mu).reshape(1, dim), np.asarray(x_nu).reshape(1, dim),
                            xs.reshape(r * t, dim)])
    res = stable_states(cn, x=batch, lam_x=lam_x, mode=mode, p=p, max_steps=max_steps, seed=seed)
    s_mu, s_nu = res.states[0], res.states[1]
    states = res.states[2:].reshape(r, t, cn.n)
    curv = path_curvature(s_mu, s_nu, states)
    mean_c = curv.mean(axis=0)
    inner = (taus > 0) & (taus < 1)
    kappa = float(np.max(mean_c[inner])) if inner.any() and np.all(np.isfinite(mean_c[inner])) else float("nan")
    return InterpolationPath(taus, s_mu, s_nu, states, res.converged[2:].reshape(r, t), curv, mean_c, kappa)


def pair_curvatures(cn, x, n_pairs, taus=None, n_resamples=8, seed=0, geodesic=True, lam_x=None,
                    mode="sync", p=1.0, max_steps=100):
    """Fig. 12a: kappa (Eq. 98) for ``n_pairs`` random pairs mu != nu of the
    inputs ``x`` [P, D]. Returns (pairs [n_pairs, 2], kappa [n_pairs])."""
    x = np.asarray(x)
    if x.shape[0] < 2:
        raise ValueError("need at least two inputs")
    rng = np.random.default_rng(seed)
    pairs = np.array([rng.choice(x.shape[0], size=2, replace=False) for _ in range(int(n_pairs))],
                     dtype=np.int64).reshape(-1, 2)
    kappa = np.array([interpolation_path(cn, x[a], x[b], taus, n_resamples, int(seed) + k + 1, geodesic, lam_x,
                                         mode, p, max_steps).kappa for k, (a, b) in enumerate(pairs)])
    return pairs, kappa
