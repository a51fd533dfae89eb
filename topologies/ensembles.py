"""The two-core ensemble of Fig. 3 / SM-E."""
from neurosim.validate import check_nonneg

from ._common import check_core, check_sizes, finish, start


def ensemble(n, rho=0.01, j_d=0.5, lam=1.0, seed=0, **common):
    """Two independently initialised cores ``"core0"`` and ``"core1"`` (Eq. 1:
    density ``rho``, N(0, 1/(rho n)), J_D = ``j_d``) joined homologously as a
    2-layer chain (Eq. 2: h_i^(0) += lam s_i^(1), h_i^(1) += lam s_i^(0)); both
    cores see the input and the supervision and feed the readout, so their
    predictions are ensembled (SM-E)."""
    (n,) = check_sizes(n=n)
    rho, j_d = check_core(rho, j_d)
    lam = check_nonneg("lam", lam)
    net, opts = start("ensemble", dict(n=n, rho=rho, j_d=j_d, lam=lam, seed=seed), common)
    for name in ("core0", "core1"):
        net.add_population(name, n, j_d)
        net.connect(name, name, "random", rho=rho)
    net.couple_chain("core0", "core1", lam, lam)
    return finish(net, opts)
