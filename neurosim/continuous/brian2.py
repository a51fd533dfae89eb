"""Brian2 backend of the continuous-time dynamics (optional: ``pip install neurosim[brian2]``).

``export`` builds a NeuronGroup + Synapses from a CompiledNetwork, runs the
explicit Euler scheme of ``neurosim.continuous.integrate`` and returns the same
:class:`~neurosim.continuous.ContinuousResult`; ``train_epoch`` runs one epoch of
continuous-time Algorithm 1 (batch size 1) as a single ``run()``.

Model (time unit: Brian2's ``second`` stands for tau-units, so dt/tau is the
same number as in the native integrator):

    du/dt = (-u + h + JD*a + I)/tau        h = sum_j w_ij a_j  (summed variable)

* The activation ``a`` is a stored variable set by ``run_regularly(when='start')``
  (hard: a = 2*int(u >= 0) - 1, i.e. sgn with sgn(0) = +1, never Brian's sign()
  whose sign(0) = 0; tanh: a = tanh(beta*u)). 'start' runs before the
  summed-variable updater (slot 'groups'), so each step is h_n = W_off a(u_n)
  followed by u_{n+1} = u_n + dt f(u_n, h_n): the native Euler scheme.
* J_D stays inside the neuron equation (per-neuron constant ``JD``), J and K are
  the synapses: ``S.connect(i=pre, j=post)`` keeps the order of the arrays.
* Every parameter is a (shared) constant variable, never a namespace constant,
  so a new value does not trigger a new compilation; every group gets
  ``namespace={}`` and ``run(..., namespace={})`` (no lookup in the caller's frame).
* poisson: the state ``a`` (-1, 0, +1) is updated at slot 'end' (after h was
  summed from the current state) by the neurons drawn in that step. With
  ``rng="counter"`` (default) the draws are neurosim's counter-based ones, fed
  as a TimedArray [n_steps, B*N] (memory!), so the run equals the native stepped
  Poisson variant exactly; ``rng="brian"`` uses Brian's ``rand()`` instead.
* A batch [B, N] becomes one group of B*N neurons with B block-diagonal copies of
  the synapses.

Targets: ``"numpy"`` (no compiler), ``"cython"`` (compiled on first use, cached
in ~/.cython), ``"cpp_standalone"`` (one g++ build per call, in ``directory`` or
a temporary one). Brian2 passes ``-ffast-math -march=native`` to the compiler by
default, so compiled targets agree with numpy to rounding, not bit for bit.
"""
import contextlib
import gc
import resource
import shutil
import tempfile
import time

import numpy as np

from ..engine import is_fixed_point, local_fields, sign
from ..learning.loop import run_epochs
from ..learning.rules import MarginRule, ReadoutRule
from ..rng import uniform_array
from ..validate import check_nonneg_int
from . import native
from .kernels import STREAM_POISSON_STEP

TARGETS = ("numpy", "cython", "cpp_standalone")


def _b2():
    import brian2
    return brian2


def check_target(target):
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, got {target!r}")
    return target


def _child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


@contextlib.contextmanager
def _device(target, directory=None):
    """Select the code generation target for the objects created inside."""
    b2 = _b2()
    check_target(target)
    if target == "cpp_standalone":
        tmp = None
        if directory is None:
            tmp = directory = tempfile.mkdtemp(prefix="neurosim_brian2_")
        b2.set_device("cpp_standalone", build_on_run=False, directory=directory)
        try:
            yield directory
        finally:
            b2.device.reinit()
            b2.device.activate()
            from brian2.devices.device import reset_device
            reset_device()
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
    else:
        old = b2.prefs.codegen.target
        b2.prefs.codegen.target = target
        try:
            yield None
        finally:
            b2.prefs.codegen.target = old


def _run(net, duration, target, directory, timings):
    """Run (or, in standalone mode, build and run) ``net``; fill ``timings``:
    compile_s (code generation + compilation), run_s (wall), run_cpu_s (CPU of
    this process or of the standalone binary)."""
    b2 = _b2()
    if target == "cpp_standalone":
        net.run(duration, namespace={})
        t0 = time.perf_counter()
        b2.device.build(directory=directory, compile=True, run=False, with_output=False)
        t1 = time.perf_counter()
        c0 = _child_cpu()
        b2.device.run(directory=directory, with_output=False)
        timings.update(compile_s=t1 - t0, run_s=time.perf_counter() - t1, run_cpu_s=_child_cpu() - c0)
        return
    t0 = time.perf_counter()
    net.run(0 * b2.second, namespace={})     # code generation (cython: compilation) happens here
    t1, c1 = time.perf_counter(), time.process_time()
    net.run(duration, namespace={})
    timings.update(compile_s=t1 - t0, run_s=time.perf_counter() - t1, run_cpu_s=time.process_time() - c1)


def _batched_synapses(rows, cols, n, batch):
    """Post / pre indices of ``batch`` block-diagonal copies of a pattern over n neurons."""
    off = (np.arange(batch, dtype=np.int64) * n)[:, None]
    return (rows[None, :] + off).ravel(), (cols[None, :] + off).ravel()


# ------------------------------------------------------------------- simulate
NEURON_HARD_TANH = """
du/dt = (-u + h + JD*a + I)/tau : 1
a : 1
s : 1
h : 1
I : 1 (constant)
JD : 1 (constant)
nflip : 1
tlast : second
tquiet : second
uprev : 1
tau : second (shared, constant)
beta : 1 (shared, constant)
dutol : 1 (shared, constant)
"""

NEURON_POISSON = """
a : 1
h : 1
I : 1 (constant)
JD : 1 (constant)
nflip : 1
tlast : second
pev : 1 (shared, constant)
"""

UPDATE_SIGN = """
chg = int(int(u >= 0) != int(s > 0))
nflip += chg
tlast += (t - tlast)*chg
s = 2*int(u >= 0) - 1
"""


def build(cn, I=None, u0=None, variant="hard", dt=0.05, tau=1.0, beta=20.0, tol=1e-6, t_max=None, seed=0,
          rng="counter", record=False, record_every=1, s0=None):
    """Brian2 objects for ``cn`` under the constant field I [B, N] (call inside a
    target context; ``export`` does). Returns a dict with the Network ``net``,
    the NeuronGroup ``G``, Synapses ``S``, the StateMonitor ``M`` (or None), the
    initial states and the sizes. Initial conditions as in ``integrate``."""
    b2 = _b2()
    native.check_variant(variant, "euler")
    if rng not in ("counter", "brian"):
        raise ValueError(f"rng must be 'counter' or 'brian', got {rng!r}")
    u, s, I = native.initial_conditions(cn, I, variant, s0=s0, u0=u0)
    B, n = u.shape
    I = np.broadcast_to(I, (B, n))
    step = dt * b2.second
    if variant == "poisson":
        G = b2.NeuronGroup(B * n, NEURON_POISSON, method="euler", dt=step, namespace={}, name="neurons")
        if rng == "counter":
            n_steps = native.n_steps_of(t_max, dt)
            p = -np.expm1(-dt / tau)
            draws = np.empty((max(n_steps, 1), B * n))
            for k in range(n_steps):
                for b in range(B):
                    draws[k, b * n:(b + 1) * n] = uniform_array(seed, STREAM_POISSON_STEP, k, b, np.arange(n)) < p
            gate = b2.TimedArray(draws, dt=step, name="poisson_gate")
            G.namespace["poisson_gate"] = gate
            sel = "poisson_gate(t, i)"
        else:
            sel = "int(rand() < pev)"
        G.run_regularly(f"""anew = a + {sel}*(2*int(h + JD*a + I >= 0) - 1 - a)
chg = int(anew != a)
nflip += chg
tlast += (t + dt - tlast)*chg
a = anew""", when="end", name="poisson_update")
        G.a = s.ravel().astype(np.float64)
        G.pev = -np.expm1(-dt / tau)
    else:
        G = b2.NeuronGroup(B * n, NEURON_HARD_TANH, method="euler", dt=step, namespace={}, name="neurons")
        if variant == "hard":
            code = UPDATE_SIGN + "a = s"
        else:
            code = UPDATE_SIGN.replace("s = 2", "tquiet += (t - tquiet)*int(chg + int(abs(u - uprev) >= dutol) > 0)"
                                                "\nuprev = u\ns = 2") + "a = tanh(beta*u)"
        G.run_regularly(code, when="start", order=0, name="activation")
        G.u = u.ravel()
        G.uprev = u.ravel()
        s_init = sign(u).ravel().astype(np.float64)
        G.s = s_init
        G.a = s_init if variant == "hard" else np.tanh(beta * u.ravel())
        G.tau = tau * b2.second
        G.beta = beta
        G.dutol = tol * dt
    G.I = I.ravel()
    G.JD = np.tile(cn.j_d, B)
    coo = (cn.learnable() + cn.fixed()).tocoo()
    post, pre = _batched_synapses(coo.row.astype(np.int64), coo.col.astype(np.int64), n, B)
    S = b2.Synapses(G, G, "w : 1 (constant)\nh_post = w*a_pre : 1 (summed)", dt=step, namespace={},
                    name="couplings")
    S.connect(i=pre, j=post)
    S.w = np.tile(coo.data, B)
    objs = [G, S]
    M = None
    if record:
        names = ["a"] if variant == "poisson" else ["u", "s"]
        M = b2.StateMonitor(G, names, record=True, when="start", order=1, dt=record_every * step, name="monitor")
        objs.append(M)
    return dict(net=b2.Network(*objs), G=G, S=S, M=M, batch=B, n=n, I=np.array(I), variant=variant,
                pre=pre, post=post, s_init=s)


def export(cn, I=None, u0=None, variant="hard", dt=0.05, tau=1.0, t_max=10.0, beta=20.0, tol=1e-6, window=1.0,
           seed=0, target="numpy", record=False, record_every=1, s0=None, rng="counter", directory=None,
           timings=None, tie="plus"):
    """Build the Brian2 model of ``cn`` under I [B, N], run it for ``t_max`` (tau
    units) with step ``dt`` on ``target`` and return a ContinuousResult like
    ``neurosim.continuous.integrate(..., method="euler", stop_on_settle=False)``.
    ``timings`` (a dict) receives build_s, compile_s, run_s and run_cpu_s.
    ``tie``: only "plus"; "zero" is refused as by the native integrators."""
    native.check_tie(tie)
    b2 = _b2()
    native.check_cn(cn)
    native.check_variant(variant, "euler")
    n_steps = native.check_time(dt, tau, t_max, "euler")
    record_every = max(1, check_nonneg_int("record_every", record_every))
    seed = check_nonneg_int("seed", seed)
    timings = {} if timings is None else timings
    with _device(target, directory) as d:
        t0 = time.perf_counter()
        m = build(cn, I, u0, variant, dt, tau, beta, tol, t_max, seed, rng, record, record_every, s0)
        timings["build_s"] = time.perf_counter() - t0
        _run(m["net"], n_steps * dt * b2.second, target, d, timings)
        G, B, n = m["G"], m["batch"], m["n"]
        out = {k: np.array(getattr(G, k)[:]).reshape(B, n) for k in
               (("a", "nflip", "tlast") if variant == "poisson" else ("u", "s", "nflip", "tlast", "tquiet", "uprev"))}
        if record:
            M = m["M"]
            rec = {k: np.array(getattr(M, k)[:]) for k in (["a"] if variant == "poisson" else ["u", "s"])}
    gc.collect()
    I_b = m["I"]
    t_end = n_steps * dt
    if variant == "poisson":
        states = out["a"].astype(np.int8)
        u = local_fields(cn, states, I_b)
        flips = out["nflip"]
        last = out["tlast"]
    else:
        u = out["u"]
        states = sign(u)
        final = states != out["s"]           # a sign change in the very last step
        flips = out["nflip"] + final
        last = np.where(final, t_end, out["tlast"])
    flips = flips.sum(axis=1).astype(np.int64)
    if variant == "tanh":
        moved = final | (np.abs(u - out["uprev"]) >= tol * dt)
        quiet = np.where(moved, t_end, out["tquiet"]).max(axis=1)
        settled = (t_end - quiet) >= window * (1.0 - 1e-9)
        times = np.where(settled, quiet, np.nan)
    else:
        settled = is_fixed_point(cn, states, I_b) & np.all(states != 0, axis=1)
        times = np.where(settled, last.max(axis=1), np.nan)
    res = native.ContinuousResult(states, u, settled, times, np.full(B, t_end), flips, variant, "euler")
    if record:
        res.record_times = np.arange(n_steps // record_every + 1) * (dt * record_every)
        if variant == "poisson":
            st = rec["a"].reshape(B, n, -1).transpose(0, 2, 1)
            st = np.concatenate([st, states[:, None]], axis=1) if n_steps % record_every == 0 else st
            res.state_trajectory = st.astype(np.int8)
            flat = res.state_trajectory.reshape(-1, n)
            res.trajectory = local_fields(cn, flat, np.repeat(I_b, st.shape[1], axis=0)).reshape(st.shape)
        else:
            tu = rec["u"].reshape(B, n, -1).transpose(0, 2, 1)
            if n_steps % record_every == 0:
                tu = np.concatenate([tu, u[:, None]], axis=1)
            res.trajectory = np.ascontiguousarray(tu)
            res.state_trajectory = sign(tu)
    return res


# ------------------------------------------------------------------- learning
def check_trainable(trainer):
    """What the Brian2 learning epoch supports (errors name the setting)."""
    c, cc = trainer.config, trainer.continuous
    if c.batch_size != 1:
        raise ValueError(f"the Brian2 backend learns sample by sample: batch_size must be 1, got {c.batch_size}")
    if cc.variant not in ("hard", "tanh") or cc.method != "euler":
        raise ValueError("the Brian2 backend trains the hard or tanh variant with method 'euler' "
                         f"(got {cc.variant!r} / {cc.method!r}); use backend 'numba' for the others")
    if c.readout != "perceptron":
        raise ValueError("the Brian2 backend trains the perceptron readout only (readout='perceptron')")
    if c.eta_back != 0.0:
        raise ValueError("the Brian2 backend keeps W_back fixed: eta_back must be 0")
    for name, text in (("label_encoding", "onehot"), ("gate_threshold", "kappa"), ("evaluate", "end")):
        if getattr(c, name) != text:
            raise ValueError(f"the Brian2 backend trains with the text protocol's {name}={text!r}, "
                             f"got {getattr(c, name)!r}; use backend 'numba'")
    if c.kappa_in is None:
        raise ValueError("the Brian2 backend needs a number for kappa_in (None, the shared gate, is numba only)")
    check_target(cc.target)


def _assign(group, values):
    for name, value in values.items():
        setattr(group, name, value)


def train_epoch(trainer, x, y_back, y_out=None, timings=None, directory=None):
    """One epoch of continuous-time Algorithm 1 (batch size 1) in Brian2, in the
    order of the rows of x, as one ``run()``; the trained weights are written back
    as ``trainer.cn = trainer.cn.with_couplings(...)`` (J on its pattern, W_in, W_out).

    Each sample has a slot of 1 + K + 1 steps (K = warmup + supervised + free steps):
    a load step (x, the back field of y and the readout target come from
    TimedArrays; at its end u <- lam_x W_in x, the neutral start), K Euler steps
    (the supervisory field on during the supervised steps), and a read step whose
    activation is sgn(u_K) (also for tanh) so that h = (J + K) s* is summed. At the
    start of the next slot run_regularly(dt = slot) applies at s* the margin rule
    (``MarginRule.brian2_code``: gates, J (asym / sym1 / sym2, decay), W_in on its
    mask) and the perceptron readout; one extra step after the last
    slot lets the last sample learn. The native ``ContinuousTrainer`` runs the same
    schedule, so both give the same weights."""
    b2 = _b2()
    check_trainable(trainer)
    cn, c, cc = trainer.cn, trainer.config, trainer.continuous
    timings = {} if timings is None else timings
    x = np.ascontiguousarray(np.atleast_2d(np.asarray(x, dtype=np.float64)))
    P, n = x.shape[0], cn.n
    t_w, t_s, t_f, _ = trainer.durations()
    k_w, k_s, k_f = (native.n_steps_of(t, cc.dt) for t in (t_w, t_s, t_f))
    slot = k_w + k_s + k_f + 2
    lam_x, lam_y = trainer._lam("lam_x"), trainer._lam("lam_y")
    if y_back is not None and lam_y != 0.0:
        back = cn.field(y=y_back, lam_y=lam_y)
    else:
        back = np.zeros((P, n))
    learn_out = y_out is not None and cn.w_out.shape[0] > 0 and (c.eta_out != 0.0 or c.decay_out != 0.0)
    rule = MarginRule.of(c)
    code = rule.brian2_code("a*(h + JD*a + lamx*hin)")
    on_neuron, on_j, on_in = rule.brian2_values()
    step = cc.dt * b2.second
    slot_dt = slot * step
    with _device(cc.target, directory) as d:
        t0 = time.perf_counter()
        act = "2*int(u >= 0) - 1" if cc.variant == "hard" else "rd*(2*int(u >= 0) - 1) + (1 - rd)*tanh(beta*u)"
        G = b2.NeuronGroup(n, """du/dt = (-u + h + JD*a + lamx*hin + sup*Ib)/tau : 1
a : 1
h : 1
hin : 1
Ib : 1
g : 1
gin : 1
JD : 1 (constant)
tau : second (shared, constant)
lamx : 1 (shared, constant)
beta : 1 (shared, constant)
kj : 1 (shared, constant)
kin : 1 (shared, constant)
gamma : 1 (shared, constant)
slot : integer (shared, constant)
m1 : integer (shared, constant)
m2 : integer (shared, constant)
sup : 1 (shared)
rd : 1 (shared)""", method="euler", dt=step, namespace={}, name="neurons")
        G.JD, G.tau, G.lamx, G.beta = cn.j_d, cc.tau * b2.second, lam_x, cc.beta
        _assign(G, on_neuron)
        G.slot, G.m1, G.m2 = slot, 1 + k_w, 1 + k_w + k_s
        G.run_regularly("""m = t_in_timesteps % slot
sup = int(m >= m1 and m < m2)
rd = int(m == slot - 1)""", when="start", order=-1, name="schedule")
        G.run_regularly(f"a = {act}", when="start", order=0, name="activation")
        G.run_regularly(code["gates"], dt=slot_dt, when="start", order=-4, name="gates")
        back_ta = b2.TimedArray(back, dt=slot_dt, name="back_field")
        G.namespace["back_field"] = back_ta
        G.run_regularly("Ib = back_field(t, i)", dt=slot_dt, when="start", order=-2, name="load_back")
        G.run_regularly("u = lamx*hin", dt=slot_dt, when="end", name="neutral_start")
        # recurrent couplings: J (plastic) then K
        Jc, Kc = cn.learnable().tocoo(), cn.fixed().tocoo()
        n_j = Jc.nnz
        S = b2.Synapses(G, G, """w : 1
plastic : 1 (constant)
etaj : 1 (shared, constant)
decj : 1 (shared, constant)
h_post = w*a_pre : 1 (summed)""", dt=step, namespace={}, name="couplings")
        S.connect(i=np.concatenate([Jc.col, Kc.col]).astype(np.int64),
                  j=np.concatenate([Jc.row, Kc.row]).astype(np.int64))
        S.w = np.concatenate([Jc.data, Kc.data])
        S.plastic = np.concatenate([np.ones(n_j), np.zeros(Kc.nnz)])
        _assign(S, on_j)
        lrn = "lrn = int(t_in_timesteps > 0)\n"
        S.run_regularly(lrn + code["j"], dt=slot_dt, when="start", order=-3, name="learn_j")
        objs = [G, S]
        # input map: x through plastic synapses on the a_in rows
        Sin = None
        if cn.input_dim > 0:
            X = b2.NeuronGroup(cn.input_dim, "x : 1", dt=step, namespace={}, name="inputs")
            X.namespace["inputs_x"] = b2.TimedArray(x, dt=slot_dt, name="inputs_x")
            X.run_regularly("x = inputs_x(t, i)", dt=slot_dt, when="start", order=-2, name="load_x")
            on = (cn.w_in_mask | (cn.w_in != 0)) & cn.a_in[:, None]
            rows, cols = np.nonzero(on)
            Sin = b2.Synapses(X, G, """w : 1
plastic : 1 (constant)
etain : 1 (shared, constant)
decin : 1 (shared, constant)
hin_post = w*x_pre : 1 (summed)""", dt=step, namespace={}, name="input_map")
            Sin.connect(i=cols.astype(np.int64), j=rows.astype(np.int64))
            Sin.w = cn.w_in[rows, cols]
            Sin.plastic = cn.w_in_mask[rows, cols].astype(np.float64)
            _assign(Sin, on_in)
            Sin.run_regularly(lrn + code["in"], dt=slot_dt, when="start", order=-3, name="learn_in")
            objs += [X, Sin]
        # perceptron readout on the a_out neurons
        Sout = None
        if learn_out:
            C = cn.w_out.shape[0]
            O = b2.NeuronGroup(C, "l : 1\ny : 1\ngout : 1\nkout : 1 (shared, constant)", dt=step,
                               namespace={}, name="readout")
            readout = ReadoutRule(c.kappa_out, c.eta_out, c.decay_out)
            O.kout = readout.kappa
            O.namespace["targets"] = b2.TimedArray(np.asarray(y_out, dtype=np.float64), dt=slot_dt,
                                                   name="targets")
            O.run_regularly(readout.brian2_code()["gate"], dt=slot_dt, when="start", order=-4, name="gate_out")
            O.run_regularly("y = targets(t, i)", dt=slot_dt, when="start", order=-2, name="load_y")
            jj, cc_ = np.meshgrid(np.arange(n), np.arange(C), indexing="ij")
            Sout = b2.Synapses(G, O, """w : 1
aout : 1 (constant)
etaout : 1 (shared, constant)
decout : 1 (shared, constant)
l_post = aout*w*a_pre : 1 (summed)""", dt=step, namespace={}, name="readout_map")
            Sout.connect(i=jj.ravel().astype(np.int64), j=cc_.ravel().astype(np.int64))
            Sout.w = cn.w_out[cc_.ravel(), jj.ravel()]
            Sout.aout = cn.a_out[jj.ravel()].astype(np.float64)
            Sout.etaout, Sout.decout = readout.eta, readout.decay
            Sout.run_regularly(lrn + readout.brian2_code()["w"], dt=slot_dt, when="start", order=-3, name="learn_out")
            objs += [O, Sout]
        net = b2.Network(*objs)
        timings["build_s"] = time.perf_counter() - t0
        _run(net, (P * slot + 1) * step, cc.target, d, timings)
        w_j = np.array(S.w[:])[:n_j]
        J = type(cn.learnable())((w_j, (Jc.row, Jc.col)), shape=(n, n))
        w_in = cn.w_in.copy()
        if Sin is not None:
            w_in[rows, cols] = np.array(Sin.w[:])
        w_out = cn.w_out.copy()
        if Sout is not None:
            w_out[cc_.ravel(), jj.ravel()] = np.array(Sout.w[:])
    gc.collect()
    trainer.cn = cn.with_couplings(learnable=J, w_in=w_in, w_out=w_out)
    return timings


def fit_brian2(trainer, data, epochs=None, validation=None, progress=False, on_epoch=None):
    """``Trainer.fit`` for the Brian2 backend: one ``train_epoch`` (one run()) per
    epoch in the same sample order as the native trainer; accuracies are native."""
    c = trainer.config
    total = c.epochs if epochs is None else epochs
    y_pm = data.targets("train", dtype=np.float64)
    y01 = (y_pm > 0).astype(np.float64)
    x_train = np.asarray(data.x_train, dtype=np.float64)

    def end(e, runs):
        row = {"epoch": e + 1, "brian2_run_s": runs[0]["run_s"], "brian2_compile_s": runs[0]["compile_s"]}
        trainer.end_epoch(row, x_train, data.y_train, validation, on_epoch)

    run_epochs(lambda e, k, order: train_epoch(trainer, x_train[order], y01[order], y_pm[order]), len(x_train),
               None, total, start=trainer.epoch, seed=c.seed, end=end)
    return trainer.history
