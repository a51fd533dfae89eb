"""Continuous-time dynamics (neurosim.continuous): native numba integrators, the
Brian2 backend (numpy target) and continuous-time learning.

What is NOT tested, on purpose: that a continuous-time run reaches the same fixed
point as the synchronous dynamics from the same start. It generally does not (the
ODE is an asynchronous sign dynamics whose flip order depends on the flow, and
even on dt); only the valid properties are checked: settled states are discrete
fixed points, discrete fixed points are equilibria, Euler with dt = tau is the
synchronous map, exact and small-dt flows agree where flips are well separated,
and Brian2 reproduces the native Euler scheme.
"""
import dataclasses
import json
import subprocess
import sys

import numba
import numpy as np
import pytest

import neurosim as ns
from neurosim import topologies
from neurosim.continuous import ContinuousConfig, ContinuousTrainer, integrate
from neurosim.learning import TrainConfig
from neurosim.testing import assert_settled_fixed_points
from conftest import cannot_run

COMBOS = [("hard", "euler"), ("hard", "event"), ("poisson", "euler"), ("poisson", "event")]
METHODS_P = ("euler", "event")


def pm1(x):
    return np.where(np.asarray(x) >= 0, 1, -1).astype(np.int8)


def core_case(n=120, j_d=1.0, seed=3, batch=3, lam_x=0.5):
    cn = ns.compile(topologies.core(n, rho=0.1, j_d=j_d, seed=seed, input_dim=12, lam_x=lam_x))
    rng = np.random.default_rng(seed)
    I = cn.field(x=rng.choice([-1.0, 1.0], size=(batch, 12)))
    s0 = rng.choice([-1, 1], size=(batch, n)).astype(np.int8)
    return cn, I, s0


def discrete_fixed_points(cn, I, seed=0, tries=8):
    """Some fixed points of the discrete dynamics under I [1, N] (sync relaxations)."""
    s0 = np.random.default_rng(seed).choice([-1, 1], size=(tries, cn.n))
    res = ns.relax(cn, s0=s0, field=np.repeat(I, tries, axis=0), max_steps=200)
    return res.states[res.converged]


# ------------------------------------------------------------------ native
@pytest.mark.parametrize("variant,method", COMBOS)
def test_settled_states_are_discrete_fixed_points(case, variant, method):
    _, cn = case
    rng = np.random.default_rng(5)
    I = cn.field(x=rng.choice([-1.0, 1.0], size=(4, cn.input_dim))) if cn.input_dim else np.zeros((4, cn.n))
    for start in (None, rng.choice([-1, 1], size=(4, cn.n))):
        res = integrate(cn, I, s0=start, variant=variant, method=method, t_max=60.0, dt=0.05, seed=3)
        assert_settled_fixed_points(res, cn, I)     # hard, poisson: settled <=> a discrete fixed point
        assert np.all(np.isfinite(res.times[res.settled])) and np.all(np.isnan(res.times[~res.settled]))
        assert res.states.dtype == np.int8


def test_tanh_settled_states_are_discrete_fixed_points():
    cn, I, s0 = core_case(batch=4)
    for start in (None, s0):
        res = integrate(cn, I, s0=start, variant="tanh", beta=20.0, t_max=60.0, dt=0.05)
        assert res.settled.any()
        assert ns.is_fixed_point(cn, res.states[res.settled], I[res.settled]).all()
        assert np.array_equal(res.states, pm1(res.u))


@pytest.mark.parametrize("variant,method", COMBOS)
def test_discrete_fixed_point_is_an_equilibrium(variant, method):
    cn, I, _ = core_case(batch=1)
    fps = discrete_fixed_points(cn, I)
    assert len(fps) > 0
    Ib = np.repeat(I, len(fps), axis=0)
    h = ns.local_fields(cn, fps, Ib)
    res = integrate(cn, Ib, s0=fps, variant=variant, method=method, t_max=50.0, dt=0.05, stop_on_settle=False)
    assert np.array_equal(res.states, fps)
    assert np.all(res.flips == 0) and res.settled.all() and np.all(res.times == 0.0)
    assert np.abs(res.u - h).max() < 1e-10   # hard: u -> u* = h(s); poisson: u is h(s)


def test_discrete_fixed_point_is_a_tanh_equilibrium_for_large_beta():
    """tanh(beta u) saturates to within 2 exp(-2 beta m) for a fixed point of
    margin m = min_i s_i h_i: with beta = 10 / m the start stays put, u -> ~h(s)."""
    cn, I, _ = core_case(batch=1)
    fps = discrete_fixed_points(cn, I)
    h = ns.local_fields(cn, fps, np.repeat(I, len(fps), axis=0))
    for s, hs in zip(fps, h):
        beta = 10.0 / np.min(s * hs)
        res = integrate(cn, I, s0=s[None], variant="tanh", beta=beta, t_max=50.0, dt=0.05, stop_on_settle=False)
        assert np.array_equal(res.states[0], s) and res.flips[0] == 0 and res.settled[0]
        assert np.abs(res.u[0] - hs).max() < 1e-6


def test_euler_with_dt_tau_is_the_synchronous_map():
    """u_{n+1} = W sgn(u_n) + I when dt = tau: the discrete synchronous dynamics."""
    cn, I, s0 = core_case(j_d=0.3)
    steps = 12
    res = integrate(cn, I, s0=s0, dt=1.0, t_max=float(steps), stop_on_settle=False, record=True)
    ref = ns.relax(cn, s0=s0, field=I, mode="sync", max_steps=steps, record=True)
    for b in range(len(s0)):
        k = ref.steps[b] + 1
        assert np.array_equal(res.state_trajectory[b, :k], ref.trajectory[b, :k])
    # neutral start: u(0) = I, so frame k is the discrete state after k + 1 steps from s = 0
    res = integrate(cn, I, dt=1.0, t_max=float(steps), stop_on_settle=False, record=True)
    ref = ns.relax(cn, field=I, mode="sync", max_steps=steps + 1, record=True)
    for b in range(len(I)):
        k = ref.steps[b]
        assert np.array_equal(res.state_trajectory[b, :k], ref.trajectory[b, 1:k + 1])


def test_neutral_start_and_sign_of_zero():
    from conftest import masked_network
    cn = ns.compile(masked_network())          # partial a_in: exact zeros in I
    I = cn.field(x=np.ones((2, cn.input_dim)))
    assert np.any(I == 0)
    res = integrate(cn, I, t_max=1.0, record=True, stop_on_settle=False)
    assert np.array_equal(res.trajectory[:, 0], I)            # u(0) = I
    assert np.array_equal(res.state_trajectory[:, 0], pm1(I))  # sgn(0) := +1
    # s0 with neutral entries: those start at I; u0 = 0 means +1 (hard) / neutral (poisson)
    s0 = np.zeros((2, cn.n), dtype=np.int8)
    s0[:, ::2] = -1
    res = integrate(cn, I, s0=s0, t_max=0.05, record=True, stop_on_settle=False)
    assert np.array_equal(res.trajectory[:, 0], np.where(s0 != 0, s0, I))
    res = integrate(cn, I, u0=np.zeros((2, cn.n)), t_max=0.05, record=True, stop_on_settle=False)
    assert np.all(res.state_trajectory[:, 0] == 1)
    res = integrate(cn, I, variant="poisson", t_max=0.05, record=True, stop_on_settle=False)
    assert np.all(res.state_trajectory[:, 0] == 0)


def test_event_driven_and_small_step_euler_agree_when_flips_are_separated():
    dt = 1e-3
    agreed = 0
    for seed in range(16):
        cn = ns.compile(topologies.core(12, rho=0.4, j_d=0.5, seed=seed, input_dim=4, lam_x=0.6))
        rng = np.random.default_rng(seed)
        I = cn.field(x=rng.choice([-1.0, 1.0], size=(1, 4)))
        s0 = rng.choice([-1, 1], size=(1, 12))
        ev = integrate(cn, I, s0=s0, method="event", t_max=20.0, dt=dt, record=True, stop_on_settle=False)
        changes = np.nonzero(np.any(np.diff(ev.state_trajectory[0], axis=0) != 0, axis=1))[0] * dt
        if not ev.settled[0] or ev.flips[0] == 0 or len(changes) != ev.flips[0] or np.min(np.diff(
                np.concatenate([[0.0], changes]))) < 0.05:
            continue                                  # flips too close in time: the order may differ
        eu = integrate(cn, I, s0=s0, method="euler", t_max=20.0, dt=dt, record=True, stop_on_settle=False)
        assert np.array_equal(eu.states, ev.states) and eu.flips[0] == ev.flips[0], seed
        assert abs(eu.times[0] - ev.times[0]) < 5 * dt
        assert np.abs(eu.trajectory - ev.trajectory).max() < 5 * dt * np.abs(ev.trajectory).max()
        agreed += 1
    assert agreed >= 4, agreed


def test_event_driven_settle_time_is_exact_in_a_one_neuron_case():
    """One neuron, W = J_D = 0.5, I = -1, u(0) = 1: u(t) = v + (1 - v) e^-t with
    v = 0.5 - 1 = -0.5 until the flip at t = ln 3; then v = -1.5."""
    net = ns.Network(seed=0)
    net.add_population("p", 1, j_d=0.5)
    cn = ns.compile(net)
    res = integrate(cn, np.array([[-1.0]]), s0=np.array([[1]]), method="event", t_max=3.0)
    assert res.flips[0] == 1 and res.states[0, 0] == -1
    assert abs(res.times[0] - np.log(3.0)) < 1e-12
    res = integrate(cn, np.array([[-1.0]]), s0=np.array([[1]]), method="event", t_max=3.0, stop_on_settle=False)
    assert abs(res.u[0, 0] - (-1.5 + 1.5 * np.exp(-(3.0 - np.log(3.0))))) < 1e-12


def test_poisson_draws_do_not_depend_on_thread_count():
    cn, I, s0 = core_case(batch=6, j_d=0.5)
    out = {}
    default = numba.get_num_threads()
    try:
        for threads in (1, default):
            numba.set_num_threads(threads)
            out[threads] = [integrate(cn, I, variant="poisson", method=m, seed=11, t_max=20.0) for m in METHODS_P]
    finally:
        numba.set_num_threads(default)
    for a, b in zip(out[1], out[default]):
        assert np.array_equal(a.states, b.states) and np.array_equal(a.flips, b.flips)
        assert np.array_equal(a.times, b.times, equal_nan=True)



def test_argument_errors():
    cn, I, s0 = core_case(batch=1)
    with pytest.raises(ValueError, match="variant"):
        integrate(cn, I, variant="sigmoid")
    with pytest.raises(ValueError, match="event"):
        integrate(cn, I, variant="tanh", method="event")
    with pytest.raises(ValueError, match="dt <= tau"):
        integrate(cn, I, dt=2.0)
    with pytest.raises(ValueError, match="whole number"):
        integrate(cn, I, t_max=1.03, dt=0.05)
    with pytest.raises(ValueError, match="s0 or u0"):
        integrate(cn, I, s0=s0, u0=s0)
    with pytest.raises(ValueError, match="s0 must hold"):
        integrate(cn, I, s0=s0 * 2)
    with pytest.raises(TypeError, match="CompiledNetwork"):
        integrate("net", I)


def test_import_does_not_load_brian2():
    code = "import sys, neurosim.continuous; assert 'brian2' not in sys.modules; print('ok')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "ok", out.stderr


# ------------------------------------------------------------------ Brian2 (numpy target)
@pytest.fixture(scope="module")
def nb2():
    if reason := cannot_run("brian2"):
        pytest.skip(reason)
    from neurosim.continuous import brian2 as backend
    return backend


@pytest.mark.parametrize("variant", ["hard", "poisson"])
def test_brian2_matches_native_euler(nb2, variant):
    cn, I, s0 = core_case(j_d=0.5)
    kw = dict(variant=variant, dt=0.05, t_max=10.0, record=True, seed=4)
    native = integrate(cn, I, s0=s0, stop_on_settle=False, **kw)
    b2 = nb2.export(cn, I, u0=None if variant == "poisson" else s0.astype(float),
                    s0=s0 if variant == "poisson" else None, target="numpy", **kw)
    assert np.abs(native.trajectory - b2.trajectory).max() <= 1e-12
    assert np.array_equal(native.state_trajectory, b2.state_trajectory)
    for name in ("states", "settled", "flips", "t_end"):
        assert np.array_equal(getattr(native, name), getattr(b2, name)), name
    assert np.allclose(native.times, b2.times, equal_nan=True, atol=1e-12)
    assert np.abs(native.u - b2.u).max() <= 1e-12


def test_brian2_matches_native_tanh(nb2):
    cn, I, s0 = core_case(j_d=1.0)
    kw = dict(variant="tanh", beta=20.0, dt=0.05, t_max=10.0, record=True)
    native = integrate(cn, I, s0=s0, stop_on_settle=False, **kw)
    b2 = nb2.export(cn, I, s0=s0, target="numpy", **kw)
    assert np.abs(native.trajectory - b2.trajectory).max() <= 1e-10
    assert np.array_equal(native.flips, b2.flips)


def test_brian2_neutral_start_and_synapse_order(nb2):
    cn, I, _ = core_case(n=60, batch=2)
    with nb2._device("numpy"):
        m = nb2.build(cn, I)
        assert np.array_equal(np.asarray(m["S"].i[:]), m["pre"])
        assert np.array_equal(np.asarray(m["S"].j[:]), m["post"])
        assert np.array_equal(np.asarray(m["G"].u[:]).reshape(2, -1), I)
    native = integrate(cn, I, t_max=5.0, stop_on_settle=False)
    b2 = nb2.export(cn, I, t_max=5.0)
    assert np.abs(native.u - b2.u).max() <= 1e-12 and np.array_equal(native.states, b2.states)


def _learning_case(variant="hard", rule="asym", epochs_cfg=None):
    net = topologies.core(50, rho=0.2, j_d=0.6, seed=1, input_dim=10, n_classes=3, lam_x=1.0, lam_y=0.7)
    cn = ns.compile(net).copy()   # copy: compile shares w_in / w_out with the Network
    cfg = TrainConfig(batch_size=1, kappa_j=1.4, max_steps=2, variant=rule, decay_j=0.02, epochs=1,
                      **(epochs_cfg or {}))
    cc = ContinuousConfig(variant=variant, dt=0.1, t_warmup=1.0, t_supervised=2.0, t_free=2.0)
    return cn, cfg, cc


def test_brian2_learning_epoch_equals_native(nb2):
    """ContinuousTrainer.fit with the numba and the Brian2 backend: the same
    shuffled schedule, one Brian2 run() for the epoch, the same weights."""
    from neurosim.datasets import Dataset
    rng = np.random.default_rng(0)
    x = rng.choice([-1, 1], size=(8, 10)).astype(np.int8)
    labels = rng.integers(0, 3, 8).astype(np.int64)
    data = Dataset(x_train=x, y_train=labels, x_test=x, y_test=labels, n_classes=3, name="toy")
    cn, cfg, cc = _learning_case()
    native = ContinuousTrainer(cn.copy(), cfg, continuous=cc)
    brian = ContinuousTrainer(cn.copy(), cfg, continuous=dataclasses.replace(cc, backend="brian2"))
    native.fit(data)
    brian.fit(data)
    assert brian.history[0]["train_accuracy"] == native.history[0]["train_accuracy"]
    dJ = native.cn.learnable() - cn.learnable()
    assert abs(dJ).max() > 0 and np.abs(native.cn.w_in - cn.w_in).max() > 0
    assert abs(native.cn.learnable() - brian.cn.learnable()).max() <= 1e-12
    assert np.abs(native.cn.w_in - brian.cn.w_in).max() <= 1e-12
    assert np.abs(native.cn.w_out - brian.cn.w_out).max() <= 1e-12
    assert abs(native.cn.fixed() - brian.cn.fixed()).max() == 0


def test_brian2_learning_tanh_sym2_equals_native(nb2):
    rng = np.random.default_rng(1)
    P = 5
    x = rng.choice([-1.0, 1.0], size=(P, 10))
    y01 = np.eye(3)[rng.integers(0, 3, P)]
    cn, cfg, cc = _learning_case("tanh", "sym2")
    native = ContinuousTrainer(cn.copy(), cfg, continuous=cc)
    for k in range(P):
        native.train_batch(x[k:k + 1], y01[k:k + 1], 2 * y01[k:k + 1] - 1, key=(0, k))
    brian = ContinuousTrainer(cn.copy(), cfg, continuous=dataclasses.replace(cc, backend="brian2"))
    nb2.train_epoch(brian, x, y01, 2 * y01 - 1)
    assert abs(native.cn.learnable() - cn.learnable()).max() > 0
    assert abs(native.cn.learnable() - brian.cn.learnable()).max() <= 1e-12
    assert np.abs(native.cn.w_out - brian.cn.w_out).max() <= 1e-12


def test_brian2_trainer_rejects_what_it_cannot_do(nb2):
    cn, cfg, cc = _learning_case()
    with pytest.raises(ValueError, match="batch_size"):
        ContinuousTrainer(cn, dataclasses.replace(cfg, batch_size=4), continuous=dataclasses.replace(cc, backend="brian2"))
    with pytest.raises(ValueError, match="poisson"):
        ContinuousTrainer(cn, cfg, continuous=dataclasses.replace(cc, variant="poisson", backend="brian2"))


@pytest.mark.parametrize("target", ["cython", "cpp_standalone"])
def test_brian2_compiled_targets(nb2, target):
    """The compiled targets (10-60 s of compilation each, so only this test)."""
    cn, I, s0 = core_case(n=60, batch=2)
    native = integrate(cn, I, s0=s0, t_max=5.0, stop_on_settle=False, record=True)
    b2 = nb2.export(cn, I, s0=s0, t_max=5.0, record=True, target=target)
    assert np.abs(native.trajectory - b2.trajectory).max() <= 1e-12


# ------------------------------------------------------------------ trainer and CLI
def test_continuous_trainer_phases():
    cn, cfg, cc = _learning_case()
    for c in (cc, dataclasses.replace(cc, method="event"), dataclasses.replace(cc, variant="poisson")):
        tr = ContinuousTrainer(cn.copy(), dataclasses.replace(cfg, batch_size=4), continuous=c)
        x = np.random.default_rng(0).choice([-1.0, 1.0], size=(4, 10))
        y = np.eye(3)[[0, 1, 2, 0]]
        s1, s2, h, times, settled = tr.phases(x, y, key=(0, 0))
        b = tr.free_field(x)
        assert np.array_equal(h, ns.local_fields(tr.cn, s2, b))
        assert np.array_equal(settled[:, 1], ns.is_fixed_point(tr.cn, s2, b))
        assert times.shape == (4, 2) and np.all(times <= 2.0)
        assert tr.infer(x).shape == (4, cn.n)
        tr.train_batch(x, y, 2 * y - 1)


def test_cli_simulate_and_train(capsys):
    from neurosim.cli import main as neurosim

    def main(argv):
        return neurosim(["continuous", *argv])
    assert main(["simulate", "--n", "80", "--rho", "0.1", "--j-d", "1.0", "--batch-size", "3", "--t-max", "20",
                 "--method", "event", "--json"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["settled"] == out["fixed_points"] and out["dynamics"] == "hard" and out["method"] == "event"
    assert main(["train", "--n", "60", "--rho", "0.1", "--train-size", "40", "--val-size", "20", "--epochs", "1",
                 "--t-supervised", "2", "--t-free", "2", "--no-progress", "--json", "--rule", "sym1"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["time"] == "continuous" and out["config"]["variant"] == "sym1" and out["continuous"]["variant"] == "hard"
    assert 0.0 <= out["val_accuracy"] <= 1.0
    assert main(["simulate", "--dynamics", "tanh", "--method", "event"]) == 2
