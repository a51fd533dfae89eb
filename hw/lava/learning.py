"""The margin rules J (Eq. 84) and W_in (Eq. 85) on Lava: on chip as
``Loihi3FLearningRule`` s, or host-assisted.

On chip (:class:`OnChipLearner`), J. Dual rail: the neuron sends a binary spike on
``s_pos`` iff s_j = +1 and on ``s_neg`` iff s_j = -1; J sits on a
``LearningSparse(W+ = J)`` fed by s_pos and a ``LearningSparse(W- = -J)`` fed by
s_neg (only stored synapses learn, so the pattern A is kept; a dense learning
connection would also change pairs outside A). The post neuron
(:class:`~neurosim.hw.lava.process.PlasticSignNeuron`) opens the gate
g_i = 1(s_i h_i <= kappa), h the full local field without supervision, and writes
y2 = y_scale g 1(s_i = +1), y3 = y_scale g 1(s_i = -1) (both >= 0, as 7-bit traces
require). One rule for both rails (written by ``MarginRule.lava_rule``),

    dw = 2 x0 y2 - 2 x0 y3 - u0 y2 + u0 y3  =  (2 x0 - 1)(y2 - y3),

gives dW+ = eta s_i s_j g_i on the + rail (x0 = 1(s_j = +1)) and dW- = -eta s_i s_j g_i
on the - rail (x0 = 1(s_j = -1)), so W- = -W+ stays true. y_scale = eta in floating
point; in fixed point y_scale = eta in weight LSBs (an integer <= 127) and kappa is
an integer (the network's scale times kappa, floored).

On chip, W_in (``eta_in``, ``kappa_in``). The input leaves the bias: an
:class:`~neurosim.hw.lava.process.InputSpikes` source sends x_k in {-1, +1} on two
lines into ``LearningSparse(W+ = lam_x W_in)`` and ``LearningSparse(W- = -lam_x W_in)``
(stored entries: the learnable pattern w_in_mask on the a_in rows; x is constant in a
round, so their buffers are preloaded with W x like J's). The same neuron, in the same
learning step and from the same s and h (the old weights), opens the second gate
g_in = 1(s h <= kappa_in) and writes the one free trace

    y1 = C + u s g_in,  and the W_in rails learn  dw = 2 x0 (y1 - C) - u0 (y1 - C)
                                                       = (2 x0 - 1) u s g_in,

so dW+_ik = u s_i x_k g_in,i = lam_x (eta_in s_i x_k g_in,i) and W- = -W+ again.
y1 = C in every other step (no change). u = lam_x eta_in. Fixed point: C = u, so y1 in
{0, C, 2C} is unsigned and 7-bit when 1 <= C <= 63 (u an integer number of weight
LSBs; lam_x W_in even integers in [-254, 254] at exponent 0). Floating point: C = 0,
y1 = u s g_in directly (the float model keeps signed traces; no offset, no rounding
of C + u); exact when lam_x, W_in and eta_in are dyadic (e.g. multiples of 2^-10,
lam_x a power of 2 so that W_in = W+ / lam_x is exact).

Both precisions: trace decay is switched off (tau = 2^60: exp(-1/tau) == 1.0 in
float64; Loihi3F's default 65535 gives a 1.5e-5 relative error in floating point),
every learnable weight must be nonzero (LearningSparse does not store zeros), and
learned weights saturate at the 9-bit range in fixed point (the numba rule does not).

Protocol of one round (host-driven, one sample): set s(0), the bias and x, preload the
synapse buffers, relax ``steps`` steps with learn = 0, then one step with learn = 1 in
which the neuron holds s(T) and the synapses apply dW at the end of the step. This
equals ``relax`` -> ``local_fields`` -> ``MarginRule.apply`` of
:mod:`neurosim.learning.rules` with a batch of one, whether or not s(T) is a fixed
point.

Host-assisted (:class:`HostAssistedLearner`): relax in Lava, compute the update with
:mod:`neurosim.learning.rules` on the host (J, and W_in through the bias), write the
weights back. Fast on big networks, and it takes mini-batches.
"""
import time

import numpy as np
import scipy.sparse as sp

from neurosim.learning.rules import MarginRule

NO_DECAY = 2 ** 60
Y1_ZERO_MAX = 63          # y1 = C (1 + s g_in) <= 2 C must fit the 7-bit trace


# ------------------------------------------------------------------- worker side
def _loihi3f(dw, learn):
    from lava.magma.core.learning.learning_rule import Loihi3FLearningRule
    rule = Loihi3FLearningRule(dw=dw, t_epoch=1, rng_seed=int(learn.get("rng_seed", 0)))
    rule.y1_tau = rule.y2_tau = rule.y3_tau = NO_DECAY
    return rule


def margin_rule(learn):
    """The Loihi3F rule of the J update, Eq. 84 (``MarginRule.lava_rule``)."""
    return _loihi3f(learn["dw"], learn)


def input_rule(learn):
    """The Loihi3F rule of the W_in update, Eq. 85 (``MarginRule.lava_rule``)."""
    return _loihi3f(learn["dw_in"], learn)


def _put(graph, var, value):
    if graph.started:
        var.set(value)
    else:
        var.init = value


def _cast(graph, v):
    v = np.asarray(v, dtype=np.float64)
    return np.round(v).astype(np.int32) if graph.spec["fixed_point"] else v


def read_weights(graph):
    """Current weights of every connection, as CSR [post, pre] float64 (effective
    values: mantissa << exponent)."""
    return {name: sp.csr_matrix(graph.matrix(name)) for name in graph.conns}


def learnable_weights(W, spec, rail="+"):
    """J [post, pre] CSR from the connections ``W`` (name -> CSR, as read_weights
    gives them): the sum of the learnable projections' connections on ``rail``
    ("+", "-", or "graded": the single connection of the graded wire)."""
    n = spec["n"]
    names = [k if rail == "graded" else k + rail for k, g in spec["groups"].items() if g["learnable"]]
    return sum((W[k] for k in names if k in W), sp.csr_matrix((n, n)))


def set_weights(graph, J):
    """Write the learnable couplings J (CSR [post, pre] on the stored pattern) into
    the connections of the learnable projections (each reads its own entries)."""
    J = sp.csr_matrix(J, dtype=np.float64)
    for name, (rail, key) in graph.rails.items():
        group = graph.spec["groups"].get(key)
        if group is None or not group["learnable"]:
            continue
        conn = graph.conns[name]
        exp = group["exp"]
        W = (J if rail in ("graded", "+") else -J) / float(2 ** exp)
        cur = sp.csr_matrix(conn.weights.get() if graph.started else conn.weights.init)
        new = _on_pattern(cur, W)
        if graph.spec["fixed_point"]:
            new.data = np.round(new.data).astype(np.int32)
        if graph.started:
            conn.weights.set(new)
        else:
            conn.weights.init = new
    graph.invalidate()
    return True


def _on_pattern(pattern, W):
    """W's values on the stored entries of ``pattern`` (same structure)."""
    pattern = sp.csr_matrix(pattern)
    rows = np.repeat(np.arange(pattern.shape[0]), np.diff(pattern.indptr))
    vals = np.asarray(sp.csr_matrix(W)[rows, pattern.indices]).ravel()
    out = sp.csr_matrix((vals.astype(pattern.dtype), pattern.indices.copy(), pattern.indptr.copy()),
                        shape=pattern.shape)
    return out


def learn_round(graph, steps, s0=None, bias=None, learn=True, sample=None, x=None):
    """One round on a graph built with the margin rule (runs in the worker):
    relax ``steps`` steps from ``s0`` under ``bias`` and the on-chip input ``x`` (the
    gate draws keyed by ``sample``), then, with ``learn``, one learning step."""
    neu = graph.neuron
    if sample is not None:
        _put(graph, neu.sample, np.array([int(sample)]))
    if s0 is not None:
        _put(graph, neu.s, _cast(graph, s0))
        graph.preload(s0)
    if x is not None:
        if graph.source is None:
            raise ValueError("this graph has no on-chip input (build it with spec['input'])")
        _put(graph, graph.source.x, _cast(graph, x))
        graph.preload(x=x)
    if bias is not None:
        _put(graph, neu.bias, _cast(graph, bias))
    resets = [(neu.t_rel, 0), (neu.stable_at, -1), (neu.rec_len, 0)]
    plastic = hasattr(neu, "learn")
    if plastic:
        resets.append((neu.learn, 0))
    for var, val in resets:
        _put(graph, var, np.array([val]))
    if learn and not plastic:
        raise ValueError("this graph has no learning rule (build it with spec['learning'])")
    t0 = time.perf_counter()
    if steps:
        graph.run(steps)
    states = neu.s.get() if graph.started else np.asarray(neu.s.init)
    stable_at = int(neu.stable_at.get()[0]) if graph.started else -1
    out = {"states": np.asarray(states).copy(), "stable_at": stable_at}
    if learn:
        _put(graph, neu.learn, np.array([1]))
        graph.run(1)
        graph.invalidate()
        neu.learn.set(np.array([0]))
        out["g"] = neu.g.get().copy()
        out["h"] = neu.h.get().copy()
        if graph.source is not None:
            out["g_in"] = neu.g_in.get().copy()
        out["weights"] = read_weights(graph)
    out["seconds"] = time.perf_counter() - t0
    return out


# --------------------------------------------------------------------- host side
class _Session:
    def __init__(self, spec, timeout):
        self.spec = spec
        self.timeout = timeout
        self.worker = None

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        self.close(graceful=exc_type is None)
        return False

    def start(self):
        from neurosim.hw.lava.runner import LavaWorker
        self.worker = LavaWorker(timeout=self.timeout).start()
        try:
            self.worker.call("build", spec=self.spec, record=0)
        except BaseException:
            self.worker.close(graceful=False)
            self.worker = None
            raise
        return self

    def close(self, graceful=True):
        w, self.worker = self.worker, None
        if w is not None:
            try:
                if graceful:
                    w.call("stop")
            finally:
                w.close(graceful=graceful)

    def _call(self, op, **kw):
        if self.worker is None:
            raise RuntimeError("the learner is not running: use it as a context manager (with ... as learner:)")
        return self.worker.call(op, **kw)


class OnChipLearner(_Session):
    """Margin-rule learning on Lava's learning engine (see the module docstring).

    ``cn``: the network (a QuantizedNetwork for fixed point, or pass
    ``fixed_point=True`` with integer values); ``kappa`` the margin; ``eta`` the
    learning rate (fixed point: an integer number of weight LSBs, 1..127; the integer
    ``kappa`` compares with the integer field). ``eta_in`` (and ``kappa_in``, default
    ``kappa``) also learns W_in on chip (Eq. 85): the input x then reaches the neurons
    through learnable synapses lam_x W_in (fixed point: even integers in [-254, 254],
    lam_x eta_in an integer number of weight LSBs, 1..63). ``timeout`` bounds the
    whole session. Use as a context manager; :meth:`round` runs one relax-and-learn
    round and returns the new J (CSR [post, pre]), W_in, the end state and the gates.
    """

    def __init__(self, cn, kappa, eta, field=None, mode="sync", p=1.0, seed=0, sample=0, fixed_point=False,
                 rng_seed=0, eta_in=None, kappa_in=None, timeout=300.0):
        from neurosim.hw.lava.export import make_spec
        from neurosim.hw.quantize import QuantizedNetwork
        base = cn.network if isinstance(cn, QuantizedNetwork) else cn
        spec = make_spec(cn, field=field, mode=mode, p=p, seed=seed, sample=sample, fixed_point=fixed_point,
                         wire="dual")
        fixed = spec["fixed_point"]
        if np.any(base.j_data == 0):
            raise ValueError("on-chip learning needs a nonzero weight on every learnable synapse: Lava's "
                             "LearningSparse does not store a zero synapse, so it would drop out of A "
                             f"({int(np.sum(base.j_data == 0))} zero weights on the pattern)")
        if fixed and any(g["exp"] for g in spec["groups"].values() if g["learnable"]):
            raise ValueError("fixed-point on-chip learning needs the learnable weights at exponent 0 "
                             "(quantize with the default scale, set by J)")
        eta, kappa = _rate("eta", eta, fixed, 127), _margin("kappa", kappa, fixed)
        if eta_in is None and kappa_in is not None:
            raise ValueError("kappa_in is given but eta_in is not: W_in learns on chip (Eq. 85) only with eta_in")
        self.on_in = None
        rule = MarginRule(kappa, eta)
        if eta_in is not None:
            prof = cn.profile if isinstance(cn, QuantizedNetwork) else "loihi2"
            spec["input"], self.on_in = _input_group(base, fixed, prof)
            kappa_in = _margin("kappa_in", kappa if kappa_in is None else kappa_in, fixed)
            _rate("eta_in", base.lam_x * float(eta_in), fixed, Y1_ZERO_MAX, "lam_x * eta_in")
            rule = MarginRule(kappa, eta, kappa_in=kappa_in, eta_in=float(eta_in))
            self.lam_x, self.w_in = base.lam_x, base.w_in.copy()
        spec["learning"] = {**rule.lava_rule(fixed, base.lam_x), "rng_seed": int(rng_seed)}
        super().__init__(spec, timeout)
        self.kappa, self.eta, self.kappa_in, self.eta_in = kappa, eta, kappa_in, eta_in
        self._x = None

    def round(self, s0, field=None, steps=10, sample=0, x=None):
        """Relax ``steps`` steps from ``s0`` under ``field`` (default: the previous
        one) and, with on-chip W_in, the input ``x`` in {-1, +1}^D (default: the
        previous one), then one learning step; ``sample`` keys the probability-p
        draws. Returns a dict: ``J`` (CSR, the + rail), ``J_minus_consistent`` (the -
        rail equals -J), ``states`` s(T), ``g``, ``h``, ``stable_at``, ``seconds``;
        with on-chip W_in also ``W_in`` [N, D] (the + rail / lam_x on the learnable
        pattern, the other entries as given), ``W_in_minus_consistent`` and ``g_in``."""
        from neurosim.hw.lava.export import _row
        n = self.spec["n"]
        s0 = _row("s0", s0, n, 0)
        bias = None
        if field is not None:
            bias = _row("field", field, n, 0)
            if self.spec["fixed_point"] and np.any(bias != np.round(bias)):
                raise ValueError("fixed point: the field must be integers (QuantizedNetwork.quantize_field)")
        if self.on_in is None:
            if x is not None:
                raise ValueError("x is given but W_in does not learn on chip: pass eta_in to the learner, or "
                                 "fold lam_x W_in x into the field")
        elif x is not None:
            x = np.asarray(x, dtype=np.float64)
            if x.shape != (self.w_in.shape[1],) or not np.all(np.abs(x) == 1):
                raise ValueError(f"x must be a vector of D = {self.w_in.shape[1]} values in {{-1, +1}} (the two "
                                 f"spike lines carry nothing else), got shape {x.shape}")
            self._x = x
        elif self._x is None:
            raise ValueError("x: W_in learns on chip, so the first round needs the input x")
        out = self._call("learn_round", steps=int(steps), s0=s0, bias=bias, sample=int(sample), x=self._x)
        W = out.pop("weights")
        out["J"] = learnable_weights(W, self.spec)
        out["J_minus_consistent"] = _mirrored(out["J"], learnable_weights(W, self.spec, "-"))
        if self.on_in is not None:
            self.w_in[self.on_in] = W["W_in+"].toarray()[self.on_in] / self.lam_x
            out["W_in"] = self.w_in.copy()
            out["W_in_minus_consistent"] = _mirrored(W["W_in+"], W["W_in-"])
        out["weights"] = W
        return out


def _mirrored(plus, minus):
    """The - rail holds exactly minus the + rail (CSR matrices)."""
    return bool(abs(plus + minus).max() == 0) if plus.nnz else True


def _rate(name, value, fixed, top, what=None):
    """A learning rate: > 0; in fixed point an integer number of weight LSBs in 1..top."""
    what = what or name
    v = float(value)
    if fixed:
        if not (v == int(v) and 1 <= int(v) <= top):
            raise ValueError(f"{name}: fixed point needs {what} to be an integer number of weight LSBs in 1..{top} "
                             f"(a 7-bit trace), got {v!r}")
        return int(v)
    if not v > 0:
        raise ValueError(f"{name} must be > 0 (so must {what}), got {v!r}")
    return v


def _margin(name, value, fixed):
    v = float(value)
    if fixed and v != np.floor(v):
        raise ValueError(f"{name}: fixed point needs an integer margin (floor(kappa * scale); see "
                         "QuantizedNetwork.quantize_kappa)")
    return int(v) if fixed else v


def _input_group(cn, fixed, profile):
    """spec["input"] of on-chip W_in: the synapses lam_x W_in on the learnable pattern
    (w_in_mask on the a_in rows), and that pattern [N, D]."""
    from neurosim.hw.lava.export import _csr_parts, split_exponent
    if cn.input_dim == 0:
        raise ValueError("eta_in: the network has no input map W_in to learn (set_input)")
    on = cn.w_in_mask & cn.a_in[:, None]
    W = np.where(on, cn.lam_x * cn.w_in, 0.0)
    if np.any(W[on] == 0):
        raise ValueError("on-chip W_in learning needs a nonzero lam_x W_in on every learnable input synapse "
                         f"(LearningSparse does not store zeros; {int(np.sum(W[on] == 0))} zero weights)")
    if np.any(cn.a_in[:, None] & ~cn.w_in_mask & (cn.w_in != 0)):
        raise ValueError("on-chip W_in learning needs W_in = 0 off its learnable pattern (w_in_mask) on the a_in "
                         "rows: those fixed input weights would need a connection of their own")
    parts = _csr_parts(W)
    parts["exp"] = 0
    if fixed:
        if np.any(parts["data"] != np.round(parts["data"])):
            raise ValueError("fixed point: on-chip W_in learning needs lam_x * W_in to be even integers in "
                             "[-254, 254] on its pattern (quantize() scales W_in but does not round it), e.g. "
                             "cn.with_couplings(w_in=2 * np.round(cn.lam_x * cn.w_in / 2) / cn.lam_x), lam_x a "
                             "power of 2")
        parts["data"], exp = split_exponent(parts["data"], profile, group="lam_x W_in weights")
        if exp != 0:
            raise ValueError("fixed point: on-chip W_in learning needs lam_x * W_in at weight exponent 0 "
                             "(even integers in [-254, 254])")
    parts["x"] = np.zeros(cn.input_dim)
    return parts, on


class HostAssistedLearner(_Session):
    """Relax in Lava, learn on the host, write the weights back.

    The host keeps ``self.cn`` (a copy of the network) and updates it with
    :meth:`neurosim.learning.rules.MarginRule.apply` (J, and W_in with the gate of
    J when ``eta_in`` and inputs are given, Eq. 85: the new W_in reaches the chip
    through the bias of the next sample). :meth:`step` takes a mini-batch: one Lava
    relaxation per sample, then one averaged update and one weight write.
    Floating point only.
    """

    def __init__(self, cn, kappa, eta, eta_in=0.0, mode="sync", p=1.0, seed=0, wire="graded", timeout=600.0):
        from neurosim.hw.lava.export import make_spec
        self.cn = cn.copy()
        self.kappa, self.eta, self.eta_in = float(kappa), float(eta), float(eta_in)
        self.mode, self.p, self.seed = mode, p, seed
        spec = make_spec(self.cn, mode=mode, p=p, seed=seed, wire=wire)
        super().__init__(spec, timeout)

    def relax(self, s0, field, steps, sample=0):
        """One Lava relaxation of the current weights: the end state s(T)."""
        out = self._call("learn_round", steps=int(steps), s0=np.asarray(s0, float), bias=np.asarray(field, float),
                         learn=False, sample=int(sample))
        return np.asarray(out["states"])

    def step(self, s0, x=None, y=None, field=None, steps=10):
        """Relax each sample of the batch (``s0`` [B, N]; the field from ``x`` / ``y``
        through the current W_in, or ``field`` [B, N]), update J (and W_in) on the
        host, write J back. Returns (states [B, N], gate [B, N])."""
        from neurosim.engine import local_fields
        s0 = np.atleast_2d(np.asarray(s0, dtype=np.float64))
        b = self.cn.field(x=x, y=y) if field is None else np.atleast_2d(np.asarray(field, dtype=np.float64))
        b = np.broadcast_to(b, s0.shape) if b.shape[0] == 1 else b
        b_free = self.cn.field(x=x) if field is None else b
        b_free = np.broadcast_to(b_free, s0.shape) if b_free.shape[0] == 1 else b_free
        states = np.stack([self.relax(s0[k], b[k], steps, sample=k) for k in range(s0.shape[0])]).astype(np.int8)
        h = local_fields(self.cn, states, np.ascontiguousarray(b_free))
        x = None if x is None else np.atleast_2d(np.asarray(x, dtype=np.float64))
        g = MarginRule(self.kappa, self.eta, eta_in=self.eta_in).apply(self.cn, states, h, x)
        self._call("set_weights", J=self.cn.learnable())
        return states, g
