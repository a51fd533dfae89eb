"""A plain-numpy transcription of one mini-batch of the authors' code (the
``code`` protocol of ``neurosim.learning.config``), written from the design notes
(notes/authors-code.md) and the cited file (mattia-scardecchia/Biological-Learning
``src/batch_me_if_u_can.py``: ``double_relax``, ``relax``, ``local_field``,
``perceptron_rule``), in that code's own terms and independently of
``neurosim.learning``: the readout neurons are part of the state, every phase
runs a fixed number of sweeps (no convergence test), and the label rescaling
happens in place each time the fields are computed.

State of a sample: hidden s [N], readout neurons r [C] (both 0 at the start),
label l = +-1 one-hot [C]. The fields (which terms are on is set per sweep):

    hidden  h = M s + lam_x W_in x  [+ lam_y W_back r]      M = J + K + diag(J_D)
    readout o = W_out (a_out s)     [+ 1000 l]              (the label clamp)

and before computing them r is rescaled in place: -1 -> -1/2, v -> v sqrt(C)/2.
A sweep sets (s, r) <- sign(h, o) with sign(0) = 0 (torch.sign).

Full scheme ("double dynamics"), S = max_steps, L = warmup: sweeps 0..S-1 with
W_back and the clamp off for the first L sweeps and on after; s' = s; sweeps
S..2S-1 with W_back off and the clamp on. The approximate scheme stops after the
first S sweeps. Then the fields are computed once more (W_back off, clamp on:
the code's unsat check) and once more for the rule (W_back and clamp off), so r
has been rescaled twice:

    g_i = 1(s_i h_i <= kappa + J_D,i),    g_c = 1(r_c o_c <= kappa_out)
    J_ij     <- J_ij (1 - wd lr_J/sqrt(H))    + lr_J / sqrt(H) sum_b g_i s_i s_j / sqrt(B)   on A
    (lam_x W_in)_ik <- ...  + lr_in lam_x / sqrt(D) sum_b g_i s_i x_k / sqrt(B)    (the J gate)
    W_out_cj <- W_out_cj (1 - wd lr_out/sqrt(H)) + lr_out / sqrt(H) sum_b g_c r_c s_j / sqrt(B)

with H the width of a layer (N / L for L equal layers) and D the input dimension. Inference: S sweeps
from 0 with W_back and clamp off; prediction argmax W_out (a_out s).
Synchronous sweeps only (p_update = 1, the configuration of Tables VI and VII).
"""
import numpy as np

CLAMP = 1000.0


def enc(r, n_classes):
    return np.where(r == -1, -0.5, r * (np.sqrt(n_classes) / 2))


class CodeNet:
    """The arrays of the authors' model for a core module or a chain of equal
    layers: M, W_in (times lam_x, as the code stores it), W_back (times lam_y), W_out."""

    def __init__(self, cn, lam_x, lam_y):
        self.pattern = cn.learnable().toarray() != 0
        self.J = cn.learnable().toarray()
        self.rest = cn.fixed().toarray() + np.diag(cn.j_d)
        self.j_d = cn.j_d.copy()
        self.input_skip = lam_x * cn.w_in * cn.a_in[:, None]  # only the rows the input reaches
        self.in_mask = cn.w_in_mask & cn.a_in[:, None]
        self.lam_x = lam_x
        self.w_back = lam_y * cn.w_back
        self.w_out = cn.w_out.copy()
        self.a_out = cn.a_out.astype(np.float64)
        self.a_back = cn.a_back.astype(np.float64)
        self.n_pops = len(cn.pop_names)

    def fields(self, s, r, x, label, wback, clamp):
        r[:] = enc(r, r.shape[1])
        h = s @ (self.J + self.rest).T + x @ self.input_skip.T
        if wback:
            h = h + (r @ self.w_back.T) * self.a_back
        o = (s * self.a_out) @ self.w_out.T
        if clamp:
            o = o + CLAMP * label
        return h, o

    def sweep(self, s, r, x, label, wback, clamp):
        h, o = self.fields(s, r, x, label, wback, clamp)
        s[:], r[:] = np.sign(h), np.sign(o)


def train_batch(net, x, labels, n_classes, lr_j, lr_in, lr_out, kappa, kappa_out, max_steps, wd_j=0.0,
                wd_out=0.0, double_dynamics=True, warmup=None):
    """One mini-batch on ``net`` (updated in place). Returns s', s*, the hidden
    gate and the hidden field of the rule."""
    n_batch = x.shape[0]
    warmup = net.n_pops if warmup is None else warmup
    label = -np.ones((n_batch, n_classes))
    label[np.arange(n_batch), labels] = 1.0
    s = np.zeros((n_batch, net.J.shape[0]))
    r = np.zeros((n_batch, n_classes))
    for t in range(max_steps):
        on = t >= warmup
        net.sweep(s, r, x, label, wback=on, clamp=on)
    s_sup = s.copy()
    if double_dynamics:
        for _ in range(max_steps):
            net.sweep(s, r, x, label, wback=False, clamp=True)
    net.fields(s, r, x, label, wback=False, clamp=True)
    h, o = net.fields(s, r, x, label, wback=False, clamp=False)
    g = (s * h <= kappa + net.j_d).astype(np.float64)
    g_out = (r * o <= kappa_out).astype(np.float64)
    width, dim = net.J.shape[0] // net.n_pops, x.shape[1]
    root_b = np.sqrt(n_batch)
    post = g * s
    net.J = net.J * (1 - wd_j * lr_j / np.sqrt(width)) + net.pattern * (lr_j / np.sqrt(width)) * (post.T @ s) / root_b
    net.input_skip = net.input_skip + net.in_mask * (lr_in * net.lam_x / np.sqrt(dim)) * (post.T @ x) / root_b
    net.w_out = (net.w_out * (1 - wd_out * lr_out / np.sqrt(width))
                 + (lr_out / np.sqrt(width)) * ((g_out * r).T @ (s * net.a_out)) / root_b)
    return {"s_sup": s_sup, "s": s, "gate": g, "h": h}


def predict(net, x, n_classes, max_steps):
    s = np.zeros((x.shape[0], net.J.shape[0]))
    r = np.zeros((x.shape[0], n_classes))
    label = -np.ones((x.shape[0], n_classes))  # the code's inference state holds 2 * 0 - 1
    for _ in range(max_steps):
        net.sweep(s, r, x, label, wback=False, clamp=False)
    _, o = net.fields(s, r, x, label, wback=False, clamp=False)
    return np.argmax(o, axis=1), s
