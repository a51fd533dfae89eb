"""The margin rule (Eq. 84) on Lava: on chip as a ``Loihi3FLearningRule``, or
host-assisted.

On chip (:class:`OnChipLearner`). Dual rail: the neuron sends a binary spike on
``s_pos`` iff s_j = +1 and on ``s_neg`` iff s_j = -1; J sits on a
``LearningSparse(W+ = J)`` fed by s_pos and a ``LearningSparse(W- = -J)`` fed by
s_neg (only stored synapses learn, so the pattern A is kept; a dense learning
connection would also change pairs outside A). The post neuron
(:class:`~neurosim.hw.lava.process.PlasticSignNeuron`) opens the gate
g_i = 1(s_i h_i <= kappa), h the full local field without supervision, and writes
y2 = y_scale g 1(s_i = +1), y3 = y_scale g 1(s_i = -1) (both >= 0, as 7-bit traces
require). One rule for both rails,

    dw = 2 x0 y2 - 2 x0 y3 - u0 y2 + u0 y3  =  y_scale (2 x0 - 1)(y2 - y3) / y_scale,

gives dW+ = eta s_i s_j g_i on the + rail (x0 = 1(s_j = +1)) and dW- = -eta s_i s_j g_i
on the - rail (x0 = 1(s_j = -1)), so W- = -W+ stays true. y_scale = eta in floating
point; in fixed point y_scale = eta in weight LSBs (an integer <= 127) and kappa is
an integer (the network's scale times kappa, floored). Trace decay is switched off
(tau = 2^60: exp(-1/tau) == 1.0 in float64, in both precisions; Loihi3F's default
65535 gives a 1.5e-5 relative error in floating point).

Protocol of one round (host-driven, one sample): set s(0) and the bias, preload the
synapse buffers, relax ``steps`` steps with learn = 0, then one step with learn = 1 in
which the neuron holds s(T) and the synapses apply dW at the end of the step. This
equals ``relax`` -> ``local_fields`` -> ``margin_gate`` -> ``coupling_update`` of
:mod:`neurosim.learning.rules` with a batch of one, whether or not s(T) is a fixed
point.

Host-assisted (:class:`HostAssistedLearner`): relax in Lava, compute the update with
:mod:`neurosim.learning.rules` on the host (J, and W_in through the bias), write the
weights back. Fast on big networks, and it also covers Eq. 85.

Eq. 85 (W_in) on chip is not provided: its gate uses kappa_in, a second signed gate
that would need two more post traces, and the three Loihi3F traces are taken
(y2/y3 by the J gate, y1 left). See hw/README.md.
"""
import time

import numpy as np
import scipy.sparse as sp

RULE = "2 * x0 * y2 - 2 * x0 * y3 - u0 * y2 + u0 * y3"
NO_DECAY = 2 ** 60


# ------------------------------------------------------------------- worker side
def margin_rule(learn, fixed_point):
    """The Loihi3F rule of the margin update (see the module docstring)."""
    from lava.magma.core.learning.learning_rule import Loihi3FLearningRule
    rule = Loihi3FLearningRule(dw=RULE, t_epoch=1, rng_seed=int(learn.get("rng_seed", 0)))
    rule.y1_tau = rule.y2_tau = rule.y3_tau = NO_DECAY
    return rule


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


def set_weights(graph, J):
    """Write the learnable couplings J (CSR [post, pre] on the stored pattern) into
    the J connection(s) (``J``, or ``J+`` / ``J-``)."""
    J = sp.csr_matrix(J, dtype=np.float64)
    for name, (rail, key) in graph.rails.items():
        if key != "J" or name == "none":
            continue
        conn = graph.conns[name]
        exp = graph.spec["groups"]["J"]["exp"]
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


def learn_round(graph, steps, s0=None, bias=None, learn=True, sample=None):
    """One round on a graph built with the margin rule (runs in the worker):
    relax ``steps`` steps from ``s0`` under ``bias`` (the gate draws keyed by
    ``sample``), then, with ``learn``, one learning step."""
    neu = graph.neuron
    if sample is not None:
        _put(graph, neu.sample, np.array([int(sample)]))
    if s0 is not None:
        _put(graph, neu.s, _cast(graph, s0))
        graph.preload(s0)
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
        out["weights"] = read_weights(graph)
    out["seconds"] = time.perf_counter() - t0
    return out


# --------------------------------------------------------------------- host side
class _Session:
    def __init__(self, spec, timeout):
        self.spec = spec
        self.timeout = timeout
        self.worker = None
        self.seconds = 0.0

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
    ``kappa`` compares with the integer field). ``timeout`` bounds the whole session.
    Use as a context manager; :meth:`round` runs one relax-and-learn round and
    returns the new J (CSR [post, pre]), the end state and the gate.
    """

    def __init__(self, cn, kappa, eta, field=None, mode="sync", p=1.0, seed=0, sample=0, fixed_point=False,
                 rng_seed=0, timeout=300.0):
        from neurosim.hw.lava.export import make_spec
        from neurosim.hw.quantize import QuantizedNetwork
        base = cn.network if isinstance(cn, QuantizedNetwork) else cn
        spec = make_spec(cn, field=field, mode=mode, p=p, seed=seed, sample=sample, fixed_point=fixed_point,
                         wire="dual")
        if np.any(base.j_data == 0):
            raise ValueError("on-chip learning needs a nonzero weight on every learnable synapse: Lava's "
                             "LearningSparse does not store a zero synapse, so it would drop out of A "
                             f"({int(np.sum(base.j_data == 0))} zero weights on the pattern)")
        if spec["fixed_point"]:
            if spec["groups"]["J"]["exp"] != 0:
                raise ValueError("fixed-point on-chip learning needs the learnable weights at exponent 0 "
                                 "(quantize with the default scale, set by J)")
            if not (float(eta) == int(eta) and 1 <= int(eta) <= 127):
                raise ValueError(f"fixed point: eta must be an integer number of weight LSBs in 1..127 (a 7-bit "
                                 f"trace), got {eta!r}")
            if float(kappa) != np.floor(float(kappa)):
                raise ValueError("fixed point: kappa must be an integer (floor(kappa * scale); "
                                 "see QuantizedNetwork.quantize_kappa)")
            eta, kappa = int(eta), int(kappa)
        else:
            if not float(eta) > 0:
                raise ValueError(f"eta must be > 0, got {eta!r}")
            eta, kappa = float(eta), float(kappa)
        spec["learning"] = {"kappa": kappa, "y_scale": eta, "rng_seed": int(rng_seed)}
        super().__init__(spec, timeout)
        self.kappa, self.eta = kappa, eta

    def round(self, s0, field=None, steps=10, sample=0):
        """Relax ``steps`` steps from ``s0`` under ``field`` (default: the previous
        one), then one learning step; ``sample`` keys the probability-p draws.
        Returns a dict: ``J`` (CSR, the + rail),
        ``J_minus_consistent`` (the - rail equals -J), ``states`` s(T), ``g``,
        ``h``, ``stable_at``, ``seconds``."""
        from neurosim.hw.lava.export import _row
        n = self.spec["n"]
        s0 = _row("s0", s0, n, 0)
        bias = None
        if field is not None:
            bias = _row("field", field, n, 0)
            if self.spec["fixed_point"] and np.any(bias != np.round(bias)):
                raise ValueError("fixed point: the field must be integers (QuantizedNetwork.quantize_field)")
        out = self._call("learn_round", steps=int(steps), s0=s0, bias=bias, sample=int(sample))
        W = out.pop("weights")
        out["J"] = W["J+"]
        out["J_minus_consistent"] = bool(abs(W["J+"] + W["J-"]).max() == 0) if W["J+"].nnz else True
        out["weights"] = W
        return out


class HostAssistedLearner(_Session):
    """Relax in Lava, learn on the host, write the weights back.

    The host keeps ``self.cn`` (a copy of the network) and updates it with
    :func:`neurosim.learning.rules.coupling_update` (and ``input_update`` when
    ``eta_in`` and inputs are given, Eq. 85: the new W_in reaches the chip through
    the bias of the next sample). :meth:`step` takes a mini-batch: one Lava
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
        from neurosim import local_fields
        from neurosim.learning.rules import coupling_update, input_update, margin_gate
        s0 = np.atleast_2d(np.asarray(s0, dtype=np.float64))
        b = self.cn.field(x=x, y=y) if field is None else np.atleast_2d(np.asarray(field, dtype=np.float64))
        b = np.broadcast_to(b, s0.shape) if b.shape[0] == 1 else b
        b_free = self.cn.field(x=x) if field is None else b
        b_free = np.broadcast_to(b_free, s0.shape) if b_free.shape[0] == 1 else b_free
        states = np.stack([self.relax(s0[k], b[k], steps, sample=k) for k in range(s0.shape[0])]).astype(np.int8)
        h = local_fields(self.cn, states, np.ascontiguousarray(b_free))
        g = margin_gate(states, h, self.kappa)
        coupling_update(self.cn, states, g, self.eta)
        if self.eta_in and x is not None:
            input_update(self.cn, states, g, np.atleast_2d(np.asarray(x, dtype=np.float64)), self.eta_in)
        self._call("set_weights", J=self.cn.learnable())
        return states, g
