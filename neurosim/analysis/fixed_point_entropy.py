"""Empirical entropy of fixed points by exhaustive enumeration at small N, and the
exact finite-N expectation of the number of fixed points it is checked against.

Derivation of the expectation (core module, Eq. 1, density rho, J_ij ~ N(0, 1/(rho N))
on an independent Bernoulli(rho) pattern without diagonal, self-coupling J_D,
optional constant field b). State s is a fixed point iff for every i

    sgn(h_i) = s_i,   h_i = sum_{j != i} J_ij s_j + J_D s_i + b_i   (sgn(0) := +1).

Given row i's pattern with k_i = #{j : A_ij = 1} ~ Binomial(N - 1, rho), the
recurrent part sum_{j != i} J_ij s_j is N(0, sigma_k^2) with sigma_k^2 = k_i/(rho N)
whatever s is (a sum of independent symmetric Gaussians), and the rows are
independent because J is not symmetric. Hence, with Phi the standard normal
CDF, H(x) = 1 - Phi(x) = Phi(-x), and m_i(s_i) = J_D + s_i b_i,

    P(i stable | s_i) = E_k Phi(m_i(s_i) / sigma_k)                  (k > 0)
    E[#fp] = sum_s prod_i P(i stable | s_i) = prod_i sum_{s_i = +-1} E_k Phi(m_i(s_i)/sigma_k).

For rho = 1 and b = 0 every k_i = N - 1, sigma_N^2 = (N - 1)/N, and

    E[#fp] = 2^N H(-J_D / sigma_N)^N,          (finite-N annealed count)

whose log divided by N tends to the annealed entropy log 2 + log H(-J_D) of the
paper (Eq. 17 with L = 1) as N -> infinity. A row without any coupling (k = 0)
has h_i = J_D s_i + b_i exactly: stable iff J_D + b_i >= 0 for s_i = +1 and iff
J_D - b_i > 0 for s_i = -1.
"""
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from .fixed_points import enumerate_fixed_points


def expected_fixed_points(n, j_d, rho=1.0, field=None, log=False):
    """Exact E[#fp] over the couplings of a core module of ``n`` neurons with
    self-coupling ``j_d``, density ``rho`` and constant field ``field`` [N] (see
    the module docstring; rho = 1, b = 0 gives 2^N H(-J_D/sigma_N)^N with
    sigma_N^2 = (N - 1)/N). ``log=True`` returns log E[#fp]."""
    n = int(n)
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if not 0.0 < rho <= 1.0:
        raise ValueError(f"rho must be in (0, 1], got {rho}")
    j_d = float(j_d)
    b = np.zeros(n) if field is None else np.asarray(field, dtype=np.float64).reshape(n)
    ks = np.arange(n)                                  # k = 0 .. N - 1 couplings per row
    pk = stats.binom.pmf(ks, n - 1, rho)
    sigma = np.sqrt(np.maximum(ks, 1) / (rho * n))
    log_e = 0.0
    for bi in np.unique(b):
        total = 0.0
        for s in (1.0, -1.0):
            m = j_d + s * bi
            p_row = special.ndtr(m / sigma)            # Phi(m / sigma_k), k > 0
            p_row[0] = float(m > 0 or (m == 0 and s > 0))
            total += float(np.dot(pk, p_row))
        log_e += np.count_nonzero(b == bi) * (np.log(total) if total > 0 else -np.inf)
    return log_e if log else float(np.exp(log_e))


def finite_n_annealed_entropy(n, j_d, rho=1.0, field=None):
    """(1/N) log E[#fp], the finite-N annealed entropy of :func:`expected_fixed_points`."""
    return expected_fixed_points(n, j_d, rho, field, log=True) / int(n)


def count_fixed_points(cn, field=None):
    """Number of fixed points of a network with N <= 24 (exhaustive enumeration of
    the 2^N states with :func:`enumerate_fixed_points`)."""
    return int(enumerate_fixed_points(cn, field).shape[0])


@dataclass
class FixedPointEntropy:
    """Result of :func:`empirical_entropy`. ``counts`` [R]: #fp of each draw.

    quenched          mean over draws with #fp > 0 of log(#fp)/N (and its stderr)
    zero_fraction     fraction of draws without any fixed point
    mean_count        mean #fp over the draws, ``mean_count_stderr`` its standard error
    annealed          log(mean_count)/N, the empirical annealed entropy
    expected_count    exact E[#fp] when known (:func:`core_entropy`), else None
    expected_annealed log(expected_count)/N, else None
    z_score           (mean_count - expected_count)/mean_count_stderr, else None
    """

    n: int
    counts: np.ndarray
    quenched: float
    quenched_stderr: float
    zero_fraction: float
    mean_count: float
    mean_count_stderr: float
    annealed: float
    expected_count: float = None
    expected_annealed: float = None
    z_score: float = None


def _draw_seed(seed, r):
    """Seed of draw r: independent streams for every (seed, r)."""
    return int(np.random.SeedSequence([int(seed), int(r)]).generate_state(1)[0])


def _compiled(obj):
    """A Network or CompiledNetwork as a CompiledNetwork."""
    from ..compiled import CompiledNetwork, compile
    from ..network import Network
    if isinstance(obj, CompiledNetwork):
        return obj
    if isinstance(obj, Network):
        return compile(obj)
    raise TypeError(f"expected a Network or CompiledNetwork, got {type(obj).__name__}")


def empirical_entropy(cn, n_draws=1, seed=0, field=None, expected=None):
    """Entropy of fixed points from exhaustive enumeration, averaged over draws.

    ``cn``: a CompiledNetwork (one draw) or a callable ``seed -> Network |
    CompiledNetwork`` giving an independent draw of the couplings per call
    (``n_draws`` calls, seeds derived from ``seed``). For each draw r,
    #fp_r = |{s in {-1,1}^N : sgn(h(s)) = s}| by enumeration (N <= 24), and

        S_quenched = < log(#fp_r) / N >_r      (draws with #fp_r > 0)
        S_annealed = log < #fp_r >_r / N

    ``expected`` (optional) is the exact E[#fp] to compare with, e.g. from
    :func:`expected_fixed_points`; the result then carries the z-score of the
    mean count. ``field`` [N] is a constant external field for every draw.
    """
    if callable(cn) and not hasattr(cn, "coupling_matrix"):
        nets = (_compiled(cn(_draw_seed(seed, r))) for r in range(int(n_draws)))
    else:
        nets = [_compiled(cn)]
    sizes, counts = set(), []
    for c in nets:
        sizes.add(int(c.n))
        counts.append(count_fixed_points(c, field))
    if not counts:
        raise ValueError("n_draws must be >= 1")
    if len(sizes) > 1:
        raise ValueError(f"the draws have different sizes: {sorted(sizes)}")
    (n,) = sizes
    counts = np.array(counts, dtype=np.int64)
    r = counts.size
    positive = counts[counts > 0]
    logs = np.log(positive) / n
    quenched = float(logs.mean()) if logs.size else float("nan")
    q_err = float(logs.std(ddof=1) / np.sqrt(logs.size)) if logs.size > 1 else float("nan")
    mean = float(counts.mean())
    m_err = float(counts.std(ddof=1) / np.sqrt(r)) if r > 1 else float("nan")
    out = FixedPointEntropy(n, counts, quenched, q_err, float(np.mean(counts == 0)), mean, m_err,
                            float(np.log(mean) / n) if mean > 0 else float("-inf"))
    if expected is not None:
        out.expected_count = float(expected)
        out.expected_annealed = float(np.log(expected) / n) if expected > 0 else float("-inf")
        out.z_score = float((mean - expected) / m_err) if m_err and m_err > 0 else float("nan")
    return out


def core_entropy(n, j_d, n_draws=200, rho=1.0, seed=0):
    """:func:`empirical_entropy` over ``n_draws`` random core modules
    (``neurosim.topologies.core(n, rho, j_d)``, no field), compared with the exact
    E[#fp] of :func:`expected_fixed_points` (2^N H(-J_D/sigma_N)^N for rho = 1)."""
    from neurosim import topologies

    def draw(s):
        return topologies.core(int(n), rho=rho, j_d=j_d, seed=s)

    return empirical_entropy(draw, n_draws, seed, expected=expected_fixed_points(n, j_d, rho))
