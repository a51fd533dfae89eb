"""Single core modules: the paper's core (Eq. 1) and its symmetric
initialisation sym0 (SM-E)."""
import numpy as np
import scipy.sparse as sp

from neurosim.patterns import random_pattern

from ._common import check_core, check_sizes, finish, gaussian_scale, start


def core(n, rho=1.0, j_d=0.5, seed=0, **common):
    """One population ``"core"`` of ``n`` neurons (Eq. 1):
    s_i <- sgn(sum_{j != i} J_ij s_j + J_D s_i), J_ij != 0 with probability
    ``rho``, drawn N(0, 1/(rho n)); self-coupling ``j_d`` = J_D >= 0.
    ``seed`` fixes every draw; see ``_common`` for the common keywords.

    ``rho`` defaults to 1, a fully connected core: SM-E calls its baseline "the
    core module with rho = 1" ("the core model is fully connected"), and the
    initial overlaps q_dyn of Table VII (N = 1600, no learning involved) are
    matched to 0.005-0.009 rms by rho = 1 and missed by 0.027 (up to 0.056) by
    rho = 0.01. The main text's rho_J = 0.01 is the setting of Fig. 2 only."""
    (n,) = check_sizes(n=n)
    rho, j_d = check_core(rho, j_d)
    net, opts = start("core", dict(n=n, rho=rho, j_d=j_d, seed=seed), common)
    net.add_population("core", n, j_d)
    net.connect("core", "core", "random", rho=rho)
    return finish(net, opts)


def symmetric(n, rho=1.0, j_d=0.5, seed=0, **common):
    """sym0 (SM-E): one population ``"core"`` whose couplings start symmetric,
    J = (G + G^T) / sqrt(2) with G_ij ~ N(0, 1/(rho n)) on a symmetric pattern
    (each pair {i, j} present with probability ``rho``), so Var J_ij = 1/(rho n)
    as for the asymmetric core; the diagonal is J_D = ``j_d``."""
    (n,) = check_sizes(n=n)
    rho, j_d = check_core(rho, j_d)
    net, opts = start("symmetric", dict(n=n, rho=rho, j_d=j_d, seed=seed), common)
    net.add_population("core", n, j_d)
    net.connect("core", "core", pattern=symmetric_couplings(n, rho, net.rng))
    return finish(net, opts)


def symmetric_couplings(n, rho, rng):
    """The sparse matrix (G + G^T)/sqrt(2) of :func:`symmetric`; ``rng()`` gives
    one generator for the pattern and one for the values."""
    upper = sp.triu(random_pattern(n, n, rho, rng(), True), k=1)
    pattern = (upper + upper.T).tocsr()
    pattern.sort_indices()
    G = pattern.astype(np.float64)
    G.data = rng().normal(0.0, gaussian_scale(rho, n), size=G.nnz)
    return ((G + G.T) / np.sqrt(2.0)).tocsr()
