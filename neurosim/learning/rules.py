"""Local plasticity rules on the IR arrays (Eqs. 83-89, 91 and SM-E), averaged
over a mini-batch of B fixed points s*:

    h_i   = sum_j (J_ij + K_ij) s*_j + J_D,i s*_i + a_in_i lam_x (W_in x)_i   (Eq. 83,
            the field without the supervisory term)
    g_i   = 1(s*_i h_i <= kappa)                       margin gate (Eq. 84)
    g_i   = 1/2 - 1/2 tanh(gamma (s*_i h_i - kappa))   smoothed gate (Eq. 91)
    dJ_ij = eta/B sum_mu post_i^mu pre_j^mu  on the pattern A (Eq. 89),
            post = g s*, pre = s*  (sym1: pre = g s*; sym2: the mean of (g s*, s*)
            and (s*, g s*))

Per projection (``MarginRule.projections``): the entries of projection p learn with
their own eta_p, kappa_p and decay w_p (the gate of post-neuron i for p being
1(s*_i h_i <= kappa_p)); unnamed projections keep the rule's eta, kappa, decay.

Eq. 91 as printed, eta s_i s_j [-1/2 + 1/2 tanh(gamma (s_i h_i - kappa))], has the
opposite sign: it would *lower* the margins it is meant to raise, and it does not
tend to Eq. 84 as gamma -> infinity. We use the sign that does (g -> 1(s h < kappa)).
Weight decay w multiplies the old value by (1 - eta w) before the update is added.
"""
from dataclasses import dataclass

import numba as nb
import numpy as np
from scipy.linalg import blas


def margin_gate(s, h, kappa, gamma=None):
    """g [B, N] from states s and fields h: hard (gamma None) or tanh-smoothed."""
    m = s * h
    if gamma is None:
        return (m <= kappa).astype(np.float64)
    return 0.5 - 0.5 * np.tanh(gamma * (m - kappa))


@nb.njit(cache=True)
def _active_rows(post_t):
    """Rows of post_t [N, B] with a nonzero entry: the only rows a rule changes
    when there is no decay (a zero post gives acc = 0, so data stays as it is)."""
    out = np.zeros(post_t.shape[0], dtype=np.bool_)
    for i in range(post_t.shape[0]):
        for mu in range(post_t.shape[1]):
            if post_t[i, mu] != 0.0:
                out[i] = True
                break
    return out


@nb.njit(cache=True, parallel=True)
def _pattern_update(indptr, indices, data, post_t, pre_t, scale, keep):
    """data_ij <- keep data_ij + scale sum_mu post_i^mu pre_j^mu on a CSC pattern
    (rows with post_i = 0 are skipped when keep = 1: nothing would change)."""
    active = _active_rows(post_t)
    for j in nb.prange(indptr.size - 1):
        for q in range(indptr[j], indptr[j + 1]):
            i = indices[q]
            if keep == 1.0 and not active[i]:
                continue
            acc = 0.0
            for mu in range(post_t.shape[1]):
                acc += post_t[i, mu] * pre_t[j, mu]
            data[q] = data[q] * keep + scale * acc


@nb.njit(cache=True, parallel=True)
def _block_update(block, post_t, pre_t, scale, keep, skip_diagonal):
    """block[j, i] <- keep block[j, i] + scale sum_mu post_i^mu pre_j^mu on a dense
    block (row j = the out-weights of j): only the rows i with a nonzero post are
    visited when keep = 1 (nothing else changes), every i otherwise."""
    active = np.flatnonzero(_active_rows(post_t)) if keep == 1.0 else np.arange(post_t.shape[0])
    for j in nb.prange(block.shape[0]):
        row, pj = block[j], pre_t[j]
        for i in active:
            if skip_diagonal and i == j:
                continue
            acc = 0.0
            for mu in range(pj.size):
                acc += post_t[i, mu] * pj[mu]
            row[i] = row[i] * keep + scale * acc


BLAS_FRACTION = 0.25  # dense maps: one BLAS product once this fraction of the rows is gated (bench/train.py)


def _dense_update(m, post_t, pre_t, scale, keep):
    """Eq. 89 on a dense map: a rank-B BLAS update of the whole block when many
    rows are gated (then the pattern is restored), else the active rows only."""
    active = _active_rows(post_t).mean() if keep == 1.0 else 1.0
    if active >= BLAS_FRACTION:
        gemm = blas.dgemm if m.block.dtype == np.float64 else blas.sgemm
        gemm(alpha=scale, a=post_t, b=pre_t, trans_b=True, beta=keep, c=m.block.T, overwrite_c=True)
        m.restore_pattern()
    elif active > 0.0:
        _block_update(m.block, post_t, pre_t, scale, keep, m.kind == "offdiag")
        if m.kind == "mask":
            m.restore_pattern()


def coupling_update(cn, s, g, eta, decay=0.0, variant="asym"):
    """J on its pattern, in place: Eq. 89 (``asym``), sym1 or sym2 (SM-E)."""
    if cn.j_indices.size == 0 or (eta == 0.0 and decay == 0.0):
        return
    if variant not in ("asym", "sym1", "sym2"):
        raise ValueError(f"variant must be 'asym', 'sym1' or 'sym2', got {variant!r}")
    s = s.astype(np.float64)
    gs = g * s
    keep = 1.0 - eta * decay
    scale = eta / s.shape[0]
    st, gst = np.ascontiguousarray(s.T), np.ascontiguousarray(gs.T)
    terms = {"asym": [(gst, st, scale, keep)], "sym1": [(gst, gst, scale, keep)],
             "sym2": [(gst, st, scale / 2, keep), (st, gst, scale / 2, 1.0)]}[variant]
    for post_t, pre_t, sc, kp in terms:
        if cn.j.layout == "dense":
            _dense_update(cn.j, post_t, pre_t, sc, kp)
        else:
            _pattern_update(cn.j_indptr, cn.j_indices, cn.j_data, post_t, pre_t, sc, kp)


@nb.njit(cache=True, parallel=True)
def _projection_update(indptr, indices, data, block, proj, post_t, pre_t, gate_of, scale, keep, done, active):
    """W_ij <- keep_p W_ij + scale_p sum_mu post_t[g_p, i, mu] pre_t[g_p', j, mu] for every
    entry of the pattern, p = proj[entry] its projection (skipped if ``done[p]``, or when
    keep_p = 1 and row i of post_t[g_p] is zero: ``active[g_p, i]`` false), g_p =
    gate_of[p] its gate (g_p' = 0 when pre_t holds one gate only); the values live in
    ``data`` (csc) or, when ``block`` is not empty, at block[j, i] (dense)."""
    dense = block.size > 0
    for j in nb.prange(indptr.size - 1):
        for q in range(indptr[j], indptr[j + 1]):
            i, p = indices[q], proj[q]
            g = gate_of[p]
            if done[p] or (keep[p] == 1.0 and not active[g, i]):
                continue
            gp = g if pre_t.shape[0] > 1 else 0
            acc = 0.0
            for mu in range(post_t.shape[2]):
                acc += post_t[g, i, mu] * pre_t[gp, j, mu]
            if dense:
                block[j, i] = block[j, i] * keep[p] + scale[p] * acc
            else:
                data[q] = data[q] * keep[p] + scale[p] * acc


def projection_update(cn, s, gates, gate_of, eta, decay, variant="asym"):
    """J in place, each projection p with its gate ``gates[gate_of[p]]`` [B, N], rate
    eta[p] and decay decay[p] (Eq. 89, sym1, sym2 as in :func:`coupling_update`)."""
    if cn.j_indices.size == 0:
        return
    s = s.astype(np.float64)
    st = np.ascontiguousarray(s.T)[None]
    gst = np.ascontiguousarray(np.stack([(g * s).T for g in gates]))
    B = s.shape[0]
    eta, decay = np.asarray(eta, dtype=np.float64), np.asarray(decay, dtype=np.float64)
    keep, half, one = 1.0 - eta * decay, eta / (2 * B), np.ones_like(eta)
    terms = {"asym": [(gst, st, eta / B, keep)], "sym1": [(gst, gst, eta / B, keep)],
             "sym2": [(gst, st, half, keep), (np.broadcast_to(st, gst.shape).copy(), gst, half, one)]}[variant]
    indptr, indices, data, block = cn.j.kernel_arrays()
    gate_of = np.asarray(gate_of, np.int64)
    done = np.zeros(len(gate_of), dtype=np.bool_)
    if cn.j.layout == "dense":         # a projection that fills its population block: BLAS on the block
        for p, (rows, cols, offdiag) in cn.projection_blocks().items():
            view = block[cols, rows]   # block[j, i] = W_ij
            for post_t, pre_t, sc, kp in terms:
                view *= kp[p]
                view += sc[p] * (pre_t[gate_of[p] if len(pre_t) > 1 else 0, cols] @ post_t[gate_of[p], rows].T)
            if offdiag:
                k = np.arange(view.shape[0])
                view[k, k] = 0.0
            done[p] = True
    if not done.all():
        for post_t, pre_t, sc, kp in terms:
            active = np.stack([_active_rows(pt) for pt in post_t])
            _projection_update(indptr, indices, data, block, cn.j_proj, post_t, pre_t, gate_of, sc, kp, done, active)


@nb.njit(cache=True)
def _input_rule(w, mask, a_in, post, x, scale, keep):
    """w_ik <- keep w_ik + scale sum_mu post_i^mu x_k^mu on the pattern ``mask`` of
    the a_in rows (post [B, N], x [B, D]); a row with no gated sample is skipped
    when keep = 1 (nothing would change)."""
    for i in range(w.shape[0]):
        if not a_in[i]:
            continue
        active = False
        for mu in range(post.shape[0]):
            active |= post[mu, i] != 0.0
        if keep == 1.0 and not active:
            continue
        for k in range(w.shape[1]):
            if mask[i, k]:
                acc = 0.0
                for mu in range(post.shape[0]):
                    acc += post[mu, i] * x[mu, k]
                w[i, k] = w[i, k] * keep + scale * acc


def input_update(cn, s, g, x, eta, decay=0.0):
    """W_in on its pattern and the a_in rows, in place (Eq. 85 averaged over B):
    one BLAS product when every entry of W_in learns (a dense W_in, input on
    every neuron), else the masked kernel."""
    if cn.input_dim == 0 or (eta == 0.0 and decay == 0.0):
        return
    post = g * s
    if cn.a_in.all() and cn.w_in_mask.all() and cn.w_in.flags.c_contiguous:
        blas.dgemm(alpha=eta / s.shape[0], a=x, b=post, trans_a=True, beta=1.0 - eta * decay, c=cn.w_in.T,
                   overwrite_c=True)
        return
    _input_rule(cn.w_in, cn.w_in_mask, cn.a_in, post, x, eta / s.shape[0], 1.0 - eta * decay)


def back_update(cn, s, g, y, eta):
    """W_back on the a_back rows (learnable supervision; off by default)."""
    if eta == 0.0:
        return
    delta = (eta / s.shape[0]) * ((g * s).T @ y)
    cn.w_back[cn.a_back] += delta[cn.a_back]


def readout_logits(cn, s):
    """l_c = sum_j a_out_j W_out_cj s_j  (Eq. 86), [B, C]."""
    return (s * cn.a_out) @ cn.w_out.T


@dataclass(frozen=True)
class ReadoutRule:
    """The perceptron rule of the readout (Eqs. 86-87), written once: its numpy
    update (:meth:`apply`) and the Brian2 statements (:meth:`brian2_code`).

        l_c     = sum_j a_out_j W_out_cj s_j
        g_c     = 1(y_c l_c <= kappa_out)
        dW_out  = eta/B sum_mu g_c y_c a_out_j s_j,  the old value times 1 - eta w"""

    kappa: float
    eta: float
    decay: float = 0.0

    def apply(self, cn, s, y):
        """W_out of ``cn`` in place at states s [B, N] and targets y [B, C] (+-1
        one-hot, or the code protocol's encoded label)."""
        if self.eta == 0.0 and self.decay == 0.0:
            return
        gate = (y * readout_logits(cn, s) <= self.kappa).astype(np.float64)
        delta = (self.eta / s.shape[0]) * ((gate * y).T @ (s * cn.a_out))
        cn.w_out *= 1.0 - self.eta * self.decay
        cn.w_out += delta

    def brian2_code(self):
        """{"gate": on the readout neurons (l, y, g_out from the constant kout),
        "w": on the readout synapses (aout, the pre's a; ``lrn`` 0 skips)}; the
        constants: kout = kappa, etaout = eta, decout = decay."""
        return {"gate": "gout = int(y*l <= kout)",
                "w": "w = w*(1 - lrn*etaout*decout) + lrn*etaout*gout_post*y_post*a_pre*aout"}


@dataclass(frozen=True)
class MarginRule:
    """The margin rule of J, W_in and W_back (Eqs. 84-85, 89, 91), written once:
    its numba update (:meth:`apply`) and the forms the Brian2 trainer
    (:meth:`brian2_code`) and Lava's learning engine (:meth:`lava_rule`) run.

        g_i   = 1(s_i h_i <= kappa + t_i)  or  1/2 - 1/2 tanh(gamma (s_i h_i - kappa - t_i))
        dJ_ij = eta/B sum_mu g_i s_i s_j     (asym; sym1, sym2 as in coupling_update)
        dW_ik = eta_in/B sum_mu g_in,i s_i x_k,   dW_back = eta_back/B sum_mu g s y

    t_i = J_D,i under ``threshold="kappa+jd"``, else 0; W_in gates with ``kappa_in``
    (None: the gate of J); decay w multiplies the old value by 1 - eta w.
    ``projections``: ((name, eta, kappa, decay), ...) for the projections of J that
    learn with their own values (module docstring)."""

    kappa: float
    eta: float
    decay: float = 0.0
    kappa_in: float = None
    eta_in: float = 0.0
    decay_in: float = 0.0
    eta_back: float = 0.0
    gamma: float = None
    variant: str = "asym"
    threshold: str = "kappa"
    projections: tuple = ()

    @classmethod
    def of(cls, config, etas=None):
        """The rule of a TrainConfig, at the rates ``etas`` ({"j", "in", "back"}, and
        "projections": {name: eta} for ``config.projections``; default: the
        configured ones)."""
        c = config
        own = c.projections or {}
        etas = etas or {"j": c.eta_j, "in": c.eta_in, "back": c.eta_back,
                        "projections": {name: o.get("eta", c.eta_j) for name, o in own.items()}}
        projections = tuple((name, float(etas["projections"][name]), float(o.get("kappa", c.kappa_j)),
                             float(o.get("decay", c.decay_j))) for name, o in sorted(own.items()))
        return cls(kappa=c.kappa_j, eta=etas["j"], decay=c.decay_j, kappa_in=c.kappa_in, eta_in=etas["in"],
                   decay_in=c.decay_in, eta_back=etas["back"], gamma=c.gamma, variant=c.variant,
                   threshold=c.gate_threshold, projections=projections)

    # ------------------------------------------------------------ numba / numpy
    def gates(self, s, h, j_d=0.0):
        """(g, g_in) [B, N] at states s and fields h (Eq. 84 or 91)."""
        shift = j_d if self.threshold == "kappa+jd" else 0.0
        g = margin_gate(s, h, self.kappa + shift, self.gamma)
        if self.kappa_in is None or self.kappa_in == self.kappa:
            return g, g
        return g, margin_gate(s, h, self.kappa_in + shift, self.gamma)

    def apply(self, cn, s, h, x=None, y_back=None):
        """J, W_in (given x) and W_back (given y_back) of ``cn`` in place at the
        states s [B, N] with fields h; returns the gate g of J."""
        g, g_in = self.gates(s, h, cn.j_d)
        if self.projections:
            self._per_projection(cn, s, h, g)
        else:
            coupling_update(cn, s, g, self.eta, self.decay, self.variant)
        if x is not None:
            input_update(cn, s, g_in, x, self.eta_in, self.decay_in)
        if y_back is not None:
            back_update(cn, s, g, y_back, self.eta_back)
        return g

    def _per_projection(self, cn, s, h, g):
        """J with the rates, margins and decays of ``projections`` (the rule's own
        for the projections not named): one gate per distinct margin."""
        P = len(cn.proj_names)
        eta, kappa, decay = np.full(P, self.eta), np.full(P, float(self.kappa)), np.full(P, self.decay)
        for name, e, k, w in self.projections:
            i = cn.projection_index(name)
            eta[i], kappa[i], decay[i] = e, k, w
        margins, gate_of = np.unique(kappa, return_inverse=True)
        shift = cn.j_d if self.threshold == "kappa+jd" else 0.0
        gates = [g if m == self.kappa else margin_gate(s, h, m + shift, self.gamma) for m in margins]
        projection_update(cn, s, gates, gate_of.reshape(-1), eta, decay, self.variant)

    # ------------------------------------------------------------ Brian2
    def brian2_code(self, margin):
        """The Brian2 statements of the rule, keyed "gates" (neuron: g, gin from
        the expression ``margin`` = s h), "j" and "in" (synapses: w from the
        post's g / gin and a, the pre's a or x; ``lrn`` 0 skips the update,
        ``plastic`` 0 marks a fixed synapse). Their constants: :meth:`brian2_values`.
        One rule for every projection: per-projection values are refused."""
        if self.projections:
            raise ValueError("projections: the Brian2 trainer runs one eta, kappa and decay for every projection "
                             "of J; train per-projection rules with the numba Trainer")
        def gate(kappa):
            if self.gamma is None:
                return f"int({margin} <= {kappa})"
            return f"0.5 - 0.5*tanh(gamma*({margin} - {kappa}))"
        kept = "w = w*(1 - lrn*plastic*etaj*decj)"
        j = {"asym": f"{kept} + lrn*plastic*etaj*g_post*a_post*a_pre",
             "sym1": f"{kept} + lrn*plastic*etaj*g_post*a_post*g_pre*a_pre",
             "sym2": f"{kept} + lrn*plastic*(etaj/2)*g_post*a_post*a_pre + lrn*plastic*(etaj/2)*a_post*g_pre*a_pre",
             }[self.variant]
        return {"gates": f"g = {gate('kj')}\ngin = {gate('kin')}", "j": j,
                "in": "w = w*(1 - lrn*plastic*etain*decin) + lrn*plastic*etain*gin_post*a_post*x_pre"}

    def brian2_values(self):
        """The constants of :meth:`brian2_code`: neuron (kj, kin, gamma), J
        synapses (etaj, decj), W_in synapses (etain, decin)."""
        return ({"kj": self.kappa, "kin": self.kappa_in, "gamma": 0.0 if self.gamma is None else self.gamma},
                {"etaj": self.eta, "decj": self.decay}, {"etain": self.eta_in, "decin": self.decay_in})

    # ------------------------------------------------------------ Loihi
    def lava_rule(self, fixed=False, lam_x=1.0):
        """``spec["learning"]`` of Lava's on-chip learning (``neurosim.hw.lava.learning``):
        the PlasticSignNeuron's constants and the Loihi3F rules ``dw`` (J) and
        ``dw_in`` (W_in, with eta_in). The neuron writes y2 = eta g 1(s = +1),
        y3 = eta g 1(s = -1) and y1 = C + lam_x eta_in s g_in, so on both dual rails

            dw    = (2 x0 - 1)(y2 - y3)   = +-eta s_i s_j g_i              (Eq. 84)
            dw_in = (2 x0 - 1)(y1 - C)    = +-lam_x eta_in s_i x_k g_in,i  (Eq. 85)

        with C = lam_x eta_in in fixed point (7-bit unsigned traces), 0 in
        floating point. Hard gate, asym, no decay, the threshold kappa only."""
        if self.gamma is not None or self.variant != "asym" or self.decay or self.decay_in \
                or self.threshold != "kappa" or self.eta_back or self.projections:
            raise ValueError("on-chip learning runs the hard asym rule with threshold kappa, no decay, no "
                             "W_back learning and one rate and margin for every projection")
        out = {"kappa": self.kappa, "y_scale": self.eta, "dw": "2 * x0 * y2 - 2 * x0 * y3 - u0 * y2 + u0 * y3"}
        if self.eta_in:
            step = lam_x * self.eta_in
            step = int(step) if fixed else step
            zero = step if fixed else 0
            y = f"(y1 - {zero})" if zero else "y1"
            out.update(kappa_in=self.kappa if self.kappa_in is None else self.kappa_in, y1_step=step, y1_zero=zero,
                       dw_in=f"2 * x0 * {y} - u0 * {y}")
        return out
