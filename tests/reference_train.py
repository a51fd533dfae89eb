"""A plain-numpy reference of Algorithm 1 (SM-C, Eqs. 82-89), written independently
of ``neurosim.learning``: scipy.sparse for the couplings, numpy vectorised over the
mini-batch, fields recomputed from scratch at every step, no numba.

One mini-batch (what ``Trainer.train_batch`` does):

    b_free = a_in lam_x W_in x                         (Eq. 82 with lam_y = 0)
    b_sup  = b_free + a_back lam_y W_back y_back       (supervision on)
    s  <- 0
    s  <- relax(s, b_free, warmup steps)               warmup: one step per population
    s' <- relax(s, b_sup, max_steps)                   supervised phase
    s* <- relax(s', b_free, max_steps)                 free phase (approximate: s* = s')
    h  = (J + K + diag J_D) s* + b_free                (Eq. 83/88)
    g  = 1(s* h <= kappa)                              (Eq. 84; tanh-smoothed when gamma is set)
    J    += eta_J / B  sum_mu (g s*)_i s*_j   on the pattern of J          (Eq. 89)
    W_in += eta_in / B sum_mu (g s*)_i x_k    on the W_in pattern, a_in rows (Eq. 85)
    W_out += eta_out / B sum_mu gate_c y_c (a_out s*)_j, gate = 1(y l <= kappa_out)  (Eqs. 86-87)

With ``eta_units="fan-in"`` every eta above is eta sqrt(B / k), k the mean fan-in of
its map: stored J entries per row that has any, W_in pattern entries per a_in row
that has any, the number of a_out neurons, the number of classes (W_back).
This is the ``text`` protocol (sgn(0) = +1, warmup before the supervised budget,
0/1 one-hot supervision, threshold kappa, evaluation at the end of an epoch);
``tests/reference_code_train.py`` transcribes the ``code`` protocol.

A relaxation step (sync): every neuron takes sgn of its field at s(t-1), sgn(0) = +1.
A sample stops at the first step t at which no neuron wants to change (t steps
taken, converged), or after ``limit`` steps (not converged). prob: a neuron that
wants to change at step t of sample k does so only if
``uniform_array(seed, GATE, t, k, i) < p``; each phase draws with its own seed,
``neurosim.rng.key_seed(config.seed, *key, phase)``.
"""
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from neurosim.rng import GATE, key_seed, uniform_array


def phase_seeds(config_seed, key):
    """The seeds of the warmup, supervised and free phases of batch ``key``."""
    return [key_seed(config_seed, *key, k) for k in range(3)]


@dataclass
class RefNet:
    """The arrays Algorithm 1 reads and writes, as plain numpy / scipy objects."""

    J: sp.csr_matrix        # learnable couplings [post, pre] (pattern A)
    K: sp.csr_matrix        # fixed couplings (chain lambda, frozen projections)
    j_d: np.ndarray         # [N]
    a_in: np.ndarray        # bool [N]
    a_back: np.ndarray
    a_out: np.ndarray
    w_in: np.ndarray        # [N, D]
    w_in_mask: np.ndarray   # bool [N, D]
    w_back: np.ndarray      # [N, C]
    w_out: np.ndarray       # [C, N]
    lam_x: float
    lam_y: float
    n_pops: int

    @classmethod
    def from_compiled(cls, cn):
        J = cn.learnable()
        J.sort_indices()
        return cls(J=J, K=cn.fixed(), j_d=cn.j_d.copy(), a_in=cn.a_in.copy(), a_back=cn.a_back.copy(),
                   a_out=cn.a_out.copy(), w_in=cn.w_in.copy(), w_in_mask=cn.w_in_mask.copy(),
                   w_back=cn.w_back.copy(), w_out=cn.w_out.copy(), lam_x=cn.lam_x, lam_y=cn.lam_y,
                   n_pops=len(cn.pop_names))

    @property
    def n(self):
        return self.j_d.size

    def recurrent(self):
        """M = J + K + diag(J_D) as one CSR matrix (rebuilt after every update)."""
        return (self.J + self.K + sp.diags(self.j_d)).tocsr()

    def to_compiled(self, cn):
        """A copy of ``cn`` carrying this network's learned values."""
        return cn.with_couplings(learnable=self.J, w_in=self.w_in, w_back=self.w_back, w_out=self.w_out)


def sgn(v):
    """sgn with sgn(0) = +1, as float64 +-1."""
    return np.where(v >= 0, 1.0, -1.0)


def relax(M, S, b, limit, mode="sync", p=1.0, seed=0):
    """Relax the batch S [B, N] (float64 in {-1, 0, 1}, updated in place) under the
    fields b [B, N] for at most ``limit`` steps. Returns (steps [B], converged [B])."""
    n_batch, n = S.shape
    steps = np.full(n_batch, limit, dtype=np.int64)
    converged = np.zeros(n_batch, dtype=bool)
    active = np.arange(n_batch)
    neurons = np.arange(n)
    for t in range(limit + 1):
        if active.size == 0:
            break
        Sa = S[active]
        new = sgn((M @ Sa.T).T + b[active])
        change = new != Sa
        moving = change.any(axis=1)
        steps[active[~moving]] = t
        converged[active[~moving]] = True
        if t == limit:
            break
        active, Sa, new, change = active[moving], Sa[moving], new[moving], change[moving]
        if mode == "prob":
            u = np.empty(change.shape)
            for row, k in enumerate(active):
                u[row] = uniform_array(seed, GATE, t, k, neurons)
            change &= u < p
        elif mode != "sync":
            raise NotImplementedError(f"the numpy reference has sync and prob modes, not {mode!r}")
        S[active] = np.where(change, new, Sa)
    return steps, converged


def lam(config, net, name):
    v = getattr(config, name)
    return getattr(net, name) if v is None else float(v)


def free_field(net, x, lam_x):
    return (lam_x * (x @ net.w_in.T)) * net.a_in


def phases(net, x, y_back, config, seeds):
    """s' [B, N], s* [B, N], b_free, steps [B, 2], converged [B, 2] of one batch."""
    M = net.recurrent()
    b_free = free_field(net, x, lam(config, net, "lam_x"))
    lam_y = lam(config, net, "lam_y")
    b_sup = b_free
    if y_back is not None and lam_y != 0.0:
        b_sup = b_free + (lam_y * (y_back @ net.w_back.T)) * net.a_back
    warmup = net.n_pops if config.warmup is None else config.warmup
    S = np.zeros((x.shape[0], net.n))
    relax(M, S, b_free, warmup, config.mode, config.p, seeds[0])
    st_sup, cv_sup = relax(M, S, b_sup, config.max_steps, config.mode, config.p, seeds[1])
    s_sup = S.copy()
    if config.approximate:
        st_free, cv_free = st_sup, cv_sup
    else:
        st_free, cv_free = relax(M, S, b_free, config.max_steps, config.mode, config.p, seeds[2])
    return s_sup, S, b_free, M, np.stack([st_sup, st_free], 1), np.stack([cv_sup, cv_free], 1)


def gate_of(margin, kappa, gamma):
    if gamma is None:
        return (margin <= kappa).astype(np.float64)
    return 0.5 - 0.5 * np.tanh(gamma * (margin - kappa))


def batch_rates(net, config, n_batch):
    """eta of J, W_in, W_out, W_back for a batch of ``n_batch`` samples."""
    c = config
    etas = {"j": c.eta_j, "in": c.eta_in, "out": c.eta_out, "back": c.eta_back}
    if c.eta_units == "batch-mean":
        return etas
    per_row = np.diff(net.J.indptr)
    in_rows = (net.w_in_mask & net.a_in[:, None]).sum(axis=1)[net.a_in]
    fan = {"j": per_row[per_row > 0].mean() if per_row.any() else 1.0,
           "in": in_rows[in_rows > 0].mean() if in_rows.any() else 1.0,
           "out": max(1, net.a_out.sum()), "back": max(1, net.w_back.shape[1])}
    return {k: eta * np.sqrt(n_batch / fan[k]) for k, eta in etas.items()}


def numpy_train_batch(net, x, y_back, y_out, config, seeds, readout=True):
    """One step of Algorithm 1 on ``net`` (a :class:`RefNet`, updated in place).

    x [B, D], y_back [B, C] (0/1 one-hot) or None, y_out [B, C] +-1 or None,
    ``seeds`` the three phase seeds (see :func:`phase_seeds`). Returns a dict
    with s', s*, h, the gate, steps and converged (for comparisons)."""
    c = config.validated()
    assert (c.tie, c.warmup_in_budget, c.supervision_delay, c.label_encoding, c.gate_threshold) == (
        "plus", False, 0, "onehot", "kappa"), "the text protocol only"
    x = np.asarray(x, dtype=np.float64)
    y_back = None if y_back is None else np.asarray(y_back, dtype=np.float64)
    s_sup, s, b_free, M, steps, converged = phases(net, x, y_back, c, seeds)
    n_batch = x.shape[0]
    eta = batch_rates(net, c, n_batch)
    h = (M @ s.T).T + b_free
    margin = s * h
    g = gate_of(margin, c.kappa_j, c.gamma)
    g_in = gate_of(margin, c.kappa_in, c.gamma)
    post = g * s

    # J on its pattern (Eq. 89 and the SM-E variants)
    if eta["j"] != 0.0 or c.decay_j != 0.0:
        rows = np.repeat(np.arange(net.n), np.diff(net.J.indptr))
        cols = net.J.indices

        def hebb(a, b):
            return np.einsum("bq,bq->q", a[:, rows], b[:, cols])

        scale = eta["j"] / n_batch
        if c.variant == "asym":
            delta = scale * hebb(post, s)
        elif c.variant == "sym1":
            delta = scale * hebb(post, post)
        elif c.variant == "sym2":
            delta = (scale / 2) * hebb(post, s) + (scale / 2) * hebb(s, post)
        else:
            raise ValueError(f"unknown variant {c.variant!r}")
        net.J.data[:] = net.J.data * (1.0 - eta["j"] * c.decay_j) + delta

    # W_in on its pattern, rows with a_in (Eq. 85)
    if net.w_in.shape[1] and (eta["in"] != 0.0 or c.decay_in != 0.0):
        on = net.w_in_mask & net.a_in[:, None]
        delta = (eta["in"] / n_batch) * ((g_in * s).T @ x)
        net.w_in[on] = net.w_in[on] * (1.0 - eta["in"] * c.decay_in) + delta[on]

    # W_back on the a_back rows (off unless eta_back > 0)
    if y_back is not None and eta["back"] != 0.0:
        delta = (eta["back"] / n_batch) * (post.T @ y_back)
        net.w_back[net.a_back] += delta[net.a_back]

    # W_out: perceptron with margin kappa_out (Eqs. 86-87)
    if readout and y_out is not None and (eta["out"] != 0.0 or c.decay_out != 0.0):
        y_out = np.asarray(y_out, dtype=np.float64)
        s_out = s * net.a_out
        logits = s_out @ net.w_out.T
        gate_out = (y_out * logits <= c.kappa_out).astype(np.float64)
        delta = (eta["out"] / n_batch) * ((gate_out * y_out).T @ s_out)
        net.w_out = net.w_out * (1.0 - eta["out"] * c.decay_out) + delta

    return {"s_sup": s_sup, "s": s, "h": h, "gate": g, "steps": steps, "converged": converged}


def infer(net, x, config, seed=0):
    """Inference states [P, N]: relax from 0 under b_free for warmup + max_steps steps."""
    warmup = net.n_pops if config.warmup is None else config.warmup
    b = free_field(net, np.asarray(x, dtype=np.float64), lam(config, net, "lam_x"))
    S = np.zeros(b.shape)
    relax(net.recurrent(), S, b, warmup + config.max_steps, config.mode, config.p, seed)
    return S


def predict(net, x, config, seed=0):
    return np.argmax((infer(net, x, config, seed) * net.a_out) @ net.w_out.T, axis=1)
