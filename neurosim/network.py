"""The frontend: a :class:`Network` declares populations, projections and the
input / supervision / readout maps of the model of Eq. 82 (with the fixed chain
couplings of Eq. 2).

    h_i = sum_j A_ij J_ij s_j + J_D,i s_i + sum_j K_ij s_j
          + a_in_i lam_x (W_in x)_i + a_back_i lam_y (W_back y)_i

A network holds concrete arrays: every random draw happens when it is declared,
from an explicit seed, so the same calls give the same network bit for bit.
:func:`neurosim.compile` turns it into the flat arrays engines read.
"""
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .patterns import make_pattern
from .resources import check_memory
from .validate import check_bool, check_finite, check_int, check_mask, check_nonneg, check_positive_int, check_real


@dataclass
class Population:
    """A named group of neurons with self-coupling ``j_d`` (J_D >= 0) and its
    masks: which neurons see the input (a_in), the supervision (a_back), and feed
    the readout (a_out)."""

    name: str
    size: int
    j_d: float
    a_in: np.ndarray
    a_back: np.ndarray
    a_out: np.ndarray


@dataclass
class Projection:
    """Couplings from population ``pre`` onto ``post``: ``weights`` is a CSR
    matrix [post.size, pre.size] whose stored entries are the pattern A.
    ``name`` identifies it in the IR (per-projection learning rates, margins,
    decay, quantisation and Lava connections)."""

    post: str
    pre: str
    weights: sp.csr_matrix
    learnable: bool
    name: str = None


def projection_name(post, pre, learnable, taken=()):
    """The default name of a projection of ``pre`` onto ``post``: ``"post<-pre"``
    (learnable) or ``"post<-pre:fixed"``, then ``#2``, ``#3``, ... while the name
    is in ``taken``."""
    base = f"{post}<-{pre}" + ("" if learnable else ":fixed")
    name, k = base, 1
    while name in taken:
        k += 1
        name = f"{base}#{k}"
    return name


def name_projections(projections):
    """Give every unnamed projection its default name (in place), and check that
    the names are distinct non-empty strings."""
    taken = {p.name for p in projections if p.name is not None}
    for p in projections:
        if p.name is None:
            p.name = projection_name(p.post, p.pre, p.learnable, taken)
            taken.add(p.name)
    names = [p.name for p in projections]
    bad = [n for n in names if not isinstance(n, str) or not n]
    if bad:
        raise ValueError(f"a projection name must be a non-empty string, got {bad[0]!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"projection {next(n for n in names if names.count(n) > 1)!r} is declared twice")
    return projections


@dataclass
class Network:
    """A declared network. Build it with the methods below or a ready topology
    (``neurosim.topologies``); ``neurosim.compile(net)`` gives the IR."""

    seed: int = 0
    lam_x: float = 1.0
    lam_y: float = 0.0
    populations: list = field(default_factory=list)
    projections: list = field(default_factory=list)
    w_in: np.ndarray = None
    w_in_mask: np.ndarray = None
    w_back: np.ndarray = None
    w_out: np.ndarray = None
    meta: dict = field(default_factory=dict)
    _draws: int = 0

    def __post_init__(self):
        check_int("seed", self.seed, lo=0)
        name_projections(self.projections)
        self.lam_x, self.lam_y = check_real("lam_x", self.lam_x, lo=0), check_real("lam_y", self.lam_y, lo=0)

    # ----------------------------------------------------------------- helpers
    def rng(self):
        """A fresh generator for the next draw: keyed by (seed, draw counter)."""
        self._draws += 1
        return np.random.default_rng([int(self.seed), self._draws])

    @property
    def n(self):
        return sum(p.size for p in self.populations)

    def population(self, name):
        for p in self.populations:
            if p.name == name:
                return p
        known = ", ".join(p.name for p in self.populations) or "none"
        raise ValueError(f"population {name!r} is not declared (declared: {known})")

    def offsets(self):
        """Start index of every population in the global neuron order."""
        out, start = {}, 0
        for p in self.populations:
            out[p.name] = start
            start += p.size
        return out

    # ------------------------------------------------------------- declaration
    def add_population(self, name, size, j_d=0.0, a_in=True, a_back=True, a_out=True):
        """Declare ``size`` neurons named ``name`` with self-coupling ``j_d``.

        Each mask is a bool (all neurons or none) or a 0/1 array of length ``size``.
        """
        if not isinstance(name, str) or not name:
            raise ValueError(f"name must be a non-empty string, got {name!r}")
        if any(p.name == name for p in self.populations):
            raise ValueError(f"population {name!r} is declared twice")
        size = check_positive_int("size", size)
        j_d = check_nonneg("j_d", j_d)
        masks = [check_mask(k, v, size) for k, v in (("a_in", a_in), ("a_back", a_back), ("a_out", a_out))]
        pop = Population(name, size, j_d, *masks)
        self.populations.append(pop)
        return pop

    def connect(self, post, pre, pattern="random", rho=None, weights=None, scale=None,
                learnable=True, blocks=None, name=None):
        """Couple population ``pre`` onto ``post`` (J[post, pre]).

        pattern: ``"random"`` (each entry present with probability ``rho``),
        ``"full"``, ``"one_to_one"``, ``"block"`` (``blocks`` equal groups, group g
        of post fully coupled to group g of pre), a numpy / scipy matrix of shape
        [post, pre] (its nonzeros), or a ``networkx`` DiGraph on ``range(size)``
        (edge j -> i means J_ij; only for ``post == pre``). Within a population the
        diagonal is never part of the pattern (J_D is the self-coupling).

        weights: ``None`` draws J_ij ~ N(0, scale^2) on the pattern with
        ``scale = 1/sqrt(rho * n_pre)`` (the paper's 1/(rho N) variance; rho is the
        realised density for non-random patterns); a number sets every entry; a
        matrix of shape [post, pre] gives the values on the pattern. A numeric
        (non-boolean) ``pattern`` matrix with ``weights=None`` gives its own values.

        name: how the IR, the trainer (``TrainConfig.projections``: eta, kappa
        and decay of this projection), quantisation and Lava name it; default
        ``"post<-pre"`` (``"post<-pre:fixed"`` when not learnable, then ``#2``, ...).
        """
        po, pr = self.population(post), self.population(pre)
        check_bool("learnable", learnable)
        # the name first (checked, or the default), before any draw
        name = name_projections(self.projections + [Projection(post, pre, None, bool(learnable), name)])[-1].name
        A, values = make_pattern(pattern, po.size, pr.size, rho, blocks, self.rng, square=post == pre)
        if weights is None and values is not None:
            weights = values
        W = _fill_weights(A, weights, scale, rho, pr.size, self.rng)
        self.projections.append(Projection(post, pre, W, bool(learnable), name))
        return self.projections[-1]

    def couple_chain(self, left, right, lam_l, lam_r):
        """Fixed one-to-one couplings between homologous neurons of adjacent layers
        (Eq. 2): neurons of ``right`` receive ``lam_l`` from ``left``, neurons of
        ``left`` receive ``lam_r`` from ``right``."""
        lam_l, lam_r = check_nonneg("lam_l", lam_l), check_nonneg("lam_r", lam_r)
        if lam_l > 0:
            self.connect(right, left, "one_to_one", weights=lam_l, learnable=False)
        if lam_r > 0:
            self.connect(left, right, "one_to_one", weights=lam_r, learnable=False)

    def set_input(self, dim, rho=0.1, scale=None, weights=None):
        """W_in [N, dim]: entries present with probability ``rho``, drawn
        N(0, 1/(rho dim)) (or the given ``weights``); the pattern is kept as
        ``w_in_mask`` so learning stays on it."""
        dim = check_positive_int("dim", dim)
        check_memory(f"W_in of {self.n} x {dim}", self.n * dim * 32)  # weights, mask, pattern while drawn
        if weights is None:
            A, _ = make_pattern("random", self.n, dim, rho, None, self.rng, square=False)
            W = _fill_weights(A, None, scale, rho, dim, self.rng).toarray()
            mask = A.toarray().astype(bool)
        else:
            W = np.array(weights, dtype=np.float64)
            if W.shape != (self.n, dim):
                raise ValueError(f"weights must have shape (N, dim) = {(self.n, dim)}, got {W.shape}")
            check_finite("weights", W)
            mask = W != 0
        self.w_in, self.w_in_mask = W, mask

    def set_back(self, n_classes, prototypes=None, kind="prototypes"):
        """W_back [N, C]: fixed class prototypes, random +-1 (``kind="prototypes"``),
        Gaussian N(0, 1/C) (``kind="gaussian"``, the authors' code) or the given array."""
        c = check_positive_int("n_classes", n_classes)
        if prototypes is None and kind == "gaussian":
            W = self.rng().normal(0.0, 1.0 / np.sqrt(c), size=(self.n, c))
        elif prototypes is None and kind == "prototypes":
            W = self.rng().choice(np.array([-1.0, 1.0]), size=(self.n, c))
        elif prototypes is None:
            raise ValueError(f"kind must be 'prototypes' or 'gaussian', got {kind!r}")
        else:
            W = np.array(prototypes, dtype=np.float64)
            if W.shape != (self.n, c):
                raise ValueError(f"prototypes must have shape (N, n_classes) = {(self.n, c)}, got {W.shape}")
            check_finite("prototypes", W)
        self.w_back = W

    def set_output(self, n_classes, weights=None):
        """W_out [C, N]: dense readout, drawn N(0, 1/N_out) over the a_out neurons."""
        c = check_positive_int("n_classes", n_classes)
        if weights is None:
            n_out = max(1, int(sum(p.a_out.sum() for p in self.populations)))
            W = self.rng().normal(0.0, 1.0 / np.sqrt(n_out), size=(c, self.n))
        else:
            W = np.array(weights, dtype=np.float64)
            if W.shape != (c, self.n):
                raise ValueError(f"weights must have shape (n_classes, N) = {(c, self.n)}, got {W.shape}")
            check_finite("weights", W)
        self.w_out = W


def _fill_weights(A, weights, scale, rho, n_pre, rng):
    """Values on the pattern A (CSR, sorted): see :meth:`Network.connect`."""
    A = A.tocsr().astype(np.float64)
    A.sort_indices()
    nnz = A.nnz
    if weights is None:
        if scale is None:
            dens = rho if rho is not None else nnz / max(1, A.shape[0] * n_pre)
            scale = 1.0 / np.sqrt(max(dens * n_pre, 1e-300)) if nnz else 1.0
        scale = check_nonneg("scale", scale)
        A.data = rng().normal(0.0, scale, size=nnz)
    elif np.isscalar(weights):
        A.data = np.full(nnz, float(check_finite("weights", weights)))
    else:
        W = weights.tocsr() if sp.issparse(weights) else sp.csr_matrix(np.asarray(weights, dtype=np.float64))
        if W.shape != A.shape:
            raise ValueError(f"weights must have shape {A.shape}, got {W.shape}")
        if nnz == 0:
            return A
        rows = np.repeat(np.arange(A.shape[0]), np.diff(A.indptr))
        A.data = np.asarray(W[rows, A.indices], dtype=np.float64).ravel()
        check_finite("weights", A.data)
    return A
