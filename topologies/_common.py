"""What every topology shares: argument checks, the common keyword arguments and
the input / supervision / readout wiring of Eq. 82.

Common keyword arguments (all optional):
    input_dim   D of W_in [N, D]; ``None`` gives a network without input
    rho_in      density of W_in (entries drawn N(0, 1/(rho_in D)))
    n_classes   C of W_back [N, C] and W_out [C, N]
    w_back      "prototypes" (random +-1 class prototypes) or "gaussian"
                (N(0, 1/C), the authors' code)
    lam_x       input strength lambda_x (Eq. 4)
    lam_y       supervision strength lambda_y (Eq. 4; 0 = free phase)
"""
import numpy as np

from neurosim.network import Network
from neurosim.validate import check_nonneg, check_nonneg_int, check_positive_int, check_unit

COMMON = {"input_dim": None, "rho_in": 0.1, "n_classes": None, "lam_x": 1.0, "lam_y": 0.0, "w_back": "prototypes"}
BACK_KINDS = ("prototypes", "gaussian")


def check_common(common):
    """Fill and validate the common keyword arguments (unknown names are errors)."""
    unknown = sorted(set(common) - set(COMMON))
    if unknown:
        raise ValueError(f"unknown keyword argument {unknown[0]!r} (common ones: {', '.join(COMMON)})")
    out = {**COMMON, **common}
    for key in ("input_dim", "n_classes"):
        if out[key] is not None:
            out[key] = check_positive_int(key, out[key])
    out["rho_in"] = check_unit("rho_in", out["rho_in"])
    out["lam_x"] = check_nonneg("lam_x", out["lam_x"])
    out["lam_y"] = check_nonneg("lam_y", out["lam_y"])
    if out["w_back"] not in BACK_KINDS:
        raise ValueError(f"w_back must be one of {BACK_KINDS}, got {out['w_back']!r}")
    return out


def check_sizes(**sizes):
    """Each named value must be a positive integer (layers, n, height, ...)."""
    return [check_positive_int(k, v) for k, v in sizes.items()]


def check_core(rho, j_d):
    """rho in [0, 1] (density of A) and J_D >= 0 (self-coupling)."""
    return check_unit("rho", rho), check_nonneg("j_d", j_d)


def start(name, params, common):
    """A fresh Network seeded with ``params['seed']``, with lam_x / lam_y from the
    common arguments and ``meta = {"topology": name, **params, **common}``."""
    params = {**params, "seed": check_nonneg_int("seed", params["seed"])}
    opts = check_common(common)
    net = Network(seed=params["seed"], lam_x=opts["lam_x"], lam_y=opts["lam_y"])
    net.meta = {"topology": name, **params, **opts}
    return net, opts


def finish(net, opts, w_in=None):
    """Wire the maps of Eq. 82 once every population is declared: W_in (the given
    matrix, else random of density rho_in when input_dim is set), then W_back and
    W_out when n_classes is set."""
    if w_in is not None:
        net.set_input(w_in.shape[1], weights=w_in)
    elif opts["input_dim"] is not None:
        net.set_input(opts["input_dim"], rho=opts["rho_in"])
    if opts["n_classes"] is not None:
        net.set_back(opts["n_classes"], kind=opts["w_back"])
        net.set_output(opts["n_classes"])
    return net


def gaussian_scale(rho, fan_in):
    """Standard deviation 1/sqrt(rho * fan_in) of the paper's N(0, 1/(rho N))
    (1 when there is nothing to draw)."""
    var = rho * fan_in
    return 1.0 / np.sqrt(var) if var > 0 else 1.0
