"""Export a CompiledNetwork to a Lava graph and run it.

:func:`export` turns the IR (or a :class:`~neurosim.hw.quantize.QuantizedNetwork`) into
a plain *spec* (arrays and numbers) and returns a :class:`LavaNetwork`. Its
:meth:`~LavaNetwork.run` builds the Lava graph from the spec in a worker subprocess
(:mod:`neurosim.hw.lava.runner`), runs it under ``Loihi2SimCfg`` with a hard
wall-clock timeout, always stops the runtime, and returns a :class:`LavaRun`.

The graph (:func:`build_graph`, which also runs in the caller's process for users who
want the Lava objects themselves):

* one :class:`~neurosim.hw.lava.process.SignNeuron` for all N neurons; the
  self-coupling J_D is a neuron parameter and the constant external field b is its
  bias, so Lava step t computes exactly ``neurosim.relax`` step t;
* ``Sparse`` synapses built from the CSR matrices, one connection per projection
  of the IR (named as the projection, with its own weight exponent in fixed
  point): a graded connection (``wire="graded"``: +-1 payloads, num_message_bits =
  24), or a pair Sparse(W) on the +1 spike line and Sparse(-W) on the -1 line
  (``wire="dual"``: binary spikes, what Loihi routes natively and what on-chip
  learning uses; the learnable projections become LearningSparse);
* every connection's ``a_buff`` preloaded with W s(0), because a Sparse delivers at
  step t what it received at step t - 1 (otherwise step 1 would see no input);
* for on-chip W_in learning only (``spec["input"]``, set by
  :class:`~neurosim.hw.lava.learning.OnChipLearner`): an ``InputSpikes`` source of x
  on dual-rail LearningSparse synapses lam_x W_in, preloaded with W x, instead of
  lam_x W_in x in the bias.

``fixed_point=True`` selects the ``fixed_pt`` models (bit-accurate synapses: 8-bit
MIXED weights with one exponent per connection, integer 24-bit neuron). The network
must hold integers in the hardware range: pass a QuantizedNetwork, or a
CompiledNetwork whose values already are such integers.
"""
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

MODES = ("sync", "prob", "async")
WIRES = ("graded", "dual")
GRADED_BITS = 24


class LavaUnsupportedError(NotImplementedError):
    """A neurosim feature that has no faithful mapping to Lava (an expected failure)."""


ASYNC_REASON = (
    "mode='async' cannot be exported to Lava: Lava (and Loihi) advance every neuron "
    "in lock-step, one synchronous timestep at a time, and a spike sent at step t "
    "arrives at step t + 1. The asynchronous sweep updates neurons one after another "
    "within a step, each seeing the flips made before it in the same sweep, which "
    "would take N timesteps per sweep with a one-hot token passed between neurons. "
    "Use mode='sync' or mode='prob' (probability-p updates, which also break the "
    "2-cycles that async avoids)."
)


def lava_available():
    """True when lava-nc is installed for this interpreter (the worker uses the
    same one). Checked without importing it: see :func:`import_lava`."""
    import importlib.util
    try:
        return importlib.util.find_spec("lava.magma") is not None
    except (ImportError, ValueError):
        return False


def import_lava():
    """Import Lava's runtime in this process. Lava calls
    ``multiprocessing.set_start_method('fork')`` at import, which raises
    "context has already been set" once anything has asked for the start method --
    numba does, on its first parallel call (e.g. ``neurosim.relax``). When the
    method already is ``fork`` (the Linux default) the context is reset so that
    Lava's call succeeds with the same method; otherwise a clear error is raised."""
    import multiprocessing as mp
    import sys
    name = "lava.magma.runtime.message_infrastructure.multiprocessing"
    if name not in sys.modules:
        method = mp.get_start_method(allow_none=True)
        if method is not None:
            if method != "fork":
                raise RuntimeError(f"Lava needs the 'fork' multiprocessing start method, but this process already "
                                   f"uses {method!r}; run Lava through LavaNetwork.run (a worker process)")
            ctx = getattr(mp.context, "_default_context", None)
            if ctx is not None and hasattr(ctx, "_actual_context"):
                ctx._actual_context = None
    import importlib
    importlib.import_module(name)


# ----------------------------------------------------------------------------- spec
def _row(name, arr, n, sample):
    """Row ``sample`` of a [B, N] (or [N], or [1, N]) array, as float64 [N]."""
    a = np.asarray(arr, dtype=np.float64)
    if a.ndim == 1:
        a = a[None]
    if a.ndim != 2 or a.shape[1] != n:
        raise ValueError(f"{name} must have shape [N] or [B, N] with N = {n}, got {np.shape(arr)}")
    if a.shape[0] == 1:
        return a[0].copy()
    if not 0 <= sample < a.shape[0]:
        raise ValueError(f"sample = {sample} is outside the batch of {name} ({a.shape[0]} rows)")
    return a[sample].copy()


def _csr_parts(M):
    M = sp.csr_matrix(M, dtype=np.float64)
    M.sum_duplicates()
    M.eliminate_zeros()
    M.sort_indices()
    return {"data": M.data.copy(), "indices": M.indices.astype(np.int64), "indptr": M.indptr.astype(np.int64),
            "shape": M.shape}


def csr_from_parts(parts, dtype=np.float64):
    return sp.csr_matrix((np.asarray(parts["data"], dtype=dtype), parts["indices"], parts["indptr"]),
                         shape=tuple(parts["shape"]))


def split_exponent(values, profile, group="weights"):
    """(mantissa, exponent) of integer weights for one fixed-point connection: the
    smallest exponent e >= 0 such that values / 2^e are even integers in the
    profile's symmetric range (so that the synapse computes (sum m s) << e exactly)."""
    from neurosim.hw.profiles import get_profile
    prof = get_profile(profile)
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        return v.astype(np.int64), 0
    if not np.all(np.isfinite(v)) or np.any(v != np.round(v)):
        raise ValueError(f"fixed point: the {group} must be integers; quantize the network first "
                         "(neurosim.hw.quantize(cn))")
    lo, hi = prof.weight_range(symmetric=True)
    for e in range(0, prof.weight_exp_max + 1):
        m = v / 2.0 ** e
        if np.all(m == np.round(m)) and np.all(np.mod(m, prof.weight_lsb) == 0) and m.min() >= lo and m.max() <= hi:
            return m.astype(np.int64), e
    raise ValueError(f"fixed point: the {group} are not representable as even {prof.weight_mant_bits}-bit "
                     f"mantissas in [{lo}, {hi}] times 2^e (e in 0..{prof.weight_exp_max}); "
                     "quantize the network first (neurosim.hw.quantize(cn))")


def _integers(name, v, bound):
    v = np.asarray(v, dtype=np.float64)
    if np.any(v != np.round(v)):
        raise ValueError(f"fixed point: {name} must be integers; quantize the network first "
                         "(neurosim.hw.quantize(cn), and qn.quantize_field(b) for the field)")
    if v.size and np.abs(v).max() > bound:
        raise ValueError(f"fixed point: {name} exceeds the {bound.bit_length() + 1}-bit neuron state "
                         f"(max |value| {np.abs(v).max():.0f} > {bound})")
    return v.astype(np.int64)


def make_spec(cn, field=None, s0=None, mode="sync", p=1.0, seed=0, sample=0, fixed_point=False, wire=None,
              profile="loihi2", tie="plus"):
    """The plain-data description of the Lava graph (see :func:`export`)."""
    from neurosim.compiled import CompiledNetwork
    from neurosim.engine import check_tie
    from neurosim.validate import check_nonneg_int, check_unit
    from neurosim.hw.profiles import get_profile
    from neurosim.hw.quantize import QuantizedNetwork

    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if mode == "async":
        raise LavaUnsupportedError(ASYNC_REASON)
    prof = get_profile(profile)
    tie_code = check_tie(tie)
    p = check_unit("p", p)
    seed = check_nonneg_int("seed", seed)
    sample = check_nonneg_int("sample", sample)
    qn = None
    if isinstance(cn, QuantizedNetwork):
        qn, cn, fixed_point = cn, cn.network, True
        prof = qn.profile
    if not isinstance(cn, CompiledNetwork):
        raise TypeError(f"cn must be a CompiledNetwork or a QuantizedNetwork, got {type(cn).__name__}")
    n = cn.n
    if wire is None:
        wire = "dual" if fixed_point else "graded"
    if wire not in WIRES:
        raise ValueError(f"wire must be one of {WIRES}, got {wire!r}")

    b = np.zeros(n) if field is None else _row("field", field, n, sample)
    if qn is not None and field is not None:
        b = qn.quantize_field(b)[0]
    if not np.all(np.isfinite(b)):
        raise ValueError("field must be finite")
    if s0 is None:
        s = np.zeros(n)
    else:
        s = _row("s0", s0, n, sample)
        if not np.all(np.isin(s, (-1.0, 0.0, 1.0))):
            raise ValueError("s0 must hold only -1 or +1 (0: a neutral neuron, not updated yet)")

    groups = {}
    for name, _, _, learnable, _ in cn.projections():
        parts = _csr_parts(cn.projection_matrix(name))
        exp = 0
        if fixed_point:
            parts["data"], exp = split_exponent(parts["data"], prof, group=f"weights of projection {name!r}")
        parts["exp"], parts["learnable"] = exp, learnable
        groups[name] = parts
    j_d = cn.j_d.copy()
    if fixed_point:
        smax = prof.state_max()
        j_d = _integers("J_D", j_d, smax)
        b = _integers("the field (bias)", b, smax)
    return {
        "n": n, "groups": groups, "j_d": j_d, "bias": b, "s0": s, "prob": mode == "prob",
        "p": float(p if mode == "prob" else 1.0), "seed": seed, "sample": sample, "fixed_point": bool(fixed_point),
        "wire": wire, "mode": mode, "fail_at_step": -1, "learning": None, "input": None, "tie": tie_code,
    }


# ------------------------------------------------------------------ graph (Lava side)
class LavaGraph:
    """The Lava objects of one exported network: ``neuron``, ``conns`` (name ->
    Sparse / LearningSparse: a projection's name, or with the dual wire its name
    and ``+`` / ``-``, and ``"W_in+"``, ``"W_in-"`` for on-chip input),
    ``source`` (the :class:`~neurosim.hw.lava.process.InputSpikes` of on-chip W_in,
    or None), ``run_cfg``. Build with :func:`build_graph`; call :meth:`stop` when done
    (always, in a ``finally``)."""

    def __init__(self, spec, neuron, conns, rails, run_cfg, source=None):
        self.spec = spec
        self.neuron = neuron
        self.conns = conns
        self.rails = rails        # conn name -> ("graded" | "+" | "-", projection name or "W_in")
        self.run_cfg = run_cfg
        self.source = source
        self.started = False
        self._cache = {}          # name -> effective weights, dropped by invalidate()

    def invalidate(self):
        """Forget the cached weights (after a learning step or a weight write)."""
        self._cache.clear()

    def _group(self, key):
        return self.spec["input"] if key == "W_in" else self.spec["groups"].get(key, {"exp": 0})

    def weights(self, s=None, x=None):
        """W pre for every connection whose presynaptic vector is given (the state s
        for J / K, the input x for W_in): the a_buff each holds after seeing it."""
        out = {}
        for name, (rail, key) in self.rails.items():
            pre = x if key == "W_in" else s
            if pre is None:
                continue
            pre = np.asarray(pre, dtype=np.float64)
            v = pre if rail == "graded" else (pre > 0) if rail == "+" else (pre < 0)
            out[name] = self.matrix(name) @ v.astype(np.float64)
        return out

    def matrix(self, name):
        """The effective weight matrix of a connection (mantissa << exponent), as
        stored in the spec, or the current one once the graph runs."""
        if name in self._cache:
            return self._cache[name]
        conn = self.conns[name]
        rail, key = self.rails[name]
        exp = self._group(key)["exp"]
        if self.started:
            W = sp.csr_matrix(conn.weights.get(), dtype=np.float64)
        else:
            W = sp.csr_matrix(conn.weights.init, dtype=np.float64)
        W = W * float(2 ** exp)
        self._cache[name] = W
        return W

    def preload(self, s=None, x=None):
        """Set the a_buff of each connection to W s (J, K) or W x (W_in), for those
        given (before the first run: through ``init``)."""
        for name, val in self.weights(s, x).items():
            val = np.round(val).astype(np.int32) if self.spec["fixed_point"] else val
            if self.started:
                self.conns[name].a_buff.set(val)
            else:
                self.conns[name].a_buff.init = val

    def run(self, steps):
        from lava.magma.core.run_conditions import RunSteps
        self.started = True
        self.neuron.run(condition=RunSteps(num_steps=int(steps)), run_cfg=self.run_cfg)

    def stop(self):
        if self.started:
            self.started = False
            self.neuron.stop()


def build_graph(spec, record=0, learning_rule=None, input_rule=None):
    """The Lava graph of a spec (see :class:`LavaGraph`). ``record`` is the number of
    steps whose states the neuron keeps; ``learning_rule`` (a Loihi3FLearningRule)
    makes J learnable (dual rail, LearningSparse; see neurosim.hw.lava.learning);
    ``input_rule`` with ``spec["input"]`` makes W_in learnable (an InputSpikes source
    on dual-rail LearningSparse synapses)."""
    import_lava()
    from lava.magma.core.run_configs import Loihi2SimCfg
    from lava.proc.sparse.process import LearningSparse, Sparse

    from neurosim.hw.lava.models import MODELS
    from neurosim.hw.lava.process import InputSpikes, PlasticSignNeuron, SignNeuron

    fixed = spec["fixed_point"]
    n = spec["n"]
    cast = (lambda v: np.asarray(np.round(v), dtype=np.int32)) if fixed else (lambda v: np.asarray(v, float))
    common = dict(shape=(n,), s=cast(spec["s0"]), bias=cast(spec["bias"]), j_d=cast(spec["j_d"]),
                  prob=spec["prob"], p=spec["p"], seed=spec["seed"], sample=spec["sample"],
                  tie=spec.get("tie", 1), record=record,
                  fail_at_step=spec.get("fail_at_step", -1))
    learn = spec.get("learning")
    if learning_rule is not None:
        neuron = PlasticSignNeuron(learning_rule=learning_rule, kappa=learn["kappa"], y_scale=learn["y_scale"],
                                   kappa_in=learn.get("kappa_in", 0), y1_zero=learn.get("y1_zero", 0),
                                   y1_step=learn.get("y1_step", 0), **common)
        cls = PlasticSignNeuron
    else:
        neuron = SignNeuron(**common)
        cls = SignNeuron
    wire = "dual" if learning_rule is not None else spec["wire"]
    conns, rails = {}, {}
    dtype = np.int32 if fixed else np.float64

    def dual_rail(key, parts, pos, neg, rule):
        """Sparse(W) fed by the +1 line and Sparse(-W) by the -1 line, into the neuron;
        with a rule, LearningSparse fed the neuron's post traces."""
        W = csr_from_parts(parts, dtype)
        kw = dict(weight_exp=int(parts["exp"])) if fixed else {}
        for sign, port in (("+", pos), ("-", neg)):
            Ws = W if sign == "+" else -W
            if rule is not None:
                conn = LearningSparse(weights=Ws, learning_rule=rule, num_message_bits=0, name=key + sign, **kw)
                for out, into in ((neuron.s_out_bap, conn.s_in_bap), (neuron.s_out_y1, conn.s_in_y1),
                                  (neuron.s_out_y2, conn.s_in_y2), (neuron.s_out_y3, conn.s_in_y3)):
                    out.connect(into)
            else:
                conn = Sparse(weights=Ws, num_message_bits=0, name=key + sign, **kw)
            port.connect(conn.s_in)
            conn.a_out.connect(neuron.a_in)
            conns[key + sign], rails[key + sign] = conn, (sign, key)

    for key, parts in spec["groups"].items():
        if len(parts["data"]) == 0:
            continue
        rule = learning_rule if parts["learnable"] else None
        if wire == "dual":
            dual_rail(key, parts, neuron.s_pos, neuron.s_neg, rule)
            continue
        kw = dict(weight_exp=int(parts["exp"])) if fixed else {}
        conn = Sparse(weights=csr_from_parts(parts, dtype), num_message_bits=GRADED_BITS, name=key, **kw)
        neuron.s_out.connect(conn.s_in)
        conn.a_out.connect(neuron.a_in)
        conns[key], rails[key] = conn, ("graded", key)
    if not conns:
        # nothing recurrent: a zero self-loop keeps the graph connected and a_in defined
        zero = sp.csr_matrix((n, n), dtype=dtype)
        conn = Sparse(weights=zero, num_message_bits=GRADED_BITS, name="none")
        neuron.s_out.connect(conn.s_in)
        conn.a_out.connect(neuron.a_in)
        conns["none"], rails["none"] = conn, ("graded", "none")
    models = {cls: MODELS[(cls.__name__, fixed)]}
    source = None
    inp = spec.get("input")
    if inp is not None:
        source = InputSpikes(shape=(inp["shape"][1],), x=cast(inp["x"]))
        dual_rail("W_in", inp, source.x_pos, source.x_neg, input_rule)
        models[InputSpikes] = MODELS[("InputSpikes", fixed)]
    run_cfg = Loihi2SimCfg(select_tag="fixed_pt" if fixed else "floating_pt", exception_proc_model_map=models)
    graph = LavaGraph(spec, neuron, conns, rails, run_cfg, source=source)
    graph.preload(spec["s0"], None if inp is None else inp["x"])
    return graph


# --------------------------------------------------------------------- host side
@dataclass
class LavaRun:
    """One Lava relaxation: ``trajectory`` [T+1, N] (s(0) .. s(T)), ``states`` [N] = s(T),
    ``steps`` and ``converged`` counted as ``neurosim.relax`` counts them (a fixed
    point found at step t gives t steps; the trajectory stays there afterwards),
    ``seconds`` the wall time of the worker (spawn, build, compile, run, stop)."""

    trajectory: np.ndarray
    states: np.ndarray
    steps: int
    converged: bool
    seconds: float
    run_seconds: float


class LavaNetwork:
    """An exported network (see :func:`export`): ``spec`` (plain data), ``n``,
    ``fixed_point``, ``wire``. :meth:`run` runs it in a worker under a hard
    timeout; :meth:`build` gives the Lava objects in this process."""

    def __init__(self, spec):
        self.spec = spec
        self.last_pgid = None     # process group of the last worker (all gone once run() returns)

    n = property(lambda self: self.spec["n"])
    fixed_point = property(lambda self: self.spec["fixed_point"])
    wire = property(lambda self: self.spec["wire"])

    def build(self, record=0):
        """The :class:`LavaGraph` in this process. You own it: run it with
        ``graph.run(steps)`` and call ``graph.stop()`` in a ``finally``."""
        return build_graph(self.spec, record=record)

    def run(self, steps, timeout=120.0):
        """Relax ``steps`` steps in Lava; one extra step checks whether s(T) is a
        fixed point, as the numba engine does. Raises LavaTimeoutError (the worker
        and all its processes are killed) or LavaRunError (with the worker's
        traceback) instead of hanging."""
        return run_many([self], steps, timeout)[0]


def run_many(nets, steps, timeout=120.0):
    """Run the LavaNetworks ``nets`` as :meth:`LavaNetwork.run` does, one after the
    other in one worker (one start of the worker and of Lava for all of them; each
    graph is built, run and stopped in turn). ``timeout`` bounds each request to the
    worker. Returns their LavaRuns; each one's ``seconds`` is its share of the wall
    time (the first one's includes starting the worker)."""
    from neurosim.validate import check_nonneg_int
    from neurosim.hw.lava.runner import LavaWorker
    steps = check_nonneg_int("steps", steps)
    runs = []
    t0 = time.perf_counter()
    with LavaWorker(timeout=timeout) as w:
        for net in nets:
            net.last_pgid = w.pgid
            w.call("build", spec=net.spec, record=steps + 1)
            out = w.call("relax", steps=steps + 1)
            w.call("stop")
            t1 = time.perf_counter()
            runs.append(_result(net.spec["s0"], out, steps, t1 - t0))
            t0 = t1
    return runs


def _result(s0, out, steps, seconds):
    rec = np.asarray(out["rec"])[:steps]
    traj = np.concatenate([np.asarray(s0, dtype=np.int8)[None], rec.astype(np.int8)], axis=0)
    stable = int(out["stable_at"])
    converged = 0 <= stable <= steps
    return LavaRun(trajectory=traj, states=traj[-1].copy(), steps=stable if converged else steps,
                   converged=bool(converged), seconds=seconds, run_seconds=float(out["seconds"]))


def export(cn, field=None, s0=None, mode="sync", p=1.0, seed=0, sample=0, fixed_point=False, wire=None,
           profile="loihi2", tie="plus"):
    """Export ``cn`` (a CompiledNetwork, or a QuantizedNetwork for fixed point) to Lava.

    ``field`` b [N] or [B, N] (default 0) and ``s0`` [N] or [B, N] (default neutral)
    are taken at row ``sample``, which also keys the probability-p draws: the run
    equals ``neurosim.relax(cn, s0=s0, field=b, mode=mode, p=p, seed=seed)`` for batch
    element ``sample``. ``mode``: "sync" or "prob" ("async" raises
    :class:`LavaUnsupportedError`). ``fixed_point``: the bit-accurate integer models
    (a QuantizedNetwork implies it; its field is quantised with the network's
    scale). ``wire``: "graded" (+-1 payloads; default in floating point) or "dual"
    (binary spikes on two lines; default in fixed point). ``tie``: "plus" (sgn(0) =
    +1) or "zero" (a neuron whose field is exactly 0 becomes neutral), as in ``relax``.
    """
    if not lava_available():
        raise ImportError("neurosim.hw.lava needs lava-nc 0.10 on Python 3.10: pip install 'neurosim[lava]'")
    return LavaNetwork(make_spec(cn, field=field, s0=s0, mode=mode, p=p, seed=seed, sample=sample, tie=tie,
                                 fixed_point=fixed_point, wire=wire, profile=profile))
