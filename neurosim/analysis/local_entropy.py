"""Numerical local-entropy profile around a reference state (the finite-N
counterpart of the Franz-Parisi local entropy of the theory, Eqs. 7-9).

For a reference state s~ (typically a fixed point) and integer Hamming distance
k, the profile is

    N_fp(k) = #{ s : d_H(s, s~) = k,  sgn(h_i(s)) = s_i for all i },
    S(k)    = (1/N) log N_fp(k),          at normalised distance k/N,

with h(s) = (J + K + diag(J_D)) s + b and sgn(0) := +1. Three estimators:

* ``full`` (N <= 24): every fixed point by exhaustive enumeration, histogrammed
  by distance to s~: exact for every k.
* ``exact``: all C(N, k) states of the Hamming sphere checked one by one
  (numba; the fields of s~ are updated by the k flips, h'_i = h_i - 2 sum_{j in F}
  M_ij s~_j): exact, affordable while C(N, k) is small (k <= 3-4 for N ~ 100).
* ``sample``: M states drawn uniformly on the sphere (k distinct neurons
  flipped, partial Fisher-Yates); with H hits the unbiased estimate is
  N_fp(k) ~ C(N, k) H / M, standard error C(N, k) sqrt(f(1 - f)/M), f = H/M.
  It resolves only densities f >~ 1/M: where no sample hits, the count is 0 and
  ``upper`` holds the 95 % upper bound C(N, k) * 3/M (rule of three).

Uniform sampling is used rather than "random flips + relaxation", because the
attractors reached by relaxation are not uniform over the fixed points at a
given distance (they are weighted by their basins), so they do not give counts;
relaxation from flips is the displacement of :mod:`.landscape`.
"""
from dataclasses import dataclass

import numba as nb
import numpy as np
from scipy.special import gammaln

from .fixed_points import MAX_ENUMERATE, enumerate_fixed_points


@nb.njit(cache=True)
def _is_fixed_after_flips(M, s, h0, flip, k):
    """Whether s with the neurons flip[:k] flipped is a fixed point; h0 = M s + b."""
    n = s.shape[0]
    for t in range(k):                 # the flipped neurons first: most likely to fail
        i = flip[t]
        h = h0[i]
        for u in range(k):
            j = flip[u]
            h -= 2.0 * M[i, j] * s[j]
        if (h >= 0.0) != (s[i] < 0.0):  # new s_i = -s_i
            return False
    for i in range(n):
        flipped = False
        for u in range(k):
            if flip[u] == i:
                flipped = True
                break
        if flipped:
            continue
        h = h0[i]
        for u in range(k):
            j = flip[u]
            h -= 2.0 * M[i, j] * s[j]
        if (h >= 0.0) != (s[i] > 0.0):
            return False
    return True


@nb.njit(cache=True)
def _sphere_count(M, s, h0, k):
    """Number of fixed points among the C(N, k) states at Hamming distance k
    from s: combinations in lexicographic order."""
    n = s.shape[0]
    flip = np.arange(max(k, 1))
    count = 0
    if k == 0:
        return 1 if _is_fixed_after_flips(M, s, h0, flip, 0) else 0
    while True:
        if _is_fixed_after_flips(M, s, h0, flip, k):
            count += 1
        t = k - 1                      # advance to the next combination
        while t >= 0 and flip[t] == n - k + t:
            t -= 1
        if t < 0:
            return count
        flip[t] += 1
        for u in range(t + 1, k):
            flip[u] = flip[u - 1] + 1


@nb.njit(cache=True)
def _sphere_hits(M, s, h0, k, n_samples, seed):
    """Fixed points among ``n_samples`` uniform states at Hamming distance k."""
    np.random.seed(seed)
    n = s.shape[0]
    perm = np.arange(n)
    hits = 0
    for _ in range(n_samples):
        for t in range(k):             # partial Fisher-Yates: a uniform k-subset
            r = t + np.random.randint(n - t)
            perm[t], perm[r] = perm[r], perm[t]
        if _is_fixed_after_flips(M, s, h0, perm, k):
            hits += 1
    return hits


def _log_binom(n, k):
    """log C(n, k) via log-gamma (no overflow)."""
    return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)


@dataclass
class LocalEntropyProfile:
    """Result of :func:`local_entropy_profile`, one entry per distance k.

    distances [K] (integer k), log_counts [K] (log N_fp(k), exact or estimated;
    -inf for none), rel_stderr [K] (relative standard error of N_fp(k): 0 where
    exact, sqrt((1 - f)/H) where sampled with H hits), log_upper [K] (log of the
    95 % upper bound where sampling found none, else = log_counts), method [K]
    ("full" / "exact" / "sample"), samples [K] (0 where exact). Logs are kept
    because C(N, k) overflows a float for N in the thousands."""

    n: int
    distances: np.ndarray
    log_counts: np.ndarray
    rel_stderr: np.ndarray
    log_upper: np.ndarray
    method: np.ndarray
    samples: np.ndarray

    @property
    def counts(self):
        """N_fp(k) (inf where it overflows a float; integers where exact)."""
        with np.errstate(over="ignore"):
            c = np.exp(self.log_counts)
        exact = self.method != "sample"
        c[exact] = np.rint(c[exact])
        return c

    @property
    def normalized_distances(self):
        return self.distances / self.n

    @property
    def entropy(self):
        """S(k) = log(N_fp(k))/N (-inf where the count is 0); its standard error
        is about rel_stderr / N."""
        return self.log_counts / self.n


def _log(x):
    """log x with log 0 = -inf and no warning."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.log(x)


def local_entropy_profile(cn, s, field=None, d_max=None, method="auto", n_samples=10000, budget=200_000, seed=0):
    """Number of fixed points at each Hamming distance k = 0..d_max from the state
    ``s`` [N] under the constant field ``field`` [N] (see the module docstring).

    method: ``"full"`` (N <= 24), ``"exact"``, ``"sample"`` (``n_samples`` per k),
    or ``"auto"``: ``full`` when N <= 16, else ``exact`` where C(N, k) <= ``budget``
    and ``sample`` beyond. ``d_max`` defaults to N (full) or to the largest exact
    k plus 2."""
    s = np.asarray(s).reshape(-1)
    n = cn.n
    if s.size != n or not np.all((s == 1) | (s == -1)):
        raise ValueError(f"s must be a +-1 state of size N = {n}")
    if method not in ("auto", "full", "exact", "sample"):
        raise ValueError(f"method must be auto, full, exact or sample, got {method!r}")
    b = np.zeros(n) if field is None else np.asarray(field, dtype=np.float64).reshape(n)
    if method == "full" or (method == "auto" and n <= 16):
        if n > MAX_ENUMERATE:
            raise ValueError(f"method='full' needs N <= {MAX_ENUMERATE}, the network has N = {n}")
        fps = enumerate_fixed_points(cn, b)
        dist = np.count_nonzero(fps != s[None].astype(np.int8), axis=1)
        d_max = n if d_max is None else min(int(d_max), n)
        ks = np.arange(d_max + 1)
        logs = _log(np.bincount(dist, minlength=n + 1)[: d_max + 1])
        zero = np.zeros(ks.size)
        return LocalEntropyProfile(n, ks, logs, zero, logs.copy(), np.array(["full"] * ks.size),
                                   zero.astype(np.int64))
    M = np.ascontiguousarray(cn.coupling_matrix())
    sf = s.astype(np.float64)
    h0 = M @ sf + b
    log_budget = np.log(budget)
    if d_max is None:
        k_exact = 0
        while k_exact + 1 <= n and _log_binom(n, k_exact + 1) <= log_budget:
            k_exact += 1
        d_max = k_exact + 2
    ks = np.arange(min(int(d_max), n) + 1)
    logs, rel, log_up = (np.zeros(ks.size) for _ in range(3))
    how, samples = [], np.zeros(ks.size, dtype=np.int64)
    for t, k in enumerate(ks):
        lb = _log_binom(n, k)
        if method == "exact" or (method == "auto" and lb <= log_budget):
            logs[t] = log_up[t] = _log(_sphere_count(M, sf, h0, int(k)))
            how.append("exact")
            continue
        hits = _sphere_hits(M, sf, h0, int(k), int(n_samples), int(seed) + int(k))
        f = hits / n_samples
        logs[t] = lb + _log(f)
        rel[t] = np.sqrt((1 - f) / hits) if hits else np.inf
        log_up[t] = logs[t] if hits else lb + np.log(3.0 / n_samples)
        samples[t] = n_samples
        how.append("sample")
    return LocalEntropyProfile(n, ks, logs, rel, log_up, np.array(how), samples)
