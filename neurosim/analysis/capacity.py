"""Hetero-association capacity (SM-D, "Hetero-association task", Eq. 92, Fig. 9a).

A network of L layers of N neurons learns P random associations x^mu -> y^mu
(Rademacher, :func:`neurosim.datasets.hetero_association`). With s^*mu the
output-layer state reached by inference from x^mu,

    q^mu = (1/N) sum_i s_i^*mu y_i^mu,   pattern mu is learned iff q^mu > 1 - eps   (92)

and P_max is the largest P for which at least 95 % of the patterns are learned,
i.e. for which O_5(P) = 5th percentile of {q^mu} is >= 1 - eps (eps = 0.05).

Estimator (SM-D): train with sizes P drawn uniformly from [N/2, N], record
O_5(P) of each trial, fit a smoothing spline to the points (P, O_5) and solve

    spline(P_max) = 1 - eps.

The spline is scipy's cubic smoothing spline (``make_smoothing_spline``) whose
penalty is chosen by generalised cross-validation unless ``lam`` is given;
repeated P are merged into their mean with a weight equal to their count.
Among the crossings, P_max is the largest P at which the spline goes from
>= 1 - eps to < 1 - eps ("the largest P for which ..."), refined by Brent's
method on the spline.
"""
from dataclasses import dataclass

import numpy as np
from scipy import interpolate, optimize

from .hamming import overlap


def hetero_overlaps(states, y):
    """Eq. 92: q^mu = (1/N) sum_i s_i^mu y_i^mu for output states [P, N] and +-1
    targets [P, N]."""
    return overlap(np.atleast_2d(states), np.atleast_2d(y))


def o5(overlaps, percentile=5.0):
    """O_5: the 5th percentile of the overlaps of one trial."""
    return float(np.percentile(np.asarray(overlaps, dtype=np.float64), percentile))


def learned(overlaps, eps=0.05, fraction=0.95):
    """The criterion of Fig. 9a: at least ``fraction`` of the patterns have
    q^mu > 1 - eps."""
    return bool(np.mean(np.asarray(overlaps) > 1.0 - eps) >= fraction)


@dataclass
class CapacityFit:
    """Result of :func:`fit_capacity`. ``p_max`` (NaN unless ``status`` is
    "crossing"); ``status``: "crossing", "above" (the spline stays >= 1 - eps
    over the sampled P: P_max is beyond the range) or "below" (it never reaches
    1 - eps: P_max is below it); ``p`` / ``o5`` the merged points fitted;
    ``spline`` callable P -> fitted O_5; ``eps``."""

    p_max: float
    status: str
    p: np.ndarray
    o5: np.ndarray
    spline: object
    eps: float


def _smoothing_spline(p, y, w, lam):
    """Cubic smoothing spline of y(p) (GCV penalty when lam is None), fitted on p
    rescaled to [0, 1]; fewer than 5 points fall back to an interpolating
    spline of degree <= 3 (linear for 2 points)."""
    lo, span = p[0], max(p[-1] - p[0], 1e-12)
    u = (p - lo) / span
    if p.size >= 5:
        f = interpolate.make_smoothing_spline(u, y, w=w, lam=lam)
    elif p.size >= 2:
        f = interpolate.make_interp_spline(u, y, k=min(3, p.size - 1))
    else:
        raise ValueError("need at least 2 distinct values of P")
    return lambda q: f((np.asarray(q, dtype=np.float64) - lo) / span)


def fit_capacity(p_values, o5_values, eps=0.05, lam=None, grid=4001):
    """P_max from points (P, O_5(P)): smoothing spline and the largest downward
    crossing of 1 - eps (see the module docstring). ``lam`` fixes the penalty
    of the spline (on P rescaled to [0, 1]); ``grid`` points locate the crossings."""
    p = np.asarray(p_values, dtype=np.float64).ravel()
    y = np.asarray(o5_values, dtype=np.float64).ravel()
    if p.shape != y.shape:
        raise ValueError(f"{p.size} values of P but {y.size} of O_5")
    ok = np.isfinite(p) & np.isfinite(y)
    p, y = p[ok], y[ok]
    up, inv, cnt = np.unique(p, return_inverse=True, return_counts=True)
    ym = np.bincount(inv, weights=y) / cnt
    spline = _smoothing_spline(up, ym, cnt.astype(np.float64), lam)
    level = 1.0 - eps
    xs = np.linspace(up[0], up[-1], int(grid))
    g = spline(xs) - level
    down = np.flatnonzero((g[:-1] >= 0) & (g[1:] < 0))
    if down.size:
        k = down[-1]
        a, b = xs[k], xs[k + 1]
        p_max = a if g[k] == 0 else optimize.brentq(lambda q: float(spline(q)) - level, a, b)
        return CapacityFit(float(p_max), "crossing", up, ym, spline, eps)
    status = "above" if g[-1] >= 0 else "below"
    return CapacityFit(float("nan"), status, up, ym, spline, eps)


# ----------------------------------------------------------------- training
def hetero_network(layers, n, rho=1.0, j_d=0.5, lam=1.0, seed=0, lam_x=1.0, lam_y=0.5, rho_in=None):
    """A chain (``neurosim.topologies.chain``) of ``layers`` x ``n`` neurons for the
    hetero-association task: input x [n] through a random W_in onto layer 0
    (density ``rho_in``, topology default when None), supervision lam_y y
    straight onto the last layer (W_back = identity there, zero elsewhere), so
    that Trainer.train_batch's ``y_back`` is the +-1 target y."""
    from .. import topologies
    from ..compiled import compile
    kw = dict(input_dim=n, n_classes=n, lam_x=lam_x, lam_y=lam_y)
    if rho_in is not None:
        kw["rho_in"] = rho_in
    cn = compile(topologies.chain(layers, n, rho=rho, j_d=j_d, lam=lam, seed=seed, **kw))
    w_back = np.zeros((cn.n, n))
    w_back[cn.population_slice(cn.pop_names[-1]), :] = np.eye(n)
    return cn.with_couplings(w_back=w_back)


def hetero_trial(cn, x, y, config, output=None):
    """Train a copy of ``cn`` on the associations x [P, D] -> y [P, n_out] with
    Algorithm 1 (``config``: a TrainConfig; its epochs, batch size and seed; no
    readout) and return the overlaps q^mu of Eq. 92 between the inference
    states of the ``output`` neurons (slice, index array or population name;
    default: the last population) and y. ``y`` is fed as the supervision
    vector, so W_back must map it onto the output layer (:func:`hetero_network`)."""
    from ..learning import Trainer
    trainer = Trainer(cn.copy(), config)
    c = trainer.config
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    for e in range(c.epochs):
        order = np.random.default_rng([c.seed, e]).permutation(len(x))
        for k, start in enumerate(range(0, len(x), c.batch_size)):
            idx = order[start:start + c.batch_size]
            trainer.train_batch(x[idx], y[idx], None, key=(e, k), readout=False)
    if output is None:
        output = trainer.cn.pop_names[-1]
    if isinstance(output, str):
        output = trainer.cn.population_slice(output)
    states = trainer.infer(x)[:, output]
    return hetero_overlaps(states, y)


@dataclass
class HeteroCapacity:
    """Result of :func:`hetero_capacity`: ``fit`` (:class:`CapacityFit`), ``p`` [T]
    the dataset size and ``o5`` [T] the O_5 of every trial, ``overlaps`` the
    list of per-trial q^mu arrays."""

    fit: CapacityFit
    p: np.ndarray
    o5: np.ndarray
    overlaps: list


def hetero_capacity(make_network, n, config, n_trials=20, p_range=(0.5, 1.0), eps=0.05, seed=0, lam=None,
                    output=None):
    """The SM-D estimator of P_max for output width ``n``: ``n_trials`` trials,
    each with P drawn uniformly among the integers of [p_range[0] n, p_range[1] n],
    a fresh network ``make_network(seed=seed_t)`` (a CompiledNetwork; e.g. a partial
    of :func:`hetero_network`), fresh associations
    (``hetero_association(P, input_dim, n)``), :func:`hetero_trial`, O_5, and
    finally :func:`fit_capacity`."""
    from ..datasets import hetero_association
    rng = np.random.default_rng(seed)
    lo, hi = int(np.ceil(p_range[0] * n)), int(np.floor(p_range[1] * n))
    ps, o5s, qs = [], [], []
    for t in range(int(n_trials)):
        p = int(rng.integers(lo, hi + 1))
        s_t = int(np.random.SeedSequence([int(seed), t]).generate_state(1)[0])
        cn = make_network(seed=s_t)
        data = hetero_association(p, cn.input_dim, int(n), seed=s_t)
        q = hetero_trial(cn, data.x, data.y, config, output)
        ps.append(p)
        o5s.append(o5(q))
        qs.append(q)
    ps, o5s = np.array(ps, dtype=np.float64), np.array(o5s)
    return HeteroCapacity(fit_capacity(ps, o5s, eps, lam), ps, o5s, qs)
