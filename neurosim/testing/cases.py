"""The conformance cases: small networks (every ready topology, plus hand-made ones:
partial masks, exact ties at h = 0, strong fixed couplings), each run in every
update scheme (sync; prob with p = 0.5, 0 and 1; async) under both tie rules.

A case's network and field hold integers: the network is quantised for the Loihi 2
profile (``neurosim.hw.quantize``: even 8-bit mantissas times 2^e, integer J_D and
field). Every field is then exact whatever the order of its sums, in float64,
float32 or fixed point: a backend that differs from the golden trajectory differs
in its semantics, never by rounding; and Lava fixed point runs the same cases.
"""
import zlib
from dataclasses import dataclass

import numpy as np

from .. import topologies
from ..compiled import compile
from ..network import Network

COMMON = dict(n_classes=3, lam_x=1.0, lam_y=0.7)

TOPOLOGY_CASES = {
    "core": lambda: topologies.core(60, rho=0.2, j_d=0.6, seed=1, input_dim=10, **COMMON),
    "chain": lambda: topologies.chain(3, 20, rho=0.3, j_d=0.4, lam=0.6, seed=2, input_dim=10, **COMMON),
    "fc_chain": lambda: topologies.fc_chain(3, 15, rho=0.5, j_d=0.5, seed=3, input_dim=10, **COMMON),
    "skip": lambda: topologies.skip(3, 20, rho=0.3, j_d=0.5, lam=0.5, seed=4, input_dim=10, **COMMON),
    "ensemble": lambda: topologies.ensemble(30, rho=0.3, j_d=0.3, lam=0.5, seed=5, input_dim=10, **COMMON),
    "local": lambda: topologies.local(6, 6, radius=1, j_d=0.3, seed=6, **COMMON),
    "symmetric": lambda: topologies.symmetric(40, rho=0.5, j_d=0.2, seed=7, input_dim=10, **COMMON),
}


def masked_network():
    """Two populations with partial masks and a frozen projection."""
    net = Network(seed=11, lam_x=1.5, lam_y=0.8)
    net.add_population("a", 25, j_d=0.5, a_in=np.arange(25) % 2 == 0, a_out=False)
    net.add_population("b", 25, j_d=0.1, a_back=np.arange(25) < 10)
    net.connect("a", "a", rho=0.3)
    net.connect("b", "a", rho=0.2)
    net.connect("b", "b", pattern="full", learnable=False, scale=0.05)
    net.couple_chain("a", "b", 0.4, 0.3)
    net.set_input(8, rho=0.5)
    net.set_back(3)
    net.set_output(3)
    return net


def tie_network():
    """Integer weights and fields: many local fields are exactly 0, which resolve
    to +1 (tie "plus") or 0 (tie "zero")."""
    net = Network(seed=0, lam_x=1.0)
    net.add_population("t", 6, j_d=0.0)
    W = np.array([[0, 1, -1, 0, 0, 0],
                  [1, 0, 0, -1, 0, 0],
                  [0, 0, 0, 1, -1, 0],
                  [0, 1, 1, 0, 0, -2],
                  [1, 0, 0, 1, 0, 0],
                  [0, 0, 1, 0, -1, 0]], dtype=float)
    net.connect("t", "t", pattern=W)
    net.set_input(2, weights=np.array([[1, 0], [0, 1], [1, 1], [0, 0], [1, -1], [0, 2]], dtype=float))
    return net


def strong_fixed_network():
    """Fixed chain couplings several times the learnable ones: quantised, the fixed
    map needs a weight exponent >= 1 (one exponent per Lava connection)."""
    net = Network(seed=4)
    net.add_population("a", 30, j_d=0.3)
    net.add_population("b", 30, j_d=0.2)
    net.connect("a", "a", rho=0.3)
    net.connect("b", "b", rho=0.3)
    net.couple_chain("a", "b", 1.5, 1.2)
    return net


ALL_CASES = dict(TOPOLOGY_CASES, masked=masked_network, ties=tie_network, strong_fixed=strong_fixed_network)

SCHEMES = (("sync", 1.0), ("prob", 0.5), ("prob", 0.0), ("prob", 1.0), ("async", 1.0))
TIES = ("plus", "zero")
BATCH = 3        # samples: the neutral start, a +-1 start, a +-1 start with every third neuron neutral
MAX_STEPS = 40
SEED = 9


@dataclass(frozen=True)
class Case:
    """One conformance case: network ``network`` (a key of ALL_CASES) relaxed in
    ``mode`` with update probability ``p`` under tie rule ``tie``."""

    network: str
    mode: str
    p: float
    tie: str

    @property
    def id(self):
        scheme = f"prob{self.p:g}" if self.mode == "prob" else self.mode
        return f"{self.network}-{scheme}-{self.tie}"


CASES = tuple(Case(net, mode, p, tie) for net in sorted(ALL_CASES) for mode, p in SCHEMES for tie in TIES)

# The cases of a backend with suite = "quick" (each run costs seconds): masks, exact
# ties, strong fixed couplings and two topologies; every scheme (async among them),
# p in {0, 1}, both tie rules.
QUICK = tuple(Case(*c) for c in (
    ("ties", "sync", 1.0, "zero"), ("ties", "prob", 0.5, "plus"), ("masked", "prob", 0.5, "zero"),
    ("strong_fixed", "sync", 1.0, "plus"), ("chain", "prob", 0.0, "zero"), ("core", "prob", 1.0, "plus"),
    ("ensemble", "async", 1.0, "plus")))


def suite_cases(suite="full"):
    """The cases of a backend's ``suite``: "full" (every case) or "quick"."""
    if suite not in ("full", "quick"):
        raise ValueError(f"suite must be 'full' or 'quick', got {suite!r}")
    return CASES if suite == "full" else QUICK


def conformance_inputs(name):
    """(network, field [B, N], s0 [B, N]) of conformance network ``name``, built from
    code: the quantised network, the quantised field of random inputs and targets
    (a Gaussian field where the network has neither), the three starts of BATCH."""
    from ..hw import quantize
    cn = compile(ALL_CASES[name]())
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    x = rng.choice([-1.0, 1.0], (BATCH, cn.input_dim)) if cn.input_dim else None
    y = None
    if cn.w_back.shape[1]:
        y = -np.ones((BATCH, cn.w_back.shape[1]))
        y[np.arange(BATCH), rng.integers(0, y.shape[1], BATCH)] = 1.0
    b = cn.field(x=x, y=y) if x is not None or y is not None else rng.normal(0.0, 0.5, (BATCH, cn.n))
    qn = quantize(cn, field=b)
    s0 = rng.choice(np.array([-1, 1], dtype=np.int8), (BATCH, cn.n))
    s0[0] = 0
    s0[2, ::3] = 0
    return qn.network, qn.quantize_field(b), s0
