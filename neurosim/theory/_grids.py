"""Quadrature grids for the Gaussian integrals of the local-entropy free energy.

All rules are trapezoidal rules on (mapped) uniform grids: for smooth
integrands decaying like a Gaussian they converge exponentially fast in the
number of nodes, and they tolerate the sharp (width ``sqrt((1-q)/q)``) steps
of ``H((-v - sqrt(q) z)/sqrt(1 - q))`` once the nodes are concentrated there.
Weights are returned as logarithms and include the N(0, 1) density.
"""
import numpy as np
from .special import LOG_SQRT_2PI

Z_MAX = 9.0          # |z| beyond this carries < 1e-18 of the Gaussian mass
MAX_T_NODES = 100000  # t nodes; beyond, y * qhat is far outside the range of the analysis


def step_adapted_z_grid(kinks, width, *, z_max=Z_MAX, coarse=0.3, fine=0.15, spread=3.0):
    """Nodes ``z`` and log-weights for ``E f(z)``, ``z ~ N(0, 1)``, with nodes
    packed (spacing ``fine * width``) around each point of ``kinks`` and
    spacing ``coarse`` far from them.

    The grid is uniform in ``xi(z) = int rho`` for the node density
    ``rho(z) = 1/coarse + sum_k 1/(fine width (1 + ((z - k)/(spread width))^2))``,
    inverted by Newton steps; a node's weight is ``dxi / rho(z)`` times the
    Gaussian density (trapezoid rule in ``xi``).  The Lorentzian bumps matter:
    with Gaussian bumps ``1/rho`` has complex poles close to the real axis and
    the mapped rule loses its exponential convergence (errors ~1e-3 were
    measured at ``d = 1e-3``); with Lorentzians ``1/rho`` stays analytic in a
    wide strip and 1e-13 is reached with ~190 nodes for two kinks.
    Symmetric kinks give a grid symmetric under ``z -> -z``.
    """
    kinks = np.unique(np.round(np.asarray(kinks, dtype=float), 14))
    sig = spread * width
    amp = 1.0 / (fine * width)

    def xi(z):
        return z / coarse + (amp * sig * np.arctan((z[..., None] - kinks) / sig)).sum(-1)

    def rho(z):
        return 1.0 / coarse + (amp / (1.0 + ((z[..., None] - kinks) / sig) ** 2)).sum(-1)

    ends = xi(np.array([-z_max, z_max]))
    n = int(np.ceil(ends[1] - ends[0])) + 1
    if n % 2 == 0:
        n += 1
    targets = np.linspace(ends[0], ends[1], n)
    dense = np.linspace(-z_max, z_max, 4 * n + 1)
    z = np.interp(targets, xi(dense), dense)
    for _ in range(6):
        z = z - (xi(z) - targets) / rho(z)
    z = np.clip(z, -z_max, z_max)
    step = targets[1] - targets[0]
    log_w = -0.5 * z * z - LOG_SQRT_2PI + np.log(step / rho(z))
    return z, log_w


def half_line_t_grid(a, y, *, coarse=0.4, per_a=0.35):
    """Nodes ``t >= 0`` and log-weights such that ``sum w f(t) = E f(t)`` for any
    ``f`` even under ``t -> -t`` (jointly with the other variables), for the
    tilted integrands ``exp(-t^2/2) cosh(a t + c)^y`` of the local entropy.

    The spacing ``min(coarse, per_a / a)`` resolves ``log cosh(a t)`` (the
    trapezoid error is ~exp(-pi^2/(a h)) < e^-25); the range ``a y + D`` with
    ``D = sqrt(80 + 2 y exp(-2 y a^2))`` holds all but ``e^-40`` of the mass for
    any ``c``.  When ``y a^2 >= 2.5`` and ``y (y a^2/2 - log 2) >= 60`` the
    region near ``t = 0`` is suppressed by more than ``e^-60`` and every ``c``
    has its mode between the mode ``t_c = a y tanh(a t_c)`` of the unshifted
    profile and ``a y``, so only ``[t_c - D, a y + D]`` is kept (this keeps the
    node count small at large ``y``).
    """
    h = coarse if a <= 0 else min(coarse, per_a / a)
    mode = a * y
    yq = y * a * a
    reach = np.sqrt(80.0 + 2.0 * y * np.exp(-2.0 * yq))
    start = 0.0
    if yq >= 2.5 and y * (0.5 * yq - np.log(2.0)) >= 60.0:
        t_c = mode
        for _ in range(100):
            t_c = mode * np.tanh(a * t_c)
        start = max(0.0, t_c - reach)
    n = int(np.ceil((mode + reach - start) / h))
    if n > MAX_T_NODES:
        raise ValueError(f"y * qhat = {yq:.3g} (y = {y:.3g}) needs {n} quadrature nodes in t; "
                         f"at most {MAX_T_NODES} are supported")
    t = start + np.arange(n + 1) * h
    log_w = -0.5 * t * t - LOG_SQRT_2PI + np.log(h) + np.where(t > 0, np.log(2.0), 0.0)
    return t, log_w
