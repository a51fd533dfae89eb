"""The dense-BLAS baseline of ``bench/train.py``: Algorithm 1 computed the way a
dense array library computes it (the approach of the authors' JAX library,
Willinki/darnax): float32, the couplings as one dense N x N matrix (zeros off the
pattern), a fixed number of synchronous sweeps per phase with every field
recomputed by one matrix product per sweep, and the rules as dense products.

One mini-batch of B samples (text protocol: sgn(0) = +1, 0/1 one-hot supervision):

    M = J + K + diag(J_D)                                   [N, N], float32
    b_free = a_in lam_x (W_in x),   b_sup = b_free + a_back lam_y (W_back y01)
    S <- sgn(b_free)                                        warmup: 1 sweep from S = 0
    S <- sgn(S M^T + b_sup)          x max_steps            supervised phase
    S <- sgn(S M^T + b_free)         x max_steps            free phase (s*)
    H = S M^T + b_free;  G = 1(S H <= kappa_J)              the margin gate (one more product)
    M += eta_J,eff / B ((G S)^T S) on the pattern of J      one rank-B product, then the
                                                            pattern (and J_D) restored
    W_in += eta_in,eff / B ((G_in S)^T x) on its pattern;  W_out: perceptron (Eq. 87)

with the step sizes of ``neurosim.learning.Trainer.rates`` (same units). Written
for the benchmark only: no convergence test, no event-driven fields.
"""
import numpy as np

F32 = np.float32


def sgn(v):
    return np.where(v >= 0, F32(1), F32(-1))


class DenseBlasTrainer:
    """Dense float32 arrays taken from a CompiledNetwork; ``rates`` are the Eq. 89
    rates per map of a batch ({"j", "in", "out"}), from neurosim's Trainer."""

    def __init__(self, cn, config, rates):
        self.c = config
        self.rates = rates
        n = cn.n
        self.pattern = cn.learnable().toarray() != 0
        self.full = bool((self.pattern | np.eye(n, dtype=bool)).all())  # fully connected: only the diagonal is off
        self.M = (cn.learnable() + cn.fixed()).toarray().astype(F32)
        self.rest = cn.fixed().toarray().astype(F32)
        self.j_d = cn.j_d.astype(F32)
        self.M[np.diag_indices(n)] += self.j_d
        self.mask = self.pattern.astype(F32)
        self.w_in = cn.w_in.astype(F32)
        self.in_mask = (cn.w_in_mask & cn.a_in[:, None]).astype(F32)
        self.a_in, self.a_back, self.a_out = (cn.a_in.astype(F32), cn.a_back.astype(F32), cn.a_out.astype(F32))
        self.w_back = cn.w_back.astype(F32)
        self.w_out = cn.w_out.astype(F32)
        self.lam_x = F32(cn.lam_x if config.lam_x is None else config.lam_x)
        self.lam_y = F32(cn.lam_y if config.lam_y is None else config.lam_y)

    def free_field(self, x):
        return (self.lam_x * (x.astype(F32) @ self.w_in.T)) * self.a_in

    def relax(self, S, b, sweeps):
        for _ in range(sweeps):
            S = sgn(S @ self.M.T + b)
        return S

    def train_batch(self, x, y01, y_pm):
        c = self.c
        x = x.astype(F32)
        n_batch = x.shape[0]
        b_free = self.free_field(x)
        b_sup = b_free + (self.lam_y * (y01.astype(F32) @ self.w_back.T)) * self.a_back
        S = sgn(b_free)
        S = self.relax(S, b_sup, c.max_steps)
        if not c.approximate:
            S = self.relax(S, b_free, c.max_steps)
        H = S @ self.M.T + b_free
        margin = S * H
        G = (margin <= c.kappa_j).astype(F32)
        G_in = G if c.kappa_in is None else (margin <= c.kappa_in).astype(F32)
        eta = self.rates(n_batch)
        update = (F32(eta["j"] / n_batch) * (G * S).T) @ S
        if self.full:
            self.M += update
            self.M[np.diag_indices_from(self.M)] = self.j_d + np.diagonal(self.rest)
        else:
            self.M += update * self.mask
        self.w_in += F32(eta["in"] / n_batch) * ((G_in * S).T @ x) * self.in_mask
        s_out = S * self.a_out
        y = y_pm.astype(F32)
        gate = (y * (s_out @ self.w_out.T) <= c.kappa_out).astype(F32)
        self.w_out += F32(eta["out"] / n_batch) * ((gate * y).T @ s_out)
        return float(G.mean())

    def predict(self, x):
        b = self.free_field(x)
        S = self.relax(sgn(b), b, self.c.max_steps)
        return np.argmax((S * self.a_out) @ self.w_out.T, axis=1)
