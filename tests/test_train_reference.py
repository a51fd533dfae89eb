"""Trainer.train_batch against the plain-numpy reference of Algorithm 1
(tests/reference_train.py): the same relaxations (states, steps, convergence) and
the same J, W_in, W_back and W_out after every batch, for sync and prob dynamics,
the approximate scheme, the rule variants, a core module and a 2-layer chain."""
import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest

import neurosim as ns
from neurosim import datasets, topologies
from neurosim.learning import Trainer, TrainConfig

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reference_train as ref  # noqa: E402

TOL = 1e-12
N_BATCHES = 5
BATCH = 16
COMMON = dict(input_dim=30, n_classes=4, lam_x=2.0, lam_y=0.9)
BASE = TrainConfig(batch_size=BATCH, eta_j=0.005, eta_in=0.01, eta_out=0.01, kappa_j=1.4, kappa_in=3.0,
                   kappa_out=3.0, max_steps=5, seed=3)


def core_net():
    return topologies.core(120, rho=0.1, j_d=0.5, seed=0, **COMMON)


def chain_net():
    return topologies.chain(2, 60, rho=0.15, j_d=0.5, lam=0.6, seed=1, **COMMON)


def dense_core_net():
    """A fully connected core: J is stored as a dense block (off-diagonal pattern)."""
    return topologies.core(120, rho=1.0, j_d=0.5, seed=0, **COMMON)


def dense_chain_net():
    """Every map of the chain stored dense, whatever its density (masked blocks)."""
    return chain_net()


dense_chain_net.dense_threshold = 0.0


def task():
    return datasets.prototypes(n_classes=4, dim=30, n_train=N_BATCHES * BATCH, n_test=8, flip=0.2, seed=2)


def compiled(build):
    return ns.compile(build(), dense_threshold=getattr(build, "dense_threshold", None))


def assert_same_weights(cn, net, what):
    J = cn.learnable()
    np.testing.assert_array_equal(J.indptr, net.J.indptr, err_msg=what)
    np.testing.assert_array_equal(J.indices, net.J.indices, err_msg=what)
    np.testing.assert_allclose(J.data, net.J.data, rtol=0, atol=TOL, err_msg=f"{what}: J")
    np.testing.assert_allclose(cn.w_in, net.w_in, rtol=0, atol=TOL, err_msg=f"{what}: W_in")
    np.testing.assert_allclose(cn.w_back, net.w_back, rtol=0, atol=TOL, err_msg=f"{what}: W_back")
    np.testing.assert_allclose(cn.w_out, net.w_out, rtol=0, atol=TOL, err_msg=f"{what}: W_out")


def run_both(build, config, epoch=0):
    """Train one Trainer and one reference side by side from the same network;
    compare the phases and the weights after every batch. Returns what was seen."""
    cn = compiled(build)
    start = cn.copy()
    tr = Trainer(cn, config)
    net = ref.RefNet.from_compiled(start)
    data = task()
    y01 = np.eye(4)[data.y_train]
    y_pm = data.targets("train", dtype=np.float64)
    seen = {"steps": [], "gate": [], "changed_by_gate": False}
    for k in range(N_BATCHES):
        sl = slice(k * BATCH, (k + 1) * BATCH)
        x, key = data.x_train[sl].astype(np.float64), (epoch, k)
        s_sup, s_star, h, steps, conv = tr.phases(x, y01[sl], key)
        tr.train_batch(x, y01[sl], y_pm[sl], key=key)
        out = ref.numpy_train_batch(net, x, y01[sl], y_pm[sl], config, ref.phase_seeds(config.seed, key))
        what = f"{config.mode} approximate={config.approximate} batch {k}"
        np.testing.assert_array_equal(s_sup, out["s_sup"], err_msg=f"{what}: s'")
        np.testing.assert_array_equal(s_star, out["s"], err_msg=f"{what}: s*")
        np.testing.assert_array_equal(steps, out["steps"], err_msg=f"{what}: steps")
        np.testing.assert_array_equal(conv, out["converged"], err_msg=f"{what}: converged")
        np.testing.assert_allclose(h, out["h"], rtol=0, atol=1e-9, err_msg=f"{what}: h")
        assert_same_weights(tr.cn, net, what)
        seen["steps"].append(steps)
        seen["gate"].append(out["gate"])
    seen["start"], seen["end"] = start, tr.cn
    seen["steps"] = np.concatenate(seen["steps"])
    seen["gate"] = np.concatenate(seen["gate"])
    return seen


def test_phase_seeds_are_the_trainers():
    tr = Trainer(compiled(core_net), dataclasses.replace(BASE, seed=11))
    assert ref.phase_seeds(11, (4, 7)) == [tr._seed(4, 7, k) for k in range(3)]


# prob runs get 12-15 steps so that the batches mix samples that converge (some at
# step 0 of the free phase) with samples stopped by the step limit
CASES = {
    "core-sync": (core_net, dict(mode="sync")),
    "core-prob": (core_net, dict(mode="prob", p=0.6, max_steps=15)),
    "core-sync-approximate": (core_net, dict(mode="sync", approximate=True)),
    "core-prob-approximate": (core_net, dict(mode="prob", p=0.6, max_steps=12, approximate=True)),
    "chain-sync": (chain_net, dict(mode="sync")),
    "chain-prob": (chain_net, dict(mode="prob", p=0.5, max_steps=15)),
    "chain-prob-approximate": (chain_net, dict(mode="prob", p=0.5, max_steps=15, approximate=True)),
    "core-sync-scaled": (core_net, dict(mode="sync", eta_units="fan-in")),
    "chain-prob-scaled": (chain_net, dict(mode="prob", p=0.5, max_steps=15, eta_units="fan-in")),
    "dense-core-sync": (dense_core_net, dict(mode="sync")),
    "dense-core-prob-scaled": (dense_core_net, dict(mode="prob", p=0.6, max_steps=15, eta_units="fan-in")),
    "dense-chain-prob": (dense_chain_net, dict(mode="prob", p=0.5, max_steps=15)),
}


@pytest.mark.parametrize("blas_fraction", [0.0, 2.0], ids=["blas-rule", "row-rule"])
@pytest.mark.parametrize("name", sorted(n for n in CASES if n.startswith("dense")))
def test_dense_maps_equal_numpy_reference_with_either_rule(name, blas_fraction, monkeypatch):
    """Dense blocks learn through one BLAS product (then the pattern is restored)
    or through the gated rows only: both equal the reference (the layout was used)."""
    from neurosim.learning import rules
    monkeypatch.setattr(rules, "BLAS_FRACTION", blas_fraction)
    build, kw = CASES[name]
    assert compiled(build).layouts["j"] == "dense"
    seen = run_both(build, dataclasses.replace(BASE, **kw))
    assert np.abs(seen["end"].j_data - seen["start"].j_data).max() > 0


@pytest.mark.parametrize("name", sorted(CASES))
def test_train_batch_equals_numpy_reference(name):
    build, kw = CASES[name]
    config = dataclasses.replace(BASE, **kw)
    seen = run_both(build, config)
    # the comparison is not vacuous: weights moved, the margin gate split the
    # neurons, and the dynamics took steps after the warmup
    assert np.abs(seen["end"].j_data - seen["start"].j_data).max() > 0
    assert np.abs(seen["end"].w_in - seen["start"].w_in).max() > 0
    assert np.abs(seen["end"].w_out - seen["start"].w_out).max() > 0
    assert 0.0 < seen["gate"].mean() < 1.0
    assert seen["steps"].max() >= 1
    if config.mode == "prob":  # both ends of the step semantics are exercised
        assert seen["steps"].min() < config.max_steps and seen["steps"].max() == config.max_steps


def test_rule_options_equal_numpy_reference():
    """Smoothed gate (Eq. 91), weight decay, sym2, kappa_in != kappa_J, learned W_back."""
    config = dataclasses.replace(BASE, mode="prob", p=0.7, gamma=2.0, decay_j=0.05, decay_in=0.02, decay_out=0.01,
                                 variant="sym2", eta_back=0.02, kappa_in=2.0, warmup=2)
    seen = run_both(chain_net, config)
    assert np.abs(seen["end"].w_back - seen["start"].w_back).max() > 0


def test_sym1_equals_numpy_reference():
    run_both(core_net, dataclasses.replace(BASE, variant="sym1", decay_j=0.01))


@pytest.mark.parametrize("mode", ["sync", "prob"])
def test_inference_equals_numpy_reference(mode):
    cn = compiled(chain_net)
    config = dataclasses.replace(BASE, mode=mode, p=0.5)
    tr = Trainer(cn, config)
    data = task()
    x = data.x_train.astype(np.float64)
    net = ref.RefNet.from_compiled(cn)
    states = tr.infer(x, batch_size=len(x))
    np.testing.assert_array_equal(states, ref.infer(net, x, config, seed=tr._seed(0, 0)))
    np.testing.assert_array_equal(tr.predict(x), ref.predict(net, x, config, seed=tr._seed(0, 0)))


def test_reference_round_trips_to_a_compiled_network():
    cn = compiled(chain_net)
    net = ref.RefNet.from_compiled(cn)
    net.J.data[:] += 0.25
    net.w_out = net.w_out * 2
    back = net.to_compiled(cn)
    np.testing.assert_array_equal(back.j_data, cn.j_data + 0.25)
    np.testing.assert_array_equal(back.w_out, 2 * cn.w_out)
